"""Short pretrainings for studies (tuning trials, ablation variants): the pretrain pipeline's own fit, with
checkpoints in a throwaway folder (never `pretrain.trainer.checkpoint_dir`), and what to read off them."""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Sequence

import torch
from lightning.pytorch.callbacks import Callback

from nlv_kedro.models.nextlevel import NextLevelModel
from nlv_kedro.studies.tracking import nested_run
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.data import Sequences, Standardizer
from nlv_kedro.training.recipe import PretrainParams, fit_recipe

logger = logging.getLogger(__name__)

# The collapse/shortcut diagnostics of a pretraining's last validation: short name -> logged metric.
DIAGNOSTICS = {
    "cos_pred": "val/cos_pred", "cos_mean_baseline": "val/cos_mean_baseline",
    "cos_copy_neighbour": "val/cos_copy_neighbour", "cos_interpolate_neighbours": "val/cos_interpolate_neighbours",
    "cos_pred_standardized": "val/cos_pred_standardized",
    "cos_copy_neighbour_standardized": "val/cos_copy_neighbour_standardized",
    "cos_gain_over_best_baseline": "val/cos_gain_over_best_baseline", "pred_std": "val/pred_std",
    "effective_rank": "val/effective_rank",
}


def short_pretraining(train: Sequences, val: Sequences, params: PretrainParams, run_name: str | None = None,
                      callbacks: Sequence[Callback] = ()) -> tuple[TopModelArtifact, dict, float]:
    """Masked-embedding pretraining with ``params`` (in a nested MLflow run named ``run_name``, if given).

    Returns the model, the fit's history (``history["final"]`` = last validation) and the wall time in seconds."""
    start = time.perf_counter()
    run = nested_run(run_name, params) if run_name else contextlib.nullcontext()
    with tempfile.TemporaryDirectory(prefix="nlv_short_pretrain_") as tmp, run:
        artifact, history = fit_recipe(train, val, params.scratch(tmp), callbacks=tuple(callbacks))
    seconds = time.perf_counter() - start
    logger.info("pretrained %s in %.1f s, val cos %.3f", run_name or "a short recipe", seconds,
                history["final"].get("val/cos_pred", float("nan")))
    return artifact, history, seconds


def untrained_model(params: PretrainParams, train: Sequences) -> TopModelArtifact:
    """The pretraining's starting point (same seed, same config, train standardizer): the reference that shows
    what pretraining adds beyond the architecture (e.g. temporal pooling alone already sees order)."""
    torch.manual_seed(params.trainer.seed)
    config = params.network_config(train.dim)
    standardizer = Standardizer.fit(train) if params.objective.target_norm == "standardize" else \
        Standardizer.identity(train.dim)
    return TopModelArtifact(config, NextLevelModel(config).state_dict(), standardizer.mean, standardizer.std)


def diagnostics(final: dict[str, float]) -> dict[str, float | None]:
    """The :data:`DIAGNOSTICS` of a pretraining's last validation, under their short names."""
    return {short: (float(final[key]) if key in final else None) for short, key in DIAGNOSTICS.items()}
