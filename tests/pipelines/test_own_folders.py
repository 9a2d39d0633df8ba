"""A user's own folder through ingest -> preprocess -> encode: odd file names, stale inputs, per-video failures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders.config import EncodeConfig
from nlv_kedro.ingestion.config import IngestConfig
from nlv_kedro.pipelines.encode import create_pipeline as encode_pipeline
from nlv_kedro.pipelines.encode.pipeline import SHARDED_NODE
from nlv_kedro.pipelines.ingest import create_pipeline as ingest_pipeline
from nlv_kedro.pipelines.preprocess import create_pipeline as preprocess_pipeline
from nlv_kedro.video.plan import PlanConfig
from tests.conftest import run_slice

ODD = "name with spaces ünï"
ENCODE = EncodeConfig(image_size=32, batch_size=8, num_workers=0, device="cpu")
PLAN = PlanConfig(target_fps=5, frames_per_chunk=3)


def _class_folders(root: Path, good_video: Path) -> Path:
    for label, names in {"left": [ODD, "plain"], "right": ["r0", "r1"]}.items():
        (root / label).mkdir(parents=True)
        for name in names:
            shutil.copy(good_video, root / label / f"{name}.mp4")
    return root


def _ingest(root: Path, **overrides) -> pd.DataFrame:
    return _ingest_outputs(root, **overrides)["video_index"].load()


def _ingest_outputs(root: Path, **overrides):
    return run_slice(ingest_pipeline(), {"params:ingest": IngestConfig(root=str(root), **overrides)})


def _preprocess(index: pd.DataFrame, root: Path) -> tuple[dict, dict]:
    catalog = run_slice(preprocess_pipeline(), {"video_index": index, "unlabeled_index": pd.DataFrame(columns=["video_id"]),
                                                "params:ingest.root": str(root),
                                                "params:preprocess": PLAN})
    return catalog["chunk_plan"].load(), catalog["chunk_plan_stats"].load()


def _encode(index: pd.DataFrame, plan: dict, root: Path, store: EmbeddingStore) -> dict:
    inputs = {"video_index": index, "unlabeled_index": pd.DataFrame(columns=["video_id"]), "chunk_plan": plan, "params:ingest.root": str(root), "chunk_embeddings": store,
              "params:encode": ENCODE}
    return run_slice(encode_pipeline().only_nodes(SHARDED_NODE), inputs)["encode_report"].load()


def test_odd_file_name_is_encoded_end_to_end(tmp_path: Path, good_video: Path) -> None:
    root = _class_folders(tmp_path / "videos", good_video)
    index = _ingest(root, manifest=None)
    odd = index.loc[index["source_id"] == ODD].iloc[0]
    assert odd["video_id"] == "name_with_spaces_uni" and odd["path"] == f"left/{ODD}.mp4"
    assert set(index["ingest_root"]) == {str(root)}
    plan, _ = _preprocess(index, root)
    store = EmbeddingStore(tmp_path / "store")
    report = _encode(index, plan, root, store)
    assert report["videos_encoded"] == 4 and report["videos_failed"] == []
    assert "name_with_spaces_uni" in store.ids()


def test_manifest_video_id_with_slashes_stays_inside_the_store(tmp_path: Path, good_video: Path) -> None:
    root = tmp_path / "videos"
    root.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(good_video, root / f"{name}.mp4")
    (root / "manifest.csv").write_text("path,video_id,label,caption\na.mp4,../../x,k,up\nb.mp4,x,k,\nc.mp4,,k,\n")
    (root / "qa.jsonl").write_text(json.dumps({"video_id": "../../x", "question": "q", "choices": ["a", "b"],
                                               "answer": 0, "type": "t"}) + "\n")
    outputs = _ingest_outputs(root)
    index = outputs["video_index"].load()
    assert sorted(index["source_id"]) == ["../../x", "c", "x"]
    ids = dict(zip(index["source_id"], index["video_id"]))
    assert ids["x"] == "x" and ids["../../x"].startswith("x-") and ids["c"] == "c"
    assert outputs["video_captions"].load()["video_id"].tolist() == [ids["../../x"]]
    assert outputs["video_qa_pairs"].load()["video_id"].tolist() == [ids["../../x"]]
    plan, _ = _preprocess(index, root)
    store = EmbeddingStore(tmp_path / "store")
    assert _encode(index, plan, root, store)["videos_encoded"] == 3
    assert sorted(p.name for p in store.root.glob("*.safetensors")) == sorted(f"{v}.safetensors" for v in ids.values())


def test_one_unplannable_video_is_reported_not_fatal(tmp_path: Path, good_video: Path) -> None:
    root = _class_folders(tmp_path / "videos", good_video)
    index = _ingest(root, manifest=None)
    (root / "right" / "r1.mp4").write_bytes(b"broken after ingest")
    plan, stats = _preprocess(index, root)
    assert len(plan) == 3 and [f["path"] for f in stats["failures"]] == ["right/r1.mp4"]
    broken = index.copy()
    broken.loc[broken["video_id"] == "r0", "video_id"] = "bad id/with slash"  # an index ingest did not make
    plan = {("bad id/with slash" if k == "r0" else k): v for k, v in plan.items()}
    report = _encode(broken, plan, root, EmbeddingStore(tmp_path / "store"))
    assert report["videos_encoded"] == 2
    assert [f["path"] for f in report["videos_failed"]] == [str(root / "right/r0.mp4")]


def test_stale_index_fails_fast_naming_ingest_root(tmp_path: Path, good_video: Path) -> None:
    root = _class_folders(tmp_path / "videos", good_video)
    index = _ingest(root, manifest=None)
    with pytest.raises(Exception, match=r"ingest\.root") as failed:
        _preprocess(index, tmp_path / "elsewhere")
    assert "\n" not in str(failed.value)
    no_root_column = index.drop(columns="ingest_root")
    with pytest.raises(Exception, match=r"none of the 4 videos .* ingest\.root"):
        _preprocess(no_root_column, tmp_path)
    plan, _ = _preprocess(index, root)
    with pytest.raises(Exception, match=r"ingest\.root"):
        _encode(index, plan, tmp_path / "elsewhere", EmbeddingStore(tmp_path / "store"))


def test_every_video_failing_is_an_error_not_an_empty_plan(tmp_path: Path, good_video: Path) -> None:
    root = _class_folders(tmp_path / "videos", good_video)
    index = _ingest(root, manifest=None)
    for file in root.rglob("*.mp4"):
        file.write_bytes(b"gone")
    with pytest.raises(Exception, match=r"all 4 videos under ingest\.root"):
        _preprocess(index, root)
