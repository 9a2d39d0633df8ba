"""Frame vectors for the sweeps: encoded on demand with the project's batched engine, or read from the frame
cache the encode pipeline keeps next to each video's chunk vectors."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders.base import FrameEncoder
from nlv_kedro.encoders.engine import EncodeJob, encode_jobs

logger = logging.getLogger(__name__)


def encode_frames(videos: pd.DataFrame, frames: dict[str, np.ndarray], root: str, encoder: FrameEncoder,
                  batch_size: int, num_workers: int) -> tuple[dict[str, dict[int, np.ndarray]], float, int]:
    """Encode ``frames[video_id]`` (frame indices) of each video with the project's batched engine.

    Returns ({video_id: {frame index: vector}}, seconds, frames encoded). Videos that fail to decode are
    logged and left out; the vectors pass through a temporary store that is deleted afterwards."""
    jobs = []
    for row in videos.to_dict("records"):
        indices = np.unique(np.asarray(frames.get(row["video_id"], []), np.int64))
        if indices.size:
            jobs.append(EncodeJob(row["video_id"], str(Path(root) / row["path"]), row["decoder"], indices,
                                  np.array([[0, indices.size]]), np.zeros(1), np.ones(1), "ablation"))
    if not jobs:
        return {}, 0.0, 0
    with tempfile.TemporaryDirectory(prefix="nlv_ablation_") as tmp:
        store = EmbeddingStore(tmp)
        stats = encode_jobs(jobs, encoder, store, batch_size, num_workers, "mean")
        out = {}
        for job in jobs:
            if job.video_id in store:
                vectors = store.read(job.video_id)[0]["frame_embeddings"]
                out[job.video_id] = dict(zip(job.frame_indices.tolist(), vectors))
    for failure in stats.failed:
        logger.warning("ablations: %s could not be decoded (%s)", failure["video_id"], failure["reason"])
    return out, stats.seconds, stats.frames


def stored_frames(store: EmbeddingStore, video_id: str) -> dict[int, np.ndarray]:
    """{frame index: vector} of the frames the encode pipeline kept for this video (its frame cache)."""
    tensors, _ = store.read(video_id)
    if "frame_embeddings" not in tensors:
        return {}
    return dict(zip(tensors["frame_indices"].tolist(), tensors["frame_embeddings"]))
