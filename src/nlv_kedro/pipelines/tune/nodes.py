"""Tune nodes: an Optuna study over pretraining recipes, its best params for `pretrain`, report plots.

The study itself is the one side effect: trials go to the persistent storage named in the params (so
a rerun continues it) and to nested MLflow runs. Everything the rest of the project reads is returned.
"""

from __future__ import annotations

import logging

import pandas as pd
from matplotlib.figure import Figure

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.training.config import PretrainParams
from nlv_kedro.tuning.params import TuneParams
from nlv_kedro.tuning.space import nest

# Optuna, torch, Lightning and MLflow are imported inside the nodes: registering the pipeline must stay fast.

logger = logging.getLogger(__name__)


def run_study(video_index: pd.DataFrame, chunk_embeddings: EmbeddingStore, encode_report: dict,
              pretrain: PretrainParams, tune: TuneParams) -> dict:
    """Create or continue the study, add ``tune.n_trials`` trials, return the `tune_summary` document.

    ``encode_report`` is read only to order this step after `encode`, which fills ``chunk_embeddings`` in place.
    """
    from nlv_kedro.tuning.objective import load_trial_data
    from nlv_kedro.tuning.study import optimize
    from nlv_kedro.tuning.tracking import log_study_result

    base = tune.checked_trial_base(pretrain)
    summary = optimize(base, load_trial_data(video_index, chunk_embeddings), tune)
    log_study_result(summary)
    return summary


def export_best_params(tune_summary: dict) -> dict:
    """`best_params`: the best trial's values as nested pretrain overrides (``{optim: {lr: ...}}``)."""
    if not tune_summary["best_params"]:
        logger.warning("tune: no trial of study %r completed; best_params is empty", tune_summary["study_name"])
    return nest(tune_summary["best_params"])


def plot_study(tune_summary: dict, tune: TuneParams) -> dict[str, Figure]:
    """History, intermediate values, parallel coordinates and (>= 2 complete trials) importances."""
    import optuna

    from nlv_kedro.tuning.plots import study_figures

    study = optuna.load_study(study_name=tune_summary["study_name"], storage=tune.storage)
    return study_figures(study)
