"""Run masked-embedding pretraining with a Lightning Trainer: checkpoints, resume, MLflow, history."""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import mlflow
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.plugins.io import TorchCheckpointIO
from lightning.pytorch.strategies import FSDPStrategy, StrategyRegistry

from nlv_kedro.datasets.atomic import atomic_write_bytes
from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.config import TrainerConfig
from nlv_kedro.training.data import SequenceDataModule, Sequences, Standardizer
from nlv_kedro.training.module import MaskedEmbeddingModule
from nlv_kedro.training.objective import ObjectiveConfig, OptimConfig

logger = logging.getLogger(__name__)


class HistoryCallback(Callback):
    """Per-epoch copies of the logged metrics (train and val), returned to Kedro as a dataset.

    Stateful: Lightning stores it in every checkpoint, so a resumed run continues the same history.
    """

    def __init__(self) -> None:
        self.epochs: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        row = {k: float(v) for k, v in trainer.callback_metrics.items() if torch.is_tensor(v) and v.numel() == 1}
        self.epochs.append({"epoch": trainer.current_epoch, **row})

    def state_dict(self) -> dict[str, Any]:
        return {"epochs": self.epochs}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.epochs = list(state_dict.get("epochs", []))


class AtomicCheckpointIO(TorchCheckpointIO):
    """Checkpoints written like every other artifact: temp file in the same folder, then rename (mode 0644).

    Lightning's own local write goes through an fsspec transaction whose temp file lives in the system temp
    folder and is moved (a copy across filesystems), so a kill mid-write could leave a torn ``last.ckpt``.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        atomic_write_bytes(path, buffer.getvalue())


def last_checkpoint(checkpoint_dir: Path) -> ModelCheckpoint:
    """Writes ``last.ckpt`` at the end of every training epoch (after validation), overwriting it in place.

    ``ModelCheckpoint(save_top_k=0, save_last=True)`` only writes ``last.ckpt`` when training ends (Lightning
    2.6 saves "last" only in a step where a top-k file was saved), so a killed run had nothing to resume
    from. A top-1 checkpoint without a monitor named "last" is exactly "the latest epoch"; no version
    counter, so a resumed run overwrites ``last.ckpt`` instead of writing ``last-v1.ckpt``.
    """
    return ModelCheckpoint(dirpath=checkpoint_dir, filename="last", monitor=None, save_top_k=1, save_last=False,
                           every_n_epochs=1, save_on_train_epoch_end=True, enable_version_counter=False)


def resume_path(tc: TrainerConfig) -> str | None:
    """Pretraining's :func:`resume_checkpoint` (the ``pretrain.trainer`` keys)."""
    return resume_checkpoint(tc.checkpoint_dir, tc.resume, tc.max_epochs, "pretrain.trainer")


def resume_checkpoint(checkpoint_dir: str | Path, resume: bool, max_epochs: int, key: str,
                      optimizer_groups: int | None = None) -> str | None:
    """``<checkpoint_dir>/last.ckpt`` when resuming and it exists. Fails fast, before any training, when the
    checkpoint has already trained more epochs than ``max_epochs`` (Lightning would silently train nothing), or
    when its optimizer has another number of parameter groups than ``optimizer_groups`` (a checkpoint written by
    an older version of the training code, whose optimizer state cannot be loaded).

    ``key``: the parameter section that holds ``checkpoint_dir``, ``resume`` and ``max_epochs``, named in messages.
    """
    last = Path(checkpoint_dir) / "last.ckpt"
    if not resume:
        return None
    if not last.is_file():
        logger.info("%s.resume is on but %s does not exist: starting from scratch", key, last)
        return None
    if optimizer_groups is not None:
        saved = torch.load(last, map_location="cpu", weights_only=True, mmap=True).get("optimizer_states") or [{}]
        found = len(saved[0].get("param_groups", []))
        if found != optimizer_groups:
            raise ValueError(
                f"cannot resume from {last}: its optimizer has {found} parameter group(s) where this training has "
                f"{optimizer_groups} (a checkpoint from an older version); set {key}.resume: false to start over")
    done = epochs_completed(last)
    if done > max_epochs:
        raise ValueError(
            f"cannot resume: {last} has already trained {done} epochs, more than "
            f"{key}.max_epochs={max_epochs}; raise max_epochs above {done} to train further, "
            f"or set {key}.resume: false to start over")
    return str(last)


