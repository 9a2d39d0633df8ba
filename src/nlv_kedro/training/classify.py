"""Supervised sequence classification on frozen chunk embeddings: the thesis' transformer-mean and
class-token aggregators (from scratch) and fine-tuning of the pretrained NextLevel top model.

All three share one network class (NextLevelModel) plus a linear head, so "fine-tuned" versus
"from scratch" differs only in the initial weights: that difference is what pretraining buys.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from lightning.pytorch.callbacks import EarlyStopping
from torch import nn
from torch.utils.data import DataLoader, Dataset

from nlv_kedro.training.config import ClassifierConfig

from nlv_kedro.models.nextlevel import NextLevelModel
from nlv_kedro.training.data import Sequences, Standardizer, collate_sequences
from nlv_kedro.training.fit import AtomicCheckpointIO, last_checkpoint, resolve_precision, resume_checkpoint
from nlv_kedro.training.keep_best import KeepBest


class _LabelledSequences(Dataset):
    def __init__(self, sequences: Sequences, labels: np.ndarray, standardizer: Standardizer, max_len: int) -> None:
        self.sequences, self.labels, self.standardizer, self.max_len = sequences, labels, standardizer, max_len

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        x, t = self.sequences.vectors[i][: self.max_len], self.sequences.times[i][: self.max_len]
        return torch.from_numpy(self.standardizer.apply(x)), torch.from_numpy(t), i


class SequenceClassifier(L.LightningModule):
    """Network -> pooled video vector -> linear head; one ``model_step`` for train / val / test."""

    def __init__(self, network: NextLevelModel, n_classes: int, labels: dict[str, torch.Tensor],
                 config: ClassifierConfig, pretrained: bool = False) -> None:
        super().__init__()
        self.network, self.config, self.pretrained = network, config, pretrained
        self.head = nn.Linear(network.config.pooled_dim, n_classes)
        self._labels = labels  # split name -> (N,) class index per dataset position

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = self.network(batch["x"], batch["padding_mask"], batch["times"]).pooled  # (B, pooled_dim)
        return pooled, self.head(pooled)

    def model_step(self, batch: dict[str, torch.Tensor], split: str) -> tuple[torch.Tensor, torch.Tensor]:
        _, logits = self(batch)
        y = self._labels[split][batch["index"].cpu()].to(logits.device)
        loss = F.cross_entropy(logits, y, label_smoothing=self.config.label_smoothing if split == "train" else 0.0)
        return loss, (logits.argmax(-1) == y).float().mean()

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss, acc = self.model_step(batch, "train")
        self.log_dict({"train/loss": loss, "train/acc": acc}, on_epoch=True, on_step=False, batch_size=len(batch["x"]))
        return loss

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        loss, acc = self.model_step(batch, "val")
        self.log_dict({"val/loss": loss, "val/acc": acc}, on_epoch=True, prog_bar=True, batch_size=len(batch["x"]))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        scale = self.config.pretrained_lr_scale if self.pretrained else 1.0
        groups = [{"params": self.network.parameters(), "lr": self.config.lr * scale},
                  {"params": self.head.parameters(), "lr": self.config.lr}]
        return torch.optim.AdamW(groups, lr=self.config.lr, weight_decay=self.config.weight_decay)


def fit_classifier(network: NextLevelModel, standardizer: Standardizer, train: Sequences, train_y: np.ndarray,
                   val: Sequences, val_y: np.ndarray, n_classes: int, config: ClassifierConfig,
                   seed: int = 0, name: str = "classifier", pretrained: bool = False,
                   ) -> tuple[SequenceClassifier, dict]:
    """Train with early stopping on val accuracy; the best epoch's weights are restored. ``pretrained``: the
    network holds pretrained weights (they train at ``lr * config.pretrained_lr_scale``).

    Every epoch ends with ``<config.checkpoint_dir>/<name>/last.ckpt``; with ``config.resume`` a killed run
    continues from it (history, best epoch and early-stopping count included)."""
    L.seed_everything(seed, workers=True)
    labels = {"train": torch.as_tensor(train_y), "val": torch.as_tensor(val_y)}
    module = SequenceClassifier(network, n_classes, labels, config, pretrained)
    if pretrained and config.pretrained_head_init == "probe":
        _start_head_as_probe(module, standardizer, train, train_y, n_classes, config.max_chunks, seed)
    best = KeepBest("val/acc", "max", ("train/loss", "train/acc", "val/loss", "val/acc"))
    checkpoint_dir = Path(config.checkpoint_dir) / name
    trainer = L.Trainer(
        max_epochs=config.max_epochs, accelerator=config.accelerator, devices=1, logger=False,
        enable_model_summary=False, enable_progress_bar=True, precision=resolve_precision("auto"),
        deterministic="warn" if config.deterministic else None,
        callbacks=[EarlyStopping("val/acc", mode="max", patience=config.patience), best,
                   last_checkpoint(checkpoint_dir)],
        plugins=[AtomicCheckpointIO()], default_root_dir=checkpoint_dir,
    )
    loader = lambda s, y, shuffle: DataLoader(  # noqa: E731
        _LabelledSequences(s, y, standardizer, config.max_chunks), batch_size=config.batch_size, shuffle=shuffle,
        collate_fn=collate_sequences)
    resumed = resume_checkpoint(checkpoint_dir, config.resume, config.max_epochs, "downstream.supervised",
                                optimizer_groups=2)  # network and head (configure_optimizers)
    trainer.fit(module, loader(train, train_y, True), loader(val, val_y, False), ckpt_path=resumed,
                weights_only=True)
    return module.eval(), {"best_val_acc": best.best, "epochs": len(best.epochs), "history": best.epochs,
                           "resumed_from": resumed}


def _start_head_as_probe(module: SequenceClassifier, standardizer: Standardizer, train: Sequences,
                         train_y: np.ndarray, n_classes: int, max_chunks: int, seed: int) -> None:
    from nlv_kedro.training.head_init import probe_head

    module.eval()
    pooled, _ = classifier_outputs(module, standardizer, train, max_chunks=max_chunks)
    module.train()
    weight, bias = probe_head(pooled, np.asarray(train_y), n_classes, seed)
    with torch.no_grad():
        module.head.weight.copy_(torch.from_numpy(weight))
        module.head.bias.copy_(torch.from_numpy(bias))


@torch.inference_mode()
def classifier_outputs(module: SequenceClassifier, standardizer: Standardizer, sequences: Sequences,
                   batch_size: int = 64, max_chunks: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """(N, pooled_dim) pooled vectors and (N, n_classes) logits of ``sequences``."""
    dataset = _LabelledSequences(sequences, np.zeros(len(sequences), np.int64), standardizer, max_chunks)
    pooled, logits = [], []
    for batch in DataLoader(dataset, batch_size=batch_size, collate_fn=collate_sequences):
        p, z = module({k: v.to(module.device) for k, v in batch.items()})
        pooled.append(p.float().cpu().numpy())
        logits.append(z.float().cpu().numpy())
    return np.concatenate(pooled), np.concatenate(logits)
