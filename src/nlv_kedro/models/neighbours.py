"""The nearest visible chunks around each position, and mixing them: the copy and interpolation
shortcuts of the diagnostics, and the neighbour skip of the NextLevel prediction head."""

from __future__ import annotations

import torch
from torch import Tensor


def nearest_visible(visible: Tensor) -> tuple[Tensor, Tensor]:
    """Index of the nearest visible chunk at or before / at or after each position -> (prev, next), each (B, T).

    ``visible`` (B, T) bool. ``prev`` is -1 where no visible chunk precedes, ``next`` is T where none follows.
    """
    B, T = visible.shape
    idx = torch.arange(T, device=visible.device).expand(B, T)  # (B, T)
    prev = torch.where(visible, idx, torch.full_like(idx, -1)).cummax(dim=1).values  # last visible <= t
    nxt = torch.where(visible, idx, torch.full_like(idx, T)).flip(1).cummin(dim=1).values.flip(1)  # first >= t
    return prev, nxt


def neighbour_weights(visible: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Interpolation weights of the nearest visible chunk before and after each position.

    -> ((B, T, 2) weights for (prev, next) summing to 1, or 0 where no visible chunk exists; prev; next).
    """
    B, T = visible.shape
    prev, nxt = nearest_visible(visible)
    idx = torch.arange(T, device=visible.device).expand(B, T)
    has_prev, has_next = prev >= 0, nxt < T
    w_next = (idx - prev).float() / (nxt - prev).clamp_min(1).float()  # both sides exist
    w_next = torch.where(has_prev & has_next, w_next, has_next.float())  # one side: copy it
    w_prev = torch.where(has_prev, 1.0 - w_next, torch.zeros_like(w_next))
    return torch.stack([w_prev, w_next], dim=-1), prev, nxt


def mix_neighbours(x: Tensor, weights: Tensor, prev: Tensor, nxt: Tensor) -> Tensor:
    """(B, T, D) vectors, (B, T, 2) weights -> weights[..., 0] * x[prev] + weights[..., 1] * x[next]."""
    T = x.shape[1]
    gather = lambda i: x.gather(1, i.clamp(0, T - 1).unsqueeze(-1).expand_as(x))  # noqa: E731
    return weights[..., :1].to(x.dtype) * gather(prev) + weights[..., 1:].to(x.dtype) * gather(nxt)
