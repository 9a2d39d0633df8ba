"""The encode step: batched chunk embeddings, incremental skips, atomic writes, decode failures, text."""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from nlv_kedro.datasets.atomic import atomic_write_bytes
from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders.config import EncodeConfig
from nlv_kedro.encoders.index import encode_texts, encode_videos
from nlv_kedro.pipelines.encode import create_pipeline
from nlv_kedro.video.plan import PlanConfig, plan_videos
from nlv_kedro.video.writer import encode_mp4

PARAMS = EncodeConfig(image_size=32, batch_size=8, num_workers=0, device="cpu")


def _add_video(root: Path, video_id: str, seed: int, n_frames: int = 40) -> dict:
    frames = np.random.default_rng(seed).integers(0, 255, (n_frames, 48, 64, 3), dtype=np.uint8)
    (root / f"{video_id}.mp4").write_bytes(encode_mp4(frames, 10))
    return {"video_id": video_id, "path": f"{video_id}.mp4", "fps": 10.0, "n_frames": n_frames,
            "decoder": "decord", "caption": f"video {video_id}"}


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, pd.DataFrame, dict]:
    root = tmp_path / "videos"
    root.mkdir()
    index = pd.DataFrame([_add_video(root, f"v{i}", i, 20 + 10 * i) for i in range(3)])
    plan, _ = plan_videos(index, str(root), PlanConfig(target_fps=5, frames_per_chunk=3))
    return root, index, plan


def test_encodes_one_file_per_video_with_chunk_vectors(corpus, tmp_path: Path) -> None:
    root, index, plan = corpus
    store = EmbeddingStore(tmp_path / "store")
    report = encode_videos(index, plan, str(root), store, PARAMS)
    assert report["videos_encoded"] == 3 and report["videos_failed"] == []
    assert report["frames_encoded"] == sum(len(p["kept_indices"]) for p in plan.values())
    tensors, meta = store.read("v2")
    n_chunks = len(plan["v2"]["chunk_bounds"])
    assert tensors["embeddings"].shape == (n_chunks, 1280) and np.isfinite(tensors["embeddings"]).all()
    np.testing.assert_allclose(tensors["chunk_start_s"], plan["v2"]["chunk_start_s"], rtol=1e-6)
    assert meta["encoder"] == "efficientnet_lite0" and meta["video_id"] == "v2"


def test_batching_across_videos_matches_one_video_at_a_time(corpus, tmp_path: Path) -> None:
    root, index, plan = corpus
    batched, single = EmbeddingStore(tmp_path / "a"), EmbeddingStore(tmp_path / "b")
    encode_videos(index, plan, str(root), batched, PARAMS.model_copy(update={"batch_size": 7}))
    encode_videos(index, plan, str(root), single, PARAMS.model_copy(update={"batch_size": 1, "num_workers": 1}))
    for vid in index["video_id"]:
        np.testing.assert_allclose(batched.read(vid)[0]["embeddings"], single.read(vid)[0]["embeddings"], atol=1e-4)


def test_incremental_skips_current_videos_and_reencodes_on_change(corpus, tmp_path: Path) -> None:
    root, index, plan = corpus
    store = EmbeddingStore(tmp_path / "store")
    encode_videos(index, plan, str(root), store, PARAMS)
    assert encode_videos(index, plan, str(root), store, PARAMS)["videos_encoded"] == 0

    grown = pd.concat([index, pd.DataFrame([_add_video(root, "v_new", 99)])], ignore_index=True)
    grown_plan, _ = plan_videos(grown, str(root), PlanConfig(target_fps=5, frames_per_chunk=3))
    report = encode_videos(grown, grown_plan, str(root), store, PARAMS)
    assert (report["videos_encoded"], report["videos_skipped_current"]) == (1, 3)

    other_pooling = PARAMS.model_copy(update={"pooling": "max"})
    assert encode_videos(grown, grown_plan, str(root), store, other_pooling)["videos_encoded"] == 4
    replanned, _ = plan_videos(grown, str(root), PlanConfig(target_fps=5, frames_per_chunk=2))
    assert encode_videos(grown, replanned, str(root), store, other_pooling)["videos_encoded"] == 4


def test_a_replaced_file_under_the_same_id_is_encoded_again(corpus, tmp_path: Path) -> None:
    """Same id, same frame count and plan, other pixels (e.g. regenerated demo data): the old vectors are stale."""
    root, index, plan = corpus
    store = EmbeddingStore(tmp_path / "store")
    encode_videos(index, plan, str(root), store, PARAMS)
    before = store.read("v1")[0]["embeddings"].copy()
    _add_video(root, "v1", seed=123, n_frames=30)  # v1 had 30 frames too: the plan is unchanged
    report = encode_videos(index, plan, str(root), store, PARAMS)
    assert (report["videos_encoded"], report["videos_skipped_current"]) == (1, 2)
    assert not np.allclose(store.read("v1")[0]["embeddings"], before)


