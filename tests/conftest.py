"""Shared fixtures: tiny real videos written with PyAV, and every kind of bad input."""

from __future__ import annotations

import io
import os
import shutil
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner

from nlv_kedro.config import deep_merge
from nlv_kedro.training.recipe import PretrainParams
from nlv_kedro.video.writer import encode_mp4

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def moving_square(n_frames: int = 30, size: tuple[int, int] = (64, 48), seed: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8 frames of a square crossing a noisy background."""
    width, height = size
    rng = np.random.default_rng(seed)
    frames = np.repeat(rng.integers(0, 80, (1, height, width, 3), dtype=np.uint8), n_frames, axis=0)
    for t in range(n_frames):
        x = int(t * (width - 12) / max(n_frames - 1, 1))
        frames[t, height // 2 - 6 : height // 2 + 6, x : x + 12] = (255, 200, 0)
    return frames


def write_container(path: Path, fmt: str, n_frames: int = 30, fps: int = 10, options: dict | None = None) -> Path:
    """Write an H.264 stream into any container PyAV knows (mp4 with faststart needs a real file)."""
    frames = moving_square(n_frames)
    with av.open(str(path), "w", format=fmt, options=options or {}) as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_audio_only(path: Path) -> Path:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    return path


def write_png_as_mp4(path: Path) -> Path:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="image2pipe") as container:
        stream = container.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "rgb24"
        frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def good_video(tmp_path: Path) -> Path:
    path = tmp_path / "good.mp4"
    path.write_bytes(encode_mp4(moving_square(30), fps=10))
    return path


# kind -> (file name, maker, the words the quarantine reason must contain)
BAD_INPUTS = {
    "empty": ("empty.mp4", lambda p: p.write_bytes(b""), "empty file"),
    "truncated": ("truncated.mp4", lambda p: p.write_bytes(encode_mp4(moving_square(30), 10)[:3000]), "not a readable"),
    "text": ("notes.mp4", lambda p: p.write_text("this is not a video\n" * 50), "not a readable"),
    "image": ("picture.mp4", write_png_as_mp4, "still image"),
    "audio_only": ("sound.mp4", write_audio_only, "no video stream"),
    "random_bytes": ("noise.mp4", lambda p: p.write_bytes(np.random.default_rng(0).bytes(8000)), "not a readable"),
    "cut_mid_stream": ("cut.mp4", None, "decoding failed"),
}


def write_cut_mid_stream(path: Path) -> Path:
    """A faststart mp4 (index first) whose data stops half-way: headers promise frames that are gone."""
    full = write_container(path.with_suffix(".full.mp4"), "mp4", options={"movflags": "faststart"})
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.fixture
def bad_inputs(tmp_path: Path) -> dict[str, Path]:
    """One file of each bad kind, all inside ``tmp_path``."""
    made = {}
    for kind, (name, maker, _) in BAD_INPUTS.items():
        path = tmp_path / name
        (maker or write_cut_mid_stream)(path)
        made[kind] = path
    return made


@pytest.fixture(autouse=True)
def _isolated_mlflow_state() -> object:
    """MLflow keeps the active experiment in MLFLOW_EXPERIMENT_ID and in module globals, and runs on a stack:
    no test inherits another's (a test's tracking database is gone once the test ends)."""
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    yield
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    fluent = sys.modules.get("mlflow.tracking.fluent")
    if fluent is not None:  # forget, without a server call (the test's database may be gone): not end_run()
        fluent._active_run_stack.get().clear()
        fluent._active_experiment_id = None


@pytest.fixture(autouse=True)
def _offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("HF_HUB_OFFLINE", "DO_NOT_TRACK", "KEDRO_DISABLE_TELEMETRY", "MLFLOW_DISABLE_TELEMETRY"):
        monkeypatch.setenv(key, os.environ.get(key, "1") or "1")


class KeptDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so a test can read every output after the run."""

    def _release(self) -> None:
        pass


def run_slice(pipeline: Pipeline, inputs: dict[str, object]) -> DataCatalog:
    """Run ``pipeline`` with ``SequentialRunner`` over in-memory ``inputs``; every output stays readable."""
    catalog = DataCatalog({name: MemoryDataset(value) for name, value in inputs.items()})
    for name in pipeline.all_outputs():
        catalog[name] = KeptDataset()
    SequentialRunner().run(pipeline, catalog)
    return catalog


def copy_project(root: Path, data_layers: tuple[str, ...] = ()) -> Path:
    """A Kedro project at ``root``: this project's conf/ (an empty conf/local) and pyproject.toml, an empty src/
    (Kedro insists on it; the package itself is installed) and the given data/ layers, so a test's run never
    touches the project's own data."""
    shutil.copytree(PROJECT_ROOT / "conf", root / "conf", ignore=shutil.ignore_patterns("local"))
    (root / "conf" / "local").mkdir()
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "src").mkdir()
    for layer in data_layers:
        (root / "data" / layer).mkdir(parents=True)
    return root


def is_share_of(value: float, n: int, tol: float = 1e-3) -> bool:
    """``value`` is k/n for a whole k in 0..n (up to rounding): an accuracy really counted over ``n`` items."""
    k = value * n
    return -tol <= k <= n + tol and abs(k - round(k)) < tol


def tiny_pretrain_params(tmp_path: Path, n_layers: int = 2, top: dict | None = None, **trainer: object) -> PretrainParams:
    """A 2-epoch CPU pretraining recipe of a 32-wide top model (mean pooling, no skip), checkpoints in tmp_path;
    ``trainer`` keys override the trainer section, ``top`` any other section."""
    base = {
        "model": {"d_model": 32, "n_layers": n_layers, "n_heads": 2, "head_hidden": 32, "dropout": 0.0,
                  "pooling": "mean", "head_skip": "none"},
        "trainer": {"max_epochs": 2, "batch_size": 4, "accelerator": "cpu", "log_every_n_steps": 1,
                    "checkpoint_dir": str(tmp_path / "ckpt")},
    }
    return PretrainParams.model_validate(deep_merge(base, {"trainer": trainer, **(top or {})}))
