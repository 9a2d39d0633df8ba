"""Paired bootstrap: the interval covers the true difference, excludes 0 only for a real gap, is seeded."""

import numpy as np
import pytest

from nlv_kedro.evaluation.stats import format_ci, paired_bootstrap, per_item_score, seed_spread


def test_clear_gap_beats_and_identical_does_not():
    rng = np.random.default_rng(0)
    b = (rng.random(200) < 0.5).astype(float)
    a = b.copy()
    a[np.flatnonzero(b == 0)[:40]] = 1  # a fixes 40 of b's errors: +0.20
    gap = paired_bootstrap(a, b)
    assert gap["diff"] == pytest.approx(0.20)
    assert 0 < gap["lo"] < 0.20 < gap["hi"] and gap["beats"]
    same = paired_bootstrap(b, b)
    assert same["diff"] == same["lo"] == same["hi"] == 0 and not same["beats"]


def test_small_noisy_gap_is_not_a_win():
    rng = np.random.default_rng(1)
    a, b = (rng.random(50) < 0.6).astype(float), (rng.random(50) < 0.58).astype(float)
    result = paired_bootstrap(a, b)
    assert result["lo"] < 0 < result["hi"] and not result["beats"]


def test_pairing_narrows_the_interval():
    """Two methods that err on the same hard items differ little item by item: the paired interval is tight."""
    rng = np.random.default_rng(2)
    base = (rng.random(300) < 0.7).astype(float)
    better = base.copy()
    better[np.flatnonzero(base == 0)[:15]] = 1  # +5 points, always on the same items
    paired = paired_bootstrap(better, base)
    unpaired = paired_bootstrap(better, rng.permutation(base))
    assert paired["hi"] - paired["lo"] < unpaired["hi"] - unpaired["lo"]
    assert paired["beats"]


def test_seeds_are_averaged_per_item_and_seeded():
    runs = np.array([[1, 0, 1, 1], [1, 1, 0, 1], [1, 0, 0, 1]])
    assert per_item_score(runs).tolist() == pytest.approx([1, 1 / 3, 1 / 3, 1])
    assert paired_bootstrap(runs, np.zeros(4), seed=3) == paired_bootstrap(runs, np.zeros(4), seed=3)
    spread = seed_spread([0.8, 0.7, 0.9])
    assert spread["mean"] == pytest.approx(0.8) and spread["std"] == pytest.approx(0.1) and spread["seeds"] == 3
    assert seed_spread([0.5])["std"] == 0.0
    assert format_ci({"diff": 0.03, "lo": 0.01, "hi": 0.05}) == "+3.0 [+1.0, +5.0]"


@pytest.mark.parametrize("a, b, message", [([1, 0], [1], "same items"), ([], [], "at least one"),
                                           (np.zeros((2, 2, 2)), np.zeros((2, 2, 2)), "shape")])
def test_bad_input_is_refused(a, b, message):
    with pytest.raises(ValueError, match=message):
        paired_bootstrap(a, b)
