"""The structure groups: content-matched classes that order-blind pooling cannot tell apart."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from nlv_kedro.demo import structure_recipes as st
from nlv_kedro.demo.config import DemoDataConfig
from nlv_kedro.demo.dataset import plan_demo_videos
from nlv_kedro.demo.language import SHAPE_COLORS
from nlv_kedro.demo.plan import Canvas, Sketch
from nlv_kedro.demo.recipes import CLASS_BY_NAME, ORDER_DEPENDENT, STRUCTURE_GROUPS
from nlv_kedro.demo.scenes import BallPart, FootagePart, InsertsPart, render_frames

W, H = 64, 48
CANVAS = Canvas(W, H, 12.0, (4.0, 10.0))
LONG = Canvas(W, H, 12.0, (8.0, 24.0))
GROUPS = {
    "insert_order": ("insert_circle_first", "insert_square_first"),
    "insert_count": ("one_long_insert", "three_short_inserts"),
    "parts_order": ("parts_abc", "parts_bca", "parts_cab"),
    "arrow_of_time": ("footage_forward", "footage_reversed"),
}


def _draw(label: str, seed: int, canvas: Canvas = CANVAS) -> Sketch:
    return CLASS_BY_NAME[label].recipe(np.random.default_rng(seed), canvas)


def _render(sketch: Sketch) -> np.ndarray:
    return render_frames(sketch.parts, W, H, reverse=sketch.reverse)


def _hashes(frames: np.ndarray) -> list[str]:
    return sorted(hashlib.sha1(f.tobytes()).hexdigest() for f in frames)


def _shape_share(frames: np.ndarray) -> float:
    """Share of pixels painted in an exact shape colour: the inserts' share of the video."""
    colors = np.asarray(list(SHAPE_COLORS.values()), np.uint8)
    return float((frames[:, :, :, None, :] == colors).all(-1).any(-1).mean())


def test_groups_use_the_agreed_labels_and_are_order_dependent() -> None:
    assert {g: tuple(names) for g, names in STRUCTURE_GROUPS.items()} == GROUPS
    assert all(name in ORDER_DEPENDENT for names in GROUPS.values() for name in names)


def test_video_k_of_a_group_shares_split_fps_and_length() -> None:
    plans = plan_demo_videos(DemoDataConfig(size="tiny", seed=3))
    by_id = {p.video_id: p for p in plans}
    for names in GROUPS.values():
        for k in range(3):
            same = [by_id[f"{name}_{k:03d}"] for name in names]
            assert len({(p.split, p.fps, p.n_frames) for p in same}) == 1, names


@pytest.mark.parametrize("seed", range(4))
def test_insert_order_swaps_the_two_shapes_only(seed: int) -> None:
    circle, square = (_draw(label, seed) for label in GROUPS["insert_order"])
    (a,), (b,) = circle.parts, square.parts
    assert isinstance(a, InsertsPart) and a.base == b.base
    assert [i.shape for i in a.inserts] == ["circle", "square"] and [i.shape for i in b.inserts] == ["square", "circle"]
    assert [i.start for i in a.inserts] == [i.start for i in b.inserts]
    assert {i.shape: i.color for i in a.inserts} == {i.shape: i.color for i in b.inserts}
    assert len({i.n_frames for i in (*a.inserts, *b.inserts)}) == 1


def test_insert_positions_vary_and_often_share_a_half() -> None:
    same_half = same_quarter = 0
    firsts = []
    for seed in range(60):
        (part,) = _draw("insert_circle_first", seed, LONG).parts
        n = part.n_frames
        (s1, d), (s2, _) = ((i.start, i.n_frames) for i in part.inserts)
        assert s1 + d < s2 and s2 + d <= n
        same_half += (s1 * 2) // n == ((s2 + d - 1) * 2) // n
        same_quarter += (s1 * 4) // n == ((s2 + d - 1) * 4) // n
        firsts.append(s1 / n)
    assert same_half >= 30 and same_quarter >= 10
    assert min(firsts) < 0.2 and max(firsts) > 0.6 and np.std(firsts) > 0.15


