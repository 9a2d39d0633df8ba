"""Parameters of the ablation study: the `ablations` section of conf/base/parameters_ablations.yml (conf/full for
the full sweep)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator

from nlv_kedro.config import Strict, deep_merge
from nlv_kedro.training.objective import ObjectiveConfig
from nlv_kedro.training.config import PretrainParams, check_override_keys


class VideoSubset(Strict):
    """Which videos every sweep uses: a seeded sample per class of the train and val splits (null = all)."""

    train_per_class: int | None = Field(4, ge=1)
    val_per_class: int | None = Field(4, ge=1)


class FrameSamplingSweep(Strict):
    """RQ2: each axis is varied alone around parameters_preprocess.yml (one-at-a-time, not a grid)."""

    enabled: bool = True
    target_fps: list[float] = Field([0.5, 1.0, 2.0], description="uniform sampling rates")
    dedup_threshold: list[float] = Field([0.0, 0.01, 0.03, 0.1], description="near-duplicate thresholds")
    chunking: list[Literal["fixed_count", "fixed_duration", "scene"]] = ["fixed_count", "fixed_duration", "scene"]


class EncoderSweep(Strict):
    """RQ1: frame encoders compared on the preprocess plan, each with mean-pooling and a NextLevel model."""

    enabled: bool = True
    names: list[str] = Field(["efficientnet_lite0", "efficientnet_lite2"], min_length=1)
    image_size: int | None = Field(None, ge=32, description="null = encode.image_size")
    frames_per_chunk: int | None = Field(1, ge=1, description="frames encoded per chunk, evenly spread; null = all")
    throughput_frames: int = Field(16, ge=1, description="synthetic batch for the side-by-side forward frames/s")


class MaskingVariant(Strict):
    """RQ4: one pretraining variant; ``objective`` overrides pretrain.objective (same keys)."""

    name: str
    objective: dict[str, Any] = {}

    @field_validator("objective")
    @classmethod
    def _known_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        ObjectiveConfig(**value)  # unknown keys or bad values fail here, naming the key
        return value


class MaskingSweep(Strict):
    enabled: bool = True
    variants: list[MaskingVariant] = Field(min_length=1, default_factory=lambda: [
        MaskingVariant(name="span 0.25, smooth_l1", objective={"masking": "span", "mask_ratio": 0.25}),
        MaskingVariant(name="span 0.4, smooth_l1", objective={"masking": "span", "mask_ratio": 0.4}),
        MaskingVariant(name="span 0.6, smooth_l1", objective={"masking": "span", "mask_ratio": 0.6}),
        MaskingVariant(name="blocks 0.5 (2 blocks), smooth_l1"),
        MaskingVariant(name="iid 0.15 (80/10/10), smooth_l1", objective={"masking": "iid", "mask_ratio": 0.15}),
        MaskingVariant(name="span 0.4, cosine", objective={"masking": "span", "mask_ratio": 0.4, "loss": "cosine"}),
        MaskingVariant(name="span 0.4, infonce", objective={"masking": "span", "mask_ratio": 0.4, "loss": "infonce"}),
    ])


class AblationParams(Strict):
    seed: int = 0
    videos: VideoSubset = VideoSubset()
    probe_c: float = Field(1.0, gt=0, description="logistic-regression C of every probe (fixed: no selection on val)")
    # Overrides of parameters_pretrain.yml for every model the sweeps pretrain (RQ1, RQ4), e.g. fewer epochs
    pretrain: dict[str, Any] = Field(default_factory=lambda: {
        "model": {"d_model": 192, "n_layers": 2, "n_heads": 4, "head_hidden": 384},
        "trainer": {"max_epochs": 10, "batch_size": 16, "devices": 1}})
    frame_sampling: FrameSamplingSweep = FrameSamplingSweep()
    encoders: EncoderSweep = EncoderSweep()
    masking: MaskingSweep = MaskingSweep()

    @field_validator("pretrain")
    @classmethod
    def _known_pretrain_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_override_keys(value, "ablations.pretrain")
        return value

    def pretrain_params(self, base: PretrainParams, objective: Mapping[str, Any] | None = None) -> PretrainParams:
        """``base`` with this sweep's overrides (and a variant's objective) merged over it, validated whole."""
        overrides = deep_merge(self.pretrain, {"objective": dict(objective or {})})
        return PretrainParams.model_validate(deep_merge(base.model_dump(), overrides))


class SeedStudyParams(Strict):
    """The seed study (`seeds` pipeline): the pretraining recipe with several seeds, scored on test against the
    untrained same-architecture control and the frozen pooling baselines, with paired bootstrap CIs."""

    enabled: bool = True
    seeds: list[int] = Field([0, 1, 2], min_length=1)
    # Overrides of parameters_pretrain.yml for every seed ({} = the main recipe, whose own seed then reuses the
    # main run's top model instead of training it again)
    pretrain: dict[str, Any] = {}
    c_grid: list[float] = Field([0.01, 0.1, 1.0, 10.0, 100.0], min_length=1)
    temporal_segments: list[int] = Field([2, 4], min_length=1)
    bootstrap_resamples: int = Field(2000, ge=100)
    bootstrap_seed: int = 0
    goal_points: float = Field(10.0, description="points NextLevel must gain over a control (CI excluding 0)")
    tolerance_points: float = Field(2.0, ge=0, description="allowed loss to mean pooling on order-independent classes")

    @field_validator("pretrain")
    @classmethod
    def _known_pretrain_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_override_keys(value, "seeds.pretrain")
        return value

    @field_validator("temporal_segments")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(k < 1 for k in value):
            raise ValueError(f"temporal_segments must be >= 1 each, got {value}")
        return value

    def recipe(self, base: PretrainParams) -> PretrainParams:
        """``base`` with this study's overrides merged over it, validated whole."""
        return PretrainParams.model_validate(deep_merge(base.model_dump(), self.pretrain)) if self.pretrain else base
