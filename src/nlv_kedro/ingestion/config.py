"""The ingest settings (the schema of ``parameters_ingest.yml``): where the videos are and what counts as usable."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from nlv_kedro.config import Strict
from nlv_kedro.ingestion.adapters import ManifestSource, SourceParams, check_source, has_labels
from nlv_kedro.ingestion.validation import ValidationRules


class IngestConfig(Strict):
    """Where the videos are and what counts as a usable one. Unknown keys are an error."""

    root: str = Field(default="data/01_raw/demo", description="folder that holds the videos; manifest and annotation paths are relative to it")
    source: SourceParams = Field(
        default_factory=ManifestSource,
        description="input format: manifest (default), ucf101, hmdb51, kinetics, activitynet_captions, msrvtt, nextqa",
    )
    manifest: str | None = Field(
        default="manifest.csv",
        description="CSV (only `path` required); relative to root or to the working dir; null = folder-per-class",
    )
    extensions: list[str] = [".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v"]
    require_labels: bool | None = Field(default=None, description="null: required unless the format has no labels")
    allowed_splits: list[str] = ["train", "val", "test", "unlabeled"]
    # videos in these splits need no label: they go to `unlabeled_index` (pretraining's extra pool), not to
    # `video_index`, so no evaluation ever sees them
    unlabeled_splits: list[str] = ["unlabeled"]
    missing_split_fractions: dict[str, float] = {"train": 0.6, "val": 0.2, "test": 0.2}
    min_duration_s: float = Field(default=0.5, ge=0)
    max_duration_s: float | None = Field(default=None, gt=0)
    min_width: int = Field(default=32, ge=1)
    min_height: int = Field(default=32, ge=1)
    min_fps: float = Field(default=1.0, gt=0)
    max_fps: float = Field(default=240.0, gt=0)
    check_last_frame: bool = True
    max_rejected_fraction: float = Field(default=0.5, ge=0, le=1)

    @field_validator("source", mode="before")
    @classmethod
    def _known_source(cls, value: object) -> object:
        return check_source(value)

    @field_validator("manifest")
    @classmethod
    def _empty_means_none(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("extensions")
    @classmethod
    def _dotted(cls, value: list[str]) -> list[str]:
        return [v if v.startswith(".") else f".{v}" for v in value]

    @model_validator(mode="after")
    def _consistent(self) -> IngestConfig:
        if self.max_duration_s is not None and self.max_duration_s < self.min_duration_s:
            raise ValueError("ingest.max_duration_s must be >= ingest.min_duration_s")
        if self.max_fps < self.min_fps:
            raise ValueError("ingest.max_fps must be >= ingest.min_fps")
        outside = set(self.unlabeled_splits) - set(self.allowed_splits)
        if outside:
            raise ValueError(f"ingest.unlabeled_splits names splits {sorted(outside)} that are not in "
                             f"ingest.allowed_splits {self.allowed_splits}")
        if not set(self.allowed_splits) - set(self.unlabeled_splits):
            raise ValueError("ingest.allowed_splits must hold a labelled split (e.g. train) besides "
                             f"ingest.unlabeled_splits {self.unlabeled_splits}")
        unknown = set(self.missing_split_fractions) - set(self.allowed_splits)
        if unknown:
            raise ValueError(f"ingest.missing_split_fractions names splits {sorted(unknown)} "
                             f"that are not in ingest.allowed_splits {self.allowed_splits}")
        if any(v < 0 for v in self.missing_split_fractions.values()) or not sum(
            self.missing_split_fractions.values()
        ):
            raise ValueError("ingest.missing_split_fractions must be non-negative and not all zero")
        return self

    def rules(self) -> ValidationRules:
        return ValidationRules(
            min_duration_s=self.min_duration_s,
            max_duration_s=self.max_duration_s,
            min_width=self.min_width,
            min_height=self.min_height,
            min_fps=self.min_fps,
            max_fps=self.max_fps,
            allowed_splits=tuple(self.allowed_splits),
            unlabeled_splits=tuple(self.unlabeled_splits),
            require_labels=has_labels(self.source) if self.require_labels is None else self.require_labels,
        )
