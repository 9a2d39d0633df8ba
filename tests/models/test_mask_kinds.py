"""The masks that interpolation cannot solve: V-JEPA-style blocks and the future half."""

from __future__ import annotations

import pytest
import torch

from nlv_kedro.models.masking import block_mask, future_mask


def _runs(row: torch.Tensor) -> list[int]:
    """Lengths of the contiguous True runs of one (T,) bool row."""
    runs, current = [], 0
    for value in row.tolist() + [False]:
        if value:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    return runs


@pytest.mark.parametrize("n_blocks", [1, 2, 3])
def test_block_mask_masks_exactly_k_chunks_in_at_most_n_separate_blocks(n_blocks: int) -> None:
    lengths = torch.tensor([0, 1, 2, 5, 10, 15, 40])
    g = torch.Generator().manual_seed(0)
    for _ in range(50):
        mask = block_mask(lengths, 0.5, n_blocks=n_blocks, generator=g)
        assert mask.shape == (7, 40)
        for row, length in enumerate(lengths.tolist()):
            k = 0 if length < 2 else min(max(1, round(0.5 * length)), length - 1)
            assert int(mask[row].sum()) == k and not mask[row, length:].any()
            runs = _runs(mask[row])
            assert len(runs) <= n_blocks and (not runs or max(runs) - min(runs) <= 1)
    assert _runs(block_mask(torch.tensor([40]), 0.5, 2, torch.Generator().manual_seed(3))[0]) == [10, 10]


def test_block_mask_is_seeded_and_varies_between_draws() -> None:
    lengths = torch.full((8,), 20)
    a = block_mask(lengths, 0.4, 2, torch.Generator().manual_seed(1))
    b = block_mask(lengths, 0.4, 2, torch.Generator().manual_seed(1))
    g = torch.Generator().manual_seed(1)
    c, d = block_mask(lengths, 0.4, 2, g), block_mask(lengths, 0.4, 2, g)
    assert torch.equal(a, b) and not torch.equal(c, d)
    with pytest.raises(ValueError, match="n_blocks"):
        block_mask(lengths, 0.4, 0)


def test_future_mask_is_the_last_share_of_each_video() -> None:
    mask = future_mask(torch.tensor([1, 2, 6, 9]), 0.5)
    assert mask.tolist()[0] == [False] * 9
    assert mask.tolist()[1] == [False, True] + [False] * 7
    assert mask.tolist()[2] == [False, False, False, True, True, True, False, False, False]
    assert mask[3].tolist() == [False] * 5 + [True] * 4  # round(4.5) = 4 (banker's rounding, as span_mask)


def test_hidden_masked_time_reveals_nothing_about_a_masked_chunk() -> None:
    from nlv_kedro.models import NextLevelConfig, NextLevelModel

    torch.manual_seed(0)
    config = NextLevelConfig(input_dim=8, d_model=16, n_layers=1, n_heads=2, head_hidden=16, max_chunks=16,
                             dropout=0.0, pooling="mean", head_skip="none", hide_masked_time=True)
    model = NextLevelModel(config).eval()
    x, pad = torch.randn(1, 6, 8), torch.zeros(1, 6, dtype=torch.bool)
    times = torch.stack([torch.arange(6.0), torch.arange(6.0) + 1], dim=-1).unsqueeze(0)
    mpos = torch.tensor([[False, False, True, False, False, False]])
    stretched = times.clone()
    stretched[0, 2] = torch.tensor([2.5, 2.6])  # another start and duration for the masked chunk only
    with torch.no_grad():
        a, b = model(x, pad, times, mpos).predictions, model(x, pad, stretched, mpos).predictions
        visible = model(x, pad, stretched).predictions  # unmasked: its time counts again
    assert torch.allclose(a, b) and not torch.allclose(model(x, pad, times).predictions, visible)
