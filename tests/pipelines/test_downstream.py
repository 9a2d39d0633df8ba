"""Downstream pipeline slice on tiny synthetic embeddings: every method, every task, the metrics schema."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.evaluation.comparisons import method_results
from nlv_kedro.pipelines.downstream import create_pipeline
from nlv_kedro.training.downstream import DownstreamConfig
from nlv_kedro.pipelines.pretrain.nodes import export_contextual_embeddings, pretrain_top_model
from tests.conftest import is_share_of, run_slice, tiny_pretrain_params

DIM = 16
CLASSES = {"a_then_b": True, "b_then_a": True, "plain": False}


@pytest.fixture
def corpus(tmp_path):
    """Two order-dependent classes (same two vectors, swapped order) and one plain class."""
    rng = np.random.default_rng(0)
    a, b, c = (rng.normal(size=DIM) * 3 for _ in range(3))
    chunks = EmbeddingStore(tmp_path / "chunks")
    rows, captions = [], []
    for label, order_dependent in CLASSES.items():
        for i in range(20):
            first, second = {"a_then_b": (a, b), "b_then_a": (b, a), "plain": (c, c)}[label]
            n = 4
            seq = np.stack([first] * (n // 2) + [second] * (n // 2)) + rng.normal(size=(n, DIM)) * 0.3
            starts = np.arange(n, dtype=np.float32)
            chunks.write(f"{label}{i}", {"embeddings": seq.astype(np.float32), "frame_embeddings": seq.astype(np.float32),
                                          "chunk_start_s": starts, "chunk_end_s": starts + 1}, {"fingerprint": "x"})
            rows.append({"video_id": f"{label}{i}", "label": label, "order_dependent": order_dependent,
                         "split": (["train"] * 10 + ["val"] * 4 + ["test"] * 6)[i]})
            captions.append(f"{label.replace('_', ' ')} number {i}")
    index = pd.DataFrame(rows)
    model, _ = pretrain_top_model(index, None, chunks, {}, tiny_pretrain_params(tmp_path, max_epochs=1))
    contextual = EmbeddingStore(tmp_path / "ctx")
    for vid, (tensors, meta) in export_contextual_embeddings(model, index, chunks).items():
        contextual.write(vid, tensors, meta)
    text = {"tensors": {"captions": rng.normal(size=(len(index), 8)).astype(np.float32)},
            "metadata": {"caption_video_ids": json.dumps(index["video_id"].tolist())}}
    return index, chunks, contextual, model, text


def test_downstream_slice_reports_every_method_and_task(corpus, tmp_path: Path) -> None:
    index, chunks, contextual, model, text = corpus
    params = DownstreamConfig.model_validate({
        "probe": {"shots": [1, 2, 8, 16], "seeds": [0, 1], "c_grid": [0.1, 1.0],
                  "curve_methods": ["mean_pool", "nextlevel_frozen", "nextlevel_finetuned"]},
        "supervised": {"max_epochs": 2, "patience": 1, "batch_size": 4, "accelerator": "cpu",
                       "checkpoint_dir": str(tmp_path / "finetune_ckpt")},
        "retrieval": {"dim": 4, "epochs": 5},
        "clustering_n_init": 2,
    })
    catalog = run_slice(create_pipeline(), {
        "video_index": index, "chunk_embeddings": chunks, "contextual_embeddings": contextual, "top_model": model,
        "text_embeddings": text, "params:downstream": params})
    document = catalog["downstream_metrics"].load()
    metrics = method_results(document)
    assert list(metrics) == ["middle_frame", "mean_pool", "temporal_pool_2", "temporal_pool_4", "nextlevel_frozen",
                             "nextlevel_untrained", "nextlevel_meanpool", "nextlevel_shuffled", "transformer_scratch",
                             "cls_token", "nextlevel_finetuned"]
    for method, tasks in metrics.items():
        assert {"probe", "clustering", "retrieval"} <= set(tasks)
        curve = method in params.probe.curve_methods
        assert tasks["probe"]["shots"] == ([1, 2, 8] if curve else []), method
        assert tasks["probe"]["skipped_shots"] == ([16] if curve else [])
        assert is_share_of(tasks["probe"]["full"]["top1"], 18)  # 6 test videos of each of 3 classes
        assert np.mean(tasks["probe"]["full"]["correct"]) == pytest.approx(tasks["probe"]["full"]["top1"])
        assert set(tasks["retrieval"]) == {"t2v", "v2t"} and "R@1" in tasks["retrieval"]["t2v"]
        assert set(tasks["clustering"]) >= {"nmi", "ari", "purity"}
    assert "finetune" in metrics["nextlevel_finetuned"] and "finetune" not in metrics["mean_pool"]
    # same frames in both orders: mean-pooling cannot separate the order pair, so it stays near chance there
    assert metrics["mean_pool"]["probe"]["full"]["top1_order_dependent"] <= 0.6
    assert metrics["mean_pool"]["probe"]["full"]["top1_other"] == 1.0
    # per-half means see which vector comes first: the order-aware frozen baseline separates the pair
    assert metrics["temporal_pool_2"]["probe"]["full"]["top1_order_dependent"] == 1.0
    assert metrics["transformer_scratch"]["finetune"]["pooling"] == model.config.pooling
    assert metrics["cls_token"]["finetune"]["pooling"] == "cls"
    _check_per_video_results(document, index)
    flat = catalog["downstream_mlflow_metrics"].load()
    assert "downstream.mean_pool.probe.full.top1" in flat and all("value" in v for v in flat.values())
    assert "downstream.mean_pool.retrieval.t2v.R_at_1" in flat and not any("@" in k for k in flat)
    assert "downstream.comparisons.probe.nextlevel_frozen.vs_untrained.overall.diff" in flat


def _check_per_video_results(document: dict, index: pd.DataFrame) -> None:
    test = index.loc[index["split"] == "test"]
    assert document["test_video_ids"] == test["video_id"].tolist()
    assert document["test_subsets"]["order_dependent"] == test["order_dependent"].tolist()
    assert "structure" not in document["test_subsets"]  # no structure class in this corpus: the group is skipped
    head = document["nextlevel_finetuned"]["finetune"]
    assert len(head["correct"]) == len(test) and np.mean(head["correct"]) == pytest.approx(head["head_top1"])
    block = document["comparisons"]
    assert block["best_baseline"] in {"middle_frame", "mean_pool", "temporal_pool_2", "temporal_pool_4"}
    for method in ("nextlevel_frozen", "nextlevel_finetuned"):
        for reference in ("vs_best_baseline", "vs_untrained"):
            result = block["probe"][method][reference]
            assert set(result) == {"against", "overall", "order_dependent", "other"}
            assert all(r["beats"] == (r["lo"] > 0) and r["n"] > 0 for k, r in result.items() if k != "against")
    assert block["finetune_head"]["nextlevel_finetuned"]["vs_scratch"]["overall"]["n"] == len(test)
