"""Torch- and scikit-learn-free evaluation configs: the schema of ``parameters_downstream.yml`` and the defaults
other configs share, importable at pipeline registration."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from nlv_kedro.config import Strict
from nlv_kedro.training.config import ClassifierConfig

DEFAULT_C_GRID: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0, 100.0)  # inverse L2 strengths the probe selects from
CURVE_METHODS: tuple[str, ...] = ("middle_frame", "mean_pool", "temporal_pool_2", "nextlevel_frozen",
                                  "transformer_scratch", "cls_token", "nextlevel_finetuned")
# Class subsets reported (with CIs) next to order_dependent / other; labels absent from the data are ignored.
STRUCTURE_CLASSES: tuple[str, ...] = (
    "insert_circle_first", "insert_square_first", "one_long_insert", "three_short_inserts", "parts_abc",
    "parts_bca", "parts_cab", "footage_forward", "footage_reversed")


class ProbeConfig(Strict):
    shots: list[int] = Field([1, 2, 4, 8, 16], min_length=1)
    seeds: list[int] = Field([0, 1, 2], min_length=1)
    c_grid: list[float] = Field([0.01, 0.1, 1.0, 10.0, 100.0], min_length=1)
    # methods that get the few-shot curve (shots x seeds x C grid, the expensive part); every method gets the
    # all-train probe. None: every method. The control rows skip the curve in `make run` to stay in budget.
    curve_methods: list[str] | None = Field(list(CURVE_METHODS))


class RetrievalConfig(Strict):
    dim: int = Field(128, ge=2)
    epochs: int = Field(200, ge=1)
    lr: float = Field(1e-3, gt=0)
    temperature: float = Field(0.05, gt=0)


class LabelEfficiencyConfig(Strict):
    """Fine-tuned NextLevel against the same architecture from scratch with few labels (study setting)."""

    enabled: bool = False  # 2 x len(shots) x len(seeds) extra supervised trainings
    shots: list[Annotated[int, Field(ge=1)]] = Field([1, 2, 4, 8], min_length=1)  # labelled videos per class
    seeds: list[int] = Field([0], min_length=1)  # draws of the labelled videos


class DownstreamConfig(Strict):
    """Every method evaluated the same way (the schema of ``parameters_downstream.yml``)."""

    seed: int = 0
    probe: ProbeConfig = ProbeConfig()
    supervised: ClassifierConfig = ClassifierConfig()
    retrieval: RetrievalConfig = RetrievalConfig()
    clustering_n_init: int = Field(10, ge=1)
    label_efficiency: LabelEfficiencyConfig = LabelEfficiencyConfig()
    temporal_pool_segments: list[Annotated[int, Field(ge=1)]] = Field(
        [2, 4], min_length=1, description="one temporal_pool_<k> baseline per entry: k per-segment means")
    class_groups: dict[str, list[str]] = Field(
        {"structure": list(STRUCTURE_CLASSES)},
        description="named class subsets scored (with CIs) next to order_dependent/other; empty ones are skipped")

    @field_validator("class_groups")
    @classmethod
    def _group_names_are_free(cls, groups: dict[str, list[str]]) -> dict[str, list[str]]:
        taken = sorted(set(groups) & {"overall", "order_dependent", "other"})
        if taken:
            raise ValueError(f"class_groups names {taken} are taken by built-in subsets: rename them")
        return groups
