"""Training the bridge: a LightningModule around (projector, frozen LLM) and the loop that fits it.

The projector is the only thing that learns (plus LoRA adapters when asked for); the LLM stays in
eval mode even while Lightning switches the module to train mode, so its dropout never fires and
its weights are never handed to the optimizer.
"""

from __future__ import annotations

import copy
import logging
import warnings
from dataclasses import dataclass

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping
from torch import nn
from torch.utils.data import DataLoader

from nlv_kedro.qa.config import TrainConfig
from nlv_kedro.qa.bridge import EncodedPrompt, Projector, answer_loss, splice

logger = logging.getLogger(__name__)


@dataclass
class QAItem:
    """One training or scoring row: prompt ids, the video's (pooled) chunk vectors, answer ids."""

    prompt: EncodedPrompt
    vectors: torch.Tensor | None  # (n, in_dim) or None for text-only
    answer: list[int]


def soft_tokens(projector: Projector | None, items: list[QAItem]) -> list[torch.Tensor | None]:
    """Project every row's vectors in one call, then split back per row."""
    if projector is None or all(item.vectors is None for item in items):
        return [None] * len(items)
    device = projector.input_mean.device
    lengths = [len(item.vectors) for item in items]  # type: ignore[arg-type]
    stacked = torch.cat([item.vectors.to(device) for item in items])  # type: ignore[union-attr]  # (sum n, in_dim)
    return list(torch.split(projector(stacked), lengths))  # each (n, llm_dim)


class VideoQAModule(L.LightningModule):
    """Next-token loss on answer tokens only; ``model_step`` is shared by training and validation."""

    def __init__(self, projector: Projector, llm: nn.Module, pad_id: int, config: TrainConfig,
                 lora: bool = False) -> None:
        super().__init__()
        self.projector, self.llm, self.pad_id, self.config, self.lora = projector, llm, pad_id, config, lora

    def train(self, mode: bool = True) -> VideoQAModule:
        super().train(mode)
        self.llm.eval()  # frozen: no dropout, whatever mode Lightning asks for
        return self

    def model_step(self, items: list[QAItem]) -> torch.Tensor:
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


class KeepBest(Callback):
    """Remember the trainable weights at the best val loss and put them back when training ends."""

    def __init__(self) -> None:
        self.best, self.state, self.history = float("inf"), None, []

    def on_train_epoch_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        # runs after this epoch's validation, when both epoch means are in callback_metrics
        if "val/loss" not in trainer.callback_metrics:
            return
        val = float(trainer.callback_metrics["val/loss"])
        train = float(trainer.callback_metrics.get("train/loss", float("nan")))
        self.history.append({"epoch": trainer.current_epoch, "train_loss": train, "val_loss": val})
        logger.info("video_qa epoch %d: train loss %.4f, val loss %.4f", trainer.current_epoch, train, val)
        if val < self.best:
            self.best = val
            self.state = {k: v.detach().clone() for k, v in trainable_state(module).items()}

    def on_fit_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if self.state is not None:
            module.load_state_dict(self.state, strict=False)


def trainable_state(module: nn.Module) -> dict[str, torch.Tensor]:
    """The projector's state (weights and input statistics) and any trainable LLM parameters (LoRA)."""
    state = {k: v for k, v in module.state_dict().items() if k.startswith("projector.")}
    state.update({k: p for k, p in module.named_parameters() if p.requires_grad and not k.startswith("projector.")})
    return state


def fit_bridge(projector: Projector, llm: nn.Module, pad_id: int, train: list[QAItem], val: list[QAItem],
               config: TrainConfig, seed: int = 0, lora: bool = False) -> list[dict]:
    """Train in place, early-stopped on val answer loss; the best epoch's weights are restored. -> history.

    ``lora``: the LLM carries trainable LoRA adapters (else it must come out unchanged, which is checked)."""
    if not train or not val:
        raise ValueError(f"video_qa needs train and val QA pairs (got {len(train)} train, {len(val)} val): "
                         "check the split column of video_index and the video ids in qa.jsonl")
    before = None if lora else {k: v.clone() for k, v in llm.state_dict().items()}
    module = VideoQAModule(projector, llm, pad_id, config, lora)
    loaders = [DataLoader(part, batch_size=config.batch_size, shuffle=shuffle, collate_fn=list, num_workers=0,
                          generator=torch.Generator().manual_seed(seed))
               for part, shuffle in ((train, True), (val, False))]
    best = KeepBest()
    trainer = L.Trainer(max_epochs=config.max_epochs, accelerator=config.accelerator, devices=1, logger=False,
                        enable_checkpointing=False, enable_model_summary=False, enable_progress_bar=False,
                        num_sanity_val_steps=0,
                        callbacks=[EarlyStopping("val/loss", mode="min", patience=config.patience), best])
    with warnings.catch_warnings():  # the frozen LLM is in eval mode on purpose
        warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode.*")
        trainer.fit(module, *loaders)
    if before is not None:  # a cheap guard on the contract "the LLM stays frozen"
        after = llm.state_dict()
        assert all(torch.equal(v, after[k].to(v.device)) for k, v in before.items()), "the frozen LLM changed during training"
    return copy.deepcopy(best.history)
