"""Video QA nodes: the library's QA comparison (:mod:`nlv_kedro.qa.compare`), typed with `params:video_qa`.

`qa_metrics` schema: see :mod:`nlv_kedro.qa.compare`. The library (torch, transformers, Lightning) is imported
inside each node, so that registering the pipeline stays fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.qa.config import VideoQAConfig

Vectors = dict[str, dict[str, np.ndarray]]  # {method: {video_id: (T, d) vectors}}


def prepare_qa_pairs(qa_pairs: pd.DataFrame, video_index: pd.DataFrame, params: VideoQAConfig) -> pd.DataFrame:
    """QA rows with their video's split; rows whose video is not indexed are dropped (and counted in the log)."""
    from nlv_kedro.qa.compare import prepare_qa_pairs as prepare

    return prepare(qa_pairs, video_index, params)


def collect_video_vectors(qa_table: pd.DataFrame, chunk_embeddings: EmbeddingStore,
                          contextual_embeddings: EmbeddingStore, params: VideoQAConfig) -> Vectors:
    """The vectors of every video-based method for every video a question asks about."""
    from nlv_kedro.qa.compare import collect_video_vectors as collect

    return collect(qa_table, chunk_embeddings, contextual_embeddings, params)


def train_qa_projectors(qa_table: pd.DataFrame, video_vectors: Vectors, params: VideoQAConfig) -> dict[str, list[dict]]:
    """{method: [{"seed", "artifact", "history"}, one per seed]} for each method with video tokens."""
    from nlv_kedro.qa.compare import train_qa_projectors as train

    return train(qa_table, video_vectors, params)


def evaluate_video_qa(qa_table: pd.DataFrame, video_vectors: Vectors, qa_projectors: dict[str, list[dict]],
                      params: VideoQAConfig) -> tuple[dict, dict]:
    """Accuracy of every method (mean ± std over seeds), NextLevel's paired CIs and the goals -> (`qa_metrics`, flat MLflow metrics)."""
    from nlv_kedro.qa.compare import evaluate_video_qa as evaluate

    return evaluate(qa_table, video_vectors, qa_projectors, params)


def export_qa_projector(qa_projectors: dict[str, list[dict]]) -> tuple[dict, dict]:
    """The NextLevel projector (else the first trained one) -> (safetensors dict, JSON config) for the CLI."""
    from nlv_kedro.qa.compare import export_qa_projector as export

    return export(qa_projectors)
