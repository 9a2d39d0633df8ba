"""Which chunks to hide during pretraining, and how to corrupt them (V-JEPA's mask collator, alone).

All functions take per-video ``lengths`` (B,) and return a (B, T_max) bool mask, True = masked,
with these invariants: padding is never masked; a video of length >= 2 has at least one masked and
at least one visible chunk; a video of length 1 has nothing masked (nothing to predict it from).
Randomness comes only from the optional (CPU) ``torch.Generator``, so a seeded generator reproduces
masks; masks are drawn on the CPU (as in a collate function) and returned on the input's device.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def _check(lengths: Tensor, ratio: float) -> None:
    if lengths.dim() != 1:
        raise ValueError(f"lengths must be (B,) ints, got shape {tuple(lengths.shape)}")
    if bool((lengths < 0).any()):
        raise ValueError("lengths must be >= 0")
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"mask ratio must be in (0, 1), got {ratio!r}")


def _num_masked(lengths: Tensor, ratio: float) -> Tensor:
    """k = round(ratio * L) clamped to [1, L - 1] for L >= 2, and 0 for L <= 1.  # (B,)"""
    k = torch.round(lengths.double() * ratio).long()
    k = torch.minimum(k.clamp_min(1), lengths - 1)
    return torch.where(lengths >= 2, k, torch.zeros_like(k))


def _t_max(lengths: Tensor) -> int:
    return int(lengths.max()) if lengths.numel() else 0


