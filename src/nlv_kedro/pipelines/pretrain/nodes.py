"""Pretrain nodes: masked-embedding pretraining of the top model, contextual vectors, MLflow registry."""

from __future__ import annotations

import logging
import os
import time

import numpy as np
import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.pipelines.pretrain.params import PretrainParams
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.serving.registry import log_and_register
from nlv_kedro.training.data import load_sequences
from nlv_kedro.training.fit import fit_masked_pretraining

logger = logging.getLogger(__name__)


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


def apply_best_params(params: PretrainParams, best_params: dict | None) -> PretrainParams:
    """``params`` with the tune pipeline's `best_params` merged over them when ``use_best_params`` is on."""
    if not params.use_best_params:
        return params
    if not best_params:
        raise FileNotFoundError("pretrain.use_best_params is true but there are no best_params "
                                "(data/06_models/best_params.yml): run `kedro run --pipelines=tune` first")
    logger.info("pretrain: using best_params from the tune pipeline: %s", best_params)
    try:
        return params.merged(best_params)
    except ValueError as exc:
        raise ValueError(f"best_params (data/06_models/best_params.yml) do not fit the pretrain params: {exc}; "
                         "rerun `kedro run --pipelines=tune` or edit the file") from exc


def pretrain_top_model(video_index: pd.DataFrame, chunk_embeddings: EmbeddingStore,
                       params: PretrainParams, best_params: dict | None = None) -> tuple[TopModelArtifact, dict]:
    """Train the NextLevel top model on the train split, validate on val; return weights and history."""
    params = apply_best_params(params, best_params)
    splits = split_ids(video_index, chunk_embeddings)
    train, val = load_sequences(chunk_embeddings, splits["train"]), load_sequences(chunk_embeddings, splits["val"])
    start = time.perf_counter()
    artifact, history = fit_masked_pretraining(train, val, params.network_config(train.dim),
                                               params.objective_config(), params.optim_config(),
                                               params.trainer_config())
    encoder_fps = {chunk_embeddings.metadata(v).get("encoder_fingerprint", "") for v in splits["train"][:50]}
    artifact.info.update({"encoder_fingerprints": sorted(encoder_fps), "train_videos": len(train),
                          "val_videos": len(val)})
    history.update({"seconds": round(time.perf_counter() - start, 2), "train_videos": len(train),
                    "val_videos": len(val), "best_params": best_params if params.use_best_params else None})
    return artifact, history


def export_contextual_embeddings(top_model: TopModelArtifact, video_index: pd.DataFrame,
                                 chunk_embeddings: EmbeddingStore) -> dict:
    """Contextual vectors c_i and the pooled video vector of every encoded video (all splits)."""
    ids = [v for v in video_index["video_id"].astype(str) if v in chunk_embeddings]
    sequences = load_sequences(chunk_embeddings, ids)
    times = sequences.times if top_model.config.use_time else None
    contextual, pooled = top_model.embed(sequences.vectors, times)
    return {vid: ({"contextual": c, "pooled": p}, {"video_id": vid, "fingerprint": "", "model": "nextlevel"})
            for vid, c, p in zip(ids, contextual, pooled)}


def register_top_model(top_model: TopModelArtifact, history: dict, params: PretrainParams) -> dict:
    """Register a new `nextlevel-video` version; `champion` moves only when the metric improves."""
    if not params.registry.enabled:
        return {"registered": False}
    rank = int(os.environ.get("RANK", "0"))  # torchrun / SLURM multi-process runs: one version, from rank 0
    if rank != 0:
        return {"registered": False, "reason": f"rank {rank}: only rank 0 registers"}
    value = history["final"].get(params.registry.metric)
    if value is None or not np.isfinite(value):
        raise ValueError(f"pretrain.registry.metric={params.registry.metric!r} was not logged; "
                         f"available: {sorted(history['final'])}")
    return {"registered": True, **log_and_register(top_model, params.registry.model_name, params.registry.metric,
                                                   float(value), params.registry.greater_is_better)}
