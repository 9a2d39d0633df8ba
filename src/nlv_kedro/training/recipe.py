"""A pretraining recipe: the `pretrain` parameters (conf/base/parameters_pretrain.yml), built directly from each
concept's own config class, and the run of one recipe on the encoded train/val videos."""

from __future__ import annotations

import logging
import time

import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.config import PretrainParams, check_override_keys  # noqa: F401 - re-exported: old home
from nlv_kedro.training.data import Sequences, load_sequences
from nlv_kedro.training.fit import fit_masked_pretraining

logger = logging.getLogger(__name__)

BEST_PARAMS_FILE = "data/06_models/best_params.yml"


def with_best_params(params: PretrainParams, best_params: dict | None) -> PretrainParams:
    """``params`` with the tune pipeline's `best_params` merged over them when ``use_best_params`` is on."""
    if not params.use_best_params:
        return params
    if not best_params:
        raise FileNotFoundError(f"pretrain.use_best_params is true but there are no best_params ({BEST_PARAMS_FILE})"
                                ": run `kedro run --pipelines=tune` first")
    logger.info("pretrain: using best_params from the tune pipeline: %s", best_params)
    try:
        return params.merged(best_params)
    except ValueError as exc:
        raise ValueError(f"best_params ({BEST_PARAMS_FILE}) do not fit the pretrain params: {exc}; "
                         "rerun `kedro run --pipelines=tune` or edit the file") from exc


def split_ids(video_index: pd.DataFrame, store: EmbeddingStore) -> dict[str, list[str]]:
    """Video ids per split, keeping only videos that have stored chunk embeddings."""
    stored = set(store.ids())
    if not stored:
        raise FileNotFoundError(f"no chunk embeddings in {store.root}: run `kedro run --pipelines=encode` first")
    splits = {name: [v for v in group["video_id"].astype(str) if v in stored]
              for name, group in video_index.groupby("split")}
    if not splits.get("train") or not splits.get("val"):
        raise ValueError("pretraining needs encoded videos in both the 'train' and 'val' splits of video_index; "
                         f"found {({k: len(v) for k, v in splits.items()})}")
    return splits


def pretraining_ids(video_index: pd.DataFrame, unlabeled_index: pd.DataFrame | None, store: EmbeddingStore,
                    params: PretrainParams) -> tuple[list[str], list[str], int]:
    """(train ids, val ids, how many of the train ids are unlabeled): the train split plus, with
    ``use_unlabeled``, every encoded video of `unlabeled_index`; val stays the labelled val split."""
    splits = split_ids(video_index, store)
    pool: list[str] = []
    if params.use_unlabeled and unlabeled_index is not None and len(unlabeled_index):
        labelled = set(splits["train"])
        pool = [v for v in unlabeled_index["video_id"].astype(str) if v in store and v not in labelled]
    return splits["train"] + pool, splits["val"], len(pool)


def fit_recipe(train: Sequences, val: Sequences, params: PretrainParams,
               callbacks: tuple = ()) -> tuple[TopModelArtifact, dict]:
    """:func:`fit_masked_pretraining` with every config taken from ``params``."""
    return fit_masked_pretraining(train, val, params.network_config(train.dim), params.objective, params.optim,
                                  params.trainer, callbacks=callbacks)


def pretrain_on_splits(video_index: pd.DataFrame, store: EmbeddingStore, params: PretrainParams,
                       unlabeled_index: pd.DataFrame | None = None) -> tuple[TopModelArtifact, dict]:
    """Train on the encoded train split (plus the unlabeled pool), validate on val; the history gains timing
    and video counts."""
    train_ids, val_ids, n_pool = pretraining_ids(video_index, unlabeled_index, store, params)
    train, val = load_sequences(store, train_ids), load_sequences(store, val_ids)
    logger.info("pretraining on %d videos (%d of them unlabeled), validating on %d", len(train), n_pool, len(val))
    start = time.perf_counter()
    artifact, history = fit_recipe(train, val, params)
    encoder_fps = {store.metadata(v).get("encoder_fingerprint", "") for v in train_ids[:50]}
    counts = {"train_videos": len(train), "unlabeled_videos": n_pool, "val_videos": len(val)}
    artifact.info.update({"encoder_fingerprints": sorted(encoder_fps), **counts})
    history.update({"seconds": round(time.perf_counter() - start, 2), **counts})
    return artifact, history
