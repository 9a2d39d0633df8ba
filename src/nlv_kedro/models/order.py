"""Time-reversal contrast: make the pooled video vector tell a video from the same video played backwards.

Masked-embedding prediction alone lets the mean of the contextual vectors stay close to additive in content
and position, so a video and its reversal pool to almost the same vector. This term (a self-supervised
InfoNCE in the spirit of arrow-of-time and temporal-contrastive video objectives) adds a second masked view
of each video as its positive and, besides the other videos of the batch, the *reversed* video as a hard
negative. No labels are used.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def reverse_sequences(x: Tensor, times: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """Play each padded sequence backwards: x (B, T, D), times (B, T, 2) (start, end s), lengths (B,).

    Chunk k of the reversed video is chunk n-1-k of the original; its times are mirrored around the
    video's end so durations and gaps are kept. Padding stays at the end and stays zero.
    """
    b, t = x.shape[:2]
    pos = torch.arange(t, device=x.device)[None, :].expand(b, t)
    n = lengths.to(x.device)[:, None]
    real = pos < n
    src = torch.where(real, n - 1 - pos, pos)  # (B, T) index into the original
    x_rev = torch.gather(x, 1, src[..., None].expand_as(x))
    t_src = torch.gather(times, 1, src[..., None].expand_as(times))
    total = torch.gather(times[..., 1], 1, (n - 1).clamp(min=0))  # (B, 1) end of the last real chunk
    t_rev = torch.stack([total - t_src[..., 1], total - t_src[..., 0]], dim=-1)
    return x_rev * real[..., None], t_rev * real[..., None]


class OrderProjector(nn.Module):
    """SimCLR-style projection head: the contrast acts on its output, the probe reads the pooled vector."""

    def __init__(self, d_model: int, out_dim: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d_model, d_model), nn.GELU(), nn.Linear(d_model, out_dim))

    def forward(self, pooled: Tensor) -> Tensor:
        return F.normalize(self.net(pooled), dim=-1)


def reversal_info_nce(anchor: Tensor, positive: Tensor, reversed_: Tensor, temperature: float) -> Tensor:
    """InfoNCE over normalized (B, E) views: row i's positive is ``positive[i]``; negatives are the other
    rows' positives and every reversed view, including row i's own (the hard negative)."""
    candidates = torch.cat([positive, reversed_], dim=0)  # (2B, E)
    logits = anchor @ candidates.T / temperature  # (B, 2B)
    target = torch.arange(anchor.shape[0], device=anchor.device)
    return F.cross_entropy(logits, target)


def reversal_accuracy(anchor: Tensor, positive: Tensor, reversed_: Tensor) -> Tensor:
    """Share of videos whose second forward view is closer to the anchor than their own reversal."""
    return ((anchor * positive).sum(-1) > (anchor * reversed_).sum(-1)).float().mean()
