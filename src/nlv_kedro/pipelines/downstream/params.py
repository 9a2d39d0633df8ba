"""Typed parameters of the `downstream` pipeline (conf/base/parameters_downstream.yml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from nlv_kedro.training.classify import ClassifierConfig


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProbeParams(_Strict):
    shots: list[int] = Field([1, 2, 4, 8, 16], min_length=1)
    seeds: list[int] = Field([0, 1, 2], min_length=1)
    c_grid: list[float] = Field([0.01, 0.1, 1.0, 10.0, 100.0], min_length=1)


class SupervisedParams(_Strict):
    lr: float = Field(3e-4, gt=0)
    weight_decay: float = Field(0.05, ge=0)
    max_epochs: int = Field(30, ge=1)
    patience: int = Field(5, ge=1)
    batch_size: int = Field(16, ge=1)
    label_smoothing: float = Field(0.1, ge=0, lt=1)
    accelerator: str = "auto"


class RetrievalParams(_Strict):
    dim: int = Field(128, ge=2)
    epochs: int = Field(200, ge=1)
    lr: float = Field(1e-3, gt=0)
    temperature: float = Field(0.05, gt=0)


class DownstreamParams(_Strict):
    seed: int = 0
    probe: ProbeParams = ProbeParams()
    supervised: SupervisedParams = SupervisedParams()
    retrieval: RetrievalParams = RetrievalParams()
    clustering_n_init: int = Field(10, ge=1)
    temporal_pool_segments: int = Field(2, ge=1, description="segments of the order-aware temporal_pool baseline")

    def classifier_config(self) -> ClassifierConfig:
        return ClassifierConfig(seed=self.seed, **self.supervised.model_dump())
