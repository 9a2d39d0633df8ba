"""The downstream settings and the video vectors of every compared method, aligned on one list of videos.

Frozen methods: the middle kept frame, mean-pooling of chunk vectors, and NextLevel's pooled
contextual vectors. Supervised methods (trained on the train split's labels): the thesis'
transformer-mean and class-token aggregators from scratch, and the fine-tuned NextLevel model.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.evaluation.config import DownstreamConfig, ProbeConfig, RetrievalConfig  # noqa: F401 - re-exported
from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel
from nlv_kedro.models.pooling import temporal_mean_pool_array
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.classify import classifier_outputs, fit_classifier
from nlv_kedro.training.config import ClassifierConfig
from nlv_kedro.training.data import Standardizer, load_sequences

logger = logging.getLogger(__name__)

FROZEN_METHODS = ("middle_frame", "mean_pool", "temporal_pool", "nextlevel_frozen")
SUPERVISED_METHODS = ("transformer_mean", "cls_token", "nextlevel_finetuned")


def video_table(video_index: pd.DataFrame, chunk_embeddings: EmbeddingStore,
                contextual_embeddings: EmbeddingStore) -> pd.DataFrame:
    """Videos with both chunk and contextual vectors: id, label, split, order_dependent (bool, as ingest types it)."""
    keep = video_index["video_id"].astype(str).map(lambda v: v in chunk_embeddings and v in contextual_embeddings)
    if video_index["order_dependent"].dtype != bool:
        raise TypeError("video_index.order_dependent must be a bool column: rerun ingest (it types the column) or "
                        "load video_index with load_args dtype {order_dependent: bool}")
    table = video_index.loc[keep, ["video_id", "label", "split", "order_dependent"]].copy()
    table["video_id"] = table["video_id"].astype(str)
    if table.empty:
        raise FileNotFoundError("no video has both chunk and contextual embeddings: run the encode and pretrain pipelines")
    return table.reset_index(drop=True)


def frozen_vectors(table: pd.DataFrame, chunk_embeddings: EmbeddingStore,
                   contextual_embeddings: EmbeddingStore, temporal_segments: int = 2) -> dict[str, np.ndarray]:
    """``temporal_pool`` is the order-aware frozen baseline: the same per-segment means that NextLevel's
    ``temporal`` pooling takes of its contextual vectors, taken of the frozen chunk vectors."""
    methods: dict[str, list[np.ndarray]] = {m: [] for m in FROZEN_METHODS}
    for video_id in table["video_id"]:
        chunks, _ = chunk_embeddings.read(video_id)
        frames = chunks.get("frame_embeddings", chunks["embeddings"])  # clip encoders store no frames
        methods["middle_frame"].append(frames[len(frames) // 2])
        methods["mean_pool"].append(chunks["embeddings"].mean(0))
        methods["temporal_pool"].append(temporal_mean_pool_array(chunks["embeddings"], temporal_segments))
        methods["nextlevel_frozen"].append(contextual_embeddings.read(video_id)[0]["pooled"])
    return {m: np.stack(v).astype(np.float32) for m, v in methods.items()}


def supervised_vectors(table: pd.DataFrame, chunk_embeddings: EmbeddingStore, top_model: TopModelArtifact,
                       config: ClassifierConfig, seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
    """Train the three supervised methods on train (early stopping on val) -> pooled vectors of all videos."""
    classes = sorted(table["label"].unique())
    y = table["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    sequences = load_sequences(chunk_embeddings, table["video_id"].tolist())
    if not top_model.config.use_time:
        sequences.times = [np.zeros_like(t) for t in sequences.times]
    standardizer = Standardizer(top_model.mean, top_model.std)
    parts = {s: np.flatnonzero(table["split"].to_numpy() == s) for s in ("train", "val", "test")}
    subset = lambda idx: type(sequences)([sequences.ids[i] for i in idx], [sequences.vectors[i] for i in idx],  # noqa: E731
                                         [sequences.times[i] for i in idx])
    vectors, results = {}, {}
    for method in SUPERVISED_METHODS:
        torch.manual_seed(seed)  # the from-scratch init, whatever ran before in this process
        network = NextLevelModel(_with_pooling(top_model.config, "cls" if method == "cls_token" else None))
        if method == "nextlevel_finetuned":
            network.load_state_dict(top_model.state_dict)
        logger.info("Training %s (%s init) on %d train videos", method,
                    "pretrained" if method == "nextlevel_finetuned" else "random", len(parts["train"]))
        module, info = fit_classifier(network, standardizer, subset(parts["train"]), y[parts["train"]],
                                      subset(parts["val"]), y[parts["val"]], len(classes), config, seed, method)
        pooled, logits = classifier_outputs(module, standardizer, sequences)
        vectors[method] = pooled
        test = parts["test"]
        correct = logits[test].argmax(1) == y[test]
        order = table["order_dependent"].to_numpy()[test]
        results[method] = {**info, "head_top1": float(correct.mean()),
                           "head_top1_order_dependent": float(correct[order].mean()) if order.any() else None,
                           "head_top1_other": float(correct[~order].mean()) if (~order).any() else None}
    return vectors, results


def _with_pooling(config: NextLevelConfig, pooling: str | None) -> NextLevelConfig:
    """The top model's config, with another pooling when one is given."""
    return config if pooling is None else config.model_copy(update={"pooling": pooling})


def build_video_vectors(video_index: pd.DataFrame, chunk_embeddings: EmbeddingStore,
                        contextual_embeddings: EmbeddingStore, top_model: TopModelArtifact,
                        config: DownstreamConfig) -> tuple[dict, dict]:
    """All methods' (N, d) video vectors for one aligned table of videos, and the fine-tuning results."""
    table = video_table(video_index, chunk_embeddings, contextual_embeddings)
    methods = frozen_vectors(table, chunk_embeddings, contextual_embeddings, config.temporal_pool_segments)
    supervised, finetune = supervised_vectors(table, chunk_embeddings, top_model, config.supervised, config.seed)
    return {"table": table, "methods": {**methods, **supervised}}, finetune
