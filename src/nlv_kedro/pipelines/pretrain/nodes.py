"""Pretrain nodes: masked-embedding pretraining of the top model, contextual vectors, MLflow registry."""

from __future__ import annotations

import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.config import PretrainParams

# Torch, Lightning and MLflow are imported inside the nodes: registering the pipeline must stay fast.


def pretrain_top_model(video_index: pd.DataFrame, unlabeled_index: pd.DataFrame | None,
                       chunk_embeddings: EmbeddingStore, encode_report: dict, params: PretrainParams,
                       best_params: dict | None = None) -> tuple[TopModelArtifact, dict]:
    """Train the NextLevel top model on the train split and the unlabeled pool, validate on val; return weights
    and history.

    ``encode_report`` is read only to order this step after `encode`, which fills ``chunk_embeddings`` in place.
    """
    from nlv_kedro.training.recipe import pretrain_on_splits, with_best_params

    recipe = with_best_params(params, best_params)
    artifact, history = pretrain_on_splits(video_index, chunk_embeddings, recipe, unlabeled_index)
    history["best_params"] = best_params if params.use_best_params else None
    return artifact, history


def export_contextual_embeddings(top_model: TopModelArtifact, video_index: pd.DataFrame,
                                 chunk_embeddings: EmbeddingStore) -> dict:
    """Contextual vectors c_i and the pooled video vector of every encoded video (all splits)."""
    from nlv_kedro.training.data import load_sequences

    ids = [v for v in video_index["video_id"].astype(str) if v in chunk_embeddings]
    contextual, pooled = top_model.embed_sequences(load_sequences(chunk_embeddings, ids))
    return {vid: ({"contextual": c, "pooled": p}, {"video_id": vid, "fingerprint": "", "model": "nextlevel"})
            for vid, c, p in zip(ids, contextual, pooled)}


def register_top_model(top_model: TopModelArtifact, history: dict, params: PretrainParams) -> dict:
    """Register a new `nextlevel-video` version; `champion` moves only when the metric improves."""
    from nlv_kedro.serving.registry import register_if_enabled

    return register_if_enabled(top_model, history["final"], params.registry)

