"""Parameters of an Optuna study over pretraining recipes: the `tune` section of conf/base/parameters_tune.yml."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from nlv_kedro.config import Strict
from nlv_kedro.evaluation.config import DEFAULT_C_GRID
from nlv_kedro.training.config import PretrainParams, check_override_keys
from nlv_kedro.tuning.space import Distribution, check_against, check_space


# Keys relative to `pretrain`; the shipped study (conf/base/parameters_tune.yml repeats it).
DEFAULT_SEARCH_SPACE: dict[str, dict[str, Any]] = {
    "objective.mask_ratio": {"type": "float", "low": 0.15, "high": 0.75},
    "objective.masking": {"type": "categorical", "choices": ["span", "iid"]},
    "objective.loss": {"type": "categorical", "choices": ["smooth_l1", "l1", "mse", "cosine", "infonce"]},
    "objective.target_norm": {"type": "categorical", "choices": ["standardize", "none"]},
    "optim.lr": {"type": "float", "low": 0.0001, "high": 0.003, "log": True},
    "model.n_layers": {"type": "int", "low": 1, "high": 4},  # depth
    "model.d_model": {"type": "categorical", "choices": [96, 192, 384]},  # width; must divide by model.n_heads
    "model.head_skip": {"type": "categorical", "choices": ["neighbours", "none"]},
}


class SamplerParams(Strict):
    type: Literal["tpe", "random"] = "tpe"
    n_startup_trials: int = Field(4, ge=0, description="tpe: random trials before the model-based search")


class PrunerParams(Strict):
    type: Literal["median", "none"] = "median"
    n_startup_trials: int = Field(2, ge=0, description="trials that finish before any pruning")
    n_warmup_steps: int = Field(1, ge=0, description="epochs of each trial that are never pruned")
    # Higher is better for all of these (the study maximizes); losses are not comparable across loss types.
    monitor: Literal["val/probe_top1", "val/cos_pred", "val/cos_pred_standardized",
                     "val/cos_gain_over_best_baseline"] = "val/probe_top1"


class TuneParams(Strict):
    study_name: str = Field("nlv_pretrain", min_length=1)
    storage: str = Field("sqlite:///data/optuna/tune.db", min_length=1, description="any Optuna RDB storage URL")
    n_trials: int | None = Field(8, ge=1, description="trials added by this run (the study keeps earlier ones)")
    timeout: float | None = Field(None, gt=0, description="seconds for this run; None = no limit")
    seed: int = 0
    show_progress_bar: bool = True
    sampler: SamplerParams = SamplerParams()
    pruner: PrunerParams = PrunerParams()
    probe_c_grid: list[float] = Field(list(DEFAULT_C_GRID), min_length=1)
    trial_overrides: dict[str, Any] = Field(
        default_factory=lambda: {"trainer": {"max_epochs": 3}},
        description="pretrain overrides for every trial (short budget); not exported")
    search_space: dict[str, Distribution] = Field(default_factory=lambda: dict(DEFAULT_SEARCH_SPACE), min_length=1,
                                                  validate_default=True)

    @model_validator(mode="after")
    def _check(self) -> TuneParams:
        if self.n_trials is None and self.timeout is None:
            raise ValueError("tune: set n_trials or timeout (both null would run forever)")
        check_override_keys(self.trial_overrides, "tune.trial_overrides")
        check_space(self.search_space, PretrainParams)
        return self

    def trial_base(self, pretrain: PretrainParams) -> PretrainParams:
        """The pretrain params every trial starts from: ``trial_overrides`` merged over them."""
        try:
            return pretrain.merged(self.trial_overrides)
        except ValueError as exc:
            raise ValueError(f"tune.trial_overrides do not fit the pretrain params: {exc}") from exc

    def checked_trial_base(self, pretrain: PretrainParams) -> PretrainParams:
        """:meth:`trial_base`, after checking every search-space value against it and against plain
        ``pretrain`` (best_params must fit `pretrain` later): fails before the first trial, naming the key."""
        base = self.trial_base(pretrain)
        check_against(self.search_space, base)
        check_against(self.search_space, pretrain)
        return base
