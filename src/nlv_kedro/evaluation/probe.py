"""Linear probe on frozen vectors (CLIP and the thesis): multinomial logistic regression, few-shot curves.

Protocol: for k shots per class and several seeds, draw k training examples per class (from the train split
only), standardize with statistics of those examples, pick C on the validation split, report top-1/top-5
on the test split. Everything returned by :func:`probe_curve` is plain python floats and lists so it can go
straight into a JSON / metrics dataset.

Solver: with fewer training rows than dimensions (every few-shot fit), the L2-regularized optimum lies in the
span of the training rows (stationarity: w = -C X^T (p - y)), so the fit runs on the rows' coordinates in that
span (:class:`RowSpan`): the same problem in n instead of D unknowns per class, with sklearn's lbfgs settings.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, top_k_accuracy_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from nlv_kedro.evaluation.config import DEFAULT_C_GRID

logger = logging.getLogger(__name__)

PROBE_TOL = 1e-4  # lbfgs gradient tolerance (sklearn's default; 1e-6 took 3-10x the iterations for the same val picks)
PROBE_MAX_ITER = 2000


def few_shot_indices(labels: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Indices into ``labels`` with exactly ``k`` per class, drawn without replacement, returned sorted.

    The caller passes the *train* labels only, so every returned index is a train row by construction
    (test rows can never leak in). Same ``seed`` -> same draw (``np.random.default_rng(seed)``, classes
    visited in sorted order).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    if k < 1:
        raise ValueError(f"k (shots per class) must be >= 1, got {k}")
    rng = np.random.default_rng(seed)
    chosen: list[np.ndarray] = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if members.size < k:
            raise ValueError(
                f"class {cls!r} has only {members.size} training examples, fewer than k={k}; "
                "lower the shot count or drop the class"
            )
        chosen.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(chosen)) if chosen else np.empty(0, dtype=np.int64)


class RowSpan(TransformerMixin, BaseEstimator):
    """Coordinates in the span of the training rows: an exact reparametrization of an L2-penalized linear model.

    ``fit`` keeps an orthonormal basis V (D x r) of the training rows (r = their rank, from an SVD); ``transform``
    returns x V. For any w = V u, w.x = u.(x V) and |w| = |u|, and the L2-penalized optimum has this form, so a
    linear model fitted on the coordinates is the full-dimensional one. With at least as many rows as dimensions
    the basis would be the whole space, so nothing is projected.
    """

    def fit(self, x: np.ndarray, y: object = None) -> RowSpan:
        x = np.asarray(x, dtype=np.float64)
        if x.shape[0] >= x.shape[1]:
            self.basis_: np.ndarray | None = None
            return self
        _, s, vt = np.linalg.svd(x, full_matrices=False)
        rank = int((s > s.max(initial=0.0) * max(x.shape) * np.finfo(np.float64).eps).sum())
        self.basis_ = vt[: max(rank, 1)].T
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return x if self.basis_ is None else x @ self.basis_


def _make_probe(c: float, max_iter: int) -> Pipeline:
    # lbfgs on >2 classes is multinomial (softmax) in sklearn >= 1.5; for 2 classes it is the equivalent binary model.
    return Pipeline(
        [("scale", StandardScaler()), ("span", RowSpan()),
         ("logreg", LogisticRegression(C=c, solver="lbfgs", max_iter=max_iter, tol=PROBE_TOL))]
    )


def _fit(c: float, x: np.ndarray, y: np.ndarray, max_iter: int) -> tuple[Pipeline, bool]:
    """(fitted probe, whether lbfgs converged)."""
    model = _make_probe(c, max_iter)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(x, y)
    return model, not any(issubclass(w.category, ConvergenceWarning) for w in caught)


def fit_probe(
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    c_grid: Sequence[float] = DEFAULT_C_GRID,
    max_iter: int = PROBE_MAX_ITER,
) -> tuple[object, float]:
    """Fit standardize + logistic regression, choosing C from ``c_grid`` by validation accuracy.

    Ties go to the smaller C (stronger regularization is the safer bet with few shots). With an empty
    validation split there is nothing to select on, so C=1.0 is used. Returns (fitted Pipeline, chosen C);
    the Pipeline exposes ``predict_proba`` and ``classes_``. Each C is fitted once, on the train rows only,
    and the chosen C's fit is returned as it is (no refit: the same model a refit on train would give).
    """
    train_x, train_y = np.asarray(train_x), np.asarray(train_y)
    if train_x.ndim != 2 or len(train_x) != len(train_y):
        raise ValueError(f"train_x must be (N, D) aligned with train_y; got {train_x.shape} and {train_y.shape}")
    if np.unique(train_y).size < 2:
        raise ValueError("train_y holds fewer than 2 classes; a classifier probe needs at least 2")
    if not c_grid:
        raise ValueError("c_grid is empty; pass at least one regularization value C")
    if val_x is None or val_y is None or len(val_y) == 0:
        logger.info("empty validation split: fitting the probe with C=1.0")
        candidates = [(1.0, *_fit(1.0, train_x, train_y, max_iter), 0.0)]
    else:
        val_x, val_y = np.asarray(val_x, dtype=train_x.dtype), np.asarray(val_y)
        candidates = []
        for c in sorted(float(c) for c in c_grid):  # ascending, and only a strictly better score replaces the best
            model, converged = _fit(c, train_x, train_y, max_iter)
            candidates.append((c, model, converged, accuracy_score(val_y, model.predict(val_x))))
    best_c, model, converged, score = max(candidates, key=lambda row: row[3])  # max keeps the first of ties
    if not converged:
        logger.warning("logistic probe did not converge in %d iterations (C=%g)", max_iter, best_c)
    logger.debug("probe: chose C=%g (val accuracy %.4f)", best_c, score)
    return model, best_c


def topk_accuracy(scores: np.ndarray, y_true: np.ndarray, classes: np.ndarray, k: int) -> float:
    """Fraction of rows whose true label is among the ``k`` highest-scoring classes.

    ``scores`` is (N, C) with columns aligned to ``classes``; k is clipped to C. A label absent from
    ``classes`` counts as a miss. Empty input -> nan (there is no accuracy to report).
    """
    scores, y_true, classes = np.asarray(scores), np.asarray(y_true), np.asarray(classes)
    if scores.ndim != 2 or scores.shape[1] != len(classes) or scores.shape[0] != len(y_true):
        raise ValueError(
            f"scores must be (N, C) = ({len(y_true)}, {len(classes)}) to match y_true and classes; got {scores.shape}"
        )
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if len(y_true) == 0:
        return float("nan")
    known = np.isin(y_true, classes)
    n_classes = len(classes)
    if not known.any():
        return 0.0
    scores, y_true = scores[known], y_true[known]
    if k >= n_classes:
        hits = float(known.sum())
    elif k == 1:  # argmax takes the first of tied columns, as the stable top-k order below does
        hits = accuracy_score(y_true, classes[np.argmax(scores, axis=1)], normalize=False)
    else:
        # sklearn breaks ties towards the *last* column, so reverse the columns (labels 0..C-1 stay sorted) to
        # keep ties going to the first class in ``classes``.
        index = {c: i for i, c in enumerate(classes.tolist())}
        y_rev = n_classes - 1 - np.array([index[c] for c in y_true.tolist()])
        hits = top_k_accuracy_score(y_rev, scores[:, ::-1], k=k, labels=np.arange(n_classes), normalize=False)
    return float(hits) / len(known)


def evaluate_probe(
    model: object, x: np.ndarray, y: np.ndarray, subsets: dict[str, np.ndarray] | None = None
) -> dict[str, float]:
    """Top-1 and top-5 (top-min(5, C)) accuracy, plus ``top1_<name>`` on each boolean row mask in ``subsets``."""
    y = np.asarray(y)
    scores = model.predict_proba(np.asarray(x))  # type: ignore[attr-defined]  # (N, C)
    classes = np.asarray(model.classes_)  # type: ignore[attr-defined]
    metrics = {
        "top1": topk_accuracy(scores, y, classes, 1),
        "top5": topk_accuracy(scores, y, classes, min(5, len(classes))),
    }
    for name, mask in (subsets or {}).items():
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != y.shape:
            raise ValueError(f"subset {name!r} mask has shape {mask.shape}, expected {y.shape} (one flag per row)")
        metrics[f"top1_{name}"] = topk_accuracy(scores[mask], y[mask], classes, 1)
    return metrics


def full_probe(
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    subsets: dict[str, np.ndarray] | None = None,
    c_grid: Sequence[float] = DEFAULT_C_GRID,
) -> tuple[dict, float]:
    """The probe trained on every train example -> (metrics with ``correct``, chosen C).

    ``correct`` is the 0/1 top-1 hit of each test row, in test order (ties go to the first class, as in
    :func:`topk_accuracy`), so two methods' probes can be compared video by video (paired bootstrap).
    """
    model, c = fit_probe(train_x, train_y, val_x, val_y, c_grid)
    metrics: dict = {name: float(v) for name, v in evaluate_probe(model, test_x, test_y, subsets).items()}
    metrics["correct"] = _correct(model, test_x, test_y)
    return metrics, float(c)


def _correct(model: object, x: np.ndarray, y: np.ndarray) -> list[int]:
    """0/1 top-1 hit per row (ties to the first class, as in :func:`topk_accuracy`)."""
    classes = np.asarray(model.classes_)  # type: ignore[attr-defined]
    predicted = classes[np.argmax(model.predict_proba(np.asarray(x)), axis=1)]  # type: ignore[attr-defined]
    return (predicted == np.asarray(y)).astype(int).tolist()


def probe_curve(
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    shots: Sequence[int] = (1, 2, 4, 8, 16),
    seeds: Sequence[int] = (0, 1, 2),
    subsets: dict[str, np.ndarray] | None = None,
    c_grid: Sequence[float] = DEFAULT_C_GRID,
) -> dict:
    """Few-shot curve: mean/std over seeds of test metrics for each shot count, plus the all-train probe.

    ``subsets`` are boolean masks over the *test* rows. Shot counts larger than the smallest train class
    are skipped and listed under ``skipped_shots``; empty ``shots`` gives the all-train probe only. Std is the
    population std (0 for a single seed). ``<metric>_mean`` / ``<metric>_std`` lists align with ``shots`` (the
    shot counts actually run); ``c_chosen`` holds the chosen C per shot and seed, ``correct`` the 0/1 top-1 hit
    per shot, seed and test row (for paired CIs between methods drawn with the same seeds), ``full_C`` the C of
    the all-train probe, whose ``full`` metrics carry the per-test-row ``correct`` list (:func:`full_probe`).
    """
    train_x, train_y = np.asarray(train_x), np.asarray(train_y)
    if not seeds:
        raise ValueError("seeds is empty; pass at least one seed")
    _, counts = np.unique(train_y, return_counts=True)
    smallest = int(counts.min()) if counts.size else 0
    run = [int(k) for k in shots if int(k) <= smallest]
    skipped = [int(k) for k in shots if int(k) > smallest]
    if skipped:
        logger.info("probe curve: skipping shots %s (smallest train class has %d examples)", skipped, smallest)
    metric_names = ["top1", "top5"] + [f"top1_{name}" for name in (subsets or {})]
    result: dict = {"shots": run, "skipped_shots": skipped, "c_chosen": [], "correct": []}
    for name in metric_names:
        result[f"{name}_mean"], result[f"{name}_std"] = [], []
    for k in run:
        per_seed: list[dict[str, float]] = []
        cs: list[float] = []
        hits: list[list[int]] = []
        for seed in seeds:
            idx = few_shot_indices(train_y, k, int(seed))
            model, c = fit_probe(train_x[idx], train_y[idx], val_x, val_y, c_grid)
            per_seed.append(evaluate_probe(model, test_x, test_y, subsets))
            cs.append(float(c))
            hits.append(_correct(model, test_x, test_y))
        for name in metric_names:
            values = np.array([m[name] for m in per_seed], dtype=np.float64)
            result[f"{name}_mean"].append(float(values.mean()))
            result[f"{name}_std"].append(float(values.std()))
        result["c_chosen"].append(cs)
        result["correct"].append(hits)
        logger.info("probe curve: %d-shot top1 %.4f", k, result["top1_mean"][-1])
    result["full"], result["full_C"] = full_probe(train_x, train_y, val_x, val_y, test_x, test_y, subsets, c_grid)
    logger.info("probe curve: full-train top1 %.4f (C=%g)", result["full"]["top1"], result["full_C"])
    return result
