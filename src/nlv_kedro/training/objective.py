"""Configs of the masked-embedding objective and its optimizer (plain dataclasses, validated)."""

from __future__ import annotations

from dataclasses import dataclass, field

from nlv_kedro.models.losses import LOSSES


@dataclass(frozen=True)
class ObjectiveConfig:
    masking: str = "span"  # "span": contiguous spans in time, all [MASK]; "iid": NextLevelBERT 80/10/10
    mask_ratio: float = 0.4  # share of each video's chunks that are masked
    mean_span: float = 3.0  # span masking: mean span length in chunks
    p_mask: float = 0.8  # iid: share of masked chunks replaced by [MASK]
    p_random: float = 0.1  # iid: share replaced by a chunk of another video (the rest is kept)
    loss: str = "smooth_l1"  # one of LOSSES, ignored when loss_weights is set
    loss_weights: dict[str, float] = field(default_factory=dict)  # e.g. {"smooth_l1": 1.0, "infonce": 0.5}
    temperature: float = 0.1  # infonce
    target_norm: str = "standardize"  # "standardize" (train mean/std of each dimension) or "none"
    order_weight: float = 0.0  # weight of the time-reversal contrast on pooled vectors (0 = off)
    order_temperature: float = 0.1

    def __post_init__(self) -> None:
        if self.masking not in ("span", "iid"):
            raise ValueError(f"masking={self.masking!r}: use 'span' or 'iid'")
        if not 0 < self.mask_ratio < 1:
            raise ValueError(f"mask_ratio={self.mask_ratio}: must be in (0, 1)")
        if self.loss not in LOSSES:
            raise ValueError(f"loss={self.loss!r}: use one of {list(LOSSES)}")
        unknown = set(self.loss_weights) - set(LOSSES)
        if unknown:
            raise ValueError(f"loss_weights has unknown losses {sorted(unknown)}: use {list(LOSSES)}")
        if self.target_norm not in ("standardize", "none"):
            raise ValueError(f"target_norm={self.target_norm!r}: use standardize or none")
        if self.order_weight < 0 or self.order_temperature <= 0:
            raise ValueError("order_weight must be >= 0 and order_temperature > 0")
        if not (0 <= self.p_mask and 0 <= self.p_random and self.p_mask + self.p_random <= 1):
            raise ValueError("p_mask and p_random must be >= 0 with p_mask + p_random <= 1")


@dataclass(frozen=True)
class OptimConfig:
    lr: float = 3e-4
    weight_decay: float = 0.05
    betas: tuple[float, float] = (0.9, 0.98)
    warmup_fraction: float = 0.05  # of all optimizer steps, linear warmup
    min_lr_ratio: float = 0.05  # cosine decays to lr * min_lr_ratio
