"""Typed parameters of the `preprocess` pipeline (conf/base/parameters_preprocess.yml)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nlv_kedro.video.plan import PlanConfig


class PreprocessParams(BaseModel):
    """Which frames to decode and how they group into chunks. Mirrors :class:`PlanConfig`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target_fps: float = Field(default=2.0, gt=0, description="uniform sampling rate before dedup")
    max_frames: int = Field(default=256, ge=1, description="cap on sampled frames per video")
    dedup_threshold: float = Field(default=0.01, ge=0, le=1, description="busiest-cell |gray diff| to the last kept frame")
    dedup_grid: int = Field(default=4, ge=1, description="cells per side for the difference measure")
    thumb_width: int = Field(default=32, ge=4)
    thumb_height: int = Field(default=24, ge=4)
    chunking: Literal["fixed_count", "fixed_duration", "scene"] = "fixed_count"
    frames_per_chunk: int = Field(default=8, ge=1)
    chunk_seconds: float = Field(default=4.0, gt=0)
    scene_threshold: float = Field(default=0.3, ge=0, le=1)
    min_chunk: int = Field(default=2, ge=1)
    max_chunk: int = Field(default=16, ge=2)

    @model_validator(mode="after")
    def _plan_config_is_valid(self) -> PreprocessParams:
        try:
            self.plan_config()
        except ValueError as exc:
            raise ValueError(str(exc).replace("PlanConfig.", "preprocess.")) from exc
        return self

    def plan_config(self) -> PlanConfig:
        return PlanConfig(**self.model_dump())
