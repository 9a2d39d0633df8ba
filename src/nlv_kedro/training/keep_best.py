"""Keep the best epoch's weights through a run that may be killed and resumed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

logger = logging.getLogger(__name__)
StateFn = Callable[[L.LightningModule], dict[str, torch.Tensor]]


class KeepBest(Callback):
    """Remember the weights at the best value of ``monitor`` and put them back when training ends.

    Stateful, so ``last.ckpt`` carries what a resumed run needs: the best value and weights so far, the
    per-epoch history (``{"epoch", <metric with / as _>...}`` rows of ``history_metrics``; its ``"epochs"``
    key is what :func:`~nlv_kedro.training.fit.epochs_completed` counts), and whether early stopping had
    already ended the run, in which case the resumed run trains no further epoch. That decision is read when
    the checkpoint is written: Lightning runs ``EarlyStopping`` after plain callbacks, and checkpoints last.
    """

    def __init__(self, monitor: str, mode: str, history_metrics: Sequence[str], select: StateFn | None = None,
                 log_name: str | None = None) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"KeepBest mode must be 'min' or 'max', got {mode!r}")
        self.monitor, self.mode, self.history_metrics = monitor, mode, tuple(history_metrics)
        self.select, self.log_name = select, log_name
        self.best = float("inf") if mode == "min" else -float("inf")
        self.state: dict[str, torch.Tensor] | None = None
        self.epochs: list[dict[str, float]] = []
        self.stopped = False
        self._trainer: L.Trainer | None = None

    def setup(self, trainer: L.Trainer, module: L.LightningModule, stage: str) -> None:
        self._trainer = trainer

    def _better(self, value: float) -> bool:
        return value < self.best if self.mode == "min" else value > self.best

    def on_train_start(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if self.stopped:  # resumed from a run that early stopping had already ended
            trainer.should_stop = True

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        # runs after this epoch's validation, when both epoch means are in callback_metrics
        metrics = trainer.callback_metrics
        if trainer.sanity_checking or self.monitor not in metrics:
            return
        row = {"epoch": trainer.current_epoch,
               **{m.replace("/", "_"): float(metrics.get(m, float("nan"))) for m in self.history_metrics}}
        self.epochs.append(row)
        if self.log_name:
            logger.info("%s epoch %d: %s", self.log_name, trainer.current_epoch,
                        ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "epoch"))
        value = float(metrics[self.monitor])
        if self._better(value):
            self.best = value
            state = self.select(module) if self.select else module.state_dict()
            self.state = {k: v.detach().clone() for k, v in state.items()}

    def on_fit_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if self.state is not None:
            module.load_state_dict(self.state, strict=False)

    def state_dict(self) -> dict[str, Any]:
        stopped = self.stopped or bool(self._trainer is not None and self._trainer.should_stop)
        return {"best": self.best, "state": self.state, "epochs": self.epochs, "stopped": stopped}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best, self.state = float(state_dict["best"]), state_dict["state"]
        self.epochs, self.stopped = list(state_dict["epochs"]), bool(state_dict["stopped"])
