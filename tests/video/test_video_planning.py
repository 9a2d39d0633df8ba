"""Frame planning of the preprocess step: sampling, dedup, chunking, VideoPlan, on tiny synthetic mp4s."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nlv_kedro.video.chunking import fixed_count_chunks, fixed_duration_chunks, scene_chunks
from nlv_kedro.video.decode import VideoDecodeError, read_frames, thumbnails
from nlv_kedro.video.plan import PlanConfig, VideoPlan, plan_from_thumbnails, plan_video
from nlv_kedro.video.sampling import (
    consecutive_histogram_distances,
    drop_near_duplicates,
    histogram_distance,
    uniform_indices,
)
from nlv_kedro.video.writer import encode_mp4

FPS, H, W = 10, 48, 64


def _background() -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    return np.stack([xx * 3, yy * 4, np.full_like(xx, 100)], axis=-1).astype(np.float32)  # (H, W, 3)


def _write(tmp_path: Path, name: str, frames: np.ndarray, noise: float = 2.0, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    noisy = np.clip(frames + rng.normal(0.0, noise, frames.shape), 0, 255).astype(np.uint8)
    path = tmp_path / name
    path.write_bytes(encode_mp4(noisy, FPS))
    return path


def _static(tmp_path: Path, n: int = 40) -> Path:
    return _write(tmp_path, "static.mp4", np.repeat(_background()[None], n, axis=0), noise=4.0)


def _moving(tmp_path: Path, n: int = 40, size: int = 12) -> Path:
    frames = np.repeat(_background()[None], n, axis=0)
    for t in range(n):
        x = (t * 2) % (W - size)
        frames[t, 18 : 18 + size, x : x + size] = 255.0
    return _write(tmp_path, "moving.mp4", frames)


def _three_scenes(tmp_path: Path, per_scene: int = 20) -> Path:
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    scenes = [np.broadcast_to(np.array(c, np.float32), (per_scene, H, W, 3)) for c in colours]
    return _write(tmp_path, "scenes.mp4", np.concatenate(scenes) + 0.3 * _background()[None])


def _assert_tiles(bounds: np.ndarray, n_kept: int) -> None:
    assert bounds.dtype == np.int64 and bounds.shape[1] == 2
    covered = np.concatenate([np.arange(s, e) for s, e in bounds])
    np.testing.assert_array_equal(covered, np.arange(n_kept))  # every kept frame exactly once, in order
    assert np.all(bounds[:, 1] > bounds[:, 0])


# --- decoding -----------------------------------------------------------------------------------------


def test_read_frames_decodes_only_requested_frames_at_requested_size(tmp_path: Path) -> None:
    path = _moving(tmp_path)
    frames = read_frames(path, [0, 7, 39], width=40, height=30)
    assert frames.shape == (3, 30, 40, 3) and frames.dtype == np.uint8
    assert thumbnails(path, [1, 2], size=(32, 24)).shape == (2, 24, 32, 3)


@pytest.mark.parametrize("kind", ["truncated", "garbage", "missing"])
def test_broken_file_raises_video_decode_error_naming_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.mp4"
    if kind == "truncated":
        data = _moving(tmp_path).read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "garbage":
        path.write_bytes(b"not a video at all" * 50)
    with pytest.raises(VideoDecodeError, match=str(path)) as info:
        thumbnails(path, [0])
    assert info.value.path == str(path)


# --- sampling -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_frames", "fps", "target_fps", "max_frames"),
    [(1, 25.0, 2.0, 256), (500, 25.0, 2.0, 256), (100_000, 29.97, 2.0, 256), (10, 10.0, 30.0, 4), (7, 5.0, 5.0, 64)],
)
def test_uniform_indices_properties(n_frames: int, fps: float, target_fps: float, max_frames: int) -> None:
    idx = uniform_indices(n_frames, fps, target_fps, max_frames)
    assert idx.dtype == np.int64 and 1 <= idx.size <= max_frames
    assert idx[0] == 0 and idx[-1] < n_frames and np.all(np.diff(idx) > 0)


def test_uniform_indices_rate_and_cap_cover_whole_video() -> None:
    np.testing.assert_array_equal(uniform_indices(50, 10.0, 2.0, 256), np.arange(0, 50, 5))
    capped = uniform_indices(100_000, 25.0, 2.0, 256)
    assert capped.size == 256 and capped[-1] > 99_000  # spread to the end, not truncated
    np.testing.assert_array_equal(uniform_indices(1, 25.0, 2.0, 256), [0])


def test_drop_near_duplicates_compares_to_last_kept_frame() -> None:
    # Slow drift: each step is below the threshold, but drift accumulates against the last kept frame.
    thumbs = np.stack([np.full((4, 4, 3), 10 * i, np.uint8) for i in range(6)])  # steps of 10/255 ~ 0.039
    np.testing.assert_array_equal(drop_near_duplicates(thumbs, 0.05), [1, 0, 1, 0, 1, 0])
    assert drop_near_duplicates(np.repeat(thumbs[:1], 5, axis=0), 0.0).all()  # threshold 0 keeps all


def test_histogram_distance_range() -> None:
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 255
    blue = np.zeros((8, 8, 3), np.uint8)
    blue[..., 2] = 255
    assert histogram_distance(red, red) == 0.0
    assert 0.0 < histogram_distance(red, blue) <= 1.0


def test_static_video_keeps_very_few_frames(tmp_path: Path) -> None:
    plan = plan_video(_static(tmp_path), "static", FPS, 40, PlanConfig(target_fps=5.0))
    assert plan.n_sampled == 20 and plan.n_kept <= 2


def test_moving_object_video_keeps_most_frames(tmp_path: Path) -> None:
    plan = plan_video(_moving(tmp_path), "moving", FPS, 40, PlanConfig())  # 2 fps: object moves 10 px per sample
    assert plan.n_sampled == 8 and plan.n_kept >= 7
    assert plan.kept_ratio == pytest.approx(plan.n_kept / 40)


# --- chunking -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_kept", [1, 7, 8, 9, 17, 40])
def test_fixed_count_chunks_tile_kept_frames(n_kept: int) -> None:
    bounds = fixed_count_chunks(n_kept, frames_per_chunk=8, min_chunk=2)
    _assert_tiles(bounds, n_kept)
    if n_kept >= 2:
        assert np.all(bounds[:, 1] - bounds[:, 0] >= 2)
    assert fixed_count_chunks(9, 8, min_chunk=2).tolist() == [[0, 9]]  # 1-frame tail merged
    assert fixed_count_chunks(10, 8, min_chunk=2).tolist() == [[0, 8], [8, 10]]  # tail kept


def test_fixed_duration_chunks_follow_timestamps() -> None:
    timestamps = np.array([0.0, 0.5, 1.0, 3.9, 4.0, 4.5, 9.0, 12.5, 13.0])
    bounds = fixed_duration_chunks(timestamps, chunk_seconds=4.0, min_chunk=1)
    _assert_tiles(bounds, len(timestamps))
    assert bounds.tolist() == [[0, 4], [4, 6], [6, 7], [7, 9]]  # windows [0,4) [4,8) [8,12) [12,16)
    assert fixed_duration_chunks(timestamps, 4.0, min_chunk=3).tolist() == [[0, 4], [4, 6], [6, 9]]  # tail merged


def test_scene_chunks_respect_min_and_max() -> None:
    rng = np.random.default_rng(1)
    distances = rng.uniform(0.0, 1.0, size=99)  # cuts everywhere
    for min_chunk, max_chunk in [(1, 2), (2, 4), (3, 16), (5, 10)]:
        bounds = scene_chunks(distances, threshold=0.5, min_chunk=min_chunk, max_chunk=max_chunk)
        _assert_tiles(bounds, 100)
        lengths = bounds[:, 1] - bounds[:, 0]
        assert lengths.min() >= min_chunk and lengths.max() <= max_chunk
    long_scene = scene_chunks(np.zeros(39), threshold=0.5, min_chunk=2, max_chunk=16)
    assert (long_scene[:, 1] - long_scene[:, 0]).tolist() == [13, 13, 14]


def test_three_colour_scenes_cut_at_scene_changes(tmp_path: Path) -> None:
    config = PlanConfig(target_fps=5.0, chunking="scene", dedup_threshold=0.0, min_chunk=2, max_chunk=16)
    plan = plan_video(_three_scenes(tmp_path), "scenes", FPS, 60, config)
    starts = plan.kept_indices[plan.chunk_bounds[:, 0]]
    np.testing.assert_array_equal(starts, [0, 20, 40])
    np.testing.assert_allclose(plan.chunk_start_s, [0.0, 2.0, 4.0])
    np.testing.assert_allclose(plan.chunk_end_s, [1.9, 3.9, 5.9])  # last kept frame + 1/fps


def test_timestamps_monotonic_and_bounds_tile(tmp_path: Path) -> None:
    path = _moving(tmp_path)
    for chunking in ("fixed_count", "fixed_duration", "scene"):
        plan = plan_video(path, "m", FPS, 40, PlanConfig(target_fps=10.0, chunking=chunking, chunk_seconds=1.0))
        _assert_tiles(plan.chunk_bounds, plan.n_kept)
        assert np.all(np.diff(plan.chunk_start_s) > 0)
        assert np.all(plan.chunk_end_s > plan.chunk_start_s)
        assert np.all(plan.chunk_end_s[:-1] <= plan.chunk_start_s[1:] + 1e-9)


# --- plan and config ----------------------------------------------------------------------------------


def test_video_plan_round_trips_through_json() -> None:
    thumbs = np.random.default_rng(0).integers(0, 256, (12, 24, 32, 3), dtype=np.uint8)
    plan = plan_from_thumbnails("vid", np.arange(0, 60, 5), thumbs, 10.0, 60, PlanConfig(frames_per_chunk=4))
    data = json.loads(json.dumps(plan.to_dict()))
    again = VideoPlan.from_dict(data)
    assert again.to_dict() == plan.to_dict()
    assert again.kept_indices.dtype == np.int64 and again.chunk_bounds.shape == (plan.n_chunks, 2)
    assert data["kept_ratio"] == plan.n_kept / 60
    assert data["config_fingerprint"] == PlanConfig(frames_per_chunk=4).fingerprint()


def test_video_plan_rejects_bounds_that_do_not_tile() -> None:
    with pytest.raises(ValueError, match="vid"):
        VideoPlan("vid", 10.0, np.arange(4), [[0, 2], [3, 4]], [0.0, 0.3], [0.2, 0.4], 40, 4)


@pytest.mark.parametrize(
    ("field", "value"),
    [("chunking", "shots"), ("target_fps", 0.0), ("max_frames", 0), ("dedup_threshold", -0.1),
     ("scene_threshold", 2.0), ("min_chunk", 0), ("max_chunk", 3), ("thumb_width", 1)],
)
def test_bad_plan_config_names_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"PlanConfig.{field}"):
        PlanConfig(**{field: value})


def test_fingerprint_is_stable_and_tracks_fields() -> None:
    assert PlanConfig().fingerprint() == PlanConfig().fingerprint()
    assert len(PlanConfig().fingerprint()) == 12
    assert PlanConfig().fingerprint() != PlanConfig(dedup_threshold=0.03).fingerprint()
