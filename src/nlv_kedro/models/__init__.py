"""Torch modules for the top model: NextLevel transformer, masking, losses and diagnostics."""

from nlv_kedro.lazy import lazy_exports

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

# name -> submodule; imported on first use, so importing the package stays torch-free
_EXPORTS = {
    "copy_neighbour_cosine": "diagnostics",
    "effective_rank": "diagnostics",
    "masked_cosine": "diagnostics",
    "mean_baseline_cosine": "diagnostics",
    "per_dim_std": "diagnostics",
    "LOSSES": "losses",
    "combined_loss": "losses",
    "masked_prediction_loss": "losses",
    "apply_masks": "masking",
    "bert_corruption": "masking",
    "iid_mask": "masking",
    "span_mask": "masking",
    "NextLevelConfig": "nextlevel",
    "NextLevelModel": "nextlevel",
    "NextLevelOutput": "nextlevel",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
