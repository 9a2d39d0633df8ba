"""Typed parameters of the `pretrain` pipeline (conf/base/parameters_pretrain.yml)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nlv_kedro.models.nextlevel import NextLevelConfig
from nlv_kedro.training.fit import TrainerConfig
from nlv_kedro.training.objective import ObjectiveConfig, OptimConfig


def deep_merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` merged in, nested dicts key by key (neither input is modified)."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelParams(_Strict):
    d_model: int = Field(384, ge=8)
    n_layers: int = Field(4, ge=1)
    n_heads: int = Field(6, ge=1)
    mlp_ratio: float = Field(4.0, gt=0)
    dropout: float = Field(0.1, ge=0, lt=1)
    max_chunks: int = Field(512, ge=2)
    use_time: bool = True
    head_hidden: int = Field(768, ge=8)
    pooling: Literal["mean", "cls", "max", "temporal"] = "mean"
    pool_segments: int = Field(2, ge=1, description="temporal pooling: consecutive parts averaged separately")
    head_skip: Literal["none", "neighbours"] = Field(
        "none", description="neighbours: predictions add a learned mix of the nearest visible chunks")


class ObjectiveParams(_Strict):
    masking: Literal["span", "iid"] = "span"
    mask_ratio: float = Field(0.4, gt=0, lt=1)
    mean_span: float = Field(3.0, ge=1)
    p_mask: float = Field(0.8, ge=0, le=1)
    p_random: float = Field(0.1, ge=0, le=1)
    loss: Literal["smooth_l1", "l1", "mse", "cosine", "infonce"] = "smooth_l1"
    loss_weights: dict[Literal["smooth_l1", "l1", "mse", "cosine", "infonce"], float] = {}
    temperature: float = Field(0.1, gt=0)
    target_norm: Literal["standardize", "none"] = "standardize"
    order_weight: float = Field(0.0, ge=0, description="time-reversal contrast on pooled vectors; 0 = off")
    order_temperature: float = Field(0.1, gt=0)


class OptimParams(_Strict):
    lr: float = Field(3e-4, gt=0)
    weight_decay: float = Field(0.05, ge=0)
    betas: tuple[float, float] = (0.9, 0.98)
    warmup_fraction: float = Field(0.05, ge=0, lt=1)
    min_lr_ratio: float = Field(0.05, ge=0, le=1)


class TrainerParams(_Strict):
    max_epochs: int = Field(40, ge=1)
    batch_size: int = Field(32, ge=1)
    max_train_chunks: int = Field(64, ge=2, description="training crop length; longer videos get a random window")
    accelerator: str = "auto"
    devices: int | str = "auto"
    strategy: str = Field("auto", description="Lightning strategy: auto, ddp, ddp_spawn, fsdp, deepspeed...")
    num_nodes: int = Field(1, ge=1)
    precision: str = Field("auto", description="auto = bf16-mixed on CUDA with bf16, else 32-true")
    gradient_clip_val: float = Field(1.0, ge=0)
    num_workers: int = Field(0, ge=0)
    log_every_n_steps: int = Field(5, ge=1)
    early_stopping_patience: int | None = Field(None, ge=1)


class RegistryParams(_Strict):
    enabled: bool = True
    model_name: str = "nextlevel-video"
    metric: str = "val/cos_gain_over_best_baseline"
    greater_is_better: bool = True


class PretrainParams(_Strict):
    seed: int = 0
    model: ModelParams = ModelParams()
    objective: ObjectiveParams = ObjectiveParams()
    optim: OptimParams = OptimParams()
    trainer: TrainerParams = TrainerParams()
    registry: RegistryParams = RegistryParams()
    checkpoint_dir: str = "data/06_models/pretrain_checkpoints"
    resume: bool = Field(False, description="continue from checkpoint_dir/last.ckpt when it exists")
    use_best_params: bool = Field(False, description="merge `best_params` (from the tune pipeline) over these")

    @model_validator(mode="after")
    def _consistent(self) -> PretrainParams:
        if self.model.d_model % self.model.n_heads:
            raise ValueError(f"pretrain.model.d_model={self.model.d_model} must be divisible by "
                             f"pretrain.model.n_heads={self.model.n_heads}")
        if self.objective.p_mask + self.objective.p_random > 1:
            raise ValueError("pretrain.objective.p_mask + p_random must be <= 1")
        return self

    def merged(self, overrides: Mapping[str, Any]) -> PretrainParams:
        """These params with ``overrides`` (a nested dict, e.g. `best_params`) merged over them, validated
        again as a whole: an override that breaks a constraint fails here, naming the key."""
        return PretrainParams.model_validate(deep_merge(self.model_dump(), overrides))

    def network_config(self, input_dim: int) -> NextLevelConfig:
        return NextLevelConfig(input_dim=input_dim, **self.model.model_dump())

    def objective_config(self) -> ObjectiveConfig:
        return ObjectiveConfig(**self.objective.model_dump())

    def optim_config(self) -> OptimConfig:
        return OptimConfig(**self.optim.model_dump())

    def trainer_config(self, **overrides: object) -> TrainerConfig:
        return TrainerConfig(**self.trainer.model_dump(), seed=self.seed, checkpoint_dir=self.checkpoint_dir,
                             resume=self.resume, **overrides)
