"""How to plan a video: the preprocess parameter section, importable without the decoders."""

from __future__ import annotations

import hashlib
import json
from typing import Literal, get_args

from pydantic import model_validator

from nlv_kedro.config import Strict

ChunkingStrategy = Literal["fixed_count", "fixed_duration", "scene"]
PLAN_ALGORITHM_VERSION = 2  # bump when planning code changes what it outputs for the same config


class PlanConfig(Strict):
    """How to plan a video (the schema of ``parameters_preprocess.yml``). Every field feeds :meth:`fingerprint`,
    so changing any of them re-plans."""

    target_fps: float = 2.0  # uniform sampling rate before dedup
    max_frames: int = 256  # cap on sampled frames; long videos are then sampled uniformly end to end
    # Largest per-cell mean |gray difference| to the last kept frame (cells of a dedup_grid x dedup_grid
    # layout), in [0, 1]. 0.01 drops a static shot with sensor/compression noise (<= 0.001 on the demo's
    # still shots) but keeps a small ball moving over a still background (>= 0.02 per sample).
    dedup_threshold: float = 0.01
    dedup_grid: int = 4
    thumb_width: int = 32  # planning thumbnails, resized by the decoder
    thumb_height: int = 24
    chunking: str = "fixed_count"  # one of ChunkingStrategy; checked below so the error names the field
    frames_per_chunk: int = 4  # fixed_count
    chunk_seconds: float = 2.0  # fixed_duration
    scene_threshold: float = 0.3  # scene: colour-histogram distance in [0, 1] that starts a new chunk
    min_chunk: int = 2  # trailing chunks shorter than this merge into the previous one (all strategies)
    max_chunk: int = 16  # scene: longer chunks are split; must be >= 2 * min_chunk

    @model_validator(mode="after")
    def _valid(self) -> PlanConfig:
        def fail(name: str, allowed: str) -> None:
            raise ValueError(f"PlanConfig.{name} = {getattr(self, name)!r} is invalid: {allowed}")

        if self.chunking not in get_args(ChunkingStrategy):
            fail("chunking", f"must be one of {list(get_args(ChunkingStrategy))}")
        for name in ("target_fps", "chunk_seconds"):
            if not float(getattr(self, name)) > 0:
                fail(name, "must be a number > 0")
        for name in ("max_frames", "frames_per_chunk", "min_chunk", "dedup_grid"):
            if int(getattr(self, name)) < 1:
                fail(name, "must be an integer >= 1")
        for name in ("thumb_width", "thumb_height"):
            if int(getattr(self, name)) < 4:
                fail(name, "must be an integer >= 4 (pixels)")
        for name in ("dedup_threshold", "scene_threshold"):
            if not 0.0 <= float(getattr(self, name)) <= 1.0:
                fail(name, "must be in [0, 1] (a mean difference of [0, 1] values)")
        if self.max_chunk < 2 * self.min_chunk:
            fail("max_chunk", f"must be >= 2 * min_chunk = {2 * self.min_chunk} so split chunks stay >= min_chunk")
        return self

    def fingerprint(self) -> str:
        """12 hex chars, stable across runs and Python versions; stored next to embeddings so a changed plan
        config (or planning algorithm version) invalidates them."""
        payload = json.dumps({"version": PLAN_ALGORITHM_VERSION, **self.model_dump()}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]
