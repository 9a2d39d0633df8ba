"""Linear-probe solver benchmark: the few-shot probe's fits, old solver vs the row-span solver, side by side.

The few-shot curve fits shots x seeds x C-grid logistic regressions on a few rows of high-dimensional vectors
(19 classes x 1-4 shots of 5120-dim 4-segment pooled vectors in the demo benchmark). Variants, interleaved and
rotated each repeat, medians taken:
  - plain: standardize + lbfgs on all D dimensions, sklearn's tol 1e-4, max_iter 2000 (the previous probe);
  - row_span: the probe now (``nlv_kedro.evaluation.probe._make_probe``): the same problem in the span of the
    training rows (n instead of D unknowns per class), the same tol and max_iter;
  - reference (not timed): row span with tol 1e-10, the optimum both try to reach.
Prints the time ratio and how close each variant's val probabilities and predictions are to the reference.
Goal: row_span >= 5x faster than plain, and at least as close to the optimum. Data: the 4-segment pooled frozen
chunk vectors of the project's train / val videos (after `make run`), else seeded Gaussian clusters (which
lbfgs finds much easier than real vectors):  .venv/bin/python benchmarks/probe_benchmark.py
Exits 0 when a goal is missed: it is a report.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from nlv_kedro.evaluation.config import DEFAULT_C_GRID
from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.evaluation.probe import _make_probe, few_shot_indices
from nlv_kedro.models.pooling import temporal_mean_pool_array

DATA = Path(__file__).resolve().parents[1] / "data"

GOAL_SPEEDUP = 5.0


def plain(c: float) -> Pipeline:
    return Pipeline([("scale", StandardScaler()), ("logreg", LogisticRegression(C=c, max_iter=2000))])


def row_span(c: float, tol: float | None = None) -> Pipeline:
    model = _make_probe(c, 100_000 if tol else 2000)
    return model.set_params(logreg__tol=tol) if tol else model


def project_vectors(data_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray] | None:
    """4-segment pooled frozen chunk vectors and labels of one split of the project's data, or None."""
    index_path = data_dir / "02_intermediate" / "video_index.csv"
    store_path = data_dir / "04_feature" / "chunk_embeddings"
    if not index_path.exists() or not store_path.is_dir():
        return None
    index = pd.read_csv(index_path)
    index = index[index["split"] == split]
    store = EmbeddingStore(store_path)
    rows = [(temporal_mean_pool_array(store.read(v)[0]["embeddings"], 4), label)
            for v, label in zip(index["video_id"], index["label"]) if store.path(v).exists()]
    return (np.stack([r[0] for r in rows]), np.array([r[1] for r in rows])) if rows else None


def data(classes: int, dim: int, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters whose centers are close enough that val accuracy is far from 100%."""
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(1234).normal(scale=0.08, size=(classes, dim))
    y = np.repeat(np.arange(classes), per_class)
    return (centers[y] + rng.normal(size=(len(y), dim))).astype(np.float32), y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dim", type=int, default=5120, help="synthetic data only")
    parser.add_argument("--classes", type=int, default=19, help="synthetic data only")
    parser.add_argument("--shots", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DATA, help="a project's data/ folder (default: this one's)")
    args = parser.parse_args()
    train, val = project_vectors(args.data, "train"), project_vectors(args.data, "val")
    if train is None or val is None or np.unique(train[1], return_counts=True)[1].min() < max(args.shots):
        print("no project data with enough train videos per class (run `make run`): synthetic clusters")
        train = data(args.classes, args.dim, max(args.shots) * 2, seed=0)
        val = data(args.classes, args.dim, 2, seed=1)
    (train_x, train_y), (val_x, val_y) = train, val
    fits = [(k, s, c) for k in args.shots for s in range(args.seeds) for c in DEFAULT_C_GRID]
    rows = {(k, s): few_shot_indices(train_y, k, s) for k in args.shots for s in range(args.seeds)}

    def run(make) -> tuple[float, list[np.ndarray]]:
        start, probs = time.perf_counter(), []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for k, s, c in fits:
                idx = rows[(k, s)]
                probs.append(make(c).fit(train_x[idx], train_y[idx]).predict_proba(val_x))
        return time.perf_counter() - start, probs

    variants = {"plain": plain, "row_span": row_span}
    times: dict[str, list[float]] = {name: [] for name in variants}
    probs: dict[str, list[np.ndarray]] = {}
    for repeat in range(args.repeats):
        order = list(variants)[repeat % 2:] + list(variants)[: repeat % 2]
        for name in order:
            seconds, probs[name] = run(variants[name])
            times[name].append(seconds)
    _, reference = run(lambda c: row_span(c, tol=1e-10))
    print(f"{len(fits)} fits ({len(np.unique(train_y))} classes, shots {args.shots}, {args.seeds} seeds, C grid "
          f"{list(DEFAULT_C_GRID)}, {train_x.shape[1]} dims, {len(val_y)} val rows), median of {args.repeats} "
          "interleaved repeats")
    print(f"{'variant':<10} {'seconds':>8} {'max |p - p_opt|':>16} {'val rows predicted as the optimum':>34}")
    for name in variants:
        gap = max(float(np.abs(p - r).max()) for p, r in zip(probs[name], reference))
        same = np.mean([p.argmax(1) == r.argmax(1) for p, r in zip(probs[name], reference)])
        print(f"{name:<10} {statistics.median(times[name]):>8.2f} {gap:>16.3f} {same:>33.1%}")
    speedup = statistics.median(times["plain"]) / statistics.median(times["row_span"])
    print(f"speedup row_span vs plain: {speedup:.1f}x (goal >= {GOAL_SPEEDUP:g}x: "
          f"{'met' if speedup >= GOAL_SPEEDUP else 'NOT met'})")


if __name__ == "__main__":
    main()
