"""Pretraining: Lightning fit on tiny synthetic embeddings, resume, contextual export, MLflow registry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.datasets.optional_yaml import OptionalYAMLDataset
from nlv_kedro.pipelines.pretrain.nodes import export_contextual_embeddings, pretrain_top_model, register_top_model
from nlv_kedro.pipelines.tune.nodes import export_best_params
from nlv_kedro.training.recipe import PretrainParams
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.serving.registry import log_and_register
from tests.conftest import tiny_pretrain_params

DIM = 16


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[pd.DataFrame, EmbeddingStore]:
    """12 videos whose chunk vectors drift smoothly, so masked chunks are predictable from neighbours."""
    rng = np.random.default_rng(0)
    store = EmbeddingStore(tmp_path / "store")
    rows = []
    for i in range(12):
        n = int(rng.integers(4, 10))
        base, drift = rng.normal(size=DIM), rng.normal(size=DIM)
        vectors = (base + np.outer(np.arange(n), drift) * 0.3 + 5.0).astype(np.float32)
        starts = np.arange(n, dtype=np.float32) * 2
        store.write(f"v{i}", {"embeddings": vectors, "chunk_start_s": starts, "chunk_end_s": starts + 2},
                    {"fingerprint": "x", "encoder_fingerprint": "enc"})
        rows.append({"video_id": f"v{i}", "split": ["train", "train", "val", "test"][i % 4]})
    return pd.DataFrame(rows), store


def test_pretrain_logs_diagnostics_and_returns_weights(corpus, tmp_path: Path) -> None:
    index, store = corpus
    artifact, history = pretrain_top_model(index, None, store, {}, tiny_pretrain_params(tmp_path))
    final = history["final"]
    for key in ("val/loss", "val/cos_pred", "val/cos_mean_baseline", "val/cos_copy_neighbour", "val/pred_std",
                "val/effective_rank", "train/loss", "val/cos_interpolate_shrunk",
                "val/cos_interpolate_neighbours_standardized", "val/gain_over_shrunk_interpolation_lo",
                "val/gain_over_shrunk_interpolation_hi"):
        assert np.isfinite(final[key]), key
    assert all("val/cos_interpolate_shrunk" in epoch for epoch in history["epochs"])  # per epoch too
    assert len(history["epochs"]) == 2 and history["train_videos"] == 6 and history["val_videos"] == 3
    assert artifact.info["trainable_parameters"] == history["trainable_parameters"] > 0
    assert (tmp_path / "ckpt" / "last.ckpt").is_file()


def test_resume_continues_from_last_checkpoint(corpus, tmp_path: Path) -> None:
    index, store = corpus
    pretrain_top_model(index, None, store, {}, tiny_pretrain_params(tmp_path, max_epochs=1))
    resumed = tiny_pretrain_params(tmp_path, max_epochs=3, resume=True)
    _, history = pretrain_top_model(index, None, store, {}, resumed)
    assert history["resumed_from"].endswith("last.ckpt")
    assert [e["epoch"] for e in history["epochs"]] == [0, 1, 2]  # the first run's epoch is kept


def test_contextual_export_covers_every_split(corpus, tmp_path: Path) -> None:
    index, store = corpus
    artifact, _ = pretrain_top_model(index, None, store, {}, tiny_pretrain_params(tmp_path, max_epochs=1))
    artifact.save(tmp_path / "model")
    reloaded = TopModelArtifact.load(tmp_path / "model")
    out = export_contextual_embeddings(reloaded, index, store)
    assert sorted(out) == sorted(index["video_id"])
    tensors, _ = out["v3"]
    assert tensors["contextual"].shape == (len(store.read("v3")[0]["embeddings"]), 32)
    assert tensors["pooled"].shape == (32,)
    np.testing.assert_allclose(tensors["pooled"], tensors["contextual"].mean(0), atol=1e-5)


def test_missing_embeddings_name_the_upstream_pipeline(tmp_path: Path) -> None:
    index = pd.DataFrame({"video_id": ["a"], "split": ["train"]})
    with pytest.raises(FileNotFoundError, match="pipelines=encode"):
        pretrain_top_model(index, None, EmbeddingStore(tmp_path / "empty"), {}, tiny_pretrain_params(tmp_path))


def test_bad_pretrain_params_name_the_key() -> None:
    with pytest.raises(ValidationError, match="n_heads"):
        PretrainParams.model_validate({"model": {"d_model": 30, "n_heads": 4}})
    with pytest.raises(ValidationError, match="masking"):
        PretrainParams.model_validate({"objective": {"masking": "random"}})
    with pytest.raises(ValidationError, match="lr"):
        PretrainParams.model_validate({"optim": {"lr": -1}})


def test_only_rank_zero_registers_in_multi_process_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under torchrun every rank runs the session; a non-zero rank must not add a registry version."""
    monkeypatch.setenv("RANK", "1")
    out = register_top_model(None, {"final": {}}, PretrainParams())  # type: ignore[arg-type]
    assert out["registered"] is False and "rank 1" in out["reason"]


