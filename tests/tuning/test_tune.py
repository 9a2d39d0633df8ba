"""Tuning: Optuna studies over pretraining recipes on tiny synthetic embeddings (seconds per trial)."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import optuna
import pandas as pd
import pytest
from kedro_datasets.matplotlib import MatplotlibDataset
from pydantic import ValidationError

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.training.recipe import PretrainParams
from nlv_kedro.pipelines.tune import create_pipeline
from nlv_kedro.tuning.objective import load_trial_data
from nlv_kedro.tuning.params import TuneParams
from nlv_kedro.tuning.space import SearchSpaceError, check_against
from nlv_kedro.tuning.study import make_objective, make_pruner, open_study, redact, run_trials, summarize
from nlv_kedro.tuning.tracking import log_study_result
from tests.conftest import run_slice, tiny_pretrain_params

DIM = 16


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[pd.DataFrame, EmbeddingStore]:
    """24 videos of 2 classes; chunk vectors drift along a class direction, so neighbours predict
    masked chunks and a linear probe separates the classes."""
    rng = np.random.default_rng(0)
    store = EmbeddingStore(tmp_path / "store")
    directions = rng.normal(size=(2, DIM))
    rows = []
    for i in range(24):
        n = int(rng.integers(5, 10))
        vectors = (rng.normal(size=DIM) * 0.5 + np.outer(np.arange(n), directions[i % 2]) * 0.3 + 5.0)
        starts = np.arange(n, dtype=np.float32) * 2
        store.write(f"v{i}", {"embeddings": vectors.astype(np.float32), "chunk_start_s": starts,
                              "chunk_end_s": starts + 2}, {"fingerprint": "x", "encoder_fingerprint": "enc"})
        split = ["train", "train", "val", "test"][(i // 2) % 4]
        rows.append({"video_id": f"v{i}", "label": f"c{i % 2}", "split": split})
    return pd.DataFrame(rows), store


def tiny_pretrain(tmp_path: Path, max_epochs: int = 2) -> PretrainParams:
    """One layer keeps trials to seconds; the registry stays off."""
    return tiny_pretrain_params(tmp_path, n_layers=1, top={"registry": {"enabled": False}}, max_epochs=max_epochs)


SPACE = {
    "objective.mask_ratio": {"type": "float", "low": 0.2, "high": 0.6},
    "objective.masking": {"type": "categorical", "choices": ["span", "iid"]},
    "objective.loss": {"type": "categorical", "choices": ["smooth_l1", "cosine", "infonce"]},
    "objective.target_norm": {"type": "categorical", "choices": ["standardize", "none"]},
    "optim.lr": {"type": "float", "low": 1e-3, "high": 1e-2, "log": True},
    "model.n_layers": {"type": "int", "low": 1, "high": 2},
    "model.d_model": {"type": "categorical", "choices": [16, 32]},
}


def tiny_tune(tmp_path: Path, **extra: object) -> TuneParams:
    return TuneParams.model_validate({
        "study_name": "test", "storage": f"sqlite:///{tmp_path / 'optuna' / 'tune.db'}", "n_trials": 3,
        "show_progress_bar": False, "trial_overrides": {"trainer": {"max_epochs": 2}}, "search_space": SPACE,
        "probe_c_grid": [1.0],
        **extra,
    })


def test_tune_pipeline_runs_three_trials_and_a_rerun_continues_the_study(corpus, tmp_path: Path) -> None:
    index, store = corpus
    inputs = {"video_index": index, "chunk_embeddings": store, "encode_report": {},
              "params:pretrain": tiny_pretrain(tmp_path), "params:tune": tiny_tune(tmp_path)}
    catalog = run_slice(create_pipeline(), inputs)
    summary = catalog.load("tune_summary")
    assert (tmp_path / "optuna" / "tune.db").is_file()
    assert summary["n_trials"] == 3 and summary["n_complete"] + summary["n_pruned"] == 3
    assert summary["direction"] == "maximize" and 0 < summary["best_value"] <= 1
    assert [t["number"] for t in summary["trials"]] == [0, 1, 2]
    best = catalog.load("best_params")
    assert set(best) <= {"objective", "optim", "model"} and "lr" in best["optim"]
    figures = catalog.load("tune_plots")
    assert {"optimization_history.png", "parallel_coordinate.png", "param_importances.png"} <= set(figures)
    MatplotlibDataset(filepath=str(tmp_path / "plots")).save(figures)
    assert (tmp_path / "plots" / "optimization_history.png").stat().st_size > 0

    rerun = {**inputs, "params:tune": tiny_tune(tmp_path, n_trials=2)}
    again = run_slice(create_pipeline().only_nodes("run_study_node"), rerun).load("tune_summary")
    assert again["n_trials"] == 5 and [t["number"] for t in again["trials"]] == list(range(5))
    assert again["trials"][:3] == summary["trials"]


def test_pruning_prunes_a_planted_bad_trial(corpus, tmp_path: Path) -> None:
    """Two good trials, then one whose lr is too small to learn: its first epoch is far below the
    median of the others, so PyTorchLightningPruningCallback stops it."""
    data = load_trial_data(*corpus)
    space = TuneParams.model_validate({"search_space": {"optim.lr": {"type": "float", "low": 1e-9, "high": 1e-2,
                                                                      "log": True}}}).search_space
    study = open_study("prune", f"sqlite:///{tmp_path / 'prune.db'}",
                       pruner=make_pruner("median", n_startup_trials=2, n_warmup_steps=0))
    for lr in (3e-3, 1e-2, 1e-9):
        study.enqueue_trial({"optim.lr": lr})
    objective = make_objective(space, tiny_pretrain(tmp_path), data, "val/cos_pred_standardized", [1.0])
    run_trials(study, objective, n_trials=3, timeout=None)
    states = [t.state for t in study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE] * 2 + [optuna.trial.TrialState.PRUNED]
    assert study.trials[2].last_step == 0


def fake_score(fail_at: float, prune_at: float):
    def score(params: PretrainParams, data: object, callbacks: object) -> tuple[float, dict]:
        if params.optim.lr == fail_at:
            raise RuntimeError("planted failure")
        if params.optim.lr == prune_at:
            raise optuna.TrialPruned("planted prune")
        return float(params.optim.lr), {}

    return score


def test_failing_trial_is_recorded_and_trials_are_nested_mlflow_runs(
    corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    data = load_trial_data(*corpus)
    tune = tiny_tune(tmp_path, search_space={"optim.lr": {"type": "categorical", "choices": [0.1, 0.2, 0.3, 0.4]}})
    study = open_study("fail", tune.storage)
    for lr in (0.1, 0.2, 0.3, 0.4):
        study.enqueue_trial({"optim.lr": lr})
    objective = make_objective(tune.search_space, tiny_pretrain(tmp_path), data, None, [1.0],
                               score=fake_score(fail_at=0.2, prune_at=0.3))
    with mlflow.start_run() as parent:
        run_trials(study, objective, n_trials=4, timeout=None)
        summary = summarize(study, tune.storage)
        log_study_result(summary)
    assert [t["state"] for t in summary["trials"]] == ["COMPLETE", "FAIL", "PRUNED", "COMPLETE"]
    assert (summary["n_failed"], summary["n_pruned"], summary["best_value"]) == (1, 1, 0.4)
    children = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
                                  order_by=["tags.`optuna.trial_number` ASC"], output_format="list")
    assert [r.data.tags["optuna.state"] for r in children] == ["COMPLETE", "FAIL", "PRUNED", "COMPLETE"]
    assert [r.info.status for r in children] == ["FINISHED", "FAILED", "KILLED", "FINISHED"]
    assert "planted failure" in children[1].data.tags["optuna.error"]
    assert children[0].data.params["optim.lr"] == "0.1" and children[3].data.metrics["value"] == 0.4
    logged = mlflow.get_run(parent.info.run_id).data
    assert logged.metrics["tune.best_value"] == 0.4 and logged.params["tune.best.optim.lr"] == "0.4"


def test_a_killed_run_loses_only_the_trial_in_flight(corpus, tmp_path: Path) -> None:
    data = load_trial_data(*corpus)
    storage = f"sqlite:///{tmp_path / 'kill.db'}"
    space = tiny_tune(tmp_path, search_space={"optim.lr": {"type": "float", "low": 0.1, "high": 0.9}}).search_space

    calls: list[int] = []

    def interrupted(params: PretrainParams, data: object, callbacks: object) -> tuple[float, dict]:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C in the third trial
        return 0.5, {}

    with pytest.raises(KeyboardInterrupt):
        run_trials(open_study("kill", storage), make_objective(space, tiny_pretrain(tmp_path), data, None, [1.0],
                                                               score=interrupted), n_trials=5, timeout=None)
    study = open_study("kill", storage)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE", "FAIL"]
    run_trials(study, make_objective(space, tiny_pretrain(tmp_path), data, None, [1.0],
                                     score=lambda p, d, c: (0.7, {})), n_trials=2, timeout=None)
    assert [t.number for t in open_study("kill", storage).trials] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(("space", "words"), [
    ({"model.depth": {"type": "int", "low": 1, "high": 4}}, ["model.depth", "tunable keys", "model.n_layers"]),
    ({"objective.mask_ratio": {"type": "float", "low": 0.2, "high": 1.0}}, ["objective.mask_ratio", "less than 1"]),
    ({"optim.lr": {"type": "float", "low": 0.01, "high": 0.001}}, ["optim.lr", "above high"]),
    ({"optim.lr": {"type": "float", "low": 0.0, "high": 0.1, "log": True}}, ["optim.lr", "log=true needs low > 0"]),
    ({"objective.masking": {"type": "float", "low": 0, "high": 1}}, ["objective.masking", "categorical"]),
    ({"objective.loss": {"type": "categorical", "choices": ["l1", "huber"]}}, ["objective.loss", "huber"]),
    ({"objective.mask_ratio": {"type": "uniform", "low": 0.1, "high": 0.5}}, ["objective.mask_ratio", "uniform"]),
])
def test_bad_search_space_fails_fast_naming_the_key(space: dict, words: list[str]) -> None:
    with pytest.raises(ValidationError) as error:
        TuneParams.model_validate({"search_space": space})
    for word in words:
        assert word in str(error.value)


def test_search_space_is_checked_against_the_actual_pretrain_params(tmp_path: Path) -> None:
    space = TuneParams.model_validate({"search_space": {"model.d_model": {"type": "int", "low": 32, "high": 40,
                                                                           "step": 2}}}).search_space
    check_against(space, tiny_pretrain(tmp_path))  # n_heads=2 divides every value
    with pytest.raises(SearchSpaceError, match=r"model\.d_model: value 34 .*n_heads"):
        check_against(space, tiny_pretrain(tmp_path).merged({"model": {"n_heads": 4}}))
    with pytest.raises(ValidationError, match="n_trials or timeout"):
        TuneParams.model_validate({"n_trials": None, "search_space": SPACE})


def test_storage_password_never_reaches_the_summary() -> None:
    assert redact("postgresql://tuner:s3cret@db.example/optuna") == "postgresql://tuner:***@db.example/optuna"
    assert redact("sqlite:///data/optuna/tune.db") == "sqlite:///data/optuna/tune.db"