def _draw_spans(lengths: Tensor, n: int, p: float, generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
    """``n`` spans per video: uniform starts in [0, L) and geometric lengths with success prob ``p``.  # (B, n) x2"""
    u = torch.rand(lengths.numel(), n, 2, generator=generator, dtype=torch.float64)  # (B, n, [start, span])
    starts = torch.minimum((u[..., 0] * lengths.unsqueeze(1)).long(), (lengths - 1).clamp_min(0).unsqueeze(1))
    if p >= 1.0:
        return starts, torch.ones_like(starts)
    return starts, 1 + (torch.log1p(-u[..., 1]) / math.log1p(-p)).long()


def span_mask(
    lengths: Tensor, ratio: float, mean_span: float = 3.0, generator: torch.Generator | None = None
) -> Tensor:
    """Mask exactly k = round(ratio * L) chunks per video as contiguous spans in time.

    Neighbouring chunks are near-duplicates, so i.i.d. masking is solvable by copying a neighbour;
    spans force the model to use longer context. Span lengths are geometric with mean ``mean_span``
    (>= 1); starts are uniform; overlapping or adjacent spans merge; the last span is cut to hit k.
    Vectorized over the batch: spans are painted in draw order and a position's fill order is (first
    span covering it, time), so keeping the first k positions in that order cuts only the last span.
    """
    _check(lengths, ratio)
    if mean_span < 1.0:
        raise ValueError(f"mean_span must be >= 1, got {mean_span!r}")
    device, lengths = lengths.device, lengths.cpu().long()
    B, T = lengths.numel(), _t_max(lengths)
    k = _num_masked(lengths, ratio)  # (B,)
    t = torch.arange(T)
    first = torch.full((B, T), torch.iinfo(torch.long).max)  # (B, T) index of the first span covering t
    n_drawn, n_new = 0, max(8, int(math.ceil(float(k.max()) / mean_span)) * 2) if B else 0
    while B and T and bool(((first < n_drawn).sum(1) < k).any()):
        starts, spans = _draw_spans(lengths, n_new, 1.0 / mean_span, generator)  # (B, S)
        cover = (t >= starts.unsqueeze(-1)) & (t < (starts + spans).clamp(max=lengths.unsqueeze(1)).unsqueeze(-1))
        hit = torch.where(cover.any(1), cover.long().argmax(1) + n_drawn, first)  # (B, T) first new span
        first = torch.minimum(first, hit)
        n_drawn += n_new
    order = torch.where(first < n_drawn, first * max(T, 1) + t, torch.iinfo(torch.long).max)  # (B, T) fill order
    mask = order.argsort(dim=1, stable=True).argsort(dim=1) < k.unsqueeze(1)
    mask &= first < n_drawn
    assert int(mask.sum()) == int(k.sum())
    return mask.to(device)


def iid_mask(lengths: Tensor, ratio: float, generator: torch.Generator | None = None) -> Tensor:
    """Mask exactly k = max(1, round(ratio * L)) (< L) i.i.d. positions per video (NextLevelBERT's 15%)."""
    _check(lengths, ratio)
    device, lengths = lengths.device, lengths.cpu().long()
    B, T = lengths.numel(), _t_max(lengths)
    padding = torch.arange(T).unsqueeze(0) >= lengths.unsqueeze(1)  # (B, T)
    scores = torch.rand(B, T, generator=generator).masked_fill(padding, 2.0)  # padding sorts last
    ranks = scores.argsort(dim=1).argsort(dim=1)  # (B, T) rank of each position
    mask = ranks < _num_masked(lengths, ratio).unsqueeze(1)  # (B, T)
    assert not bool((mask & padding).any())
    return mask.to(device)


def _block_sizes(k: int, n: int, visible: int, generator: torch.Generator | None) -> tuple[list[int], list[int]]:
    """Sizes of n blocks summing to k (as equal as possible, shuffled) and of the n + 1 visible gaps around
    them summing to ``visible``; inner gaps are >= 1, so the blocks stay apart."""
    sizes = [k // n + (1 if i < k % n else 0) for i in range(n)]
    sizes = [sizes[i] for i in torch.randperm(n, generator=generator).tolist()]
    free = visible - (n - 1)  # visible chunks left after one between each pair of blocks
    cuts = sorted(torch.randperm(free + n, generator=generator)[:n].tolist())  # stars and bars: n + 1 gaps
    bounds = [-1, *cuts, free + n]
    gaps = [bounds[i + 1] - bounds[i] - 1 for i in range(n + 1)]
    return sizes, [g + (1 if 0 < i < n else 0) for i, g in enumerate(gaps)]


def block_mask(lengths: Tensor, ratio: float, n_blocks: int = 2, generator: torch.Generator | None = None) -> Tensor:
    """V-JEPA's multi-block mask in time: exactly k = round(ratio * L) chunks per video (as :func:`span_mask`)
    in min(n_blocks, k, L - k + 1) contiguous blocks of near-equal size, placed uniformly and kept apart by at
    least one visible chunk. Long blocks leave interpolation only far-away neighbours to read."""
    _check(lengths, ratio)
    if n_blocks < 1:
        raise ValueError(f"n_blocks must be >= 1, got {n_blocks!r}")
    device, lengths = lengths.device, lengths.cpu().long()
    k_all = _num_masked(lengths, ratio)
    mask = torch.zeros(lengths.numel(), _t_max(lengths), dtype=torch.bool)
    for row, (length, k) in enumerate(zip(lengths.tolist(), k_all.tolist())):
        if k == 0:
            continue
        n = min(n_blocks, k, length - k + 1)
        sizes, gaps = _block_sizes(k, n, length - k, generator)
        position = gaps[0]
        for size, gap in zip(sizes, gaps[1:]):
            mask[row, position : position + size] = True
            position += size + gap
    assert int(mask.sum()) == int(k_all.sum())
    return mask.to(device)


def future_mask(lengths: Tensor, ratio: float) -> Tensor:
    """Predict the future: the last k = round(ratio * L) chunks of each video (k as :func:`span_mask`). The
    masked block has visible context on one side only, so interpolation degrades to copying the last chunk."""
    _check(lengths, ratio)
    device, lengths = lengths.device, lengths.cpu().long()
    t = torch.arange(_t_max(lengths)).unsqueeze(0)  # (1, T)
    mask = (t >= (lengths - _num_masked(lengths, ratio)).unsqueeze(1)) & (t < lengths.unsqueeze(1))
    return mask.to(device)


def bert_corruption(
    x: Tensor,
    mask: Tensor,
    lengths: Tensor,
    p_mask: float = 0.8,
    p_random: float = 0.1,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """NextLevelBERT's 80/10/10 rule over the masked positions.

    Returns ``(x_corrupted (B, T, D), mask_positions (B, T) bool)``. Of the masked positions, a
    fraction ``p_mask`` goes to ``mask_positions`` (the model swaps in its [MASK] embedding; x is left
    as is there), ``p_random`` get x replaced by a real chunk vector drawn uniformly from ANOTHER
    video of the batch (with B == 1 these fall back to [MASK]), and the rest keep their vector. The
    loss is still computed on ALL of ``mask``; the caller keeps using it.
    """
    if x.dim() != 3 or mask.shape != x.shape[:2] or mask.dtype != torch.bool:
        raise ValueError(f"x must be (B, T, D) and mask bool (B, T); got {tuple(x.shape)} and {tuple(mask.shape)}")
    if p_mask < 0 or p_random < 0 or p_mask + p_random > 1.0 + 1e-9:
        raise ValueError(f"need p_mask, p_random >= 0 and p_mask + p_random <= 1, got {p_mask}, {p_random}")
    B, T, _ = x.shape
    lengths = lengths.to(x.device).long()
    if lengths.shape != (B,) or bool((lengths < 1).any()) or bool((lengths > T).any()):
        raise ValueError(f"lengths must be (B,) = ({B},) with 1 <= length <= T = {T}, got {lengths.tolist()}")
    padding = torch.arange(T, device=x.device).unsqueeze(0) >= lengths.unsqueeze(1)  # (B, T)
    assert not bool((mask & padding).any()), "mask covers padding"
    u = torch.rand(B, T, generator=generator).to(x.device)  # (B, T)
    mask_positions = mask & (u < p_mask)
    random = mask & (u >= p_mask) & (u < p_mask + p_random)
    x_corrupted = x.clone()
    if B == 1:
        return x_corrupted, mask_positions | random
    n = int(random.sum())
    if n:
        b = random.nonzero()[:, 0]  # (n,) row of each random position, row-major
        shift = torch.randint(1, B, (n,), generator=generator).to(x.device)  # never 0 -> other video
        src_b = (b + shift) % B  # (n,)
        src_t = (torch.rand(n, generator=generator).to(x.device) * lengths[src_b]).long()
        src_t = torch.minimum(src_t, lengths[src_b] - 1)  # (n,) a real chunk of src_b
        x_corrupted[random] = x[src_b, src_t]
    return x_corrupted, mask_positions


def apply_masks(x: Tensor, mask: Tensor) -> Tensor:
    """Gather masked rows: x (B, T, D), mask (B, T) bool -> (N_masked, D), row-major (video, then time)."""
    assert mask.dtype == torch.bool and mask.shape == x.shape[:2], (tuple(x.shape), tuple(mask.shape))
    return x[mask]  # (N, D)
