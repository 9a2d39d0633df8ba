"""Downstream nodes: the library's vector building and evaluation, typed with `params:downstream`.

`downstream_metrics` schema: see :mod:`nlv_kedro.evaluation.downstream`. The library (torch, scikit-learn) is
imported inside each node, so that registering the pipeline stays fast.
"""

from __future__ import annotations

import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.evaluation.config import DownstreamConfig
from nlv_kedro.training.artifact import TopModelArtifact


def build_video_vectors(video_index: pd.DataFrame, chunk_embeddings: EmbeddingStore,
                        contextual_embeddings: EmbeddingStore, top_model: TopModelArtifact,
                        config: DownstreamConfig) -> tuple[dict, dict]:
    """Per-method video vectors of every video, and the supervised (fine-tuned) methods' metrics."""
    from nlv_kedro.training.downstream import build_video_vectors as build

    return build(video_index, chunk_embeddings, contextual_embeddings, top_model, config)


def evaluate_action_recognition(vectors: dict, params: DownstreamConfig) -> dict:
    """Few-shot linear-probe curves of every method."""
    from nlv_kedro.evaluation.downstream import evaluate_action_recognition as evaluate

    return evaluate(vectors, params)


def evaluate_clustering(vectors: dict, params: DownstreamConfig) -> dict:
    """k-means clustering scores of every method."""
    from nlv_kedro.evaluation.downstream import evaluate_clustering as evaluate

    return evaluate(vectors, params)


def evaluate_retrieval(vectors: dict, text_embeddings: dict, params: DownstreamConfig) -> dict:
    """Text-to-video retrieval through a learned projection, per method."""
    from nlv_kedro.evaluation.downstream import evaluate_retrieval as evaluate

    return evaluate(vectors, text_embeddings, params)


def summarize_downstream(probe: dict, finetune: dict, clustering: dict, retrieval: dict,
                         params: DownstreamConfig) -> tuple[dict, dict]:
    """`downstream_metrics` (with the paired bootstrap comparisons) and its flat MLflow metrics."""
    from nlv_kedro.evaluation.downstream import summarize_downstream as summarize

    return summarize(probe, finetune, clustering, retrieval, params)
