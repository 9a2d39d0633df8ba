"""Temporal pooling: the mean of each of ``segments`` consecutive parts of a video, concatenated.

Plain mean pooling is order-blind: a video and the same video reversed pool to the same vector. Splitting
the real chunks into ``segments`` equal parts in time (first half / second half for 2) keeps coarse order,
as temporal-pyramid and segment-based video models do. The same function pools frozen chunk vectors (the
``temporal_pool`` baseline) and NextLevel's contextual vectors, so the two are compared like for like.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def temporal_mean_pool(h: Tensor, padding_mask: Tensor, segments: int) -> Tensor:
    """h (B, T, D), padding_mask (B, T) True = padding -> (B, segments * D).

    Real chunk ``t`` of a video with ``n`` chunks belongs to segment ``floor(t * segments / n)``. A segment
    with no chunk (videos shorter than ``segments``) takes the mean of the whole video.
    """
    if segments < 1:
        raise ValueError(f"segments must be >= 1, got {segments}")
    b, t, d = h.shape
    real = ~padding_mask  # (B, T)
    n = real.sum(dim=1, keepdim=True).clamp(min=1)  # (B, 1)
    pos = torch.arange(t, device=h.device)[None, :].expand(b, t)
    seg = torch.div(pos * segments, n, rounding_mode="floor").clamp(max=segments - 1)  # (B, T)
    onehot = torch.nn.functional.one_hot(seg, segments).to(h.dtype) * real[..., None].to(h.dtype)  # (B, T, S)
    sums = torch.einsum("bts,btd->bsd", onehot, h)  # (B, S, D)
    counts = onehot.sum(dim=1)[..., None]  # (B, S, 1)
    whole = (h * real[..., None].to(h.dtype)).sum(dim=1, keepdim=True) / n[..., None].to(h.dtype)  # (B, 1, D)
    pooled = torch.where(counts > 0, sums / counts.clamp(min=1), whole)  # (B, S, D)
    return pooled.reshape(b, segments * d)


def temporal_mean_pool_array(vectors: np.ndarray, segments: int) -> np.ndarray:
    """One video's (T, D) vectors -> (segments * D,), the same pooling as ``temporal_mean_pool``."""
    h = torch.from_numpy(np.asarray(vectors, dtype=np.float32))[None]
    return temporal_mean_pool(h, torch.zeros(1, h.shape[1], dtype=torch.bool), segments)[0].numpy()
