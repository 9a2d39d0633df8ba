"""Optuna study helpers: persistent storage, seeded sampler, pruner, the trial loop and its summary.

The study lives in an RDB storage (a sqlite file by default) and is opened with ``load_if_exists``:
every finished trial is committed as it ends, so rerunning continues the study and a killed run loses
at most the trial in flight. Heartbeats mark such an orphaned trial FAIL when the study is next opened.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import optuna
from lightning.pytorch.callbacks import Callback
from optuna.trial import TrialState
from optuna_integration import PyTorchLightningPruningCallback
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from nlv_kedro.tuning.objective import PROBE_METRIC, ProbeAccuracyCallback, TrialData, trial_score
from nlv_kedro.tuning.params import TuneParams
from nlv_kedro.tuning.space import nest, suggest
from nlv_kedro.tuning.tracking import trial_run

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 60  # a running trial writes a heartbeat this often ...
GRACE_PERIOD_S = 180  # ... and counts as orphaned (FAIL) once it missed them for this long

# A trial's score: (params, data, extra Lightning callbacks) -> (value, history). Swappable in tests.
ScoreFn = Callable[[Any, TrialData, Sequence[Callback]], tuple[float, dict]]


def redact(url: str) -> str:
    """The storage URL with any password replaced by ***, safe for logs and summaries."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_storage(url: str) -> optuna.storages.RDBStorage:
    """An RDB storage with heartbeats; for a sqlite file, its folder is created first."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"tune.storage={redact(url)!r} is not a database URL "
                         "(e.g. sqlite:///data/optuna/tune.db, postgresql://user@host/db)") from exc
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats: stable since 2.x
        return optuna.storages.RDBStorage(url, heartbeat_interval=HEARTBEAT_INTERVAL_S, grace_period=GRACE_PERIOD_S)


def make_sampler(kind: Literal["tpe", "random"], seed: int, n_startup_trials: int) -> optuna.samplers.BaseSampler:
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=n_startup_trials)


def make_pruner(kind: Literal["median", "none"], n_startup_trials: int,
                n_warmup_steps: int) -> optuna.pruners.BasePruner:
    if kind == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps)


def open_study(study_name: str, storage: str, sampler_kind: Literal["tpe", "random"] = "tpe", seed: int = 0,
               n_startup_trials: int = 4, pruner: optuna.pruners.BasePruner | None = None) -> optuna.Study:
    """Create or continue ``study_name`` (direction maximize). The sampler's seed is offset by the
    trials already in the study, so a resumed run is reproducible without replaying earlier draws."""
    study = optuna.create_study(study_name=study_name, storage=open_storage(storage), direction="maximize",
                                load_if_exists=True, pruner=pruner or optuna.pruners.NopPruner())
    done = len(study.get_trials(deepcopy=False))
    study.sampler = make_sampler(sampler_kind, seed + done, n_startup_trials)
    logger.info("tune: study %r in %s has %d trials", study_name, redact(storage), done)
    return study


def make_objective(space: Mapping[str, Any], base: Any, data: TrialData, monitor: str | None,
                   c_grid: Sequence[float], score: ScoreFn | None = None) -> Callable[[optuna.Trial], float]:
    """Objective for ``study.optimize``: sample, merge over ``base`` (PretrainParams), pretrain, probe.
    ``monitor`` (None = no pruning) is the metric PyTorchLightningPruningCallback reports each epoch."""
    def default_score(params: Any, trial_data: TrialData, callbacks: Sequence[Callback]) -> tuple[float, dict]:
        return trial_score(params, trial_data, callbacks, c_grid)

    run_score = score or default_score

    def objective(trial: optuna.Trial) -> float:
        values = suggest(trial, space)
        with trial_run(trial.study.study_name, trial.number, values) as outcome:
            try:
                params = base.merged(nest(values))
                callbacks: list[Callback] = []
                if monitor == PROBE_METRIC:
                    callbacks.append(ProbeAccuracyCallback(data, c_grid))
                if monitor is not None:
                    callbacks.append(PyTorchLightningPruningCallback(trial, monitor=monitor))
                value, _ = run_score(params, data, callbacks)
            except optuna.TrialPruned:
                logger.info("tune: trial %d pruned", trial.number)
                raise
            except Exception as exc:
                logger.error("tune: trial %d failed (%s: %s); the study goes on", trial.number,
                             type(exc).__name__, exc)
                raise
            outcome.value = value
        return value

    return objective


def run_trials(study: optuna.Study, objective: Callable[[optuna.Trial], float], n_trials: int | None,
               timeout: float | None, show_progress_bar: bool = False) -> None:
    """Add up to ``n_trials`` trials (or until ``timeout`` seconds); a raising trial is recorded FAIL."""
    study.optimize(objective, n_trials=n_trials, timeout=timeout, catch=(Exception,), gc_after_trial=True,
                   show_progress_bar=show_progress_bar)


def summarize(study: optuna.Study, storage: str) -> dict[str, Any]:
    """The `tune_summary` document: counts, best value and params, and every trial (JSON-ready).
    A pruned trial's ``value`` is its last intermediate value, as Optuna records it."""
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    best = max(complete, key=lambda t: t.value) if complete else None
    return {
        "study_name": study.study_name,
        "storage": redact(storage),
        "direction": study.direction.name.lower(),
        "n_trials": len(trials),
        "n_complete": len(complete),
        "n_pruned": sum(t.state == TrialState.PRUNED for t in trials),
        "n_failed": sum(t.state == TrialState.FAIL for t in trials),
        "best_value": float(best.value) if best else None,
        "best_params": dict(best.params) if best else {},
        "trials": [{"number": t.number, "state": t.state.name, "value": t.value, "params": dict(t.params)}
                   for t in trials],
    }


def optimize(base: Any, data: TrialData, tune: TuneParams) -> dict[str, Any]:
    """Create or continue ``tune.study_name``, add ``tune.n_trials`` trials that start from ``base``
    (PretrainParams), and return the `tune_summary` document."""
    p = tune.pruner
    pruner = make_pruner(p.type, p.n_startup_trials, p.n_warmup_steps)
    study = open_study(tune.study_name, tune.storage, tune.sampler.type, tune.seed, tune.sampler.n_startup_trials,
                       pruner)
    objective = make_objective(tune.search_space, base, data, None if p.type == "none" else p.monitor,
                               tune.probe_c_grid)
    run_trials(study, objective, tune.n_trials, tune.timeout, tune.show_progress_bar)
    summary = summarize(study, tune.storage)
    logger.info("tune: study %r: %d trials (%d complete, %d pruned, %d failed), best val probe top-1 %s",
                summary["study_name"], summary["n_trials"], summary["n_complete"], summary["n_pruned"],
                summary["n_failed"], summary["best_value"])
    return summary
