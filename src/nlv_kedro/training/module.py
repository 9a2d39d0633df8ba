"""LightningModule for masked embedding prediction. It receives the network; one ``model_step`` serves
training and validation; validation also logs collapse and shortcut diagnostics.

Masks arrive in the batch, drawn by the DataLoader's :class:`~nlv_kedro.training.data.MaskCollator`."""

from __future__ import annotations

import lightning as L
import torch
from torchmetrics import CatMetric, MeanMetric
from transformers import get_cosine_with_min_lr_schedule_with_warmup_lr_rate

from nlv_kedro.models.diagnostics import (
    copy_neighbour_cosine,
    effective_rank,
    interpolate_neighbours_cosine,
    masked_cosine,
    mean_baseline_cosine,
    per_dim_std,
)
from nlv_kedro.models.losses import combined_loss, masked_prediction_loss
from nlv_kedro.models.nextlevel import NextLevelModel, NextLevelOutput
from nlv_kedro.models.order import OrderProjector, reversal_accuracy, reversal_info_nce, reverse_sequences
from nlv_kedro.training.objective import ObjectiveConfig, OptimConfig
from nlv_kedro.training.val_diagnostics import masked_rows, summarize


# validation diagnostics: metric name -> key of the per-batch value; all are averaged weighted by masked count
_VAL_MEANS = {
    "val/cos_pred": "cos", "val/cos_mean_baseline": "mean", "val/cos_copy_neighbour": "copy",
    "val/cos_interpolate_neighbours": "interp", "val/cos_pred_standardized": "cos_z",
    "val/cos_copy_neighbour_standardized": "copy_z", "val/pred_std": "std",
}


