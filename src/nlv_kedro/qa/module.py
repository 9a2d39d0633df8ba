"""Training the bridge: a LightningModule around (projector, frozen LLM) and the loop that fits it.

The projector is the only thing that learns (plus LoRA adapters when asked for); the LLM stays in
eval mode even while Lightning switches the module to train mode, so its dropout never fires and
its weights are never handed to the optimizer.
"""

from __future__ import annotations

import copy
import logging
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import EarlyStopping, TQDMProgressBar
from torch import nn
from torch.utils.data import DataLoader

from nlv_kedro.qa.config import TrainConfig
from nlv_kedro.qa.bridge import Projector, QAItem, answer_loss, soft_tokens, splice
from nlv_kedro.qa.choices import choice_loss
from nlv_kedro.training.fit import AtomicCheckpointIO, last_checkpoint, resume_checkpoint
from nlv_kedro.training.keep_best import KeepBest

logger = logging.getLogger(__name__)


class VideoQAModule(L.LightningModule):
    """The ``config.objective`` loss (answer tokens only, or also the choice ranking); ``model_step`` is shared
    by training and validation."""

    def __init__(self, projector: Projector, llm: nn.Module, pad_id: int, config: TrainConfig,
                 lora: bool = False) -> None:
        super().__init__()
        self.projector, self.llm, self.pad_id, self.config, self.lora = projector, llm, pad_id, config, lora
        self.strict_loading = False  # checkpoints hold the trainable weights only, not the frozen LLM

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["state_dict"] = dict(trainable_state(self))

    def train(self, mode: bool = True) -> VideoQAModule:
        super().train(mode)
        self.llm.eval()  # frozen: no dropout, whatever mode Lightning asks for
        return self

    def model_step(self, items: list[QAItem]) -> torch.Tensor:
        if self.config.objective == "choices":
            return choice_loss(self.llm, self.pad_id, self.projector, items)
        batch = splice(self.llm.get_input_embeddings(), [i.prompt for i in items], soft_tokens(self.projector, items),
                       [i.answer for i in items], self.pad_id)
        return answer_loss(self.llm, batch, prefix_cache=not self.lora)

    def training_step(self, items: list[QAItem], batch_idx: int) -> torch.Tensor:
        loss = self.model_step(items)
        self.log("train/loss", loss, on_step=False, on_epoch=True, batch_size=len(items))
        return loss

    def validation_step(self, items: list[QAItem], batch_idx: int) -> None:
        self.log("val/loss", self.model_step(items), on_step=False, on_epoch=True, batch_size=len(items))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        params = [p for p in self.parameters() if p.requires_grad]
        return torch.optim.AdamW(params, lr=self.config.lr, weight_decay=self.config.weight_decay)


def trainable_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """The projector's state (weights and input statistics) and any trainable LLM parameters (LoRA)."""
    state = {k: v for k, v in module.state_dict().items() if k.startswith("projector.")}
    state.update({k: p for k, p in module.named_parameters() if p.requires_grad and not k.startswith("projector.")})
    return state


def fit_bridge(projector: Projector, llm: nn.Module, pad_id: int, train: list[QAItem], val: list[QAItem],
               config: TrainConfig, seed: int = 0, lora: bool = False, name: str = "projector") -> list[dict]:
    """Train in place, early-stopped on val answer loss; the best epoch's weights are restored. -> history.

    Every epoch ends with ``<config.checkpoint_dir>/<name>/last.ckpt`` (trainable weights, optimizer, history);
    with ``config.resume`` a killed run continues from it.

    ``lora``: the LLM carries trainable LoRA adapters (else it must come out unchanged, which is checked)."""
    if not train or not val:
        raise ValueError(f"video_qa needs train and val QA pairs (got {len(train)} train, {len(val)} val): "
                         "check the split column of video_index and the video ids in qa.jsonl")
    before = None if lora else {k: v.clone() for k, v in llm.state_dict().items()}
    module = VideoQAModule(projector, llm, pad_id, config, lora)
    loaders = [DataLoader(part, batch_size=config.batch_size, shuffle=shuffle, collate_fn=list, num_workers=0,
                          generator=torch.Generator().manual_seed(seed))
               for part, shuffle in ((train, True), (val, False))]
    best = KeepBest("val/loss", "min", ("train/loss", "val/loss"), select=trainable_state, log_name="video_qa")
    checkpoint_dir = Path(config.checkpoint_dir) / name
    trainer = L.Trainer(max_epochs=config.max_epochs, accelerator=config.accelerator, devices=1, logger=False,
                        enable_model_summary=False, enable_progress_bar=True, num_sanity_val_steps=0,
                        deterministic="warn" if config.deterministic else None,
                        callbacks=[EarlyStopping("val/loss", mode="min", patience=config.patience), best,
                                   last_checkpoint(checkpoint_dir), TQDMProgressBar()],
                        plugins=[AtomicCheckpointIO()], default_root_dir=checkpoint_dir)
    resumed = resume_checkpoint(checkpoint_dir, config.resume, config.max_epochs, "video_qa.training")
    with warnings.catch_warnings():  # the frozen LLM is in eval mode on purpose
        warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode.*")
        trainer.fit(module, *loaders, ckpt_path=resumed, weights_only=True)
    if before is not None:  # a cheap guard on the contract "the LLM stays frozen"
        after = llm.state_dict()
        assert all(torch.equal(v, after[k].to(v.device)) for k, v in before.items()), "the frozen LLM changed during training"
    return copy.deepcopy(best.epochs)
