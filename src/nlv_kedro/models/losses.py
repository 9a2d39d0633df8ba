"""Masked embedding prediction losses: regress the encoder vectors of masked chunks.

Every loss is a mean over masked positions only (padding and visible chunks never count). With an
empty mask every loss returns ``0 * pred.sum()``: a zero that keeps the autograd graph, so a
training step on such a batch is a harmless no-op instead of a NaN.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from nlv_kedro.models.config import LOSSES
from nlv_kedro.models.masking import apply_masks



def _check_kind(kind: str) -> None:
    if kind not in LOSSES:
        raise ValueError(f"unknown loss kind {kind!r}; choose one of {LOSSES}")


def _info_nce(p: Tensor, t: Tensor, vid: Tensor, temperature: float) -> Tensor:
    """p, t (N, D) masked predictions/targets; vid (N,) video id of each row.

    Positive = the row's own target; negatives = targets of OTHER videos only, because neighbouring
    chunks of the same video are near-duplicates and would punish correct predictions. Rows with no
    other-video negative carry no contrastive signal and are left out of the mean; if no row has one
    (e.g. a single video in the batch) the loss is ``0 * p.sum()``.
    """
    logits = F.normalize(p, dim=-1) @ F.normalize(t, dim=-1).T / temperature  # (N, N)
    same_video = vid.unsqueeze(0) == vid.unsqueeze(1)  # (N, N)
    eye = torch.eye(len(vid), dtype=torch.bool, device=p.device)
    logits = logits.masked_fill(same_video & ~eye, float("-inf"))
    has_negative = (~same_video).any(dim=1)  # (N,)
    if not bool(has_negative.any()):
        return 0.0 * p.sum()
    targets = torch.arange(len(vid), device=p.device)
    return F.cross_entropy(logits[has_negative], targets[has_negative])


def masked_prediction_loss(
    pred: Tensor,
    target: Tensor,
    mask: Tensor,
    kind: str = "smooth_l1",
    temperature: float = 0.1,
    video_ids: Tensor | None = None,
) -> Tensor:
    """pred, target (B, T, D), mask (B, T) bool -> scalar mean over masked positions.

    ``smooth_l1`` (beta 1, NextLevelBERT), ``l1`` (V-JEPA), ``mse``: mean over masked elements.
    ``cosine``: mean of 1 - cos(pred, target) (0 identical, 2 opposite).
    ``infonce``: cosine logits / ``temperature``, negatives from other videos only (see ``_info_nce``).
    ``video_ids`` (B,) or (B, T) says which rows are the same video (default: every row its own).
    """
    _check_kind(kind)
    if pred.shape != target.shape or pred.dim() != 3 or mask.shape != pred.shape[:2]:
        raise ValueError(f"pred/target must be (B, T, D) and mask (B, T); got {tuple(pred.shape)}, "
                         f"{tuple(target.shape)}, {tuple(mask.shape)}")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if not bool(mask.any()):
        return 0.0 * pred.sum()
    p = apply_masks(pred, mask).float()  # (N, D)
    t = apply_masks(target, mask).float()  # (N, D)
    if kind == "smooth_l1":
        return F.smooth_l1_loss(p, t, beta=1.0)
    if kind == "l1":
        return F.l1_loss(p, t)
    if kind == "mse":
        return F.mse_loss(p, t)
    if kind == "cosine":
        return (1.0 - F.cosine_similarity(p, t, dim=-1)).mean()
    B, T = mask.shape
    ids = torch.arange(B, device=pred.device) if video_ids is None else video_ids.to(pred.device)
    if ids.dim() == 1:
        ids = ids.unsqueeze(1).expand(B, T)  # (B, T)
    if ids.shape != (B, T):
        raise ValueError(f"video_ids must be (B,) or (B, T) = {(B, T)}, got {tuple(ids.shape)}")
    return _info_nce(p, t, apply_masks(ids.unsqueeze(-1), mask).squeeze(-1), temperature)


def combined_loss(
    pred: Tensor,
    target: Tensor,
    mask: Tensor,
    weights: dict[str, float],
    temperature: float = 0.1,
    video_ids: Tensor | None = None,
) -> tuple[Tensor, dict[str, Tensor]]:
    """Weighted sum of losses, e.g. ``{"smooth_l1": 1.0, "infonce": 0.1}``.

    Returns ``(total, parts)``; ``parts`` maps each kind to its unweighted, detached value for logging.
    Kinds with weight 0 are skipped (not computed).
    """
    if not weights:
        raise ValueError(f"weights must name at least one loss of {LOSSES}")
    total: Tensor | None = None
    parts: dict[str, Tensor] = {}
    for kind, weight in weights.items():
        _check_kind(kind)
        if weight < 0:
            raise ValueError(f"loss weight for {kind!r} must be >= 0, got {weight!r}")
        if weight == 0:
            continue
        value = masked_prediction_loss(pred, target, mask, kind, temperature, video_ids)
        parts[kind] = value.detach()
        total = weight * value if total is None else total + weight * value
    if total is None:
        raise ValueError(f"all loss weights are 0 in {weights}; give at least one a positive weight")
    return total, parts
