"""The val probe every study scores with: a linear probe fitted on train vectors and scored on val vectors
(the test split is left to the main evaluation), and the frozen pooling baselines it is compared with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from nlv_kedro.evaluation.probe import evaluate_probe, fit_probe
from nlv_kedro.models.pooling import temporal_mean_pool_array
from nlv_kedro.training.data import Sequences


def val_probe(train_x: np.ndarray, train_y: np.ndarray, val_x: np.ndarray, val_y: np.ndarray,
              c_grid: Sequence[float], subsets: Mapping[str, np.ndarray] | None = None) -> dict[str, float]:
    """Standardize + logistic regression fitted on train, C chosen on val among ``c_grid`` (one value = no
    selection); top-1/top-5 on val, plus ``top1_<name>`` on each boolean val-row mask in ``subsets``."""
    model, _ = fit_probe(train_x, train_y, val_x, val_y, c_grid)
    return evaluate_probe(model, val_x, val_y, dict(subsets) if subsets else None)


def probe_on_val(x: np.ndarray, videos: pd.DataFrame, c: float) -> dict[str, float | None]:
    """:func:`val_probe` with a fixed C over the rows of ``videos`` (columns split, label, order_dependent).

    Returns top1, and top1 on the order-dependent classes and the rest (None when a subset is empty)."""
    split, y = videos["split"].to_numpy(), videos["label"].to_numpy()
    train, val = split == "train", split == "val"
    order = videos["order_dependent"].to_numpy(bool)[val]
    subsets = {name: mask for name, mask in (("order_dependent", order), ("other", ~order)) if mask.any()}
    metrics = val_probe(x[train], y[train], x[val], y[val], [c], subsets)
    return {"top1": metrics["top1"], "top1_order_dependent": metrics.get("top1_order_dependent"),
            "top1_other": metrics.get("top1_other")}


def mean_pool_vectors(sequences: Sequences) -> np.ndarray:
    """The frozen baseline: the mean chunk vector of each video (N, D)."""
    return np.stack([v.mean(0) for v in sequences.vectors])


def temporal_pool_vectors(sequences: Sequences, segments: int) -> np.ndarray:
    """The order-aware frozen baseline: per-segment means of the chunk vectors (NextLevel's temporal pooling)."""
    return np.stack([temporal_mean_pool_array(v, segments) for v in sequences.vectors])
