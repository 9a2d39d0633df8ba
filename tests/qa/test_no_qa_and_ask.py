"""A dataset without QA pairs skips video_qa cleanly, and `qa.ask` answers input mistakes in one line."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from kedro_datasets.pandas import JSONDataset

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.datasets.safetensors_file import SafetensorsDataset
from nlv_kedro.pipelines.video_qa import create_pipeline
from nlv_kedro.qa import ask
from nlv_kedro.qa.compare import prepare_qa_pairs
from nlv_kedro.qa.config import VideoQAConfig
from nlv_kedro.reporting.sections import qa_section
from nlv_kedro.reporting.summary import qa_summary
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
