"""Torch- and scikit-learn-free evaluation configs: the schema of ``parameters_downstream.yml`` and the defaults
other configs share, importable at pipeline registration."""

from __future__ import annotations

from pydantic import Field

from nlv_kedro.config import Strict
from nlv_kedro.training.config import ClassifierConfig

DEFAULT_C_GRID: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0, 100.0)  # inverse L2 strengths the probe selects from


class ProbeConfig(Strict):
    shots: list[int] = Field([1, 2, 4, 8, 16], min_length=1)
    seeds: list[int] = Field([0, 1, 2], min_length=1)
    c_grid: list[float] = Field([0.01, 0.1, 1.0, 10.0, 100.0], min_length=1)


class RetrievalConfig(Strict):
    dim: int = Field(128, ge=2)
    epochs: int = Field(200, ge=1)
    lr: float = Field(1e-3, gt=0)
    temperature: float = Field(0.05, gt=0)


class DownstreamConfig(Strict):
    """Every method evaluated the same way (the schema of ``parameters_downstream.yml``)."""

    seed: int = 0
    probe: ProbeConfig = ProbeConfig()
    supervised: ClassifierConfig = ClassifierConfig()
    retrieval: RetrievalConfig = RetrievalConfig()
    clustering_n_init: int = Field(10, ge=1)
    temporal_pool_segments: int = Field(2, ge=1, description="segments of the order-aware temporal_pool baseline")
