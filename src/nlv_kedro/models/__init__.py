"""Torch modules for the top model: NextLevel transformer, masking, losses and diagnostics."""

from nlv_kedro.models.diagnostics import (
    copy_neighbour_cosine,
    effective_rank,
    masked_cosine,
    mean_baseline_cosine,
    per_dim_std,
)
from nlv_kedro.models.losses import LOSSES, combined_loss, masked_prediction_loss
from nlv_kedro.models.masking import apply_masks, bert_corruption, iid_mask, span_mask
from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel, NextLevelOutput

__all__ = [
    "LOSSES",
    "NextLevelConfig",
    "NextLevelModel",
    "NextLevelOutput",
    "apply_masks",
    "bert_corruption",
    "combined_loss",
    "copy_neighbour_cosine",
    "effective_rank",
    "iid_mask",
    "masked_cosine",
    "masked_prediction_loss",
    "mean_baseline_cosine",
    "per_dim_std",
    "span_mask",
]
