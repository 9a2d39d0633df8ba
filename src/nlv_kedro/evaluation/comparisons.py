"""Per-test-video comparisons of the downstream methods: class subsets, and paired bootstrap CIs of differences.

Numpy only (no torch, no scikit-learn), so the report can import :func:`method_results` cheaply.

``downstream_metrics`` holds one entry per method plus the reserved keys below:
- ``test_video_ids``: the test videos, in the order of every per-video ``correct`` list;
- ``test_subsets``: ``{subset: [bool per test video]}`` (order_dependent, other, each non-empty class group);
- ``comparisons``: ``best_baseline`` (the best frozen non-NextLevel method by full-probe test top-1: choosing
  it on test favours the baseline, so the comparison is conservative), ``probe`` {NextLevel method:
  {``vs_best_baseline`` | ``vs_untrained``: {``against``, ``overall``, <subset>...}}} and ``finetune_head``
  {``nextlevel_finetuned``: {``vs_scratch``: ...}}, ``curve`` {NextLevel method: {``vs_best_baseline`` |
  ``vs_untrained``: {``against``, <k shots>: overall comparison}}} for the few-shot points both methods ran
  (the same draws, seeds averaged per video; absent when a method has no curve), each comparison being
  :func:`nlv_kedro.evaluation.stats.paired_bootstrap` (diff, lo, hi, n, beats = lo > 0) of 0/1 correctness;
- ``label_efficiency`` (only when ``downstream.label_efficiency.enabled``): {k labels per class: {
  ``transformer_scratch`` | ``nextlevel_finetuned``: {head_top1, correct [draw][test video]}, ``vs_scratch``}}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nlv_kedro.evaluation.stats import paired_bootstrap

RESERVED_KEYS = ("test_video_ids", "test_subsets", "comparisons", "label_efficiency")
NEXTLEVEL_METHODS = ("nextlevel_frozen", "nextlevel_finetuned")  # compared against the baseline and the control
UNTRAINED = "nextlevel_untrained"  # same architecture and pooling, random init, never trained
SCRATCH = "transformer_scratch"  # same architecture and pooling, random init, trained on the labels


def method_results(metrics: Mapping) -> dict:
    """The per-method entries of ``downstream_metrics`` (or of ``probe_metrics``), without the reserved keys."""
    return {m: t for m, t in metrics.items() if m not in RESERVED_KEYS}


def is_frozen_baseline(method: str, supervised: Sequence[str] = ()) -> bool:
    """Frozen and not NextLevel (any ``nextlevel_*`` row, controls included, is not a baseline)."""
    return not method.startswith("nextlevel") and method not in supervised


def class_subsets(labels: np.ndarray, order_dependent: np.ndarray,
                  class_groups: Mapping[str, Sequence[str]]) -> dict[str, np.ndarray]:
    """Boolean masks over ``labels`` (one video each): order_dependent / other (only when some video is
    order-dependent, as before), then each class group that matches at least one video (empty ones skipped)."""
    labels, order = np.asarray(labels).astype(str), np.asarray(order_dependent, dtype=bool)
    subsets = {"order_dependent": order, "other": ~order} if order.any() else {}
    for name, classes in class_groups.items():
        mask = np.isin(labels, [str(c) for c in classes])
        if mask.any():
            subsets[name] = mask
    return subsets


def compare(a: Sequence, b: Sequence, subsets: Mapping[str, Sequence[bool]], seed: int = 0) -> dict[str, dict]:
    """Paired bootstrap of ``a - b`` (0/1 per test video) overall and on each non-empty subset."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    out = {"overall": paired_bootstrap(a, b, seed=seed)}
    for name, mask in subsets.items():
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            out[name] = paired_bootstrap(a[mask], b[mask], seed=seed)
    return out


def best_baseline(probe: Mapping[str, dict], supervised: Sequence[str]) -> str | None:
    """The frozen non-NextLevel method with the highest full-probe test top-1 (first in order on ties)."""
    scores = {m: r["full"]["top1"] for m, r in probe.items() if is_frozen_baseline(m, supervised)}
    return max(scores, key=lambda m: scores[m]) if scores else None


def method_comparisons(probe: Mapping[str, dict], finetune: Mapping[str, dict],
                       subsets: Mapping[str, Sequence[bool]], seed: int = 0) -> dict:
    """The ``comparisons`` block (schema in the module docstring) from per-method results with ``correct`` lists."""
    baseline = best_baseline(probe, list(finetune))
    references = {"vs_best_baseline": baseline, "vs_untrained": UNTRAINED if UNTRAINED in probe else None}
    result: dict = {"best_baseline": baseline, "probe": {}, "finetune_head": {}, "curve": {}}
    for method in (m for m in NEXTLEVEL_METHODS if m in probe):
        correct = probe[method]["full"]["correct"]
        result["probe"][method] = {
            name: {"against": ref, **compare(correct, probe[ref]["full"]["correct"], subsets, seed)}
            for name, ref in references.items() if ref is not None}
        curves = {name: _curve_comparison(probe[method], probe[ref], ref, seed)
                  for name, ref in references.items() if ref is not None}
        if any(len(c) > 1 for c in curves.values()):
            result["curve"][method] = {name: c for name, c in curves.items() if len(c) > 1}
    if "nextlevel_finetuned" in finetune and SCRATCH in finetune:
        result["finetune_head"]["nextlevel_finetuned"] = {"vs_scratch": {
            "against": SCRATCH,
            **compare(finetune["nextlevel_finetuned"]["correct"], finetune[SCRATCH]["correct"], subsets, seed)}}
    return result


def _curve_comparison(result: Mapping, reference: Mapping, against: str, seed: int) -> dict:
    """Paired bootstrap of two few-shot curves at each shot count both ran ({"against": ...} only if none)."""
    ours = dict(zip(result.get("shots", []), result.get("correct", [])))
    theirs = dict(zip(reference.get("shots", []), reference.get("correct", [])))
    out: dict = {"against": against}
    for k in (k for k in ours if k in theirs and np.shape(ours[k]) == np.shape(theirs[k])):
        out[str(k)] = paired_bootstrap(ours[k], theirs[k], seed=seed)
    return out