def test_interrupted_run_leaves_whole_files_and_resumes(corpus, tmp_path: Path, monkeypatch) -> None:
    root, index, plan = corpus
    store = EmbeddingStore(tmp_path / "store")
    real_write, calls = EmbeddingStore.write, []

    def write_then_die(self, video_id, tensors, metadata):  # noqa: ANN001
        if calls:
            raise KeyboardInterrupt("killed")
        calls.append(video_id)
        real_write(self, video_id, tensors, metadata)

    monkeypatch.setattr(EmbeddingStore, "write", write_then_die)
    with pytest.raises(KeyboardInterrupt):
        encode_videos(index, plan, str(root), store, PARAMS)
    monkeypatch.setattr(EmbeddingStore, "write", real_write)
    assert store.ids() == calls and not list((tmp_path / "store").glob("*.tmp"))
    report = encode_videos(index, plan, str(root), store, PARAMS)
    assert (report["videos_encoded"], report["videos_skipped_current"]) == (2, 1)


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "x.bin"
    atomic_write_bytes(target, b"old")
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["x.bin"]


def test_video_that_fails_to_decode_is_reported_and_skipped(corpus, tmp_path: Path) -> None:
    root, index, plan = corpus
    data = (root / "v1.mp4").read_bytes()
    (root / "v1.mp4").write_bytes(data[: len(data) // 2])  # the file broke after planning
    store = EmbeddingStore(tmp_path / "store")
    report = encode_videos(index, plan, str(root), store, PARAMS)
    assert [f["video_id"] for f in report["videos_failed"]] == ["v1"]
    assert "v1.mp4" in report["videos_failed"][0]["path"] and report["videos_failed"][0]["reason"]
    assert store.ids() == ["v0", "v2"]


def test_text_embeddings_of_captions(corpus) -> None:
    _, index, _ = corpus
    out = encode_texts(index, PARAMS)
    assert set(out["tensors"]) == {"captions"} and out["tensors"]["captions"].shape == (3, 384)
    assert json.loads(out["metadata"]["caption_video_ids"]) == ["v0", "v1", "v2"]


def test_bad_encode_params_name_the_key() -> None:
    with pytest.raises(ValueError, match="frame_encoder"):
        EncodeConfig(frame_encoder="resnet9000")
    with pytest.raises(ValueError, match="device"):
        EncodeConfig(device="tpu")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_encoding_matches_cpu(corpus, tmp_path: Path) -> None:
    root, index, plan = corpus
    cpu, gpu = EmbeddingStore(tmp_path / "cpu"), EmbeddingStore(tmp_path / "gpu")
    encode_videos(index, plan, str(root), cpu, PARAMS)
    encode_videos(index, plan, str(root), gpu, PARAMS.model_copy(update={"device": "cuda", "num_workers": 1}))
    a, b = cpu.read("v0")[0]["embeddings"], gpu.read("v0")[0]["embeddings"]
    cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cosine.min() > 0.99  # bf16 autocast on the GPU


def test_encode_node_writes_its_store_and_publishes_only_the_report() -> None:
    """One catalog name for the store: the node reads `chunk_embeddings` and returns `encode_report`, which later
    readers of the store take as an input so that they run after it."""
    node = next(n for n in create_pipeline().nodes if n.name == "encode_videos_node")
    assert "chunk_embeddings" in node.inputs and node.outputs == ["encode_report"]


def test_two_concurrent_runs_encode_each_video_once(corpus, tmp_path: Path) -> None:
    """The second run waits for the store's lock, then finds the first run's videos current."""
    root, index, plan = corpus
    store = EmbeddingStore(tmp_path / "store")
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: encode_videos(index, plan, str(root), store, PARAMS), range(2)))
    assert sorted(r["videos_encoded"] for r in reports) == [0, 3]
    assert sorted(r["videos_skipped_current"] for r in reports) == [0, 3]


def test_store_lock_blocks_a_second_writer_until_released(tmp_path: Path) -> None:
    store, entered = EmbeddingStore(tmp_path / "store"), threading.Event()

    def second() -> None:
        with store.writing():
            entered.set()

    with store.writing():
        waiter = threading.Thread(target=second)
        waiter.start()
        assert not entered.wait(0.5)
    assert entered.wait(5)
    waiter.join()
    assert store.ids() == []  # the lock file is not an entry
