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
from nlv_kedro.models.pooling import temporal_mean_pool_array
from nlv_kedro.video.config import PlanConfig
from nlv_kedro.video.plan import plan_from_thumbnails
from nlv_kedro.video.sampling import uniform_indices

W, H = 64, 48
CANVAS = Canvas(W, H, 12.0, (4.0, 10.0))
LONG = Canvas(W, H, 12.0, (8.0, 24.0))
FPS = (10.0, 12.0, 15.0, 20.0, 24.0, 25.0, 29.97)  # the demo's fps choices
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


def _where(grid: list[tuple[int, int, int]], frame: int) -> tuple[int, int]:
    """(chunk, quarter) of a frame under `chunk_grid`."""
    return next((t, q) for t, (a, b, q) in enumerate(grid) if a <= frame < b)


def test_chunk_grid_is_what_the_frame_plan_and_segment_pooling_make_of_a_video() -> None:
    rng = np.random.default_rng(0)
    for fps, seconds in ((10.0, 10.0), (29.97, 16.0), (15.0, 23.4), (24.0, 7.3)):
        n = round(seconds * fps)
        sampled = uniform_indices(n, fps, 2.0, 256)
        thumbs = rng.integers(0, 256, (len(sampled), 8, 8, 3), dtype=np.uint8)  # no near-duplicates
        plan = plan_from_thumbnails("v", sampled, thumbs, fps, n, PlanConfig())
        grid = st.chunk_grid(Canvas(W, H, fps, (4.0, 24.0)), n)
        assert [a for a, _, _ in grid] == [int(plan.kept_indices[s]) for s in plan.chunk_bounds[:, 0]]
        assert grid[-1][1] == n and all(b == a for (_, b, _), (a, _, _) in zip(grid, grid[1:], strict=False))
        onehot = temporal_mean_pool_array(np.eye(len(grid)), 4).reshape(4, len(grid))  # (quarter, chunk)
        assert [q for _, _, q in grid] == list(onehot.argmax(axis=0))


@pytest.mark.parametrize("fps", FPS)
def test_the_two_inserts_lie_in_two_chunks_of_one_quarter(fps: float) -> None:
    firsts = []
    for seed in range(12):
        (part,) = _draw("insert_circle_first", seed, Canvas(W, H, fps, (4.0, 24.0))).parts
        grid = st.chunk_grid(Canvas(W, H, fps, (4.0, 24.0)), part.n_frames)
        (c1, q1), (c1_end, q1_end), (c2, q2), (c2_end, q2_end) = (
            _where(grid, f) for i in part.inserts for f in (i.start, i.start + i.n_frames - 1))
        assert c1 == c1_end < c2 == c2_end and q1 == q1_end == q2 == q2_end
        assert part.n_frames >= fps * st.MIN_S - 1
        firsts.append(q1)
    assert len(set(firsts)) >= 3  # the quarter varies


@pytest.mark.parametrize("fps", FPS)
def test_one_long_insert_puts_as_many_frames_as_three_short_ones_in_each_quarter(fps: float) -> None:
    crossing = 0
    for seed in range(12):
        canvas = Canvas(W, H, fps, (4.0, 24.0))
        (one,), (three,) = (_draw(label, seed, canvas).parts for label in GROUPS["insert_count"])
        grid = st.chunk_grid(canvas, one.n_frames)
        chunks = [{_where(grid, i.start)[0], _where(grid, i.start + i.n_frames - 1)[0]} for i in three.inserts]
        assert [len(c) for c in chunks] == [1, 1, 1] and np.diff([min(c) for c in chunks]).tolist() == [1, 1]

        def per_quarter(inserts: tuple) -> list[int]:
            quarters = [_where(grid, f)[1] for i in inserts for f in range(i.start, i.start + i.n_frames)]
            return [quarters.count(q) for q in range(4)]

        assert per_quarter(one.inserts) == per_quarter(three.inserts)
        crossing += sum(n > 0 for n in per_quarter(one.inserts)) == 2
    assert crossing >= 1


def test_videos_run_as_long_as_the_placement_needs_and_tiny_ones_stay_short() -> None:
    tiny, default = Canvas(W, H, 12.0, (2.0, 6.0)), Canvas(W, H, 12.0, (4.0, 14.0))
    for seed in range(4):
        lengths = {n: sum(p.n_frames for p in _draw(n, seed, tiny).parts) for names in GROUPS.values() for n in names}
        assert lengths["footage_forward"] == tiny.frames(8.0)
        assert all(tiny.frames(10.0) <= n <= tiny.frames(11.0) for name, n in lengths.items() if "footage" not in name)
        assert sum(p.n_frames for p in _draw("footage_reversed", seed, default).parts) == default.frames(16.0)
        assert sum(p.n_frames for p in _draw("parts_abc", seed, default).parts) <= default.frames(14.0)


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


