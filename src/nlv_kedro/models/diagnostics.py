"""Collapse and shortcut diagnostics for masked embedding prediction (no grad; python floats).

Read together: ``masked_cosine`` should beat both ``mean_baseline_cosine`` (predicting the dataset
mean) and ``copy_neighbour_cosine`` (copying the nearest visible chunk); otherwise the model has
learned nothing beyond a shortcut. ``per_dim_std`` near 0 or ``effective_rank`` near 1 means the
predictions (or representations) collapsed to a constant. Empty masks give ``nan``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from nlv_kedro.models.masking import apply_masks
from nlv_kedro.models.neighbours import mix_neighbours, nearest_visible, neighbour_weights


def _mean_or_nan(values: Tensor) -> float:
    return float(values.mean()) if values.numel() else math.nan


@torch.no_grad()
def masked_cosine(pred: Tensor, target: Tensor, mask: Tensor) -> float:
    """Mean cos(pred, target) over masked positions; pred/target (B, T, D), mask (B, T)."""
    p, t = apply_masks(pred, mask).float(), apply_masks(target, mask).float()  # (N, D)
    return _mean_or_nan(F.cosine_similarity(p, t, dim=-1))


@torch.no_grad()
def mean_baseline_cosine(target: Tensor, mask: Tensor, mean_vector: Tensor) -> float:
    """Mean cos(mean_vector, target) over masked positions.

    ``mean_vector`` (D,) must live in the same space as ``target``: the caller passes the train mean
    of the targets' space (e.g. of the raw encoder vectors when targets are raw). With standardized
    targets that mean is ~0 and the cosine is meaningless (~0); pass the raw-space mean and raw
    targets instead.
    """
    t = apply_masks(target, mask).float()  # (N, D)
    m = mean_vector.to(t).reshape(1, -1).expand_as(t)  # (N, D)
    return _mean_or_nan(F.cosine_similarity(m, t, dim=-1))


@torch.no_grad()
def copy_neighbour_cosine(target: Tensor, mask: Tensor, padding_mask: Tensor) -> float:
    """Cosine of the copy-the-nearest-visible-chunk shortcut over masked positions.

    Each masked chunk is predicted by the nearest visible (unmasked, non-padding) chunk of the same
    video; ties go to the earlier one. Videos with no visible chunk are skipped.
    """
    B, T, _ = target.shape
    idx = torch.arange(T, device=target.device).expand(B, T)  # (B, T)
    prev, nxt = nearest_visible(~mask & ~padding_mask)  # (B, T) each
    d_prev = torch.where(prev >= 0, idx - prev, torch.full_like(idx, 2 * T + 1))
    d_next = torch.where(nxt < T, nxt - idx, torch.full_like(idx, 2 * T + 1))
    source = torch.where(d_prev <= d_next, prev, nxt)  # (B, T) earlier wins ties
    usable = mask & (source >= 0) & (source < T)  # (B, T)
    copied = target.gather(1, source.clamp(0, T - 1).unsqueeze(-1).expand_as(target))  # (B, T, D)
    return masked_cosine(copied, target, usable)


@torch.no_grad()
def interpolate_neighbours_cosine(target: Tensor, mask: Tensor, padding_mask: Tensor) -> float:
    """Cosine of a stronger shortcut: linear interpolation in time between the nearest visible chunk
    before and after each masked chunk (a copy of the one side that exists at the ends)."""
    weights, prev, nxt = neighbour_weights(~mask & ~padding_mask)
    predicted = mix_neighbours(target, weights, prev, nxt)  # (B, T, D)
    usable = mask & (weights.sum(-1) > 0)
    return masked_cosine(predicted, target, usable)


@torch.no_grad()
def per_dim_std(pred: Tensor, mask: Tensor) -> float:
    """Mean over dims of the (population) std of predictions at masked positions; collapse -> ~0."""
    p = apply_masks(pred, mask).float()  # (N, D)
    return float(p.std(dim=0, correction=0).mean()) if len(p) else math.nan


@torch.no_grad()
def effective_rank(vectors: Tensor) -> float:
    """RankMe: exp(entropy of the normalized singular values) of (N, D) vectors, in [1, min(N, D)]."""
    assert vectors.dim() == 2, f"effective_rank wants (N, D) vectors, got {tuple(vectors.shape)}"
    s = torch.linalg.svdvals(vectors.float())  # (min(N, D),)
    if float(s.sum()) == 0.0:
        return math.nan
    p = s / s.sum()
    p = p[p > 0]
    return float(torch.exp(-(p * p.log()).sum()))
