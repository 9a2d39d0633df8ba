"""MLflow for a study: one nested run per trial under the pipeline's run (which kedro-mlflow opens), and
the study's best value and params on that parent run. Without an active run (tests, tracking off)
nothing is logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import mlflow
import optuna

from nlv_kedro.studies.tracking import RunOutcome, nested_run

logger = logging.getLogger(__name__)

# MLflow run status -> Optuna trial state, as the `optuna.state` tag of each trial's run.
_STATE = {"FINISHED": "COMPLETE", "KILLED": "PRUNED", "FAILED": "FAIL"}


@contextmanager
def trial_run(study_name: str, number: int, params: Mapping[str, Any]) -> Iterator[RunOutcome]:
    """A nested MLflow run around one trial: params, then ``value`` and the Optuna state as a tag
    (COMPLETE, PRUNED or FAIL with the error). Lightning's metrics of the trial land in this run too."""
    tags = {"optuna.study_name": study_name, "optuna.trial_number": str(number)}
    with nested_run(f"{study_name}-trial-{number}", params, tags, killed_by=(optuna.TrialPruned,),
                    tag_prefix="optuna.", state_names=_STATE) as outcome:
        yield outcome


def log_study_result(summary: Mapping[str, Any]) -> None:
    """Best value, best params and trial counts of the study on the active (pipeline) run."""
    if mlflow.active_run() is None:
        return
    counts = ("n_trials", "n_complete", "n_pruned", "n_failed")
    mlflow.log_metrics({f"tune.study.{k}": float(summary[k]) for k in counts})
    if summary["best_value"] is not None:
        mlflow.log_metric("tune.best_value", float(summary["best_value"]))
        mlflow.log_params({f"tune.best.{key}": value for key, value in summary["best_params"].items()})
    mlflow.set_tag("tune.study_name", summary["study_name"])
