"""The validation table of masked chunks and its epoch summary: baselines, buckets and the per-video interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nlv_kedro.models.diagnostics import SHRINK_FACTORS
from nlv_kedro.training.val_diagnostics import COLUMNS, masked_rows, summarize


def _batch(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(10, dtype=torch.float32).reshape(1, 10, 1)
    x = torch.cat([torch.ones(3, 10, 1) * 4, t * torch.randn(3, 1, 4, generator=g)], dim=-1)  # linear in time
    mask = torch.zeros(3, 10, dtype=torch.bool)
    mask[0, 2], mask[1, 3:5], mask[2, 4:9] = True, True, True
    return {"x": x, "mask": mask, "pad": torch.zeros(3, 10, dtype=torch.bool), "video": torch.tensor([0, 1, 2])}


def test_rows_and_summary_on_linear_sequences() -> None:
    b = _batch()
    pred = b["x"] + 0.5 * torch.randn(b["x"].shape, generator=torch.Generator().manual_seed(1))
    rows = masked_rows(pred, b["x"], pred, b["x"], b["mask"], b["pad"], b["video"], torch.zeros(5))
    assert rows.shape == (int(b["mask"].sum()), len(COLUMNS) + len(SHRINK_FACTORS))
    m = summarize(rows)
    assert m["val/cos_interpolate_neighbours_standardized"] == pytest.approx(1.0)  # interpolation exact
    assert m["val/cos_interpolate_shrunk"] == pytest.approx(1.0)
    assert [m[f"val/share_{n}"] for n in ("span1", "span2_3", "span4plus")] == pytest.approx([1 / 8, 2 / 8, 5 / 8])
    assert m["val/share_cut"] + m["val/share_nocut"] == pytest.approx(1.0)
    assert m["val/gain_over_shrunk_interpolation_hi"] < 0  # a noisy model loses to exact interpolation
    assert m["val/gain_over_shrunk_interpolation_lo"] <= m["val/gain_over_shrunk_interpolation"]


def test_summary_picks_the_best_shrink_factor_and_equals_plain_at_worst() -> None:
    b = _batch()
    noisy = b["x"] + torch.randn(b["x"].shape, generator=torch.Generator().manual_seed(2))
    rows = masked_rows(noisy, b["x"], noisy, b["x"], b["mask"], b["pad"], b["video"], torch.full((5,), 1.0))
    m = summarize(rows)
    assert m["val/interpolate_shrink_factor"] in SHRINK_FACTORS
    assert m["val/cos_interpolate_shrunk"] >= np.nanmean(rows[:, COLUMNS.index("interp")].numpy()) - 1e-9


def test_summary_of_no_rows_leaves_the_metrics_out_instead_of_failing() -> None:
    m = summarize(torch.zeros(0, len(COLUMNS) + len(SHRINK_FACTORS), dtype=torch.float64))
    assert "val/cos_interpolate_shrunk" not in m and "val/gain_over_shrunk_interpolation" not in m
    assert all(math.isfinite(v) for v in m.values())
