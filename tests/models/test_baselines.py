"""The shortcut baselines and the masked-chunk buckets on tiny sequences whose answer is known."""

from __future__ import annotations

import pytest
import torch

from nlv_kedro.models.diagnostics import (
    SHRINK_FACTORS,
    copy_neighbour_cosine,
    interpolate_neighbours,
    position_cosines,
    proxy_cuts,
    shrink_toward,
    shrunk_interpolation_cosines,
    span_bucket,
    span_lengths,
    spans_crossing_cut,
)


def _linear(T: int = 8) -> torch.Tensor:
    t = torch.arange(T, dtype=torch.float32)
    return torch.stack([torch.ones(T), t, -2 * t], dim=-1).unsqueeze(0)  # (1, T, 3): linear in time


MASK = torch.tensor([[False, True, True, False, True, False, False, False]])
PAD = torch.zeros(1, 8, dtype=torch.bool)


def test_interpolation_is_exact_on_a_linear_sequence_in_both_spaces() -> None:
    x = _linear()
    mean, std = torch.tensor([0.5, 3.0, -1.0]), torch.tensor([2.0, 0.5, 4.0])
    for space in (x, (x - mean) / std):  # standardization is per-dimension affine: interpolation commutes
        predicted, usable = interpolate_neighbours(space, MASK, PAD)
        assert usable.tolist() == MASK.tolist()
        assert torch.allclose(predicted[MASK], space[MASK], atol=1e-5)


def test_copy_is_exact_on_a_constant_sequence() -> None:
    x = torch.tensor([1.0, -2.0, 0.5]).expand(1, 8, 3)
    assert copy_neighbour_cosine(x, MASK, PAD) == pytest.approx(1.0)


def test_shrink_factor_one_is_plain_interpolation_and_shrinking_pulls_to_the_mean() -> None:
    x = torch.randn(1, 8, 3, generator=torch.Generator().manual_seed(0))
    mean = torch.tensor([5.0, 0.0, 1.0])
    assert SHRINK_FACTORS[-1] == 1.0
    cos, usable = shrunk_interpolation_cosines(x, MASK, PAD, mean)
    plain, _ = interpolate_neighbours(x, MASK, PAD)
    assert torch.allclose(cos[-1][usable], position_cosines(plain, x)[usable])
    assert torch.allclose(shrink_toward(plain, mean, 0.0), mean.expand_as(plain))
    # toward the origin a shrink is a rescaling: the cosine does not move
    zero_mean, _ = shrunk_interpolation_cosines(x, MASK, PAD, torch.zeros(3))
    assert torch.allclose(zero_mean[0][usable], zero_mean[-1][usable], atol=1e-6)


def test_span_lengths_and_buckets_count_the_masked_chunks() -> None:
    mask = torch.tensor([[True, False, True, True, False, True, True, True, True, False],
                         [False, True, True, True, False, False, False, False, False, True]])
    lengths = span_lengths(mask)
    assert lengths.tolist() == [[1, 0, 2, 2, 0, 4, 4, 4, 4, 0], [0, 3, 3, 3, 0, 0, 0, 0, 0, 1]]
    buckets = span_bucket(lengths)
    assert buckets.tolist()[0] == [0, -1, 1, 1, -1, 2, 2, 2, 2, -1]
    assert [int((buckets == b).sum()) for b in range(3)] == [2, 5, 4]
    assert int((buckets >= 0).sum()) == int(mask.sum())


def test_proxy_cuts_and_spans_crossing_them() -> None:
    a, b = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    x = torch.stack([a, a, a, b, b, b]).unsqueeze(0)  # a cut between chunks 2 and 3
    pad = torch.zeros(1, 6, dtype=torch.bool)
    cuts = proxy_cuts(x, pad)
    assert cuts.tolist() == [[False, False, True, False, False]]
    mask = torch.tensor([[False, True, False, True, True, False]])  # the run {3, 4} reads chunk 2: crosses
    assert spans_crossing_cut(mask, cuts).tolist() == [[False, False, False, True, True, False]]
    mask = torch.tensor([[False, False, True, False, False, False]])  # run {2}, widened to 1..3: crosses
    assert spans_crossing_cut(mask, cuts).tolist() == [[False, False, True, False, False, False]]
    assert not proxy_cuts(x, torch.tensor([[False, False, False, True, True, True]])).any()  # padding: no cut
