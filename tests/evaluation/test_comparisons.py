"""Class subsets and the paired bootstrap comparisons block of downstream_metrics (hand-made correctness)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from nlv_kedro.evaluation.comparisons import best_baseline, class_subsets, method_comparisons, method_results
from nlv_kedro.evaluation.config import DownstreamConfig
from nlv_kedro.evaluation.probe import full_probe


def _probe(correct: list[int]) -> dict:
    return {"full": {"top1": float(np.mean(correct)), "correct": correct}}


def test_class_subsets_skip_empty_groups_and_keep_order_flags() -> None:
    labels = np.array(["parts_abc", "plain", "parts_bca", "plain"])
    order = np.array([True, False, True, False])
    subsets = class_subsets(labels, order, {"structure": ["parts_abc", "parts_bca"], "absent": ["nothing_here"]})
    assert list(subsets) == ["order_dependent", "other", "structure"]  # the empty group is skipped, no error
    assert subsets["structure"].tolist() == [True, False, True, False]
    assert list(class_subsets(labels, np.zeros(4, bool), {})) == []  # no order-dependent video: no order subsets


def test_class_group_names_cannot_shadow_built_in_subsets() -> None:
    with pytest.raises(ValidationError, match="order_dependent"):
        DownstreamConfig(class_groups={"order_dependent": ["a"]})


def test_comparisons_beat_only_when_the_interval_is_above_zero() -> None:
    n = 40
    always, never = [1] * n, [0] * n
    coin = [i % 2 for i in range(n)]
    probe = {"mean_pool": _probe(coin), "temporal_pool_2": _probe(coin[:-1] + [0]), "nextlevel_frozen": _probe(always),
             "nextlevel_untrained": _probe(coin), "nextlevel_finetuned": _probe(coin[:-1] + [0]),
             "transformer_scratch": _probe(always)}
    finetune = {"transformer_scratch": {"correct": never}, "nextlevel_finetuned": {"correct": always}}
    subsets = {"order_dependent": [i < 10 for i in range(n)], "empty": [False] * n}
    block = method_comparisons(probe, finetune, subsets)
    assert block["best_baseline"] == "mean_pool"  # supervised and nextlevel_* rows are never the baseline
    frozen = block["probe"]["nextlevel_frozen"]
    assert frozen["vs_best_baseline"]["against"] == "mean_pool"
    assert frozen["vs_untrained"]["against"] == "nextlevel_untrained"
    assert frozen["vs_best_baseline"]["overall"]["beats"] and frozen["vs_best_baseline"]["overall"]["lo"] > 0
    assert set(frozen["vs_best_baseline"]) == {"against", "overall", "order_dependent"}  # empty subset skipped
    tuned = block["probe"]["nextlevel_finetuned"]["vs_best_baseline"]["overall"]
    assert tuned["diff"] == pytest.approx(-1 / n) and tuned["lo"] <= 0 and not tuned["beats"]
    head = block["finetune_head"]["nextlevel_finetuned"]["vs_scratch"]
    assert head["against"] == "transformer_scratch" and head["overall"]["diff"] == 1.0 and head["overall"]["beats"]


def test_a_positive_difference_whose_interval_crosses_zero_does_not_beat() -> None:
    base = [1, 0] * 10
    better = base[:]
    better[1] = 1  # one more right answer out of 20: diff > 0, interval includes 0
    block = method_comparisons({"mean_pool": _probe(base), "nextlevel_frozen": _probe(better)}, {}, {})
    result = block["probe"]["nextlevel_frozen"]["vs_best_baseline"]["overall"]
    assert result["diff"] > 0 and result["lo"] <= 0 and not result["beats"]
    assert "vs_untrained" not in block["probe"]["nextlevel_frozen"]  # no control row, no control comparison
    assert block["finetune_head"] == {}


def test_best_baseline_and_method_results() -> None:
    probe = {"middle_frame": _probe([0, 0]), "temporal_pool_4": _probe([1, 0]), "cls_token": _probe([1, 1])}
    assert best_baseline(probe, ["cls_token"]) == "temporal_pool_4"
    assert best_baseline({"nextlevel_frozen": _probe([1])}, []) is None
    metrics = {"mean_pool": {}, "test_video_ids": [], "test_subsets": {}, "comparisons": {}}
    assert list(method_results(metrics)) == ["mean_pool"]


def test_full_probe_correct_list_matches_top1() -> None:
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, 5)) * 3
    y = np.repeat(np.arange(3), 10)
    x = centers[y] + rng.normal(size=(30, 5))
    metrics, c = full_probe(x[::2], y[::2], x[1::4], y[1::4], x[1::2], y[1::2], {"first": y[1::2] == 0})
    assert len(metrics["correct"]) == 15 and set(metrics["correct"]) <= {0, 1}
    assert np.mean(metrics["correct"]) == pytest.approx(metrics["top1"]) and c > 0
    assert np.mean(np.asarray(metrics["correct"])[y[1::2] == 0]) == pytest.approx(metrics["top1_first"])


def test_few_shot_curves_are_compared_point_by_point_on_the_same_draws() -> None:
    """Each shot count both curves ran gets a paired CI (seeds averaged per video); no curve, no block."""
    from nlv_kedro.reporting.downstream_tables import curve_rows

    n = 30
    ours = {**_probe([1] * n), "shots": [1, 2], "correct": [[[1] * n, [1] * n], [[1] * n, [0] * n]]}
    untrained = {**_probe([0] * n), "shots": [1, 2, 4], "correct": [[[0] * n] * 2, [[0] * n] * 2, [[1] * n] * 2]}
    probe = {"mean_pool": _probe([0] * n), "nextlevel_frozen": ours, "nextlevel_untrained": untrained}
    curve = method_comparisons(probe, {}, {})["curve"]
    # mean_pool (the best baseline here) ran no curve, so only the untrained control is compared
    assert list(curve) == ["nextlevel_frozen"] and list(curve["nextlevel_frozen"]) == ["vs_untrained"]
    points = curve["nextlevel_frozen"]["vs_untrained"]
    assert points["against"] == "nextlevel_untrained"
    assert set(points) == {"against", "1", "2"}  # 4 shots: only the control ran it
    assert points["1"]["diff"] == pytest.approx(1.0) and points["1"]["beats"]
    assert points["2"]["diff"] == pytest.approx(0.5) and points["2"]["beats"]  # one of two draws right, every video
    rows = curve_rows({"comparisons": {"curve": curve}})
    assert [r[2] for r in rows] == ["1", "2"] and rows[0][-1] == "yes"
    no_curves = {m: _probe(r["full"]["correct"]) for m, r in probe.items()}
    assert method_comparisons(no_curves, {}, {})["curve"] == {}
