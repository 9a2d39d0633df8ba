"""Encode nodes: chunk embeddings of every planned video (written into the store, incremental) and text embeddings."""

from __future__ import annotations

import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders.config import EncodeConfig


def encode_chunks(video_index: pd.DataFrame, unlabeled_index: pd.DataFrame | None, chunk_plan: dict, root: str,
                  chunk_embeddings: EmbeddingStore, encode: EncodeConfig) -> dict:
    """Write missing or stale videos (labelled and unlabeled) into ``chunk_embeddings`` -> `encode_report`
    (later nodes wait on it)."""
    from nlv_kedro.encoders.index import encode_videos  # torch: imported when the node runs, not at registration
    from nlv_kedro.ingestion.steps import videos_to_encode

    return encode_videos(videos_to_encode(video_index, unlabeled_index), chunk_plan, root, chunk_embeddings, encode)


def embed_texts(video_index: pd.DataFrame, encode: EncodeConfig) -> dict:
    """Each video's caption -> `text_embeddings` (what retrieval ranks videos against)."""
    from nlv_kedro.encoders.index import encode_texts

    return encode_texts(video_index, encode)
