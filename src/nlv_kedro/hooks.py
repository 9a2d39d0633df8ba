"""Kedro hooks of the project."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from kedro_mlflow.framework.hooks import MlflowHook
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from nlv_kedro.offline import apply_offline_defaults
from nlv_kedro.serving.params import plain
from nlv_kedro.serving.portable import anchored_uri, rebase_artifact_root
from nlv_kedro.serving.run_artifacts import log_report, log_resolved_config
from nlv_kedro.serving.stale_runs import close_stale_runs, process_tags

logger = logging.getLogger(__name__)


class ProjectHooks:
    """Offline defaults for every context (`kedro run`, `kedro viz`, notebooks)."""

    @hook_impl
    def after_context_created(self, context) -> None:  # noqa: ANN001 - kedro passes its context
        apply_offline_defaults()


class ProjectMlflowHook(MlflowHook):
    """kedro-mlflow's hook (its plugin registration is disabled in settings.py) plus what this project needs:

    - typed ``params:`` inputs (pydantic models) logged flattened (``pretrain.model.d_model``), not as text;
    - the experiment's artifact location follows the project when it was copied or moved;
    - each run records its process, and RUNNING runs of dead processes are closed as FAILED;
    - the resolved parameters and, when the run built it, the report with its plots as artifacts.
    """

    @hook_impl
    def after_context_created(self, context) -> None:  # noqa: ANN001 - kedro passes its context
        with contextlib.chdir(context.project_path):  # relative paths in mlflow.yml mean the project's
            super().after_context_created(context)
        self._params: dict[str, Any] = dict(context.params)
        self._project_path = Path(context.project_path)
        if self._already_active_mlflow:
            return
        self._anchor_database(context.project_path)
        experiment = self.mlflow_config.tracking.experiment
        expected = experiment.create_experiment_kwargs.artifact_location
        if expected is not None and experiment._experiment is not None:
            uri = self.mlflow_config.server.mlflow_tracking_uri
            if rebase_artifact_root(uri, experiment._experiment.artifact_location, expected):
                experiment._experiment = self.mlflow_config.server._mlflow_client.get_experiment_by_name(
                    experiment.name)

    def _anchor_database(self, project_path: Path) -> None:
        server = self.mlflow_config.server
        tracking = anchored_uri(server.mlflow_tracking_uri, project_path)
        if tracking == server.mlflow_tracking_uri:
            return
        server.mlflow_tracking_uri = tracking
        server.mlflow_registry_uri = anchored_uri(server.mlflow_registry_uri, project_path)
        mlflow.set_tracking_uri(tracking)
        mlflow.set_registry_uri(server.mlflow_registry_uri)
        server._mlflow_client = MlflowClient(tracking_uri=tracking, registry_uri=server.mlflow_registry_uri)
        self.mlflow_config._set_experiment()

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:  # noqa: ANN001
        super().before_pipeline_run(run_params, pipeline, catalog)
        if not self._is_mlflow_enabled or mlflow.active_run() is None:
            return
        mlflow.set_tags(process_tags())
        close_stale_runs(self.mlflow_config.server._mlflow_client, mlflow.active_run().info.experiment_id)
        log_resolved_config(self._params, {"runtime_params": run_params.get("runtime_params") or {}})

    @hook_impl
    def before_node_run(self, node, catalog, inputs: dict[str, Any], is_async: bool) -> None:  # noqa: ANN001
        typed = {key: plain(value) if key.startswith("params:") or key == "parameters" else value
                 for key, value in inputs.items()}
        super().before_node_run(node, catalog, typed, is_async)

    def _log_param(self, name: str, value: Any) -> None:
        """Two nodes may log one setting under one name with different values: a node reading a typed section
        gets it normalised by its validators, one reading ``params:<section>.<key>`` gets the raw YAML value.
        MLflow refuses to change a param; the first value stays and the run goes on."""
        try:
            super()._log_param(name, value)
        except MlflowException as exc:
            if "Changing param values is not allowed" not in str(exc):
                raise
            logger.warning("MLflow param %s already logged with another value; keeping the first", name)

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:  # noqa: ANN001
        if self._is_mlflow_enabled and mlflow.active_run() is not None:
            try:
                log_report(pipeline.all_outputs(), catalog, self._project_path)
            except Exception:  # a finished pipeline must not fail on an artifact upload
                logger.exception("Could not log the report artifacts to MLflow")
        super().after_pipeline_run(run_params, pipeline, catalog)
