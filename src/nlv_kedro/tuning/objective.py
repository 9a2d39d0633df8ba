"""What one trial measures: a short masked-embedding pretraining on the train split (the pretrain
pipeline's own fit), then the downstream protocol's linear probe on the pooled video vectors, fitted on
train labels and scored on the validation split. The test split is never loaded here."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import lightning as L
import numpy as np
import pandas as pd
from lightning.pytorch.callbacks import Callback

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.evaluation.probe import DEFAULT_C_GRID
from nlv_kedro.models.nextlevel import NextLevelModel
from nlv_kedro.studies.pretraining import short_pretraining
from nlv_kedro.studies.probe import val_probe
from nlv_kedro.training.artifact import TopModelArtifact, pooled_vectors
from nlv_kedro.training.data import Sequences, load_sequences
from nlv_kedro.training.recipe import PretrainParams, split_ids

logger = logging.getLogger(__name__)

PROBE_METRIC = "val/probe_top1"


@dataclass
class TrialData:
    """Train and val sequences with their class labels (the labels only feed the probe)."""

    train: Sequences
    val: Sequences
    train_labels: np.ndarray  # (N_train,)
    val_labels: np.ndarray  # (N_val,)

    def __post_init__(self) -> None:
        if len(self.train) != len(self.train_labels) or len(self.val) != len(self.val_labels):
            raise ValueError("TrialData: one label per train and per val video is required")
        if np.unique(self.train_labels).size < 2:
            raise ValueError("the tune objective is a linear probe: the train split needs at least 2 labels")


def load_trial_data(video_index: pd.DataFrame, chunk_embeddings: EmbeddingStore) -> TrialData:
    """Train and val sequences with labels; the test split is left out on purpose."""
    if "label" not in video_index:
        raise ValueError("video_index has no 'label' column: the tune objective is a linear probe on labels")
    splits = split_ids(video_index, chunk_embeddings)
    label_of = dict(zip(video_index["video_id"].astype(str), video_index["label"].astype(str), strict=False))
    return TrialData(load_sequences(chunk_embeddings, splits["train"]), load_sequences(chunk_embeddings, splits["val"]),
                     np.array([label_of[v] for v in splits["train"]]), np.array([label_of[v] for v in splits["val"]]))


def probe_accuracy(network: NextLevelModel, mean: np.ndarray, std: np.ndarray, data: TrialData,
                   c_grid: Sequence[float] = DEFAULT_C_GRID) -> float:
    """Validation top-1 of the downstream probe (standardize + logistic regression, C chosen on val).

    Choosing C on the split that is scored makes this the probe's best val accuracy over ``c_grid``:
    optimistic in absolute terms, but the same for every trial, so rankings hold.
    """
    artifact = TopModelArtifact(network.config, {}, mean, std)
    train_x = pooled_vectors(artifact, data.train, model=network)
    val_x = pooled_vectors(artifact, data.val, model=network)
    if not (np.isfinite(train_x).all() and np.isfinite(val_x).all()):
        raise FloatingPointError("pooled vectors are not finite: this trial's training diverged")
    return float(val_probe(train_x, data.train_labels, val_x, data.val_labels, c_grid)["top1"])


class ProbeAccuracyCallback(Callback):
    """Logs ``val/probe_top1`` after each validation epoch, so the pruner compares trials on the
    objective's own metric (losses differ in scale between loss types and are no use for that)."""

    def __init__(self, data: TrialData, c_grid: Sequence[float] = DEFAULT_C_GRID) -> None:
        self.data, self.c_grid = data, tuple(c_grid)
        self.values: list[float] = []  # one per validation epoch; the last one scores the final weights

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        mean, std = (pl_module.raw_mean.cpu().numpy(), pl_module.raw_std.cpu().numpy())
        was_training = pl_module.network.training
        pl_module.network.eval()
        accuracy = probe_accuracy(pl_module.network, mean, std, self.data, self.c_grid)
        pl_module.network.train(was_training)
        self.values.append(accuracy)
        pl_module.log(PROBE_METRIC, accuracy, on_epoch=True)


def trial_score(params: PretrainParams, data: TrialData, callbacks: Sequence[Callback] = (),
                c_grid: Sequence[float] = DEFAULT_C_GRID) -> tuple[float, dict]:
    """Pretrain with ``params`` (a short pretraining), return (val probe top-1, history)."""
    artifact, history, _ = short_pretraining(data.train, data.val, params, callbacks=callbacks)
    probes = [c for c in callbacks if isinstance(c, ProbeAccuracyCallback) and c.values]
    if probes and history["epochs_completed"] == params.trainer.max_epochs:
        return probes[-1].values[-1], history  # validation ran after the last step: same weights, same probe
    network = artifact.build()
    return probe_accuracy(network, artifact.mean, artifact.std, data, c_grid), history
