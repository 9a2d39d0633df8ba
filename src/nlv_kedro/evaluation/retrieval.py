"""Text<->video retrieval metrics (R@K, median and mean rank, as in the thesis) and a CLIP-style linear baseline.

Ground truth is the diagonal: query i matches item i. Ranks are 1-based and ties count against the query
(an item scoring *equal* to the true match is ranked ahead of it), so degenerate, constant embeddings
score chance-or-worse instead of a perfect R@1.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F

logger = logging.getLogger(__name__)

Projector = Callable[[np.ndarray], np.ndarray]


def _ranks(similarity: np.ndarray) -> np.ndarray:
    """1-based rank of the true item (column i) for each query row i, ties pessimistic.  # (N_queries,)"""
    sim = np.asarray(similarity, dtype=np.float64)
    if sim.ndim != 2:
        raise ValueError(f"similarity must be (N_queries, N_items), got shape {sim.shape}")
    n_q, n_items = sim.shape
    if n_q == 0 or n_q > n_items:
        raise ValueError(f"need 1 <= N_queries <= N_items for diagonal ground truth; got {sim.shape}")
    if not np.isfinite(sim).all():
        raise ValueError("similarity holds NaN or inf; check the embeddings for empty or zero vectors")
    true = sim[np.arange(n_q), np.arange(n_q)]  # (N_q,)
    return (sim >= true[:, None]).sum(axis=1)


def retrieval_metrics(similarity: np.ndarray) -> dict[str, float]:
    """R@1, R@5, R@10 (percent), median rank ``MdR`` and mean rank ``MnR`` (1-based) over query rows."""
    ranks = _ranks(similarity)
    metrics = {f"R@{k}": float(100.0 * np.mean(ranks <= k)) for k in (1, 5, 10)}
    metrics["MdR"] = float(np.median(ranks))
    metrics["MnR"] = float(np.mean(ranks))
    return metrics


def text_video_retrieval(sim_text_video: np.ndarray) -> dict[str, dict[str, float]]:
    """Both directions from one (N_text, N_video) matrix: t2v ranks videos per text, v2t texts per video."""
    sim = np.asarray(sim_text_video)
    return {"t2v": retrieval_metrics(sim), "v2t": retrieval_metrics(sim.T)}


class _Linear(torch.nn.Module):
    """Standardize with train statistics, then a bias-free linear map and L2 normalization."""

    def __init__(self, x: torch.Tensor, dim: int, generator: torch.Generator) -> None:
        super().__init__()
        self.register_buffer("mean", x.mean(dim=0))
        self.register_buffer("std", x.std(dim=0, unbiased=False).clamp_min(1e-6))
        d_in = x.shape[1]
        self.weight = torch.nn.Parameter(torch.randn(d_in, dim, generator=generator) / d_in**0.5)  # (D, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (N, D) -> (N, dim)
        return F.normalize(((x - self.mean) / self.std) @ self.weight, dim=-1)


def _as_tensor(x: np.ndarray, name: str) -> torch.Tensor:
    arr = np.asarray(x, dtype=np.float32)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be (N, D), got shape {arr.shape}")
    return torch.from_numpy(np.ascontiguousarray(arr))


def _clip_loss(v: torch.Tensor, t: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE over a batch of aligned pairs (row i of v matches row i of t)."""
    logits = t @ v.T / temperature  # (B, B), text queries x video items
    target = torch.arange(len(v))
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


@contextmanager
def _threads(n: int) -> Iterator[None]:
    """Temporarily set torch's intra-op threads: tiny matmuls run several times faster on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _to_numpy_projector(module: _Linear) -> Projector:
    def project(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return module(_as_tensor(x, "input")).numpy()

    return project


def train_projection(
    video_train: np.ndarray,
    text_train: np.ndarray,
    video_val: np.ndarray,
    text_val: np.ndarray,
    dim: int = 128,
    epochs: int = 200,
    lr: float = 1e-3,
    temperature: float = 0.05,
    weight_decay: float = 1e-4,
    seed: int = 0,
    batch_size: int = 512,
) -> tuple[Projector, Projector]:
    """Learn linear video->dim and text->dim maps with the CLIP loss; keep the epoch with the best val t2v R@1.

    This is the trained baseline for modalities whose vectors live in unrelated spaces. Inputs are
    standardized with train statistics (part of the returned projections). Full-batch when the train split
    fits in ``batch_size``, else shuffled minibatches. Deterministic given ``seed`` (own torch.Generator; no
    global RNG state touched). With an empty val split the last epoch is kept. Returns numpy callables
    (N, D) -> L2-normalized (N, dim) float32.
    """
    v_tr, t_tr = _as_tensor(video_train, "video_train"), _as_tensor(text_train, "text_train")
    if len(v_tr) != len(t_tr) or len(v_tr) < 2:
        raise ValueError(f"need >= 2 aligned train pairs; got {len(v_tr)} videos and {len(t_tr)} texts")
    v_val, t_val = _as_tensor(video_val, "video_val"), _as_tensor(text_val, "text_val")
    if len(v_val) != len(t_val):
        raise ValueError(f"val videos ({len(v_val)}) and texts ({len(t_val)}) must be aligned pairs")
    small = len(v_tr) * (v_tr.shape[1] + t_tr.shape[1]) < 1_000_000
    with _threads(1 if small else torch.get_num_threads()):
        video_proj, text_proj = _fit_projection(
            v_tr, t_tr, v_val, t_val, dim, epochs, lr, temperature, weight_decay, seed, batch_size
        )
    return _to_numpy_projector(video_proj), _to_numpy_projector(text_proj)


def _fit_projection(
    v_tr: torch.Tensor,
    t_tr: torch.Tensor,
    v_val: torch.Tensor,
    t_val: torch.Tensor,
    dim: int,
    epochs: int,
    lr: float,
    temperature: float,
    weight_decay: float,
    seed: int,
    batch_size: int,
) -> tuple[_Linear, _Linear]:
    """The training loop of :func:`train_projection` on tensors; returns the best-on-val modules in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    video_proj, text_proj = _Linear(v_tr, dim, gen), _Linear(t_tr, dim, gen)
    params = list(video_proj.parameters()) + list(text_proj.parameters())
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    n = len(v_tr)
    best_r1, best_epoch = -1.0, -1
    best_state: tuple[dict, dict] | None = None
    for epoch in range(epochs):
        order = torch.randperm(n, generator=gen) if n > batch_size else torch.arange(n)
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            if len(batch) < 2:  # a single pair has no negatives
                continue
            loss = _clip_loss(video_proj(v_tr[batch]), text_proj(t_tr[batch]), temperature)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if len(v_val) == 0:
            continue
        with torch.no_grad():
            r1 = retrieval_metrics((text_proj(t_val) @ video_proj(v_val).T).numpy())["R@1"]
        if r1 > best_r1:
            best_r1, best_epoch = r1, epoch
            best_state = (
                {k: v.clone() for k, v in video_proj.state_dict().items()},
                {k: v.clone() for k, v in text_proj.state_dict().items()},
            )
    if best_state is not None:
        video_proj.load_state_dict(best_state[0])
        text_proj.load_state_dict(best_state[1])
        logger.info("projection: best val t2v R@1 %.2f%% at epoch %d/%d", best_r1, best_epoch + 1, epochs)
    video_proj.eval()
    text_proj.eval()
    return video_proj, text_proj
