"""Downstream pipeline slice on tiny synthetic embeddings: every method, every task, the metrics schema."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nlv_kedro.datasets.embedding_store import EmbeddingStore
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
    model, _ = pretrain_top_model(index, chunks, {}, tiny_pretrain_params(tmp_path, max_epochs=1))
    contextual = EmbeddingStore(tmp_path / "ctx")
    for vid, (tensors, meta) in export_contextual_embeddings(model, index, chunks).items():
        contextual.write(vid, tensors, meta)
    text = {"tensors": {"captions": rng.normal(size=(len(index), 8)).astype(np.float32)},
            "metadata": {"caption_video_ids": json.dumps(index["video_id"].tolist())}}
    return index, chunks, contextual, model, text


def test_downstream_slice_reports_every_method_and_task(corpus, tmp_path: Path) -> None:
    index, chunks, contextual, model, text = corpus
    params = DownstreamConfig.model_validate({
        "probe": {"shots": [1, 2, 8, 16], "seeds": [0, 1], "c_grid": [0.1, 1.0]},
        "supervised": {"max_epochs": 2, "patience": 1, "batch_size": 4, "accelerator": "cpu",
                       "checkpoint_dir": str(tmp_path / "finetune_ckpt")},
        "retrieval": {"dim": 4, "epochs": 5},
        "clustering_n_init": 2,
    })
    catalog = run_slice(create_pipeline(), {
        "video_index": index, "chunk_embeddings": chunks, "contextual_embeddings": contextual, "top_model": model,
        "text_embeddings": text, "params:downstream": params})
    metrics = catalog["downstream_metrics"].load()
    assert set(metrics) == {"middle_frame", "mean_pool", "temporal_pool", "nextlevel_frozen", "transformer_mean",
                            "cls_token", "nextlevel_finetuned"}
    for method, tasks in metrics.items():
        assert {"probe", "clustering", "retrieval"} <= set(tasks)
        assert tasks["probe"]["shots"] == [1, 2, 8] and tasks["probe"]["skipped_shots"] == [16]
        assert is_share_of(tasks["probe"]["full"]["top1"], 18)  # 6 test videos of each of 3 classes
        assert set(tasks["retrieval"]) == {"t2v", "v2t"} and "R@1" in tasks["retrieval"]["t2v"]
        assert set(tasks["clustering"]) >= {"nmi", "ari", "purity"}
    assert "finetune" in metrics["nextlevel_finetuned"] and "finetune" not in metrics["mean_pool"]
    # same frames in both orders: mean-pooling cannot separate the order pair, so it stays near chance there
    assert metrics["mean_pool"]["probe"]["full"]["top1_order_dependent"] <= 0.6
    assert metrics["mean_pool"]["probe"]["full"]["top1_other"] == 1.0
    # per-half means see which vector comes first: the order-aware frozen baseline separates the pair
    assert metrics["temporal_pool"]["probe"]["full"]["top1_order_dependent"] == 1.0
    flat = catalog["downstream_mlflow_metrics"].load()
    assert "downstream.mean_pool.probe.full.top1" in flat and all("value" in v for v in flat.values())
    assert "downstream.mean_pool.retrieval.t2v.R_at_1" in flat and not any("@" in k for k in flat)
