"""A dataset without QA pairs skips video_qa cleanly; `qa.ask` answers input mistakes in one line and takes a
video file (encoded and embedded on the fly) as well as an encoded id."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro_datasets.pandas import JSONDataset

from nlv_kedro import embed as embed_cli
from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.datasets.safetensors_file import SafetensorsDataset
from nlv_kedro.pipelines.video_qa import create_pipeline
from nlv_kedro.qa import ask
from nlv_kedro.qa.compare import prepare_qa_pairs
from nlv_kedro.qa.config import VideoQAConfig
from nlv_kedro.reporting.sections import qa_section
from nlv_kedro.reporting.summary import qa_summary
from nlv_kedro.serving import embedding
from tests.conftest import run_slice


def _published_by_ingest(tmp_path) -> pd.DataFrame:
    """No QA rows, written and read back by the catalog's dataset for video_qa_pairs (an empty jsonl)."""
    dataset = JSONDataset(filepath=str(tmp_path / "qa_pairs.jsonl"), load_args={"lines": True, "orient": "records"},
                          save_args={"lines": True, "orient": "records"})
    dataset.save(pd.DataFrame(columns=["video_id", "question", "choices", "answer", "type"]))
    return dataset.load()


@pytest.mark.parametrize("source", ["empty_frame", "empty_jsonl"])
def test_no_qa_pairs_skips_with_one_log_line_and_valid_outputs(tmp_path, caplog, source) -> None:
    qa_pairs = pd.DataFrame() if source == "empty_frame" else _published_by_ingest(tmp_path)
    index = pd.DataFrame({"video_id": ["v0"], "split": ["train"], "label": ["x"]})
    store = EmbeddingStore(tmp_path / "store")
    params = VideoQAConfig.model_validate({"llm": {"name": "not-loaded", "cache_dir": str(tmp_path / "cache")}})
    with caplog.at_level(logging.INFO, logger="nlv_kedro"):
        catalog = run_slice(create_pipeline(), {"video_qa_pairs": qa_pairs, "video_index": index,
                                                "chunk_embeddings": store, "contextual_embeddings": store,
                                                "params:video_qa": params})
    assert len([r for r in caplog.records if "video_qa" in r.getMessage() and "skipped" in r.getMessage()]) == 1
    metrics = catalog["qa_metrics"].load()
    assert metrics["skipped"] and metrics["accuracy"] == {} and catalog["qa_mlflow_metrics"].load() == {}
    artifact, config = catalog["qa_projector"].load(), catalog["qa_projector_config"].load()
    dataset = SafetensorsDataset(filepath=str(tmp_path / "qa_projector.safetensors"))
    dataset.save(artifact)  # a valid (empty) safetensors file
    assert dataset.load() == {"tensors": {}, "metadata": {"skipped": metrics["skipped"]}} and config["skipped"]
    assert qa_summary(metrics)["ran"] is False
    section = qa_section(metrics)
    assert any("No QA" in str(block) for block in section.blocks)
    with pytest.raises(ask.AskError, match="video_qa was skipped because the dataset has no QA pairs"):
        ask.check_projector(artifact)


def test_missing_qa_pairs_are_no_qa_pairs() -> None:
    table = prepare_qa_pairs(None, pd.DataFrame({"video_id": ["v0"], "split": ["train"]}), VideoQAConfig())
    assert table.empty and {"video_id", "question", "choices", "answer", "type", "split"} <= set(table.columns)


def test_unknown_video_id_is_one_line_naming_the_ids_and_exit_code_1(tmp_path, monkeypatch, capsys) -> None:
    store = EmbeddingStore(tmp_path)
    for vid in ("bikes_000", "bunny_001"):
        store.write(vid, {"contextual": np.zeros((2, 4), np.float32)}, {})
    monkeypatch.setattr(ask, "_load", lambda args: (None, None, ask.video_tensors(store, args.video_id, "videos")))
    for bad in ("unknown", "../not a file name"):
        with pytest.raises(SystemExit) as exited:
            ask.main(["--video-id", bad, "--question", "What is shown?", "--verbose"])
        assert exited.value.code == 1
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and repr(bad) in err
        assert "bikes_000, bunny_001" in err and "--pipelines=ingest,preprocess,encode,pretrain" in err


def test_a_missing_video_file_is_one_line_and_exit_code_1(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(ask, "_load", lambda args: (None, None, ask.file_tensors(
        Path(args.video_id), "contextual", tmp_path, {})))
    with pytest.raises(SystemExit) as exited:
        ask.main(["--video", str(tmp_path / "clip.mp4"), "--question", "What is shown?", "--verbose"])
    out, err = capsys.readouterr()
    assert exited.value.code == 1 and out == "" and err.count("\n") == 1 and "clip.mp4: no such file" in err
    assert ask.is_video_file("clip.MP4") and not ask.is_video_file("bikes_000") and not ask.is_video_file("a.b")


@pytest.mark.parametrize("source", ["chunks", "contextual"])
def test_a_video_file_is_encoded_then_run_through_the_champion(tmp_path, monkeypatch, source) -> None:
    """ingest -> plan -> encode (nlv_kedro.serving.embedding) [-> champion top model] -> the method's tensors."""
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"not decoded here")
    chunks = np.arange(12, dtype=np.float32).reshape(3, 4)
    calls = []

    def encode(root, files, params, workdir):
        calls.append(("encode", files))
        store = EmbeddingStore(Path(workdir) / "chunks")
        store.write("clip", {"embeddings": chunks}, {})
        return pd.DataFrame({"video_id": ["clip"], "path": ["clip.mp4"]}), store

    def embed(index, store, model, root):
        calls.append(("embed", model))
        return [embedding.VideoVectors("clip", video, store.read("clip")[0]["embeddings"] * 2, chunks[0], chunks)]

    monkeypatch.setattr(embedding, "encode_files", encode)
    monkeypatch.setattr(embedding, "embed_videos", embed)
    monkeypatch.setattr(embed_cli, "load_model", lambda uri, project: f"model {uri}")
    tensors = ask.file_tensors(video, source, tmp_path, {})
    assert calls[0] == ("encode", [video.resolve()])
    if source == "chunks":
        assert len(calls) == 1 and np.array_equal(tensors["embeddings"], chunks)
    else:
        assert calls[1] == ("embed", f"model {embed_cli.DEFAULT_MODEL}")
        assert np.array_equal(tensors["contextual"], chunks * 2)
