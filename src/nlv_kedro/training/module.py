"""LightningModule for masked embedding prediction. It receives the network; one ``model_step`` serves
training and validation; validation also logs collapse and shortcut diagnostics."""

from __future__ import annotations

import math

import lightning as L
import torch

from nlv_kedro.models.diagnostics import (
    copy_neighbour_cosine,
    effective_rank,
    interpolate_neighbours_cosine,
    masked_cosine,
    mean_baseline_cosine,
    per_dim_std,
)
from nlv_kedro.models.losses import combined_loss, masked_prediction_loss
from nlv_kedro.models.masking import bert_corruption, iid_mask, span_mask
from nlv_kedro.models.nextlevel import NextLevelModel, NextLevelOutput
from nlv_kedro.models.order import OrderProjector, reversal_accuracy, reversal_info_nce, reverse_sequences
from nlv_kedro.training.objective import ObjectiveConfig, OptimConfig


class MaskedEmbeddingModule(L.LightningModule):
    """``raw_mean``/``raw_std`` undo the input standardization (zeros/ones when there is none) so the
    diagnostics compare cosines in the encoder's own space, where predicting ``dataset_mean`` (the train
    mean chunk vector) is a strong baseline: frame encoders share a large common component."""

    def __init__(self, network: NextLevelModel, objective: ObjectiveConfig, optim: OptimConfig,
                 raw_mean: torch.Tensor, raw_std: torch.Tensor, dataset_mean: torch.Tensor, val_seed: int = 0) -> None:
        super().__init__()
        self.network, self.objective, self.optim = network, objective, optim
        self.register_buffer("raw_mean", raw_mean.float())
        self.register_buffer("raw_std", raw_std.float())
        self.register_buffer("dataset_mean", dataset_mean.float())
        self.val_seed = val_seed
        self._val: dict[str, list] = {}
        # time-reversal contrast (training only): its projection head is not part of the exported network
        self.order_projector = OrderProjector(network.config.pooled_dim) if objective.order_weight > 0 else None

    def forward(self, batch: dict[str, torch.Tensor]) -> NextLevelOutput:
        return self.network(batch["x"], batch["padding_mask"], batch["times"])

    def _mask(self, lengths: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        obj = self.objective
        if obj.masking == "span":
            return span_mask(lengths, obj.mask_ratio, generator=generator, mean_span=obj.mean_span)
        return iid_mask(lengths, obj.mask_ratio, generator=generator)

    def model_step(self, batch: dict[str, torch.Tensor], generator: torch.Generator | None = None):
        """Mask, predict, and score the masked positions -> (loss, parts, output, mask)."""
        obj, lengths = self.objective, batch["lengths"].cpu()
        mask = self._mask(lengths, generator).to(batch["x"].device)
        x = batch["x"]
        if obj.masking == "iid":  # on the CPU, where the (CPU) generator lives; batches are small
            x_in, mask_positions = bert_corruption(x.cpu(), mask.cpu(), lengths, obj.p_mask, obj.p_random, generator)
            x_in, mask_positions = x_in.to(x.device), mask_positions.to(x.device)
        else:
            x_in, mask_positions = x, mask
        out = self.network(x_in, batch["padding_mask"], batch["times"], mask_positions)
        target = x  # the (standardized) frozen-encoder vectors themselves
        if obj.loss_weights:
            loss, parts = combined_loss(out.predictions, target, mask, obj.loss_weights, obj.temperature)
        else:
            loss = masked_prediction_loss(out.predictions, target, mask, obj.loss, obj.temperature)
            parts = {obj.loss: loss}
        if self.order_projector is not None:
            order_loss, order_acc = self._order_term(batch, out, generator)
            loss = loss + obj.order_weight * order_loss
            parts.update({"order": order_loss, "order_acc": order_acc})
        return loss, parts, out, mask

    def _order_term(self, batch: dict[str, torch.Tensor], out: NextLevelOutput,
                    generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Contrast the pooled vector of this masked view with a second masked view (positive) and with
        the reversed video (hard negative) -> (InfoNCE loss, reversal accuracy)."""
        x, times, pad, lengths = batch["x"], batch["times"], batch["padding_mask"], batch["lengths"]
        x_rev, times_rev = reverse_sequences(x, times, lengths)
        second = self.network(x, pad, times, self._mask(lengths.cpu(), generator).to(x.device)).pooled
        backwards = self.network(x_rev, pad, times_rev, self._mask(lengths.cpu(), generator).to(x.device)).pooled
        assert self.order_projector is not None
        a, p, r = (self.order_projector(v) for v in (out.pooled, second, backwards))
        return reversal_info_nce(a, p, r, self.objective.order_temperature), reversal_accuracy(a, p, r)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss, parts, _, _ = self.model_step(batch)
        size = len(batch["lengths"])
        self.log("train/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=size)
        for name, value in parts.items():
            key = f"train/{name}" if name == "order_acc" else f"train/loss_{name}"
            self.log(key, value, on_step=False, on_epoch=True, batch_size=size)
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val = {key: [] for key in ("weights", "cos", "mean", "copy", "interp", "cos_z", "copy_z", "std",
                                         "contextual")}
        self._val_generator = torch.Generator().manual_seed(self.val_seed)  # same masks every epoch

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        loss, parts, out, mask = self.model_step(batch, self._val_generator)
        self.log("val/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(batch["lengths"]))
        if "order_acc" in parts:  # share of val videos whose pooled vector tells them from their reversal
            self.log("val/order_acc", parts["order_acc"], on_step=False, on_epoch=True,
                     batch_size=len(batch["lengths"]))
        pred_raw, target_raw = self._to_raw(out.predictions), self._to_raw(batch["x"])
        v = self._val
        v["weights"].append(int(mask.sum()))
        v["cos"].append(masked_cosine(pred_raw, target_raw, mask))
        v["mean"].append(mean_baseline_cosine(target_raw, mask, self.dataset_mean))
        v["copy"].append(copy_neighbour_cosine(target_raw, mask, batch["padding_mask"]))
        v["interp"].append(interpolate_neighbours_cosine(target_raw, mask, batch["padding_mask"]))
        # the same comparison in the model's (standardized) space, where the shared component is removed
        v["cos_z"].append(masked_cosine(out.predictions, batch["x"], mask))
        v["copy_z"].append(copy_neighbour_cosine(batch["x"], mask, batch["padding_mask"]))
        v["std"].append(per_dim_std(out.predictions, mask))
        v["contextual"].append(out.contextual[~batch["padding_mask"]].detach().float().cpu())

    def on_validation_epoch_end(self) -> None:
        v = self._val
        if not v.get("weights"):
            return
        w = torch.tensor(v["weights"], dtype=torch.float64)
        avg = lambda key: float((torch.tensor(v[key], dtype=torch.float64) * w).sum() / w.sum())  # noqa: E731
        metrics = {
            "val/cos_pred": avg("cos"),
            "val/cos_mean_baseline": avg("mean"),
            "val/cos_copy_neighbour": avg("copy"),
            "val/cos_interpolate_neighbours": avg("interp"),
            "val/cos_pred_standardized": avg("cos_z"),
            "val/cos_copy_neighbour_standardized": avg("copy_z"),
            "val/pred_std": avg("std"),
            "val/effective_rank": effective_rank(torch.cat(v["contextual"])),
        }
        metrics["val/cos_gain_over_best_baseline"] = metrics["val/cos_pred"] - max(
            metrics["val/cos_mean_baseline"], metrics["val/cos_copy_neighbour"],
            metrics["val/cos_interpolate_neighbours"])
        self.log_dict(metrics, sync_dist=True)

    def _to_raw(self, z: torch.Tensor) -> torch.Tensor:
        """Model space -> encoder space (the identity when targets are not standardized)."""
        return z * self.raw_std + self.raw_mean

    def configure_optimizers(self):  # noqa: ANN201 - Lightning's union type
        o = self.optim
        trained = [p for p in self.parameters() if p.requires_grad]  # the network and the order projector
        decay = [p for p in trained if p.ndim >= 2]
        no_decay = [p for p in trained if p.ndim < 2]
        optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": o.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=o.lr, betas=o.betas,
        )
        total = max(1, int(self.trainer.estimated_stepping_batches))
        warmup = max(1, int(o.warmup_fraction * total))

        def schedule(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            progress = min(1.0, (step - warmup) / max(1, total - warmup))
            return o.min_lr_ratio + (1 - o.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
