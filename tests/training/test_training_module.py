"""MaskedEmbeddingModule: masks come from the batch; torchmetrics diagnostics; the transformers LR schedule."""

from __future__ import annotations

import math

import lightning as L
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from nlv_kedro.models.diagnostics import masked_cosine
from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel
from nlv_kedro.training.data import MaskCollator, SequenceDataset, Sequences, Standardizer
from nlv_kedro.training.module import MaskedEmbeddingModule
from nlv_kedro.training.objective import ObjectiveConfig, OptimConfig

DIM = 8


def _module(objective: ObjectiveConfig, optim: OptimConfig = OptimConfig()) -> MaskedEmbeddingModule:
    torch.manual_seed(0)
    net = NextLevelModel(NextLevelConfig(input_dim=DIM, d_model=16, n_layers=1, n_heads=2, head_hidden=16,
                                         max_chunks=32, dropout=0.0))
    zeros, ones = torch.zeros(DIM), torch.ones(DIM)
    return MaskedEmbeddingModule(net, objective, optim, zeros, ones, zeros)


def _loader(objective: ObjectiveConfig, n: int = 10) -> DataLoader:
    rng = np.random.default_rng(1)
    lengths = rng.integers(2, 12, size=n)
    seqs = Sequences([f"v{i}" for i in range(n)], [rng.normal(size=(t, DIM)).astype(np.float32) for t in lengths],
                     [np.stack([np.arange(t), np.arange(t) + 1], 1).astype(np.float32) for t in lengths])
    dataset = SequenceDataset(seqs, Standardizer.identity(DIM), max_len=32, random_crop=False)
    return DataLoader(dataset, batch_size=4, collate_fn=MaskCollator(objective, seed=0, fixed=True))


@pytest.mark.parametrize("objective", [ObjectiveConfig(), ObjectiveConfig(masking="iid", order_weight=0.5)])
def test_model_step_scores_the_batch_mask(objective: ObjectiveConfig) -> None:
    module = _module(objective)
    batch = next(iter(_loader(objective)))
    loss, parts, out, mask = module.model_step(batch)
    assert torch.isfinite(loss) and mask is batch["mask"] and out.predictions.shape == batch["x"].shape
    assert ("order" in parts) == (objective.order_weight > 0)
    other = dict(batch, mask=batch["mask"] & (torch.arange(batch["mask"].shape[1]) % 2 == 0))
    assert not torch.isclose(module.model_step(other)[0], loss)  # the loss reads the collated mask


def test_validation_diagnostics_are_masked_count_weighted_means() -> None:
    objective = ObjectiveConfig()
    module, loader = _module(objective), _loader(objective)
    trainer = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    logged = trainer.validate(module, loader, verbose=False)[0]
    module.eval()
    num = den = 0.0
    with torch.no_grad():
        for batch in loader:
            _, _, out, mask = module.model_step(batch)
            num += masked_cosine(out.predictions, batch["x"], mask) * int(mask.sum())
            den += int(mask.sum())
    assert logged["val/cos_pred"] == pytest.approx(num / den, rel=1e-6)
    assert np.isfinite(logged["val/effective_rank"])
    baselines = ("val/cos_mean_baseline", "val/cos_copy_neighbour", "val/cos_interpolate_neighbours",
                 "val/cos_interpolate_shrunk")
    best = max(logged[k] for k in baselines)
    assert logged["val/cos_gain_over_best_baseline"] == pytest.approx(logged["val/cos_pred"] - best, abs=1e-6)
    assert logged["val/cos_interpolate_shrunk"] >= logged["val/cos_interpolate_neighbours"] - 1e-6
    assert logged["val/gain_over_shrunk_interpolation_lo"] <= logged["val/gain_over_shrunk_interpolation_hi"]
    shares = [logged[f"val/share_{n}"] for n in ("span1", "span2_3", "span4plus")]
    assert sum(s for s in shares if np.isfinite(s)) == pytest.approx(1.0)


def _old_schedule(step: int, total: int, warmup: int, min_ratio: float) -> float:
    """The hand-written LambdaLR factor the transformers schedule replaced."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def test_schedule_matches_the_old_formula_one_step_ahead_after_warmup() -> None:
    optim = OptimConfig(lr=1.0, warmup_fraction=0.1, min_lr_ratio=0.05)
    module = _module(ObjectiveConfig(), optim)
    module.trainer = type("T", (), {"estimated_stepping_batches": 100})()  # what configure_optimizers reads
    config = module.configure_optimizers()
    optimizer, scheduler = config["optimizer"], config["lr_scheduler"]["scheduler"]
    lrs = []
    for _ in range(100):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[:10] == pytest.approx([_old_schedule(s, 100, 10, 0.05) for s in range(10)])  # same warmup
    assert lrs[10:] == pytest.approx([_old_schedule(s + 1, 100, 10, 0.05) for s in range(10, 100)])
    assert lrs[-1] == pytest.approx(0.05)  # the floor is reached on the last step
