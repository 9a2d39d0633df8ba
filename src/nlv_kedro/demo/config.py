"""The demo dataset settings (the schema of ``parameters_demo_data.yml``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from nlv_kedro.config import Strict

# (labelled videos per class, duration range in seconds, unlabeled videos in all): tiny is for tests, default
# for `make run` (<= 10 min in all on 2 cores), study for `kedro run --env=study` (>= 100 test videos, so one
# video is <= 1 point of top-1, and an unlabeled pool as large as the labelled train split, which pretraining
# reads too). Structure videos run longer than the range's minimum where their inserts need it.
SIZE_PRESETS: dict[str, tuple[int, tuple[float, float], int]] = {
    "tiny": (3, (2.0, 6.0), 6),
    "default": (8, (4.0, 14.0), 57),
    "study": (28, (4.0, 24.0), 304),
}


class DemoDataConfig(Strict):
    """How many demo videos, of what size and length, split how; same seed -> identical files."""

    size: Literal["tiny", "default", "study"] = "default"
    seed: int = Field(0, ge=0)
    width: int = Field(160, ge=32, le=1280, multiple_of=2)  # even: H.264 yuv420p
    height: int = Field(120, ge=32, le=720, multiple_of=2)
    fps_choices: tuple[float, ...] = Field((10.0, 12.0, 15.0, 20.0, 24.0, 25.0, 29.97), min_length=1)
    videos_per_class: int | None = Field(None, ge=3, description="overrides the size preset")
    duration_s: tuple[float, float] | None = Field(None, description="(min, max) seconds; overrides the preset")
    unlabeled_videos: int | None = Field(None, ge=0, description="pretraining pool size; overrides the preset")
    split_fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)  # train, val, test

    @model_validator(mode="after")
    def _check(self) -> DemoDataConfig:
        if any(f <= 0 or f > 60 for f in self.fps_choices):
            raise ValueError(f"fps_choices must lie in (0, 60], got {self.fps_choices}")
        if self.duration_s is not None and not 0.5 <= self.duration_s[0] <= self.duration_s[1] <= 120:
            raise ValueError(f"duration_s must be (min, max) with 0.5 <= min <= max <= 120, got {self.duration_s}")
        if min(self.split_fractions) < 0 or abs(sum(self.split_fractions) - 1.0) > 1e-6:
            raise ValueError(f"split_fractions must be non-negative and sum to 1, got {self.split_fractions}")
        return self

    @property
    def resolved_videos_per_class(self) -> int:
        return self.videos_per_class or SIZE_PRESETS[self.size][0]

    @property
    def resolved_duration_s(self) -> tuple[float, float]:
        return self.duration_s or SIZE_PRESETS[self.size][1]

    @property
    def resolved_unlabeled_videos(self) -> int:
        return SIZE_PRESETS[self.size][2] if self.unlabeled_videos is None else self.unlabeled_videos
