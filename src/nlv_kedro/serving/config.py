"""The `pretrain.registry` parameter section, torch- and MLflow-free."""

from __future__ import annotations

from nlv_kedro.config import Strict


class RegistryConfig(Strict):
    """The `pretrain.registry` parameter section: which registered model a pretraining adds a version to."""

    enabled: bool = True  # register a model version after each run
    model_name: str = "nextlevel-video"
    metric: str = "val/cos_gain_over_best_baseline"  # the champion alias moves only when this improves
    greater_is_better: bool = True