@pytest.mark.parametrize("seed", range(6))
def test_counting_classes_have_the_same_insert_share(seed: int) -> None:
    (one,), (three,) = (_draw(label, seed).parts for label in GROUPS["insert_count"])
    assert one.base == three.base and len(one.inserts) == 1 and len(three.inserts) == 3
    assert one.inserts[0].n_frames == sum(i.n_frames for i in three.inserts)
    assert len({(i.shape, i.color, i.center, i.size) for i in (*one.inserts, *three.inserts)}) == 1
    ends = [(i.start, i.start + i.n_frames) for i in three.inserts]
    assert all(e < s for (_, e), (s, _) in zip(ends, ends[1:], strict=False))  # separate, with gaps
    long_start = one.inserts[0].start
    assert ends[0][0] <= long_start and long_start + one.inserts[0].n_frames <= ends[-1][1]


@pytest.mark.parametrize("seed", range(3))
def test_parts_classes_hold_the_same_frames_in_three_orders(seed: int) -> None:
    abc, bca, cab = (_draw(label, seed, LONG) for label in GROUPS["parts_order"])
    clips = [[p for p in s.parts if isinstance(p, FootagePart)] for s in (abc, bca, cab)]
    assert [p.clip for p in clips[0]] == ["bunny", "bikes", "carphone"]
    assert clips[1] == clips[0][1:] + clips[0][:1] and clips[2] == clips[0][2:] + clips[0][:2]
    fillers = [[(i, p) for i, p in enumerate(s.parts) if isinstance(p, BallPart)] for s in (abc, bca, cab)]
    assert fillers[0] == fillers[1] == fillers[2] and fillers[0]  # the same filler, in the same places
    frames = [_render(s) for s in (abc, bca, cab)]
    assert _hashes(frames[0]) == _hashes(frames[1]) == _hashes(frames[2])
    assert not np.array_equal(frames[0], frames[1])


def test_parts_often_share_one_half_of_the_video() -> None:
    inside = 0
    for seed in range(30):
        sketch = _draw("parts_abc", seed, LONG)
        ends = np.cumsum([p.n_frames for p in sketch.parts])
        spans = [(end - p.n_frames, end) for p, end in zip(sketch.parts, ends, strict=True) if isinstance(p, FootagePart)]
        first, last, n = spans[0][0], spans[-1][1] - 1, ends[-1]
        inside += (first * 2) // n == (last * 2) // n
    assert inside >= 18


@pytest.mark.parametrize("seed", range(3))
def test_reversed_footage_is_the_forward_frames_reversed(seed: int) -> None:
    forward, backward = (_draw(label, seed) for label in GROUPS["arrow_of_time"])
    assert forward.parts == backward.parts and backward.reverse and not forward.reverse
    a, b = _render(forward), _render(backward)
    assert np.array_equal(a, b[::-1]) and not np.array_equal(a, b)
    for part in forward.parts:  # forward footage never bounces back inside its clip
        assert (np.diff(part.source_indices()) >= 0).all()


def test_frame_statistics_do_not_separate_the_classes_of_a_group() -> None:
    """Per video, the mean brightness and the share of shape pixels are order-blind statistics: within a group,
    video k of each class must give (nearly) the same values, while they vary a lot from one k to the next."""
    for names in GROUPS.values():
        stats = np.array([[(v.mean(), _shape_share(v)) for v in (_render(_draw(n, seed)) for n in names)]
                          for seed in range(5)])  # (seed, class, stat)
        within = np.abs(stats - stats.mean(axis=1, keepdims=True)).max(axis=(0, 1))
        across = stats.mean(axis=1).std(axis=0)
        assert within[0] < 0.1 * across[0], names
        assert within[1] <= 0.1 * across[1] + 1e-4, names
