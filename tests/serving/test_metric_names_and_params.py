"""Clean MLflow names: metrics keep their library namespace once, typed params flatten into dotted keys,
nested (trial / variant) runs get their params flattened too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
import yaml
from kedro.io import DataCatalog
from mlflow import MlflowClient

from nlv_kedro.serving.metrics_dataset import NamespacedMetricsHistoryDataset
from nlv_kedro.serving.params import flatten_params
from nlv_kedro.studies.tracking import nested_run
from nlv_kedro.training.recipe import PretrainParams

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MlflowClient]:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    yield MlflowClient()
    while mlflow.active_run():
        mlflow.end_run()


def test_flatten_params_of_a_pydantic_model_and_nested_dicts() -> None:
    flat = flatten_params({"pretrain": PretrainParams(), "tune": {"space": {}, "n_trials": 3}})
    assert flat["pretrain.model.d_model"] == PretrainParams().model.d_model
    assert flat["tune.n_trials"] == 3 and flat["tune.space"] == {}
    assert not any(isinstance(v, dict) and v for v in flat.values())


@pytest.mark.parametrize("entry, prefix", [("downstream_mlflow_metrics", "downstream"),
                                            ("qa_mlflow_metrics", "video_qa")])
def test_catalog_metrics_keep_their_namespace_once(tracking: MlflowClient, entry: str, prefix: str) -> None:
    catalog_file = REPO / "conf" / "base" / f"catalog_{'downstream' if prefix == 'downstream' else 'video_qa'}.yml"
    config = yaml.safe_load(catalog_file.read_text())[entry]
    catalog = DataCatalog.from_config({entry: config})
    assert isinstance(catalog.get(entry), NamespacedMetricsHistoryDataset)
    with mlflow.start_run() as run:
        catalog.save(entry, {f"{prefix}.mean_pool.probe.full.top1": {"value": 0.5, "step": 0},
                             "bare_key": {"value": 1.0, "step": 0}})
        assert set(catalog.load(entry)) == {f"{prefix}.mean_pool.probe.full.top1", f"{prefix}.bare_key"}
    metrics = tracking.get_run(run.info.run_id).data.metrics
    assert metrics == {f"{prefix}.mean_pool.probe.full.top1": 0.5, f"{prefix}.bare_key": 1.0}


def test_nested_runs_log_flattened_params_and_their_process(tracking: MlflowClient) -> None:
    with mlflow.start_run() as parent, nested_run("variant-a", PretrainParams()):
        child = mlflow.active_run().info.run_id
    run = tracking.get_run(child)
    assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert run.data.params["model.d_model"] == str(PretrainParams().model.d_model)
    assert run.data.tags["nlv.pid"].isdigit() and run.info.status == "FINISHED"


def test_param_names_are_sanitized() -> None:
    assert flatten_params({"space": {"loss_weights{a}": 1}}) == {"space.loss_weights_a_": 1}


def test_a_setting_logged_twice_with_another_value_keeps_the_first(tracking: MlflowClient) -> None:
    """``params:ingest`` (validated) and ``params:ingest.extensions`` (raw YAML) may disagree in spelling."""
    from nlv_kedro.hooks import ProjectMlflowHook

    hook = ProjectMlflowHook()
    hook.long_params_strategy = "truncate"
    with mlflow.start_run() as run:
        hook._log_param("ingest.extensions", "['.mp4']")
        hook._log_param("ingest.extensions", "['mp4']")
    assert tracking.get_run(run.info.run_id).data.params["ingest.extensions"] == "['.mp4']"