def test_registry_champion_moves_only_on_improvement_and_loads_in_fresh_process(
    corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    index, store = corpus
    artifact, history = pretrain_top_model(index, None, store, {}, tiny_pretrain_params(tmp_path, max_epochs=1))
    first = log_and_register(artifact, "nlv-test", "val/cos_pred", 0.5)
    worse = log_and_register(artifact, "nlv-test", "val/cos_pred", 0.3)
    better = log_and_register(artifact, "nlv-test", "val/cos_pred", 0.7)
    assert (first["champion_moved"], worse["champion_moved"], better["champion_moved"]) == (True, False, True)
    assert worse["champion_version"] == first["version"] and better["champion_version"] == better["version"]
    via_node = register_top_model(artifact, {"final": {"val/cos_pred": 0.1}},
                                  PretrainParams.model_validate({"registry": {"model_name": "nlv-test",
                                                                              "metric": "val/cos_pred"}}))
    assert via_node["champion_moved"] is False

    vectors = store.read("v5")[0]["embeddings"]
    script = (
        "import json, numpy as np, mlflow; "
        "m = mlflow.pyfunc.load_model('models:/nlv-test@champion'); "
        f"x = np.load('{tmp_path / 'x.npy'}'); "
        "out = m.predict({'embeddings': [x, x[:2]]}); "
        "padded = m.predict({'embeddings': np.stack([x, x]), 'lengths': [len(x), 2]}); "
        "print(json.dumps({'pooled': list(out['pooled'].shape), 'ctx': [c.shape[0] for c in out['contextual']], "
        "'same': bool(np.allclose(out['pooled'], padded['pooled'], atol=1e-5))}))"
    )
    np.save(tmp_path / "x.npy", vectors)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            env={**__import__("os").environ, "MLFLOW_TRACKING_URI": uri})
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {"pooled": [2, 32], "ctx": [len(vectors), 2], "same": True}


def test_tuned_best_params_round_trip_into_pretraining(corpus, tmp_path: Path) -> None:
    index, store = corpus
    summary = {"study_name": "s", "best_params": {"model.d_model": 16, "objective.masking": "iid", "optim.lr": 0.004}}
    dataset = OptionalYAMLDataset(str(tmp_path / "best_params.yml"))
    assert dataset.load() is None  # no study yet: pretraining still loads its inputs
    dataset.save(export_best_params(summary))
    best = dataset.load()
    assert best == {"model": {"d_model": 16}, "objective": {"masking": "iid"}, "optim": {"lr": 0.004}}

    params = tiny_pretrain_params(tmp_path, top={"use_best_params": True}, max_epochs=1)
    artifact, history = pretrain_top_model(index, None, store, {}, params, best)
    assert artifact.config.d_model == 16 and history["best_params"] == best
    _, plain = pretrain_top_model(index, None, store, {}, tiny_pretrain_params(tmp_path, max_epochs=1), best)
    assert plain["best_params"] is None  # use_best_params is off: the file is ignored

    with pytest.raises(FileNotFoundError, match="pipelines=tune"):
        pretrain_top_model(index, None, store, {}, params, None)
    with pytest.raises(ValueError, match=r"(?s)do not fit the pretrain params.*objective\.mask_ratio"):
        pretrain_top_model(index, None, store, {}, params, {"objective": {"mask_ratio": 1.5}})


def test_pretraining_reads_the_unlabeled_pool_unless_told_not_to(corpus, tmp_path: Path) -> None:
    index, store = corpus
    pool = pd.DataFrame({"video_id": ["v3", "v7", "not_encoded"], "split": "unlabeled"})
    labelled = index[~index["video_id"].isin(pool["video_id"])]
    _, history = pretrain_top_model(labelled, pool, store, {}, tiny_pretrain_params(tmp_path, max_epochs=1))
    assert history["train_videos"] == 6 + 2 and history["unlabeled_videos"] == 2 and history["val_videos"] == 3
    off = tiny_pretrain_params(tmp_path, max_epochs=1).model_copy(update={"use_unlabeled": False})
    _, history = pretrain_top_model(labelled, pool, store, {}, off)
    assert history["train_videos"] == 6 and history["unlabeled_videos"] == 0
