"""Paired bootstrap confidence intervals for differences in accuracy, and the one rule for "beats".

Two methods scored on the same items (test videos, test questions) give two 0/1 correctness vectors. The
paired bootstrap resamples the *items* with replacement and recomputes the difference of mean accuracy on each
resample; the 2.5th and 97.5th percentiles bound the 95% interval. Resampling items (not methods) keeps the
pairing, so the interval reflects which items each method gets right, not only how many.

Several seeds of one method (pretraining seeds, QA training seeds) are averaged per item before resampling:
an item's score is the share of seeds that got it right, so the interval covers item sampling with the seed
spread folded in. ``beats`` is true only when the whole interval lies above zero.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_RESAMPLES = 2000
DEFAULT_LEVEL = 0.95


def per_item_score(correct: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """(items,) or (seeds, items) 0/1 correctness -> (items,) mean over seeds, as float64."""
    array = np.asarray(correct, dtype=np.float64)
    if array.ndim == 1:
        return array
    if array.ndim == 2:
        return array.mean(axis=0)
    raise ValueError(f"correctness must be (items,) or (seeds, items), got shape {array.shape}")


def paired_bootstrap(a: np.ndarray | Sequence, b: np.ndarray | Sequence, resamples: int = DEFAULT_RESAMPLES,
                     level: float = DEFAULT_LEVEL, seed: int = 0) -> dict[str, float | int | bool]:
    """Difference ``mean(a) - mean(b)`` over paired items with its percentile bootstrap interval.

    ``a`` and ``b``: per-item correctness, (items,) or (seeds, items) each (seeds are averaged per item first).
    Returns plain floats (points of accuracy x100 are left to the caller): ``diff``, ``lo``, ``hi``, ``n``,
    ``level``, ``resamples`` and ``beats`` (``lo > 0``). Same ``seed`` -> same interval.
    """
    x, y = per_item_score(a), per_item_score(b)
    if x.shape != y.shape:
        raise ValueError(f"paired bootstrap needs the same items in both: {x.shape[0]} vs {y.shape[0]}")
    if x.size == 0:
        raise ValueError("paired bootstrap needs at least one item")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    delta = x - y
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, delta.size, size=(resamples, delta.size))
    means = delta[draws].mean(axis=1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return {"diff": float(delta.mean()), "lo": float(lo), "hi": float(hi), "n": int(delta.size),
            "level": float(level), "resamples": int(resamples), "beats": bool(lo > 0)}


def seed_spread(accuracies: Sequence[float]) -> dict[str, float | int]:
    """Mean and sample standard deviation (ddof=1; 0 for a single seed) of per-seed accuracies."""
    values = np.asarray(list(accuracies), dtype=np.float64)
    if values.size == 0:
        raise ValueError("seed_spread needs at least one accuracy")
    std = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return {"mean": float(values.mean()), "std": std, "seeds": int(values.size),
            "min": float(values.min()), "max": float(values.max())}


def format_ci(result: dict, scale: float = 100.0, digits: int = 1) -> str:
    """``+3.0 [+1.0, +5.0]`` (points of accuracy by default) for tables and logs."""
    return (f"{result['diff'] * scale:+.{digits}f} [{result['lo'] * scale:+.{digits}f}, "
            f"{result['hi'] * scale:+.{digits}f}]")