@pytest.mark.parametrize("canvas", [Canvas(W, H, fps, (4.0, 24.0)) for fps in FPS[::2]] + [CANVAS])
def test_the_three_parts_fill_one_quarter(canvas: Canvas) -> None:
    for seed in range(8):
        sketch = _draw("parts_bca", seed, canvas)
        ends = np.cumsum([p.n_frames for p in sketch.parts])
        spans = [(end - p.n_frames, end) for p, end in zip(sketch.parts, ends, strict=True)
                 if isinstance(p, FootagePart)]
        grid = st.chunk_grid(canvas, int(ends[-1]))
        quarter = [(a, b) for a, b, q in grid if q == _where(grid, spans[0][0])[1]]
        step = canvas.fps / 2.0  # frames between two sampled frames
        assert len(quarter) >= 2 and quarter[0][0] <= spans[0][0] < quarter[0][0] + step
        assert quarter[-1][1] - step < spans[-1][1] <= quarter[-1][1]
        assert all(b - a >= canvas.frames(st.PART_MIN_S) for a, b in spans)
        balls = [p.n_frames for p in sketch.parts if isinstance(p, BallPart)]  # fast passes: no frame is dropped
        assert balls and max(balls) <= 1.5 * canvas.frames(st.FILLER_CROSS_S)


@pytest.mark.parametrize("fps", FPS)
def test_arrow_pieces_never_cross_a_quarter_and_the_quarters_mirror(fps: float) -> None:
    canvas = Canvas(W, H, fps, (4.0, 24.0))
    for seed in range(6):
        sketch = _draw("footage_forward", seed, canvas)
        n = sum(p.n_frames for p in sketch.parts)
        assert n in (canvas.frames(16.0), canvas.frames(24.0))
        grid = st.chunk_grid(canvas, n)
        assert len(grid) % 4 == 0 and len(grid) >= 8  # two or more chunks in every quarter
        cuts = set(np.cumsum([p.n_frames for p in sketch.parts]).tolist())
        bounds = [b for (_, b, q), (_, _, q_next) in zip(grid, grid[1:], strict=False) if q != q_next]
        assert set(bounds) <= cuts
        black = [p.n_frames for p in sketch.parts if isinstance(p, BallPart)]  # both ends of every quarter
        assert len(black) == 8 and 1 <= min(black) and max(black) < fps / 2
        mirrored = sorted(n - b for b in bounds)  # where the reversed video's quarter bounds fall in forward frames
        assert all(abs(m - b) <= fps / 2 for m, b in zip(mirrored, bounds, strict=True))


@pytest.mark.parametrize("seed", range(3))
def test_reversed_footage_is_the_forward_frames_reversed(seed: int) -> None:
    forward, backward = (_draw(label, seed) for label in GROUPS["arrow_of_time"])
    assert forward.parts == backward.parts and backward.reverse and not forward.reverse
    a, b = _render(forward), _render(backward)
    assert np.array_equal(a, b[::-1]) and not np.array_equal(a, b)
    for part in (p for p in forward.parts if isinstance(p, FootagePart)):  # forward: never bounces back in its clip
        assert (np.diff(part.source_indices()) >= 0).all()


def _quarter_stats(sketch: Sketch) -> np.ndarray:
    """(quarter, stat): mean brightness and shape-pixel share of the frames of each quarter `chunk_grid` makes
    of the video, in play order: what 4-segment pooling of order-blind per-frame statistics would see."""
    frames = _render(sketch)
    grid = st.chunk_grid(CANVAS, len(frames))
    spans = [(min(a for a, _, q in grid if q == k), max(b for _, b, q in grid if q == k)) for k in range(4)]
    return np.array([(frames[a:b].mean(), _shape_share(frames[a:b])) for a, b in spans])


def test_quarter_statistics_do_not_separate_the_classes_of_a_group() -> None:
    """Per quarter, the mean brightness and the share of shape pixels are what segment pooling of order-blind
    frame statistics sees: within a group, video k of each class must give (nearly) the same values (the
    reversed footage: the forward quarters in reverse order), while they vary a lot from one k to the next."""
    for names in GROUPS.values():
        stats = np.array([[_quarter_stats(_draw(n, seed)) for n in names] for seed in range(4)])  # (k, class, q, stat)
        if names == GROUPS["arrow_of_time"]:
            stats[:, 1] = stats[:, 1, ::-1]
        within = np.abs(stats - stats.mean(axis=1, keepdims=True)).max(axis=(0, 1, 2))
        across = stats.mean(axis=1).reshape(-1, 2).std(axis=0)
        assert within[0] < 0.1 * across[0], names
        assert within[1] <= 0.1 * across[1] + 1e-4, names
