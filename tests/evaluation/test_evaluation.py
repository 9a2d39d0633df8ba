"""Unit tests for the evaluation layer: probe, retrieval, clustering (hand-made data, known answers, CPU, seconds)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlv_kedro.evaluation import (
    cluster_metrics,
    evaluate_probe,
    few_shot_indices,
    fit_probe,
    probe_curve,
    purity,
    retrieval_metrics,
    text_video_retrieval,
    topk_accuracy,
    train_projection,
)

# ---------------------------------------------------------------- retrieval


def test_retrieval_metrics_known_ranks() -> None:
    # true item (diagonal) ranks per row: 1, 2, 1, 4
    sim = np.array(
        [
            [0.9, 0.1, 0.2, 0.3],
            [0.8, 0.5, 0.1, 0.2],
            [0.1, 0.2, 0.7, 0.3],
            [0.9, 0.8, 0.7, 0.1],
        ]
    )
    m = retrieval_metrics(sim)
    assert m["R@1"] == pytest.approx(50.0)
    assert m["R@5"] == pytest.approx(100.0)
    assert m["R@10"] == pytest.approx(100.0)
    assert m["MdR"] == pytest.approx(1.5)
    assert m["MnR"] == pytest.approx(2.0)


def test_retrieval_ties_count_against_query() -> None:
    m = retrieval_metrics(np.ones((4, 4)))
    assert m["R@1"] == 0.0 and m["MdR"] == 4.0


def test_text_video_retrieval_transposes() -> None:
    sim = np.array([[1.0, 0.0, 0.5], [0.9, 0.2, 0.0], [0.0, 0.1, 0.3]])
    out = text_video_retrieval(sim)
    assert out["t2v"] == retrieval_metrics(sim)
    assert out["v2t"] == retrieval_metrics(sim.T)
    # t2v ranks: 1, 2, 1 ; v2t ranks (columns): 1, 1, 2
    assert out["t2v"]["MnR"] == pytest.approx(4 / 3)
    assert out["v2t"]["R@1"] == pytest.approx(200 / 3)


def test_retrieval_rejects_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        retrieval_metrics(np.array([[np.nan, 0.0], [0.0, 1.0]]))


def test_train_projection_beats_chance_on_held_out_pairs() -> None:
    rng = np.random.default_rng(0)
    n_train, n_val, n_test, d_v, d_t = 150, 50, 100, 32, 24
    video = rng.normal(size=(n_train + n_val + n_test, d_v))
    text = video @ rng.normal(size=(d_v, d_t)) + 0.3 * rng.normal(size=(len(video), d_t))
    tr, va, te = slice(0, n_train), slice(n_train, n_train + n_val), slice(n_train + n_val, None)
    proj_v, proj_t = train_projection(video[tr], text[tr], video[va], text[va], dim=16, epochs=150, seed=0)
    zv, zt = proj_v(video[te]), proj_t(text[te])
    assert zv.shape == (n_test, 16) and zt.shape == (n_test, 16)
    np.testing.assert_allclose(np.linalg.norm(zv, axis=1), 1.0, atol=1e-5)
    r1 = text_video_retrieval(zt @ zv.T)["t2v"]["R@1"]
    assert r1 > 30.0  # chance is 1%
    # deterministic given the seed
    proj_v2, _ = train_projection(video[tr], text[tr], video[va], text[va], dim=16, epochs=150, seed=0)
    np.testing.assert_array_equal(proj_v2(video[te]), zv)


# ---------------------------------------------------------------- clustering


def test_purity_and_nmi_on_known_partitions() -> None:
    truth = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    assert purity(truth, truth) == 1.0
    assert purity(truth, np.array([5, 5, 5, 9, 9, 9, 7, 7, 7])) == 1.0  # renamed clusters
    assert purity(truth, np.zeros(9, dtype=int)) == pytest.approx(1 / 3)
    assert purity(truth, np.array([0, 0, 1, 1, 1, 1, 2, 2, 2])) == pytest.approx(8 / 9)


def test_cluster_metrics_separable_and_independent() -> None:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 40)
    centers = 10.0 * np.eye(8)[:3]
    x = centers[labels] + rng.normal(size=(120, 8))
    perfect = cluster_metrics(x, labels)
    assert perfect["nmi"] == pytest.approx(1.0) and perfect["ari"] == pytest.approx(1.0) and perfect["purity"] == 1.0
    permuted = cluster_metrics(x, np.array(["c", "a", "b"])[labels])
    assert permuted["nmi"] == pytest.approx(1.0)
    noise = cluster_metrics(rng.normal(size=(600, 8)), rng.integers(0, 3, size=600), n_init=3)
    assert noise["nmi"] < 0.05 and abs(noise["ari"]) < 0.05


# ---------------------------------------------------------------- probe


def test_few_shot_indices_exact_seeded_and_in_train() -> None:
    labels = np.array(["a"] * 5 + ["b"] * 3 + ["c"] * 7)
    idx = few_shot_indices(labels, 3, seed=0)
    assert idx.shape == (9,) and np.all(np.diff(idx) > 0)
    assert idx.min() >= 0 and idx.max() < len(labels)
    values, counts = np.unique(labels[idx], return_counts=True)
    assert list(values) == ["a", "b", "c"] and list(counts) == [3, 3, 3]
    np.testing.assert_array_equal(idx, few_shot_indices(labels, 3, seed=0))
    draws = {tuple(few_shot_indices(labels, 2, seed=s)) for s in range(10)}
    assert len(draws) > 1


def test_few_shot_indices_too_few_names_class() -> None:
    with pytest.raises(ValueError, match=r"'b'.*k=4"):
        few_shot_indices(np.array(["a"] * 5 + ["b"] * 3), 4, seed=0)


def test_topk_accuracy_hand_made() -> None:
    classes = np.array(["x", "y", "z"])
    scores = np.array([[0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]])
    y = np.array(["x", "z", "y", "x"])
    assert topk_accuracy(scores, y, classes, 1) == pytest.approx(0.25)
    assert topk_accuracy(scores, y, classes, 2) == pytest.approx(0.5)
    assert topk_accuracy(scores, y, classes, 5) == pytest.approx(1.0)  # clipped to 3 classes


def test_topk_accuracy_ties_go_to_first_class_and_unknown_labels_miss() -> None:
    ties = np.zeros((4, 4))
    assert topk_accuracy(ties, np.array([0, 1, 2, 3]), np.arange(4), 1) == 0.25  # only class 0 is "top"
    assert topk_accuracy(ties, np.array([0, 1, 2, 3]), np.arange(4), 2) == 0.5  # classes 0 and 1
    unsorted = np.array([[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]])
    assert topk_accuracy(unsorted, np.array(["b", "b", "q"]), np.array(["b", "a"]), 1) == pytest.approx(1 / 3)


def _blobs(n_per_class: int, seed: int, n_classes: int = 4, dim: int = 10) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(123).normal(scale=4.0, size=(n_classes, dim))
    y = np.repeat(np.arange(n_classes), n_per_class)
    return centers[y] + rng.normal(size=(len(y), dim)), y


def test_fit_probe_separable_blobs() -> None:
    (xtr, ytr), (xva, yva), (xte, yte) = _blobs(30, 0), _blobs(10, 1), _blobs(25, 2)
    grid = (0.01, 0.1, 1.0, 10.0, 100.0)
    model, c = fit_probe(xtr, ytr, xva, yva, c_grid=grid)
    assert c in grid
    assert evaluate_probe(model, xte, yte)["top1"] >= 0.95
    _, c_empty = fit_probe(xtr, ytr, xva[:0], yva[:0])
    assert c_empty == 1.0


def test_row_span_probe_is_the_full_dimensional_optimum() -> None:
    """Fewer rows than dimensions: the fit in the rows' span is the same model as lbfgs on all D dimensions."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    from nlv_kedro.evaluation.probe import RowSpan, _make_probe

    (xtr, ytr), (xte, _) = _blobs(3, 0, dim=60), _blobs(5, 1, dim=60)  # 12 rows, 60 dimensions
    for c in (0.1, 10.0):
        ours = _make_probe(c, 100_000).set_params(logreg__tol=1e-10).fit(xtr, ytr)  # both run to the optimum
        assert ours.named_steps["span"].basis_.shape == (60, 11)  # 12 centered rows span 11 dimensions
        scaler = StandardScaler().fit(xtr)
        full = LogisticRegression(C=c, tol=1e-10, max_iter=100_000).fit(scaler.transform(xtr), ytr)
        assert np.allclose(ours.predict_proba(xte), full.predict_proba(scaler.transform(xte)), atol=1e-3)
    tall = RowSpan().fit(xtr[:, :5])  # more rows than dimensions: nothing to project
    assert tall.basis_ is None and np.array_equal(tall.transform(xtr[:, :5]), xtr[:, :5])
    rank_two = RowSpan().fit(np.repeat(xtr[:2], 3, axis=0))  # repeated rows: the basis has the rows' rank
    assert rank_two.basis_.shape == (60, 2)


