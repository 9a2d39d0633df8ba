"""The downstream settings and the video vectors of every compared method, aligned on one list of videos.

Frozen methods: the middle kept frame, mean-pooling and temporal pooling (``temporal_pool_<k>``, k segments) of
the chunk vectors, and NextLevel's pooled contextual vectors. Controls of NextLevel (frozen, probed like the rest):
``nextlevel_untrained`` (the same architecture, config and pooling with a seeded random init, never trained),
``nextlevel_meanpool`` (the trained model's contextual vectors mean-pooled, order-blind) and ``nextlevel_shuffled``
(the trained model fed the chunk vectors in a seeded random order, the time/position inputs left in place).
Supervised methods (trained on the train split's labels): ``transformer_scratch`` (NextLevel's architecture and
pooling from a random init), ``cls_token`` (the same with a class token as pooling) and the fine-tuned NextLevel;
with ``label_efficiency.enabled``, ``transformer_scratch`` and the fine-tuned NextLevel again at a few labels per class.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.evaluation.comparisons import class_subsets
from nlv_kedro.evaluation.config import DownstreamConfig, ProbeConfig, RetrievalConfig  # noqa: F401 - re-exported
from nlv_kedro.evaluation.probe import few_shot_indices
from nlv_kedro.evaluation.stats import paired_bootstrap
from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel
from nlv_kedro.models.pooling import temporal_mean_pool_array
from nlv_kedro.training.artifact import TopModelArtifact, pooled_vectors
from nlv_kedro.training.classify import classifier_outputs, fit_classifier
from nlv_kedro.training.config import ClassifierConfig
from nlv_kedro.training.data import Sequences, Standardizer, load_sequences

logger = logging.getLogger(__name__)

CONTROL_METHODS = ("nextlevel_untrained", "nextlevel_meanpool", "nextlevel_shuffled")
SUPERVISED_METHODS = ("transformer_scratch", "cls_token", "nextlevel_finetuned")


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


def frozen_vectors(table: pd.DataFrame, chunk_embeddings: EmbeddingStore, contextual_embeddings: EmbeddingStore,
                   temporal_segments: Sequence[int] = (2, 4)) -> dict[str, np.ndarray]:
    """``temporal_pool_<k>`` is the order-aware frozen baseline: the same per-segment means that NextLevel's
    ``temporal`` pooling takes of its contextual vectors, taken of the frozen chunk vectors. ``nextlevel_meanpool``
    mean-pools the stored contextual vectors (the trained model's output that ``nextlevel_frozen`` pools)."""
    names = ["middle_frame", "mean_pool", *(f"temporal_pool_{k}" for k in temporal_segments), "nextlevel_frozen",
             "nextlevel_meanpool"]
    methods: dict[str, list[np.ndarray]] = {m: [] for m in names}
    for video_id in table["video_id"]:
        chunks, _ = chunk_embeddings.read(video_id)
        frames = chunks.get("frame_embeddings", chunks["embeddings"])  # clip encoders store no frames
        methods["middle_frame"].append(frames[len(frames) // 2])
        methods["mean_pool"].append(chunks["embeddings"].mean(0))
        for k in temporal_segments:
            methods[f"temporal_pool_{k}"].append(temporal_mean_pool_array(chunks["embeddings"], k))
        contextual = contextual_embeddings.read(video_id)[0]
        methods["nextlevel_frozen"].append(contextual["pooled"])
        methods["nextlevel_meanpool"].append(contextual["contextual"].mean(0))
    return {m: np.stack(v).astype(np.float32) for m, v in methods.items()}


def untrained_network(config: NextLevelConfig, seed: int) -> NextLevelModel:
    """The top model's architecture, config and pooling with the init that ``torch.manual_seed(seed)`` gives."""
    torch.manual_seed(seed)
    return NextLevelModel(config).eval()


def shuffle_chunks(sequences: Sequences, seed: int) -> Sequences:
    """Each video's chunk vectors in a random order (one seeded generator over the videos in order); the
    chunk times stay in place, so the model sees the same positions and times with the content permuted."""
    rng = np.random.default_rng(seed)
    return Sequences(list(sequences.ids), [v[rng.permutation(len(v))] for v in sequences.vectors],
                     list(sequences.times))


def control_vectors(sequences: Sequences, top_model: TopModelArtifact, seed: int) -> dict[str, np.ndarray]:
    """``nextlevel_untrained`` and ``nextlevel_shuffled`` pooled vectors, through the path the pretrain export
    takes (:func:`pooled_vectors`: the artifact's standardizer, the chunk times when the model uses time)."""
    logger.info("Embedding %d videos with the untrained control and with shuffled chunks", len(sequences))
    return {"nextlevel_untrained": pooled_vectors(top_model, sequences, untrained_network(top_model.config, seed)),
            "nextlevel_shuffled": pooled_vectors(top_model, shuffle_chunks(sequences, seed))}


@dataclass
class _LabelledVideos:
    """The aligned videos as the supervised methods see them: class ids, split rows, sequences (times zeroed
    when the model does not use time) and the top model's standardizer."""

    table: pd.DataFrame
    y: np.ndarray
    parts: dict[str, np.ndarray]
    sequences: Sequences
    standardizer: Standardizer

    @classmethod
    def of(cls, table: pd.DataFrame, sequences: Sequences, top_model: TopModelArtifact) -> _LabelledVideos:
        classes = sorted(table["label"].unique())
        if not top_model.config.use_time:
            sequences = Sequences(sequences.ids, sequences.vectors, [np.zeros_like(t) for t in sequences.times])
        return cls(table, table["label"].map({c: i for i, c in enumerate(classes)}).to_numpy(),
                   {s: np.flatnonzero(table["split"].to_numpy() == s) for s in ("train", "val", "test")},
                   sequences, Standardizer(top_model.mean, top_model.std))

    def subset(self, rows: np.ndarray) -> Sequences:
        s = self.sequences
        return Sequences([s.ids[i] for i in rows], [s.vectors[i] for i in rows], [s.times[i] for i in rows])


def _train_head(videos: _LabelledVideos, method: str, train_rows: np.ndarray, top_model: TopModelArtifact,
                config: ClassifierConfig, seed: int, name: str) -> tuple[object, dict, NextLevelModel]:
    """One supervised method trained on ``train_rows`` (early stopping on val) from its own init."""
    torch.manual_seed(seed)  # the from-scratch init, whatever ran before in this process
    network = NextLevelModel(_with_pooling(top_model.config, "cls" if method == "cls_token" else None))
    if method == "nextlevel_finetuned":
        network.load_state_dict(top_model.state_dict)
    logger.info("Training %s (%s init) on %d train videos", name,
                "pretrained" if method == "nextlevel_finetuned" else "random", len(train_rows))
    val = videos.parts["val"]
    module, info = fit_classifier(network, videos.standardizer, videos.subset(train_rows), videos.y[train_rows],
                                  videos.subset(val), videos.y[val], int(videos.y.max()) + 1, config, seed, name,
                                  pretrained=method == "nextlevel_finetuned")
    return module, info, network


def supervised_vectors(table: pd.DataFrame, sequences: Sequences, top_model: TopModelArtifact,
                       config: ClassifierConfig, seed: int = 0,
                       class_groups: Mapping[str, Sequence[str]] | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Train the three supervised methods on train (early stopping on val) -> pooled vectors of all videos,
    and per method the head's test accuracy (overall, per class subset, ``correct`` per test video)."""
    videos = _LabelledVideos.of(table, sequences, top_model)
    test = videos.parts["test"]
    vectors, results = {}, {}
    for method in SUPERVISED_METHODS:
        module, info, network = _train_head(videos, method, videos.parts["train"], top_model, config, seed, method)
        pooled, logits = classifier_outputs(module, videos.standardizer, videos.sequences)
        vectors[method] = pooled
        correct = logits[test].argmax(1) == videos.y[test]
        results[method] = {**info, "pooling": network.config.pooling,
                           **_head_accuracy(correct, table.iloc[test], class_groups or {})}
    return vectors, results


def label_efficiency(table: pd.DataFrame, sequences: Sequences, top_model: TopModelArtifact,
                     config: DownstreamConfig) -> dict:
    """Fine-tuned NextLevel against the same architecture from scratch, each trained on k labelled train videos
    per class (``label_efficiency.shots``, one draw per seed; val for early stopping as usual) -> {k: {method:
    {head_top1 (mean over draws), correct [draw][test video]}, vs_scratch: paired bootstrap}}; {} when off."""
    settings = config.label_efficiency
    if not settings.enabled:
        return {}
    videos = _LabelledVideos.of(table, sequences, top_model)
    train, test = videos.parts["train"], videos.parts["test"]
    smallest = int(np.bincount(videos.y[train]).min())
    curve: dict = {}
    for k in (k for k in settings.shots if k <= smallest):
        row: dict = {}
        for method in ("transformer_scratch", "nextlevel_finetuned"):
            correct = []
            for draw in settings.seeds:
                rows = train[few_shot_indices(videos.y[train], k, draw)]
                module, _, _ = _train_head(videos, method, rows, top_model, config.supervised, config.seed,
                                           f"{method}_{k}shot_draw{draw}")
                logits = classifier_outputs(module, videos.standardizer, videos.subset(test))[1]
                correct.append((logits.argmax(1) == videos.y[test]).astype(int).tolist())
            row[method] = {"head_top1": float(np.mean(correct)), "correct": correct}
        row["vs_scratch"] = paired_bootstrap(row["nextlevel_finetuned"]["correct"],
                                             row["transformer_scratch"]["correct"], seed=config.seed)
        curve[str(k)] = row
    return curve


def _head_accuracy(correct: np.ndarray, test: pd.DataFrame, class_groups: Mapping[str, Sequence[str]]) -> dict:
    """``head_top1``, ``head_top1_<subset>`` (order_dependent / other always present, None when empty, as
    before; class groups only when non-empty) and the 0/1 ``correct`` list in test order."""
    order = test["order_dependent"].to_numpy()
    out = {"head_top1": float(correct.mean()),
           "head_top1_order_dependent": float(correct[order].mean()) if order.any() else None,
           "head_top1_other": float(correct[~order].mean()) if (~order).any() else None}
    for name, mask in class_subsets(test["label"].to_numpy(), order, class_groups).items():
        out[f"head_top1_{name}"] = float(correct[mask].mean())
    return {**out, "correct": correct.astype(int).tolist()}


def _with_pooling(config: NextLevelConfig, pooling: str | None) -> NextLevelConfig:
    """The top model's config, with another pooling when one is given."""
    return config if pooling is None else config.model_copy(update={"pooling": pooling})


def build_video_vectors(video_index: pd.DataFrame, chunk_embeddings: EmbeddingStore,
                        contextual_embeddings: EmbeddingStore, top_model: TopModelArtifact,
                        config: DownstreamConfig) -> tuple[dict, dict]:
    """All methods' (N, d) video vectors for one aligned table of videos, and the fine-tuning results. The chunk
    vectors are read once (no encode) and shared by the controls and the supervised methods."""
    table = video_table(video_index, chunk_embeddings, contextual_embeddings)
    frozen = frozen_vectors(table, chunk_embeddings, contextual_embeddings, config.temporal_pool_segments)
    sequences = load_sequences(chunk_embeddings, table["video_id"].tolist())
    controls = control_vectors(sequences, top_model, config.seed)
    supervised, finetune = supervised_vectors(table, sequences, top_model, config.supervised, config.seed,
                                              config.class_groups)
    if config.label_efficiency.enabled:
        finetune["label_efficiency"] = label_efficiency(table, sequences, top_model, config)
    meanpool = frozen.pop("nextlevel_meanpool")
    methods = {**frozen, "nextlevel_untrained": controls["nextlevel_untrained"], "nextlevel_meanpool": meanpool,
               "nextlevel_shuffled": controls["nextlevel_shuffled"], **supervised}
    return {"table": table, "methods": methods}, finetune