def epochs_completed(path: Path) -> int:
    """Finished epochs in a checkpoint, from the history a stateful callback stores under ``"epochs"``
    (:class:`HistoryCallback`, :class:`~nlv_kedro.training.keep_best.KeepBest`), else Lightning's epoch counter."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    states = checkpoint.get("callbacks", {})
    history = next((v["epochs"] for v in states.values() if isinstance(v, dict) and v.get("epochs")), None)
    return int(history[-1]["epoch"]) + 1 if history else int(checkpoint.get("epoch", 0))


def resolve_precision(precision: str) -> str:
    if precision != "auto":
        return precision
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return "bf16-mixed"
    return "32-true"


def is_fsdp(strategy: str) -> bool:
    return strategy.startswith("fsdp")  # fsdp, fsdp_cpu_offload


def trainer_kwargs(tc: TrainerConfig) -> dict[str, Any]:
    """The Trainer arguments that come from parameters. accelerator, devices, strategy and num_nodes pass
    through unchanged, so multi-GPU and multi-node runs (DDP, FSDP, ...) are chosen in parameters alone.

    FSDP is the one strategy that needs help: Lightning refuses norm clipping under FSDP (the grads are
    sharded), so the clip moves to :class:`FSDPGradientClip`, which asks the sharded root for the global norm.
    """
    valid = {"auto", *StrategyRegistry.available_strategies()}
    if tc.strategy not in valid:
        raise ValueError(f"pretrain.trainer.strategy={tc.strategy!r} is not a Lightning strategy; "
                         f"use one of {sorted(valid)}")
    return dict(
        max_epochs=tc.max_epochs, accelerator=tc.accelerator, devices=tc.devices, strategy=tc.strategy,
        num_nodes=tc.num_nodes, precision=resolve_precision(tc.precision),
        gradient_clip_val=None if is_fsdp(tc.strategy) else tc.gradient_clip_val,
        log_every_n_steps=tc.log_every_n_steps, fast_dev_run=tc.fast_dev_run,
        enable_progress_bar=tc.enable_progress_bar, enable_model_summary=False, default_root_dir=tc.checkpoint_dir,
    )


class FSDPGradientClip(Callback):
    """Clip the global gradient norm of an FSDP-sharded model (what gradient_clip_val does elsewhere)."""

    def __init__(self, max_norm: float) -> None:
        self.max_norm = max_norm

    def on_before_optimizer_step(self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: Any) -> None:
        trainer.strategy.model.clip_grad_norm_(self.max_norm)  # the FSDP root: all-reduces the shards' norms


def final_state_dict(trainer: L.Trainer, network: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The trained network's full weights. Under FSDP each rank holds only a shard, so the full state dict
    is gathered (a collective: every rank calls this) and lands on rank 0; other ranks keep their view."""
    if isinstance(trainer.strategy, FSDPStrategy):
        full = trainer.strategy.lightning_module_state_dict()
        prefix = "network."
        gathered = {k.removeprefix(prefix): v for k, v in full.items() if k.startswith(prefix)}
        if gathered:
            return {k: v.detach().cpu() for k, v in gathered.items()}
    return {k: v.detach().cpu() for k, v in network.state_dict().items()}


def mlflow_logger() -> MLFlowLogger | bool:
    """Log into the run kedro-mlflow opened for this pipeline, if any (metrics land next to its params)."""
    run = mlflow.active_run()
    if run is None:
        return False
    return MLFlowLogger(tracking_uri=mlflow.get_tracking_uri(), run_id=run.info.run_id, log_model=False)


def fit_masked_pretraining(train: Sequences, val: Sequences, network_config: NextLevelConfig,
                           objective: ObjectiveConfig, optim: OptimConfig,
                           trainer_config: TrainerConfig,
                           callbacks: Sequence[Callback] = ()) -> tuple[TopModelArtifact, dict]:
    """Train on ``train``, validate on ``val``; return the final weights as an artifact and the history.

    ``callbacks`` are added to the Trainer's own (the tuning pipeline passes its pruning callback here).
    """
    tc = trainer_config
    L.seed_everything(tc.seed, workers=True)
    fitted = Standardizer.fit(train)
    standardizer = fitted if objective.target_norm == "standardize" else Standardizer.identity(train.dim)
    network = NextLevelModel(network_config)
    n_params = network.num_trainable_parameters()
    logger.info("NextLevel top model: %s trainable parameters", f"{n_params:,}")
    module = MaskedEmbeddingModule(network, objective, optim, torch.from_numpy(standardizer.mean),
                                   torch.from_numpy(standardizer.std), torch.from_numpy(fitted.mean), tc.seed)
    data = SequenceDataModule(train, val, standardizer, tc.batch_size, tc.max_train_chunks, tc.num_workers,
                              objective=objective, seed=tc.seed)
    history = HistoryCallback()
    all_callbacks: list[Callback] = [history, last_checkpoint(Path(tc.checkpoint_dir)), *callbacks]
    if tc.early_stopping_patience:
        all_callbacks.append(EarlyStopping("val/loss", patience=tc.early_stopping_patience))
    if is_fsdp(tc.strategy) and tc.gradient_clip_val:
        all_callbacks.append(FSDPGradientClip(tc.gradient_clip_val))
    plugins = [] if is_fsdp(tc.strategy) else [AtomicCheckpointIO()]  # FSDP writes its own (sharded) checkpoints
    # An interval longer than an epoch would log no training step (Lightning warns): cap it at an epoch's batches.
    log_every = min(tc.log_every_n_steps, max(1, math.ceil(len(train) / tc.batch_size)))
    trainer = L.Trainer(**{**trainer_kwargs(tc), "log_every_n_steps": log_every}, logger=mlflow_logger(),
                        callbacks=all_callbacks, plugins=plugins)
    ckpt_path = resume_path(tc)
    trainer.fit(module, datamodule=data, ckpt_path=ckpt_path)
    final = {k: float(v) for k, v in trainer.callback_metrics.items() if torch.is_tensor(v) and v.numel() == 1}
    artifact = TopModelArtifact(network_config, final_state_dict(trainer, network),
                                standardizer.mean, standardizer.std,
                                {"trainable_parameters": n_params, "final_metrics": final})
    return artifact, {"epochs": history.epochs, "final": final, "trainable_parameters": n_params,
                      "resumed_from": ckpt_path, "epochs_completed": trainer.current_epoch}
