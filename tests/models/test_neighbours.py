"""The neighbour shortcuts: interpolation weights, the interpolation baseline, and the model's neighbour skip."""

from __future__ import annotations

import pytest
import torch

from nlv_kedro.models import NextLevelConfig, NextLevelModel, copy_neighbour_cosine, iid_mask
from nlv_kedro.models.diagnostics import interpolate_neighbours_cosine
from nlv_kedro.models.neighbours import mix_neighbours, nearest_visible, neighbour_weights


def test_nearest_visible_and_interpolation_weights() -> None:
    visible = torch.tensor([[True, False, False, True, False], [False, False, False, False, False]])
    prev, nxt = nearest_visible(visible)
    assert prev.tolist() == [[0, 0, 0, 3, 3], [-1] * 5]
    assert nxt.tolist() == [[0, 3, 3, 3, 5], [5] * 5]
    weights, _, _ = neighbour_weights(visible)
    expected = [[1, 0], [2 / 3, 1 / 3], [1 / 3, 2 / 3], [1, 0], [1, 0]]  # last: only a previous chunk -> copy it
    assert torch.allclose(weights[0], torch.tensor(expected), atol=1e-6)
    assert weights[1].abs().sum() == 0  # nothing visible: no neighbour to use


def test_interpolation_baseline_is_exact_on_linear_motion_where_copying_is_not() -> None:
    t = torch.arange(7, dtype=torch.float32)
    target = torch.stack([torch.ones(7), t], dim=-1).unsqueeze(0)  # (1, 7, 2): a point moving linearly
    mask = torch.tensor([[False, False, True, True, True, False, False]])
    pad = torch.zeros(1, 7, dtype=torch.bool)
    assert interpolate_neighbours_cosine(target, mask, pad) == pytest.approx(1.0)
    assert copy_neighbour_cosine(target, mask, pad) < 0.999
    mixed = mix_neighbours(target, *neighbour_weights(~mask))
    assert torch.allclose(mixed, target)


def tiny(**overrides) -> NextLevelModel:
    torch.manual_seed(0)
    config = dict(input_dim=8, d_model=16, n_layers=1, n_heads=2, head_hidden=16, max_chunks=32, dropout=0.0,
                  pooling="mean", head_skip="none")
    return NextLevelModel(NextLevelConfig(**{**config, **overrides})).eval()


def test_neighbour_skip_starts_as_interpolation_and_never_sees_masked_content() -> None:
    model = tiny(head_skip="neighbours")
    x = torch.randn(2, 9, 8)
    pad = torch.zeros(2, 9, dtype=torch.bool)
    pad[1, 6:] = True
    mpos = iid_mask(torch.tensor([9, 6]), 0.4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        model.head.proj.weight.zero_()  # the MLP head silent: what is left is the skip
    out = model(x, pad, mask_positions=mpos)
    interpolated = mix_neighbours(x, *neighbour_weights(~pad & ~mpos))
    real = ~pad
    assert torch.allclose(out.predictions[real], interpolated[real], atol=1e-6)
    x2 = x.clone()
    x2[mpos] = torch.randn(int(mpos.sum()), 8) * 10  # hidden chunks must not reach any prediction
    assert torch.allclose(out.predictions[real], model(x2, pad, mask_positions=mpos).predictions[real], atol=1e-5)


def test_neighbour_skip_learns_to_pick_a_side() -> None:
    """Across a cut (the masked chunk belongs to the next shot) the gates learn to prefer the next neighbour."""
    model = tiny(head_skip="neighbours").train()
    a, b = torch.randn(8), torch.randn(8)
    x = torch.stack([a, a, b, b, b]).unsqueeze(0).repeat(4, 1, 1)  # (4, 5, 8): shot a, then shot b
    pad = torch.zeros(4, 5, dtype=torch.bool)
    mpos = torch.zeros(4, 5, dtype=torch.bool)
    mpos[:, 2] = True  # interpolation gives (a + b) / 2; the right answer is b
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss = lambda: ((model(x, pad, mask_positions=mpos).predictions[:, 2] - b) ** 2).mean()  # noqa: E731
    start = float(loss().detach())
    for _ in range(100):
        optimizer.zero_grad()
        value = loss()
        value.backward()
        optimizer.step()
    assert float(loss().detach()) < 0.05 * start


def test_head_skip_is_validated() -> None:
    with pytest.raises(ValueError, match="head_skip"):
        tiny(head_skip="previous")
    assert tiny().skip_gate is None
