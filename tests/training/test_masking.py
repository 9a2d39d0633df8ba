"""MaskCollator: masks drawn in the DataLoader, vectorized, reproducible, and the same for validation every epoch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from nlv_kedro.models.masking import span_mask
from nlv_kedro.training.data import MaskCollator, SequenceDataset, Sequences, Standardizer
from nlv_kedro.training.objective import ObjectiveConfig


def _dataset(n: int = 10, dim: int = 4) -> SequenceDataset:
    rng = np.random.default_rng(0)
    lengths = [1, 2, 5, 9, 16, 3, 12, 7, 8, 4][:n]
    vectors = [rng.normal(size=(t, dim)).astype(np.float32) for t in lengths]
    times = [np.stack([np.arange(t), np.arange(t) + 1], 1).astype(np.float32) for t in lengths]
    seqs = Sequences([f"v{i}" for i in range(n)], vectors, times)
    return SequenceDataset(seqs, Standardizer.identity(dim), max_len=64, random_crop=False)


def _batches(collator: MaskCollator, shuffle: bool = False, seed: int = 0) -> list[dict[str, torch.Tensor]]:
    torch.manual_seed(seed)
    return list(DataLoader(_dataset(), batch_size=4, shuffle=shuffle, collate_fn=collator))


@pytest.mark.parametrize("masking", ["span", "iid", "blocks", "future"])
def test_collator_masks_respect_invariants(masking: str) -> None:
    objective = ObjectiveConfig(masking=masking, mask_ratio=0.4)
    for batch in _batches(MaskCollator(objective, seed=0)):
        mask, lengths = batch["mask"], batch["lengths"]
        assert mask.shape == batch["padding_mask"].shape and not (mask & batch["padding_mask"]).any()
        counts = mask.sum(1)
        assert (counts[lengths <= 1] == 0).all() and (counts[lengths >= 2] >= 1).all()
        assert (counts < lengths.clamp_min(1)).all()
        if masking == "iid":
            assert not (batch["mask_positions"] & ~mask).any() and batch["x_in"].shape == batch["x"].shape
        else:
            assert "x_in" not in batch  # span masking feeds x itself, [MASK] at every masked position


def test_collator_is_reproducible_and_validation_masks_repeat_each_epoch() -> None:
    objective = ObjectiveConfig(order_weight=0.5)
    first, again = _batches(MaskCollator(objective, seed=3)), _batches(MaskCollator(objective, seed=3))
    other = _batches(MaskCollator(objective, seed=4))
    assert all(torch.equal(a["mask"], b["mask"]) for a, b in zip(first, again, strict=True))
    assert not all(torch.equal(a["mask"], b["mask"]) for a, b in zip(first, other, strict=True))
    assert first[0]["order_masks"].shape == (2, *first[0]["mask"].shape)
    val = MaskCollator(objective, seed=3, fixed=True)
    epoch1, epoch2 = _batches(val), _batches(val)
    assert all(torch.equal(a["mask"], b["mask"]) for a, b in zip(epoch1, epoch2, strict=True))
    train = MaskCollator(objective, seed=3)
    assert not all(torch.equal(a["mask"], b["mask"]) for a, b in zip(_batches(train), _batches(train), strict=True))


def test_span_mask_fills_spans_in_order_and_cuts_only_the_last() -> None:
    lengths = torch.tensor([50] * 200)
    mask = span_mask(lengths, 0.3, mean_span=1.0, generator=torch.Generator().manual_seed(0))
    assert (mask.sum(1) == 15).all()  # exact k, even with single-chunk spans that collide
    long = span_mask(lengths, 0.3, mean_span=8.0, generator=torch.Generator().manual_seed(0))
    runs = (long & ~torch.nn.functional.pad(long, (1, 0))[:, :-1]).sum(1).float()
    assert runs.mean() < 4  # ~15 masked chunks in a few long spans
