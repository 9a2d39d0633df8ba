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

logger = logging.getLogger(__name__)

_STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}


class TrialOutcome:
    """Filled in by the objective: the value of a completed trial."""

    def __init__(self) -> None:
        self.value: float | None = None


@contextmanager
def trial_run(study_name: str, number: int, params: Mapping[str, Any]) -> Iterator[TrialOutcome]:
    """A nested MLflow run around one trial: params, then ``value`` and the Optuna state as a tag
    (COMPLETE, PRUNED or FAIL with the error). Lightning's metrics of the trial land in this run too."""
    outcome = TrialOutcome()
    if mlflow.active_run() is None:
        yield outcome
        return
    mlflow.start_run(run_name=f"{study_name}-trial-{number}", nested=True,
                     tags={"optuna.study_name": study_name, "optuna.trial_number": str(number)})
    state = "FAIL"
    try:
        mlflow.log_params(dict(params))
        yield outcome
        state = "COMPLETE"
    except optuna.TrialPruned:
        state = "PRUNED"
        raise
    except BaseException as exc:
        mlflow.set_tag("optuna.error", f"{type(exc).__name__}: {exc}"[:5000])
        raise
    finally:
        mlflow.set_tag("optuna.state", state)
        if outcome.value is not None:
            mlflow.log_metric("value", outcome.value)
        mlflow.end_run(_STATUS[state])


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
