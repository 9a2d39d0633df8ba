"""Log the top model to MLflow, register a new version, and move the `champion` alias only on improvement."""

from __future__ import annotations

import logging
import math
import os
import tempfile
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from nlv_kedro.serving import model_card
from nlv_kedro.serving.config import RegistryConfig
from nlv_kedro.serving.pyfunc import ARTIFACT_KEY
from nlv_kedro.training.artifact import TopModelArtifact

logger = logging.getLogger(__name__)

CHAMPION = "champion"
METRIC_TAG = "selection_metric"
MODEL_DESCRIPTION = ("Video representations of the nlv_kedro project: a small transformer over frozen-encoder chunk "
                     "vectors. The `champion` alias points at the version with the best selection metric; each "
                     "version's description says its input and output widths.")


def register_if_enabled(artifact: TopModelArtifact, final_metrics: dict[str, float], registry: RegistryConfig,
                        ) -> dict:
    """Register ``artifact`` under ``registry`` (once per multi-process run: rank 0 only), judged by the
    pretraining's final value of ``registry.metric``."""
    if not registry.enabled:
        return {"registered": False}
    rank = int(os.environ.get("RANK", "0"))  # torchrun / SLURM multi-process runs: one version, from rank 0
    if rank != 0:
        return {"registered": False, "reason": f"rank {rank}: only rank 0 registers"}
    value = final_metrics.get(registry.metric)
    if value is None or not math.isfinite(value):
        raise ValueError(f"pretrain.registry.metric={registry.metric!r} was not logged; "
                         f"available: {sorted(final_metrics)}")
    return {"registered": True, **log_and_register(artifact, registry.model_name, registry.metric, float(value),
                                                   registry.greater_is_better)}


def log_and_register(artifact: TopModelArtifact, model_name: str, metric_name: str, metric_value: float,
                     greater_is_better: bool = True) -> dict:
    """Log ``artifact`` as a pyfunc model in the active run (or a new one), register a version, and move
    the champion alias to it if its metric beats the current champion's (or there is none)."""
    entry = Path(__file__).with_name("pyfunc_entry.py")
    with tempfile.TemporaryDirectory() as tmp, _active_run():
        artifact.save(tmp)
        info = mlflow.pyfunc.log_model(
            name="nextlevel_top_model", python_model=str(entry), artifacts={ARTIFACT_KEY: tmp},
            registered_model_name=model_name, pip_requirements=[], signature=model_card.signature(artifact),
            input_example=model_card.input_example(artifact),
        )
    client = MlflowClient()
    version = str(info.registered_model_version)
    client.update_model_version(model_name, version,
                                description=model_card.description(artifact, metric_name, metric_value))
    if not client.get_registered_model(model_name).description:
        client.update_registered_model(model_name, description=MODEL_DESCRIPTION)
    client.set_model_version_tag(model_name, version, METRIC_TAG, f"{metric_name}={metric_value:.6f}")
    client.set_model_version_tag(model_name, version, "metric_value", f"{metric_value:.6f}")
    previous = _champion(client, model_name)
    better = previous is None or math.isnan(previous[1]) or (
        metric_value > previous[1] if greater_is_better else metric_value < previous[1])
    if better:
        client.set_registered_model_alias(model_name, CHAMPION, version)
    logger.info("Registered %s version %s (%s=%.4f); champion %s", model_name, version, metric_name, metric_value,
                f"moved to {version}" if better else f"stays at {previous[0]} ({previous[1]:.4f})")
    return {"model_name": model_name, "version": version, "metric": metric_name, "value": metric_value,
            "champion_version": version if better else previous[0], "champion_moved": better,
            "model_uri": f"models:/{model_name}/{version}"}


def _champion(client: MlflowClient, model_name: str) -> tuple[str, float] | None:
    try:
        current = client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException:
        return None
    return str(current.version), float(current.tags.get("metric_value", "nan"))


class _active_run:
    """Reuse the run kedro-mlflow opened for the pipeline; start one when called outside Kedro."""

    def __enter__(self) -> None:
        self._own = mlflow.active_run() is None
        if self._own:
            mlflow.start_run(run_name="nextlevel-pretrain")

    def __exit__(self, *exc: object) -> None:
        if self._own:
            mlflow.end_run()
