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


# --- per-position cosines, the shrunk-interpolation baseline, and the span/cut buckets of the masked chunks ---

SHRINK_FACTORS = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)  # grid of the shrunk interpolation; 1.0 = plain interpolation
SPAN_BUCKETS = ((1, 1, "span1"), (2, 3, "span2_3"), (4, None, "span4plus"))  # (min, max or None, name) chunks
CUT_COSINE = 0.6  # proxy cut between consecutive chunks: encoder-space cosine below this (see spans_crossing_cut)


@torch.no_grad()
def position_cosines(pred: Tensor, target: Tensor) -> Tensor:
    """cos(pred, target) at every position: (..., T, D) x2 -> (..., T) float."""
    return F.cosine_similarity(pred.float(), target.float(), dim=-1)


@torch.no_grad()
def interpolate_neighbours(target: Tensor, mask: Tensor, padding_mask: Tensor) -> tuple[Tensor, Tensor]:
    """The interpolation shortcut at every position -> ((B, T, D) prediction, (B, T) usable = masked with a
    visible neighbour). Linear in the vectors, so it commutes with per-dimension standardization."""
    weights, prev, nxt = neighbour_weights(~mask & ~padding_mask)
    return mix_neighbours(target, weights, prev, nxt), mask & (weights.sum(-1) > 0)


def shrink_toward(pred: Tensor, mean_vector: Tensor, factor: float) -> Tensor:
    """``mean + factor * (pred - mean)``: a prediction pulled toward the train mean (factor 1 = unchanged).

    Shrinking toward the origin leaves a cosine unchanged (cosine is scale-free), so in the standardized space,
    whose train mean is ~0, shrunk and plain interpolation score the same cosine; the shrink matters in the
    encoder's space, where the mean is a large shared component."""
    m = mean_vector.to(pred).reshape(*([1] * (pred.dim() - 1)), -1)
    return m + factor * (pred - m)


@torch.no_grad()
def shrunk_interpolation_cosines(target: Tensor, mask: Tensor, padding_mask: Tensor, mean_vector: Tensor,
                                 factors: tuple[float, ...] = SHRINK_FACTORS) -> tuple[Tensor, Tensor]:
    """Cosine of the interpolation shrunk by each of ``factors`` -> ((F, B, T) cosines, (B, T) usable)."""
    interpolated, usable = interpolate_neighbours(target, mask, padding_mask)
    cos = torch.stack([position_cosines(shrink_toward(interpolated, mean_vector, f), target) for f in factors])
    return cos, usable


def span_lengths(mask: Tensor) -> Tensor:
    """Length of the contiguous masked run each position belongs to (0 where not masked): (B, T) bool -> long."""
    B, T = mask.shape
    m = mask.long()
    starts = m - torch.nn.functional.pad(m, (1, 0))[:, :T]  # 1 where a run starts
    run = (starts.clamp_min(0).cumsum(1) * m)  # (B, T) 1-based run id within the row, 0 outside runs
    counts = torch.zeros(B, T + 1, dtype=torch.long, device=mask.device).scatter_add_(1, run, m)  # (B, T+1)
    return counts.gather(1, run) * m


def span_bucket(lengths: Tensor) -> Tensor:
    """Index into :data:`SPAN_BUCKETS` of each span length (-1 for 0 = not masked): (B, T) long -> (B, T) long."""
    bucket = torch.full_like(lengths, -1)
    for i, (low, high, _) in enumerate(SPAN_BUCKETS):
        inside = (lengths >= low) if high is None else (lengths >= low) & (lengths <= high)
        bucket = torch.where(inside, torch.full_like(lengths, i), bucket)
    return bucket


@torch.no_grad()
def proxy_cuts(vectors: Tensor, padding_mask: Tensor, threshold: float = CUT_COSINE) -> Tensor:
    """(B, T - 1) bool: a cut between chunks t and t + 1 when both are real and their cosine is below ``threshold``.

    A proxy: chunk plans and the embedding store record chunk bounds, not scene cuts, so a cut is read off the
    encoder vectors themselves (pass the encoder-space vectors; the standardized ones lose the shared component).
    """
    cos = position_cosines(vectors[:, :-1], vectors[:, 1:])  # (B, T - 1)
    real = ~padding_mask[:, :-1] & ~padding_mask[:, 1:]
    return real & (cos < threshold)


def spans_crossing_cut(mask: Tensor, cuts: Tensor) -> Tensor:
    """(B, T) bool: masked positions whose run, widened by the visible chunk on each side, contains a cut.

    Pair t (between chunks t and t + 1) touches a run when chunk t or t + 1 is in it; then the content changed
    somewhere between the visible chunks the interpolation reads, at a place it cannot see."""
    B, T = mask.shape
    m = mask.long()
    starts = m - torch.nn.functional.pad(m, (1, 0))[:, :T]
    run = starts.clamp_min(0).cumsum(1) * m  # (B, T) run id, 0 outside
    if T < 2:
        return torch.zeros_like(mask)
    touched = torch.where(mask[:, :-1], run[:, :-1], run[:, 1:])  # (B, T - 1) run id each pair touches, 0 none
    hit = torch.zeros(B, T + 1, dtype=torch.long, device=mask.device)
    hit.scatter_add_(1, touched, (cuts & (touched > 0)).long())
    return (hit.gather(1, run) > 0) & mask