def test_probe_curve_shapes_subsets_and_json() -> None:
    (xtr, ytr), (xva, yva), (xte, yte) = _blobs(6, 0), _blobs(5, 1), _blobs(10, 2)
    subsets = {"order_dependent": yte < 2, "other": yte >= 2}
    out = probe_curve(xtr, ytr, xva, yva, xte, yte, shots=(1, 2, 4, 8), seeds=(0,), subsets=subsets)
    assert out["shots"] == [1, 2, 4] and out["skipped_shots"] == [8]
    for key in ("top1", "top5", "top1_order_dependent", "top1_other"):
        assert len(out[f"{key}_mean"]) == 3 and out[f"{key}_std"] == [0.0, 0.0, 0.0]
    assert set(out["full"]) == {"top1", "top5", "top1_order_dependent", "top1_other", "correct"}
    assert out["full"]["top1"] >= 0.95 and np.mean(out["full"]["correct"]) == pytest.approx(out["full"]["top1"])
    assert np.shape(out["correct"]) == (3, 1, len(yte))  # shots x seeds x test rows
    assert [np.mean(c) for c in out["correct"]] == pytest.approx(out["top1_mean"])
    json.dumps(out)  # plain python types only
    several = probe_curve(xtr, ytr, xva, yva, xte, yte, shots=(1,), seeds=(0, 1, 2))
    assert len(several["top1_mean"]) == 1 and len(several["c_chosen"][0]) == 3
    full_only = probe_curve(xtr, ytr, xva, yva, xte, yte, shots=(), seeds=(0,))
    assert full_only["shots"] == [] and full_only["top1_mean"] == [] and full_only["full"] == several["full"]


def test_shared_captions_warn_that_r_at_1_is_ties(caplog: pytest.LogCaptureFixture) -> None:
    from nlv_kedro.evaluation.downstream import warn_shared_captions

    per_class = np.repeat(np.eye(3, dtype=np.float32), 4, axis=0)  # 12 videos, one caption per class
    with caplog.at_level("WARNING", logger="nlv_kedro.evaluation.downstream"):
        assert warn_shared_captions(per_class) == 3
    assert "12 test videos have only 3 distinct captions" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="nlv_kedro.evaluation.downstream"):
        assert warn_shared_captions(np.random.default_rng(0).normal(size=(12, 3))) == 12
    assert caplog.text == ""
