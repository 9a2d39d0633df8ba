"""Tune nodes: an Optuna study over pretraining recipes, its best params for `pretrain`, report plots.

The study itself is the one side effect: trials go to the persistent storage named in the params (so
a rerun continues it) and to nested MLflow runs. Everything the rest of the project reads is returned.
"""

from __future__ import annotations

import logging

import numpy as np
import optuna
import pandas as pd
from matplotlib.figure import Figure

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.pipelines.tune.params import TuneParams
from nlv_kedro.training.data import load_sequences
from nlv_kedro.training.recipe import PretrainParams, split_ids
from nlv_kedro.tuning.objective import TrialData
from nlv_kedro.tuning.plots import study_figures
from nlv_kedro.tuning.space import check_against, nest
from nlv_kedro.tuning.study import make_objective, make_pruner, open_study, run_trials, summarize
from nlv_kedro.tuning.tracking import log_study_result

logger = logging.getLogger(__name__)


def load_trial_data(video_index: pd.DataFrame, chunk_embeddings: EmbeddingStore) -> TrialData:
    """Train and val sequences with labels; the test split is left out on purpose."""
    if "label" not in video_index:
        raise ValueError("video_index has no 'label' column: the tune objective is a linear probe on labels")
    splits = split_ids(video_index, chunk_embeddings)
    label_of = dict(zip(video_index["video_id"].astype(str), video_index["label"].astype(str), strict=False))
    return TrialData(load_sequences(chunk_embeddings, splits["train"]), load_sequences(chunk_embeddings, splits["val"]),
                     np.array([label_of[v] for v in splits["train"]]), np.array([label_of[v] for v in splits["val"]]))


def run_study(video_index: pd.DataFrame, chunk_embeddings: EmbeddingStore, pretrain: PretrainParams,
              tune: TuneParams) -> dict:
    """Create or continue the study, add ``tune.n_trials`` trials, return the `tune_summary` document."""
    base = tune.trial_base(pretrain)
    check_against(tune.search_space, base)
    check_against(tune.search_space, pretrain)  # best_params must also fit plain `pretrain` later
    data = load_trial_data(video_index, chunk_embeddings)
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
    log_study_result(summary)
    return summary


def export_best_params(tune_summary: dict) -> dict:
    """`best_params`: the best trial's values as nested pretrain overrides (``{optim: {lr: ...}}``)."""
    if not tune_summary["best_params"]:
        logger.warning("tune: no trial of study %r completed; best_params is empty", tune_summary["study_name"])
    return nest(tune_summary["best_params"])


def plot_study(tune_summary: dict, tune: TuneParams) -> dict[str, Figure]:
    """History, intermediate values, parallel coordinates and (>= 2 complete trials) importances."""
    study = optuna.load_study(study_name=tune_summary["study_name"], storage=tune.storage)
    return study_figures(study)
