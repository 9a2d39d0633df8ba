"""The project's MLflow hook, driven through its Kedro lifecycle on a tiny project folder in tmp: flattened
typed params, report and config artifacts, stale RUNNING runs closed, artifacts following a copied project."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import mlflow
import pytest
import yaml
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline, node
from kedro_datasets.text import TextDataset
from mlflow import MlflowClient

from nlv_kedro.hooks import ProjectMlflowHook
from nlv_kedro.serving.stale_runs import process_tags
from nlv_kedro.settings import CONFIG_LOADER_ARGS
from nlv_kedro.training.recipe import PretrainParams

REPO = Path(__file__).resolve().parents[2]
RUN_PARAMS = {"pipeline_name": "report", "tags": None, "node_names": None, "from_nodes": None, "to_nodes": None,
              "from_inputs": None, "load_versions": None, "runtime_params": {"seed": 3}}


@pytest.fixture(autouse=True)
def _fresh_mlflow() -> Iterator[None]:
    """The hook sets MLflow's process-wide tracking URI and experiment; give them back after each test."""
    yield
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)
    mlflow.tracking.fluent._active_experiment_id = None


def make_project(root: Path) -> Path:
    (root / "conf" / "local").mkdir(parents=True)
    (root / "conf" / "base").mkdir()
    (root / "data").mkdir()
    shutil.copy(REPO / "conf" / "base" / "mlflow.yml", root / "conf" / "base" / "mlflow.yml")
    return root


def _write_report(pretrain: PretrainParams) -> tuple[str, str]:
    return f"<html>{pretrain.model.d_model}</html>", "png bytes"


def tracked_run(root: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """One pipeline run through the hook in project ``root``: a node reading ``params:pretrain`` writes the
    report. Returns the run id."""
    monkeypatch.chdir(root)
    loader = OmegaConfigLoader(str(root / "conf"), **CONFIG_LOADER_ARGS)
    context = SimpleNamespace(config_loader=loader, project_path=root, _package_name="nlv_kedro",
                              params={"pretrain": {"seed": 0}}, _get_config_credentials=lambda: {})
    hook = ProjectMlflowHook()
    hook.after_context_created(context)
    step = node(_write_report, "params:pretrain", ["report_html", "overview_plot"], name="report_node")
    catalog = DataCatalog({"report_html": TextDataset(filepath=str(root / "data" / "report.html")),
                           "overview_plot": TextDataset(filepath="data/plots/overview.png")})  # relative: project
    hook.before_pipeline_run(RUN_PARAMS, Pipeline([step]), catalog)
    run_id = mlflow.active_run().info.run_id
    inputs = {"params:pretrain": PretrainParams()}
    hook.before_node_run(step, catalog, inputs, False)
    html, png = _write_report(inputs["params:pretrain"])
    catalog.save("report_html", html)
    catalog.save("overview_plot", png)
    hook.after_pipeline_run(RUN_PARAMS, Pipeline([step]), catalog)
    while mlflow.active_run():  # kedro-mlflow re-enters its run per node; the process would end here
        mlflow.end_run()
    return run_id


def test_typed_params_are_logged_flat_with_config_and_report_artifacts(tmp_path, monkeypatch) -> None:
    run_id = tracked_run(make_project(tmp_path / "p"), monkeypatch)
    run = MlflowClient().get_run(run_id)
    defaults = PretrainParams()
    assert run.data.params["pretrain.model.d_model"] == str(defaults.model.d_model)
    assert run.data.params["pretrain.registry.model_name"] == defaults.registry.model_name
    assert "pretrain" not in run.data.params and "pretrain.model" not in run.data.params
    artifacts = {a.path for a in MlflowClient().list_artifacts(run_id, "report")}
    assert artifacts == {"report/report.html", "report/plots"}
    assert [a.path for a in MlflowClient().list_artifacts(run_id, "report/plots")] == ["report/plots/overview.png"]
    def config(name: str) -> dict:
        return yaml.safe_load(mlflow.artifacts.load_text(f"{run.info.artifact_uri}/config/{name}.yml"))

    assert config("parameters") == {"pretrain": {"seed": 0}} and config("runtime_params") == {"seed": 3}
    assert run.info.status == "FINISHED"


def test_running_run_of_a_killed_process_is_closed_as_failed(tmp_path, monkeypatch) -> None:
    root = make_project(tmp_path / "p")
    first = tracked_run(root, monkeypatch)  # creates the experiment and the database
    experiment_id = MlflowClient().get_run(first).info.experiment_id
    script = (
        "import os, signal, mlflow; from nlv_kedro.serving.stale_runs import process_tags; "
        f"mlflow.set_tracking_uri('sqlite:///{root / 'data' / 'mlflow.db'}'); "
        f"run = mlflow.start_run(experiment_id='{experiment_id}', tags=process_tags()); "
        "print(run.info.run_id, flush=True); os.kill(os.getpid(), signal.SIGKILL)"
    )
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert killed.returncode == -9, script + killed.stderr[-2000:]
    orphan = killed.stdout.split()[-1]
    alive = MlflowClient().create_run(experiment_id, tags=process_tags()).info.run_id  # this process: kept
    assert MlflowClient().get_run(orphan).info.status == "RUNNING"
    tracked_run(root, monkeypatch)
    assert MlflowClient().get_run(orphan).info.status == "FAILED"
    assert MlflowClient().get_run(alive).info.status == "RUNNING"


def test_a_copied_project_logs_its_artifacts_inside_the_copy(tmp_path, monkeypatch) -> None:
    original = make_project(tmp_path / "original")
    old_run = tracked_run(original, monkeypatch)
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    shutil.rmtree(original)  # the old clone is gone: nothing may be written there
    new_run = tracked_run(copy, monkeypatch)
    client = MlflowClient()
    experiment = client.get_experiment(client.get_run(new_run).info.experiment_id)
    assert experiment.artifact_location == (copy / "data" / "mlartifacts").as_uri()
    for run_id in (old_run, new_run):  # old runs are readable from the copy too
        uri = client.get_run(run_id).info.artifact_uri
        assert uri.startswith((copy / "data" / "mlartifacts").as_uri()), uri
        assert "report/report.html" in {a.path for a in client.list_artifacts(run_id, "report")}
    assert not original.exists()


def test_settings_replace_kedro_mlflows_own_hook() -> None:
    """Two MLflow hooks would start two runs and log every param twice (once as text)."""
    from kedro.framework.hooks.manager import _create_hook_manager, _register_hooks_entry_points
    from kedro_mlflow.framework.hooks import MlflowHook

    from nlv_kedro import settings

    manager = _create_hook_manager()
    for hook in settings.HOOKS:
        manager.register(hook)
    _register_hooks_entry_points(manager, settings.DISABLE_HOOKS_FOR_PLUGINS)
    mlflow_hooks = [p for p in manager.get_plugins() if isinstance(p, MlflowHook)]
    assert [type(h) for h in mlflow_hooks] == [ProjectMlflowHook]