class MaskedEmbeddingModule(L.LightningModule):
    """``raw_mean``/``raw_std`` undo the input standardization (zeros/ones when there is none) so the
    diagnostics compare cosines in the encoder's own space, where predicting ``dataset_mean`` (the train
    mean chunk vector) is a strong baseline: frame encoders share a large common component.

    Validation diagnostics are torchmetrics (weighted means, a concatenation for the effective rank), so
    under DDP they are reduced over all ranks' positions, not averaged as per-rank means. A batch whose
    diagnostic is NaN (e.g. no neighbour to copy) is left out (torchmetrics 1.9 drops the weights with
    ``nan_strategy="disable"``, so NaN propagation is not an option)."""

    def __init__(self, network: NextLevelModel, objective: ObjectiveConfig, optim: OptimConfig,
                 raw_mean: torch.Tensor, raw_std: torch.Tensor, dataset_mean: torch.Tensor, val_seed: int = 0) -> None:
        super().__init__()
        self.network, self.objective, self.optim = network, objective, optim
        self.register_buffer("raw_mean", raw_mean.float())
        self.register_buffer("raw_std", raw_std.float())
        self.register_buffer("dataset_mean", dataset_mean.float())
        self.val_seed = val_seed  # kept for checkpoints' hparams; the val masks are seeded by the collator
        self.val_means = torch.nn.ModuleDict({key: MeanMetric(nan_strategy="ignore").set_dtype(torch.float64)
                                             for key in _VAL_MEANS.values()})
        self.val_contextual = CatMetric()
        self.val_rows = CatMetric()  # one row per masked val chunk (val_diagnostics.masked_rows)
        # time-reversal contrast (training only): its projection head is not part of the exported network
        self.order_projector = OrderProjector(network.config.pooled_dim) if objective.order_weight > 0 else None

    def forward(self, batch: dict[str, torch.Tensor]) -> NextLevelOutput:
        return self.network(batch["x"], batch["padding_mask"], batch["times"])

    def model_step(self, batch: dict[str, torch.Tensor]):
        """Predict and score the masked positions of a collated batch -> (loss, parts, output, mask)."""
        obj, mask, x = self.objective, batch["mask"], batch["x"]
        x_in, mask_positions = batch.get("x_in", x), batch.get("mask_positions", mask)  # iid: 80/10/10 input
        out = self.network(x_in, batch["padding_mask"], batch["times"], mask_positions)
        target = x  # the (standardized) frozen-encoder vectors themselves
        if obj.loss_weights:
            loss, parts = combined_loss(out.predictions, target, mask, obj.loss_weights, obj.temperature)
        else:
            loss = masked_prediction_loss(out.predictions, target, mask, obj.loss, obj.temperature)
            parts = {obj.loss: loss}
        if self.order_projector is not None:
            order_loss, order_acc = self._order_term(batch, out)
            loss = loss + obj.order_weight * order_loss
            parts.update({"order": order_loss, "order_acc": order_acc})
        return loss, parts, out, mask

    def _order_term(self, batch: dict[str, torch.Tensor], out: NextLevelOutput) -> tuple[torch.Tensor, torch.Tensor]:
        """Contrast the pooled vector of this masked view with a second masked view (positive) and with
        the reversed video (hard negative) -> (InfoNCE loss, reversal accuracy)."""
        x, times, pad, lengths = batch["x"], batch["times"], batch["padding_mask"], batch["lengths"]
        second_mask, backwards_mask = batch["order_masks"]  # (B, T) each, drawn by the collator
        x_rev, times_rev = reverse_sequences(x, times, lengths)
        second = self.network(x, pad, times, second_mask).pooled
        backwards = self.network(x_rev, pad, times_rev, backwards_mask).pooled
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

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        loss, parts, out, mask = self.model_step(batch)
        self.log("val/loss", loss, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(batch["lengths"]))
        if "order_acc" in parts:  # share of val videos whose pooled vector tells them from their reversal
            self.log("val/order_acc", parts["order_acc"], on_step=False, on_epoch=True,
                     batch_size=len(batch["lengths"]))
        pred_raw, target_raw, pad = self._to_raw(out.predictions), self._to_raw(batch["x"]), batch["padding_mask"]
        values = {
            "cos": masked_cosine(pred_raw, target_raw, mask),
            "mean": mean_baseline_cosine(target_raw, mask, self.dataset_mean),
            "copy": copy_neighbour_cosine(target_raw, mask, pad),
            "interp": interpolate_neighbours_cosine(target_raw, mask, pad),
            # the same comparison in the model's (standardized) space, where the shared component is removed
            "cos_z": masked_cosine(out.predictions, batch["x"], mask),
            "copy_z": copy_neighbour_cosine(batch["x"], mask, pad),
            "std": per_dim_std(out.predictions, mask),
        }
        weight = mask.sum().double()
        for key, value in values.items():
            self.val_means[key].update(torch.as_tensor(value, dtype=torch.float64, device=self.device), weight)
        self.val_contextual.update(out.contextual[~pad].detach().float())
        self.val_rows.update(masked_rows(pred_raw, target_raw, out.predictions, batch["x"], mask, pad,
                                         batch["index"], self.dataset_mean))

    def on_validation_epoch_end(self) -> None:
        if not self.val_contextual.update_called:
            return
        metrics = {name: float(self.val_means[key].compute()) for name, key in _VAL_MEANS.items()}
        metrics["val/effective_rank"] = effective_rank(self.val_contextual.compute().cpu())
        if self.val_rows.update_called:
            metrics.update(summarize(self.val_rows.compute()))
        metrics["val/cos_gain_over_best_baseline"] = metrics["val/cos_pred"] - max(
            metrics[k] for k in ("val/cos_mean_baseline", "val/cos_copy_neighbour", "val/cos_interpolate_neighbours",
                                 "val/cos_interpolate_shrunk") if k in metrics)
        metrics["val/cos_gain_over_best_baseline_standardized"] = metrics["val/cos_pred_standardized"] - max(
            metrics[k] for k in ("val/cos_copy_neighbour_standardized", "val/cos_interpolate_neighbours_standardized")
            if k in metrics)
        self.log_dict(metrics)  # already reduced over all ranks by the metrics' compute()
        for metric in (*self.val_means.values(), self.val_contextual, self.val_rows):
            metric.reset()

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
        # linear warmup from lr / warmup, then cosine down to lr * min_lr_ratio (reached on the last step)
        scheduler = get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
            optimizer, num_warmup_steps=max(1, int(o.warmup_fraction * total)), num_training_steps=total,
            min_lr_rate=o.min_lr_ratio)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
