"""Downstream evaluation: every method's video vectors on the same splits, the same probe and the same metrics.

`downstream_metrics` schema: {method: {task: {metric: value}}} plus the reserved keys ``test_video_ids``,
``test_subsets`` and ``comparisons`` (paired bootstrap CIs; see :mod:`nlv_kedro.evaluation.comparisons`), tasks:
- ``probe``: linear probe; ``shots`` and ``top1_mean``/``top1_std`` lists (few-shot curve over seeds; empty for
  methods outside ``probe.curve_methods``), per-subset curves (``top1_order_dependent_mean``...), and ``full``
  (all train labels) with top1/top5, ``top1_<subset>`` and ``correct`` (0/1 per test video, in
  ``test_video_ids`` order);
- ``finetune``: supervised methods only; the trained head's test accuracy (+ per subset, ``head_top1_<subset>``),
  ``correct`` per test video, best val acc, the pooling of the network;
- ``clustering``: NMI, ARI, purity of k-means (k = number of classes) on the test videos;
- ``retrieval``: ``t2v`` and ``v2t`` R@1/5/10 (percent), MdR, MnR on the test videos.
Supervised methods saw every train label before the probe: their few-shot numbers are not few-shot.
"""

from __future__ import annotations

import json
import logging

import numpy as np

from nlv_kedro.evaluation.clustering import cluster_metrics
from nlv_kedro.evaluation.comparisons import class_subsets, method_comparisons, method_results
from nlv_kedro.evaluation.config import DownstreamConfig
from nlv_kedro.evaluation.probe import probe_curve
from nlv_kedro.evaluation.retrieval import text_video_retrieval, train_projection

logger = logging.getLogger(__name__)


def _split(vectors: dict, name: str) -> np.ndarray:
    return np.flatnonzero(vectors["table"]["split"].to_numpy() == name)


def subset_masks(vectors: dict, params: DownstreamConfig) -> dict[str, np.ndarray]:
    """Boolean masks over the test videos: order_dependent / other and every non-empty class group."""
    table, te = vectors["table"], _split(vectors, "test")
    return class_subsets(table["label"].to_numpy()[te], table["order_dependent"].to_numpy()[te], params.class_groups)


def evaluate_action_recognition(vectors: dict, params: DownstreamConfig) -> dict:
    """Few-shot and full linear probes of every method, broken down into class subsets (order-dependent
    classes, the rest, class groups); the few-shot curve only for ``probe.curve_methods``. Adds the reserved
    keys ``test_video_ids`` and ``test_subsets`` that the per-video ``correct`` lists align with."""
    table, p = vectors["table"], params.probe
    tr, va, te = (_split(vectors, s) for s in ("train", "val", "test"))
    y = table["label"].to_numpy()
    subsets = subset_masks(vectors, params) or None
    results: dict = {}
    for method, x in vectors["methods"].items():
        shots = p.shots if p.curve_methods is None or method in p.curve_methods else []
        results[method] = probe_curve(x[tr], y[tr], x[va], y[va], x[te], y[te], shots, p.seeds, subsets, p.c_grid)
        logger.info("probe %-20s full top1 %.3f", method, results[method]["full"]["top1"])
    results["test_video_ids"] = table["video_id"].to_numpy()[te].tolist()
    results["test_subsets"] = {name: mask.tolist() for name, mask in (subsets or {}).items()}
    return results


def evaluate_clustering(vectors: dict, params: DownstreamConfig) -> dict:
    te = _split(vectors, "test")
    labels = vectors["table"]["label"].to_numpy()[te]
    return {m: cluster_metrics(x[te], labels, seed=params.seed, n_init=params.clustering_n_init)
            for m, x in vectors["methods"].items()}


def evaluate_retrieval(vectors: dict, text_embeddings: dict, params: DownstreamConfig) -> dict:
    """Text-video retrieval: projections learned on train (InfoNCE), selected on val, scored on test."""
    caption_ids = json.loads(text_embeddings["metadata"]["caption_video_ids"])
    row_of = {v: i for i, v in enumerate(caption_ids)}
    ids = vectors["table"]["video_id"].tolist()
    if any(v not in row_of for v in ids):
        raise ValueError("text_embeddings do not cover every video: rerun `kedro run --pipelines=encode`")
    text = text_embeddings["tensors"]["captions"][[row_of[v] for v in ids]]
    tr, va, te = (_split(vectors, s) for s in ("train", "val", "test"))
    warn_shared_captions(text[te])
    r = params.retrieval
    results = {}
    for method, x in vectors["methods"].items():
        project_video, project_text = train_projection(x[tr], text[tr], x[va], text[va], dim=r.dim, epochs=r.epochs,
                                                       lr=r.lr, temperature=r.temperature, seed=params.seed)
        similarity = project_text(text[te]) @ project_video(x[te]).T
        results[method] = text_video_retrieval(similarity)
    return results


def warn_shared_captions(test_text: np.ndarray) -> int:
    """Warn when many test videos share one caption (e.g. one caption per class): R@1 then depends on how ties
    among identical captions fall, not on the video vectors. Returns the number of distinct captions."""
    distinct = len(np.unique(np.round(np.asarray(test_text, dtype=np.float32), 5), axis=0))
    if distinct < 0.5 * len(test_text):
        logger.warning("retrieval: the %d test videos have only %d distinct captions, so R@1 cannot separate "
                       "videos with the same caption; read R@5/R@10 and median rank, or give videos their own "
                       "captions", len(test_text), distinct)
    return distinct


def summarize_downstream(probe: dict, finetune: dict, clustering: dict, retrieval: dict,
                         params: DownstreamConfig) -> tuple[dict, dict]:
    """The `downstream_metrics` document and a flat {name: value} dict that kedro-mlflow logs as metrics."""
    summary: dict[str, dict] = {}
    for method, result in method_results(probe).items():
        summary[method] = {"probe": result, "clustering": clustering[method], "retrieval": retrieval[method]}
        if method in finetune:
            summary[method]["finetune"] = finetune[method]
    comparisons = method_comparisons(method_results(probe), finetune, probe.get("test_subsets", {}), params.seed)
    extra = {"comparisons": comparisons}
    if "label_efficiency" in finetune:
        extra["label_efficiency"] = finetune["label_efficiency"]
    flat = {}
    for method, tasks in {**summary, **extra}.items():
        for key, value in _flatten(tasks).items():
            if isinstance(value, int | float) and value is not None and np.isfinite(value):
                # MLflow metric names allow letters, digits, _ - . / and spaces: "R@1" -> "R_at_1"
                flat[f"downstream.{method}.{key}".replace("@", "_at_")] = {"value": float(value), "step": 0}
    document = {**summary, "test_video_ids": probe.get("test_video_ids", []),
                "test_subsets": probe.get("test_subsets", {}), **extra}
    return document, flat


def _flatten(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif not isinstance(value, list):
            out[name] = value
    return out
