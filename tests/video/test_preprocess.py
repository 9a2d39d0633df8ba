"""The preprocess node over an index of real encoded videos, and its parameter validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from nlv_kedro.video.plan import plan_videos
from nlv_kedro.video.plan import PlanConfig
from nlv_kedro.video.writer import encode_mp4


def _index(root: Path) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    still = np.repeat(rng.integers(0, 255, (1, 48, 64, 3), dtype=np.uint8), 100, axis=0)
    scenes = np.concatenate([np.full((30, 48, 64, 3), c, np.uint8) for c in (20, 120, 230)])
    (root / "still.mp4").write_bytes(encode_mp4(still, 10))
    busy = rng.integers(0, 255, (100, 48, 64, 3), dtype=np.uint8)  # every frame differs
    (root / "moving.mp4").write_bytes(encode_mp4(busy, 10))
    (root / "scenes.mp4").write_bytes(encode_mp4(scenes, 10))
    (root / "broken.mp4").write_bytes(b"not a video")
    rows = [("still", 100), ("moving", 100), ("scenes", 90), ("broken", 50)]
    return pd.DataFrame([{"video_id": v, "path": f"{v}.mp4", "fps": 10.0, "n_frames": n, "decoder": "decord"}
                         for v, n in rows])


def test_plan_videos_drops_duplicates_and_reports_failures(tmp_path: Path) -> None:
    plans, stats = plan_videos(_index(tmp_path), str(tmp_path), PlanConfig(target_fps=5, frames_per_chunk=4))
    assert set(plans) == {"still", "moving", "scenes"}
    assert stats["per_video"]["still"]["n_kept"] <= 2
    assert stats["per_video"]["moving"]["n_kept"] >= 0.8 * stats["per_video"]["moving"]["n_sampled"]
    assert [f["video_id"] for f in stats["failures"]] == ["broken"]
    assert "broken" not in stats["per_video"]
    total = sum(v["n_kept"] for v in stats["per_video"].values())
    assert stats["overall"]["n_kept"] == total
    assert 0 < stats["overall"]["kept_ratio"] < 1


def test_scene_chunking_cuts_at_scene_changes(tmp_path: Path) -> None:
    params = PlanConfig(target_fps=5, dedup_threshold=0.0, chunking="scene", min_chunk=2, max_chunk=16)
    plans, _ = plan_videos(_index(tmp_path).iloc[[2]], str(tmp_path), params)
    plan = plans["scenes"]
    kept = np.array(plan["kept_indices"])
    starts = [kept[s] for s, _ in plan["chunk_bounds"]]
    assert len(starts) == 3 and starts[0] == 0
    assert 28 <= starts[1] <= 32 and 58 <= starts[2] <= 62


def test_bad_preprocess_params_name_the_key() -> None:
    with pytest.raises(ValidationError, match="chunking"):
        PlanConfig(chunking="random")
    with pytest.raises(ValidationError, match="PlanConfig.max_chunk"):
        PlanConfig(min_chunk=5, max_chunk=6)
    with pytest.raises(ValidationError, match="frames_per_chunks"):
        PlanConfig(frames_per_chunks=3)
