"""Shared pieces of the sweeps: the video subset, frame-vector encoding, a short pretraining, the val probe."""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import torch

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders.base import FrameEncoder
from nlv_kedro.encoders.engine import EncodeJob, encode_jobs
from nlv_kedro.evaluation.probe import evaluate_probe, fit_probe
from nlv_kedro.models.nextlevel import NextLevelModel
from nlv_kedro.models.pooling import temporal_mean_pool_array
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.data import Sequences, Standardizer
from nlv_kedro.training.recipe import PretrainParams, fit_recipe

logger = logging.getLogger(__name__)


def select_videos(video_index: pd.DataFrame, available: set[str], train_per_class: int | None,
                  val_per_class: int | None, seed: int) -> pd.DataFrame:
    """A seeded sample of ``*_per_class`` videos per class from the train and val splits (None = all of them),
    among ``available`` ids. Columns: video_id, path, label, split, order_dependent (bool), fps, n_frames, decoder."""
    table = video_index[video_index["video_id"].astype(str).isin(available)].copy()
    table["video_id"] = table["video_id"].astype(str)
    flags = table["order_dependent"] if "order_dependent" in table else False
    table["order_dependent"] = pd.Series(flags, index=table.index).astype(str).str.lower().eq("true")
    if "decoder" not in table:
        table["decoder"] = "decord"
    parts = []
    for split, per_class in (("train", train_per_class), ("val", val_per_class)):
        rows = table[table["split"] == split]
        if per_class is not None:
            rows = rows.sample(frac=1.0, random_state=seed).groupby("label").head(per_class)
        parts.append(rows)
    subset = pd.concat(parts).sort_values(["split", "video_id"]).reset_index(drop=True)
    for split in ("train", "val"):
        if (subset["split"] == split).sum() == 0:
            raise ValueError(f"ablations need encoded videos in the '{split}' split; run the encode pipeline first")
    return subset


def probe_on_val(x: np.ndarray, videos: pd.DataFrame, c: float) -> dict[str, float | None]:
    """Linear probe fit on the subset's train rows and scored on its val rows (fixed C: no selection on val).

    Returns top1, and top1 on the order-dependent classes and the rest (None when a subset is empty)."""
    split, y = videos["split"].to_numpy(), videos["label"].to_numpy()
    train, val = split == "train", split == "val"
    order = videos["order_dependent"].to_numpy()[val]
    model, _ = fit_probe(x[train], y[train], x[val], y[val], c_grid=[c])
    subsets = {name: mask for name, mask in (("order_dependent", order), ("other", ~order)) if mask.any()}
    metrics = evaluate_probe(model, x[val], y[val], subsets)
    return {"top1": metrics["top1"], "top1_order_dependent": metrics.get("top1_order_dependent"),
            "top1_other": metrics.get("top1_other")}


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


@contextlib.contextmanager
def child_run(name: str) -> Iterator[None]:
    """A nested MLflow run when kedro-mlflow opened one (so sweep variants do not share metric names)."""
    if mlflow.active_run() is None:
        yield
        return
    with mlflow.start_run(run_name=name, nested=True):
        yield


def pretrain_short(train: Sequences, val: Sequences, params: PretrainParams, name: str,
                   ) -> tuple[TopModelArtifact, dict[str, float], float]:
    """Masked-embedding pretraining with ``params``; checkpoints go to a temporary folder, never the main one.

    Returns the model, the final val diagnostics and the wall time in seconds."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="nlv_ablation_ckpt_") as tmp, child_run(name):
        artifact, history = fit_recipe(train, val, params.scratch(tmp))
    logger.info("ablations: pretrained %s in %.1f s, val cos %.3f", name, time.perf_counter() - start,
                history["final"].get("val/cos_pred", float("nan")))
    return artifact, history["final"], time.perf_counter() - start


def untrained_model(params: PretrainParams, train: Sequences) -> TopModelArtifact:
    """The pretraining's starting point (same seed, same config, train standardizer): the reference that shows
    what pretraining adds beyond the architecture (e.g. temporal pooling alone already sees order)."""
    torch.manual_seed(params.trainer.seed)
    config = params.network_config(train.dim)
    standardizer = Standardizer.fit(train) if params.objective.target_norm == "standardize" else \
        Standardizer.identity(train.dim)
    return TopModelArtifact(config, NextLevelModel(config).state_dict(), standardizer.mean, standardizer.std)


def temporal_pool_vectors(sequences: Sequences, segments: int) -> np.ndarray:
    """The order-aware frozen baseline: per-segment means of the chunk vectors (NextLevel's temporal pooling)."""
    return np.stack([temporal_mean_pool_array(v, segments) for v in sequences.vectors])


def nextlevel_vectors(artifact: TopModelArtifact, sequences: Sequences) -> np.ndarray:
    """Pooled contextual vectors (N, d_model) of ``sequences`` under ``artifact``."""
    times = sequences.times if artifact.config.use_time else None
    return artifact.embed(sequences.vectors, times)[1]


def diagnostics(final: dict[str, float]) -> dict[str, float | None]:
    """The collapse/shortcut diagnostics of a pretraining's last validation, under short names."""
    keys = {"cos_pred": "val/cos_pred", "cos_mean_baseline": "val/cos_mean_baseline",
            "cos_copy_neighbour": "val/cos_copy_neighbour",
            "cos_interpolate_neighbours": "val/cos_interpolate_neighbours",
            "cos_pred_standardized": "val/cos_pred_standardized",
            "cos_copy_neighbour_standardized": "val/cos_copy_neighbour_standardized",
            "cos_gain_over_best_baseline": "val/cos_gain_over_best_baseline", "pred_std": "val/pred_std",
            "effective_rank": "val/effective_rank"}
    return {short: (float(final[key]) if key in final else None) for short, key in keys.items()}
