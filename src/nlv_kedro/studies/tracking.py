"""Nested MLflow runs for the variants of a study (sweep variants, Optuna trials), so they do not share metric
names. Without an active (pipeline) run, e.g. in tests or with tracking off, nothing is logged."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import mlflow

from nlv_kedro.serving.params import flatten_params
from nlv_kedro.serving.stale_runs import process_tags


class RunOutcome:
    """Filled in inside the run: a ``value`` to log as the run's ``value`` metric when it ends."""

    def __init__(self) -> None:
        self.value: float | None = None


@contextmanager
def nested_run(name: str, params: Mapping[str, Any] | None = None, tags: Mapping[str, str] | None = None,
               killed_by: tuple[type[BaseException], ...] = (), tag_prefix: str = "",
               state_names: Mapping[str, str] | None = None) -> Iterator[RunOutcome]:
    """A child run of the active run, named ``name``, ending FINISHED, KILLED (an exception in ``killed_by``)
    or FAILED (any other exception, recorded in the ``<tag_prefix>error`` tag). ``state_names`` maps those
    statuses to a ``<tag_prefix>state`` tag (e.g. Optuna's COMPLETE / PRUNED / FAIL). ``params`` (dicts or
    pydantic models) are logged flattened: ``model.d_model``."""
    outcome = RunOutcome()
    if mlflow.active_run() is None:
        yield outcome
        return
    mlflow.start_run(run_name=name, nested=True, tags={**process_tags(), **(tags or {})})
    status = "FAILED"
    try:
        if params is not None:
            mlflow.log_params(flatten_params(params))
        yield outcome
        status = "FINISHED"
    except killed_by:
        status = "KILLED"
        raise
    except BaseException as exc:
        mlflow.set_tag(f"{tag_prefix}error", f"{type(exc).__name__}: {exc}"[:5000])
        raise
    finally:
        if state_names is not None:
            mlflow.set_tag(f"{tag_prefix}state", state_names[status])
        if outcome.value is not None:
            mlflow.log_metric("value", outcome.value)
        mlflow.end_run(status)
