"""Structure classes: which insert comes first, one insert or three, the order of three parts, the arrow of time.

Each group is content-matched by construction: `generator.plan_videos` gives video k of every class in a group
the *same* generator (seeded by the group's name), and every recipe here draws its random numbers in the same
order whatever its class, which only decides the arrangement. So video k of `insert_circle_first` and of
`insert_square_first` hold the same background, shapes, colours and insert times with the two shapes swapped;
`parts_abc`, `parts_bca` and `parts_cab` hold exactly the same frames in three orders; and `footage_reversed` is
`footage_forward` played backwards. Order-blind pooling of per-frame features is at chance within a group.

They are also built so that pooling each half or each quarter of the chunk vectors (2- and 4-segment pooling)
sees no more than whole-video pooling: `chunk_grid` works out the chunks and quarters the shipped frame plan
(2 fps, 4 frames per chunk) makes of a video. The two inserts lie in two chunks of one quarter; the three parts
fill one quarter of at least two chunks; the three short inserts lie in three chunks in a row, and the long
one puts as many frames as they do in each quarter. Arrow-of-time videos are whole multiples of 8 s (at least
16 s, where the canvas allows) and every forward piece lies inside one quarter, so the reversed video's quarter
means are the forward ones in reverse order, drawn alike. Nothing starts on a quarter's first sampled frame
(black frames there, or a drawn offset), so that no class always samples the frame right after a cut. Insert and parts videos last at least MIN_S (five
chunks). Finer pooling (8 segments) still sees part of the arrangement: docs/structure_benchmark.md.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby

import numpy as np

from nlv_kedro.demo import shape_recipes as sr
from nlv_kedro.demo.chunk_grid import PLAN, QUARTERS, chunk_grid, quarter_spans
from nlv_kedro.demo.footage import CLIPS
from nlv_kedro.demo.footage_recipes import footage, random_crop
from nlv_kedro.demo.language import (
    SHAPE_COLORS,
    choose_qas,
    closed_qa,
    make_qa,
    pick,
    sentence,
    sequence_phrase,
    with_article,
)
from nlv_kedro.demo.plan import Canvas, Recipe, Sketch
from nlv_kedro.demo.scenes import Background, BallPart, FootagePart, Insert, InsertsPart

FOOTAGE: tuple[str, ...] = ("bunny", "bikes", "carphone")  # backgrounds, parts a/b/c, arrow-of-time footage
CLIP_NAMES: tuple[str, ...] = tuple(CLIPS[c].description for c in FOOTAGE)
SHAPES: tuple[str, ...] = ("circle", "square")
SHAPE_ANSWERS: tuple[str, ...] = ("the circle", "the square")
COUNTS: tuple[str, ...] = ("once", "three times")
DIRECTIONS: tuple[str, ...] = ("forwards", "backwards")
INSERT_S = (1.0, 1.5)  # seconds an insert lasts: at least two frames at the default 2 fps sampling
PART_MIN_S = 1.0  # shortest of the three parts
FILLER_CROSS_S = 2.5  # seconds the parts' filler ball takes to cross the frame once
MIN_S = 10.0  # shortest insert and parts video: 5 chunks, so that one quarter holds two
ARROW_STEP_S = 8.0  # arrow-of-time videos are whole multiples of this (4 chunks), at least two where they fit


def _look(rng: np.random.Generator, shape: str, color: str) -> Insert:
    """An insert's appearance; its timing is filled in with `dataclasses.replace`."""
    center = (float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.3, 0.7)))
    return Insert(shape, 0, 0, SHAPE_COLORS[color], center, float(rng.uniform(0.45, 0.7)))


def _background(rng: np.random.Generator, canvas: Canvas, n_frames: int) -> tuple[FootagePart, str]:
    clip = pick(rng, FOOTAGE)
    return footage(rng, canvas, clip, n_frames), CLIPS[clip].description


def _frames(rng: np.random.Generator, canvas: Canvas, min_s: float) -> int:
    """A video's length in frames: the canvas's duration range, moved up to start at `min_s` where it starts
    lower (one draw whatever `min_s`, so every class of a group draws the same)."""
    lo, hi = canvas.duration_s
    lo_s, hi_s = max(lo, min_s), max(hi, min_s)
    return canvas.frames(lo_s + rng.random() * (hi_s - lo_s))


def _quarter(rng: np.random.Generator, canvas: Canvas, need: int) -> tuple[int, list[tuple[int, int]]]:
    """(video length, chunks of one quarter) for a video whose arrangement must stay inside one quarter that
    holds at least `need` chunks: the quarter is drawn among those that do (the video is lengthened until one
    does), so 2- and 4-segment pooling see the whole arrangement in one segment mean."""
    n_total = _frames(rng, canvas, MIN_S)
    while True:
        grid = chunk_grid(canvas, n_total)
        quarters = [[(a, b) for a, b, q in grid if q == k] for k in range(QUARTERS)]
        fits = [chunks for chunks in quarters if len(chunks) >= need]
        if fits:
            return n_total, fits[int(rng.integers(len(fits)))]
        n_total += canvas.frames(0.5)


def _run(rng: np.random.Generator, canvas: Canvas) -> tuple[int, list[tuple[int, int, int]]]:
    """(video length, three chunks in a row that span at most two quarters), drawn among those there are."""
    n_total = _frames(rng, canvas, MIN_S)
    while True:
        grid = chunk_grid(canvas, n_total)
        runs = [grid[t : t + 3] for t in range(len(grid) - 2) if grid[t + 2][2] - grid[t][2] <= 1]
        if runs:
            return n_total, runs[int(rng.integers(len(runs)))]
        n_total += canvas.frames(0.5)


def _long_start(run: list[tuple[int, int, int]], starts: list[int], d: int) -> int:
    """Start of the 3d-frame insert that puts as many frames in each quarter as the three d-frame ones at
    `starts` (one per chunk of `run`): in the middle of their stretch when they share a quarter, else across
    the quarter boundary, d frames before it and 2d after, or 2d before and d after."""
    (_, _, q0), (b1, _, q1), (b2, _, q2) = run
    if q0 == q2:
        return starts[0] + (starts[2] - starts[0] - 2 * d) // 2
    return b1 - d if q0 != q1 else b2 - 2 * d


def _inside(rng: np.random.Generator, chunk: tuple[int, int], d: int, margin: tuple[float, float]) -> int:
    """Start of a `d`-frame insert inside `chunk`, at a drawn fraction (within `margin`) of the chunk's slack."""
    a, b = chunk
    return a + round(rng.uniform(*margin) * max(b - a - d, 0))


def insert_order(circle_first: bool) -> Recipe:
    """A circle and a square, equally long, over real footage; the class is which one comes first."""

    def build(rng: np.random.Generator, canvas: Canvas) -> Sketch:
        n_total, chunks = _quarter(rng, canvas, 2)
        d = min(canvas.frames(rng.uniform(*INSERT_S)), *(b - a for a, b in chunks))
        background, scene = _background(rng, canvas, n_total)
        colors = [str(c) for c in rng.choice(list(SHAPE_COLORS), size=2, replace=False)]
        looks = {shape: _look(rng, shape, color) for shape, color in zip(SHAPES, colors, strict=True)}
        x, y = np.sort(rng.choice(len(chunks), size=2, replace=False))  # two chunks of the quarter, in order
        starts = (_inside(rng, chunks[x], d, (0.0, 1.0)), _inside(rng, chunks[y], d, (0.0, 1.0)))
        first, second = SHAPES if circle_first else SHAPES[::-1]
        inserts = tuple(replace(looks[k], start=s, n_frames=d) for k, s in zip((first, second), starts, strict=True))
        named = {shape: with_article(f"{color} {shape}") for shape, color in zip(SHAPES, colors, strict=True)}
        caption = f"{scene}, with {named[first]} shown first and {named[second]} later"
        answer = dict(zip(SHAPES, SHAPE_ANSWERS, strict=True))
        primary = closed_qa(rng, "Which shape appears first?", answer[first], SHAPE_ANSWERS, "structure")
        others = [
            closed_qa(rng, "Which shape appears last?", answer[second], SHAPE_ANSWERS, "structure"),
            make_qa(rng, "What colour is the circle?", colors[0], "content", pool=list(SHAPE_COLORS)),
        ]
        return Sketch((InsertsPart(background, inserts),), sentence(caption), choose_qas(rng, primary, others))

    return build


def insert_count(three: bool) -> Recipe:
    """One shape shown once for 3d frames or three times for d frames each: the same share of the video."""

    def build(rng: np.random.Generator, canvas: Canvas) -> Sketch:
        n_total, run = _run(rng, canvas)
        d = min(canvas.frames(rng.uniform(*INSERT_S)), *(b - a for a, b, _ in run))
        background, scene = _background(rng, canvas, n_total)
        shape, color = pick(rng, SHAPES), pick(rng, list(SHAPE_COLORS))
        look = _look(rng, shape, color)
        starts = [_inside(rng, (a, b), d, (0.25, 0.75)) for a, b, _ in run]  # one short insert inside each chunk
        if three:
            inserts = tuple(replace(look, start=s, n_frames=d) for s in starts)
        else:
            inserts = (replace(look, start=_long_start(run, starts, d), n_frames=3 * d),)
        how = "three times, briefly" if three else "once, for a while"
        caption = f"{scene}, with {with_article(color)} {shape} shown {how}"
        primary = closed_qa(rng, "How many times does a shape appear?", COUNTS[int(three)], COUNTS, "structure")
        others = [
            closed_qa(rng, "Which shape appears?", SHAPE_ANSWERS[SHAPES.index(shape)], SHAPE_ANSWERS, "content"),
            make_qa(rng, "What colour is the shape?", color, "content", pool=list(SHAPE_COLORS)),
        ]
        return Sketch((InsertsPart(background, inserts),), sentence(caption), choose_qas(rng, primary, others))

    return build


def _filler(
    rng: np.random.Generator, before: int, after: int, crossing: int
) -> tuple[list[BallPart], list[BallPart], str]:
    """Drawn filler for `before` frames before the parts and `after` frames after them, and what it shows: a
    ball crossing a background again and again, about `crossing` frames a pass, fast enough that frame dropping
    keeps every sampled frame (a slow ball, like a held still, would lose frames and shift the chunks)."""
    bg, bg_phrase = sr.background(rng)
    color = pick(rng, list(SHAPE_COLORS))
    look = (SHAPE_COLORS[color], float(rng.uniform(0.08, 0.16)), float(rng.uniform(0.3, 0.7)))
    y_to, bob = float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.0, 0.1))

    def ball(n: int) -> list[BallPart]:
        edges = np.linspace(0, n, max(1, round(n / crossing)) + 1).round().astype(int)
        return [BallPart(bg, *look, y_to, bob, 1.0, int(m)) for m in np.diff(edges) if m > 0]

    return ball(before), ball(after), f"{with_article(color)} ball crossing {bg_phrase}"


def parts_order(order: str) -> Recipe:
    """Parts a, b, c (rabbit, street, car footage) of random lengths, played in `order` (a rotation of 'abc').

    The three parts fill one quarter of the video that holds at least two chunks, between drawn filler:
    pooling each half or quarter then sees all three parts together, as whole-video pooling does.
    """
    if sorted(order) != ["a", "b", "c"]:
        raise ValueError(f"parts order must be a permutation of 'abc', got {order!r}")

    def build(rng: np.random.Generator, canvas: Canvas) -> Sketch:
        n_total, chunks = _quarter(rng, canvas, 2)
        # the parts start and end off the quarter's sampled edge frames: a cut there would always be sampled
        least = canvas.frames(PART_MIN_S)
        spare = min(canvas.fps / PLAN.target_fps, (chunks[-1][1] - chunks[0][0] - 3 * least) / 2)
        lead, tail = (int(u * max(spare, 0.0)) for u in rng.random(2))
        first = chunks[0][0] + lead
        cluster = chunks[-1][1] - tail - first
        lengths = least + np.floor(rng.dirichlet(np.full(3, 2.0)) * (cluster - 3 * least)).astype(int)
        lengths[1] += cluster - int(lengths.sum())  # the parts fill the stretch exactly
        drawn = {key: footage(rng, canvas, clip, int(n)) for key, clip, n in zip("abc", FOOTAGE, lengths, strict=True)}
        before, after, filler = _filler(rng, first, n_total - first - cluster, canvas.frames(FILLER_CROSS_S))
        names = [CLIP_NAMES["abc".index(key)] for key in order]
        primary = closed_qa(rng, "Which clip comes first?", names[0], CLIP_NAMES, "structure")
        others = [
            closed_qa(rng, "Which clip comes last?", names[2], CLIP_NAMES, "structure"),
            closed_qa(rng, "Which clip is in the middle?", names[1], CLIP_NAMES, "structure"),
        ]
        parts = (*before, *(drawn[key] for key in order), *after)
        caption = f"{sequence_phrase(names)}, between shots of {filler}"
        return Sketch(parts, sentence(caption), choose_qas(rng, primary, others))

    return build


def forward_segments(rng: np.random.Generator, canvas: Canvas, n_total: int) -> list[FootagePart]:
    """Real footage that only ever plays forwards: each segment ends before its clip would bounce back."""
    segments: list[FootagePart] = []
    left = n_total
    while left > 0:
        clip = CLIPS[pick(rng, FOOTAGE)]
        lo, hi = clip.span
        step = float(rng.uniform(0.8, 1.2)) * clip.fps / canvas.fps
        fits = int((hi - 1 - lo) / step) + 1
        want = canvas.frames(rng.uniform(2.0, 5.0))
        n = min(left if left - want < canvas.frames(1.0) else want, fits)
        first = float(rng.uniform(lo, hi - 1 - step * (n - 1)))
        segments.append(FootagePart(clip.name, lo, hi, first, step, n, random_crop(rng)))
        left -= n
    return segments


def _framed_quarters(rng: np.random.Generator, canvas: Canvas, n_total: int) -> list[FootagePart | BallPart]:
    """Forward footage filling each quarter, with black frames (fewer than one sampling step) at both ends.

    The sampled frame on a quarter's edge would otherwise always show a piece's first frame played forwards
    and its last frame played backwards, and a forward piece starts early in its clip (it must end before the
    clip does): mean pooling read the direction from those frames. Black edges put the footage's sampled frames
    at a drawn phase instead.
    """
    step = canvas.fps / PLAN.target_fps
    parts: list[FootagePart | BallPart] = []
    for a, b in quarter_spans(canvas, n_total):
        lead, tail = (1 + int(u * (step - 1)) for u in rng.random(2))
        parts += [_black(lead), *forward_segments(rng, canvas, b - a - lead - tail), _black(tail)]
    return parts


def _black(n: int) -> BallPart:
    return BallPart(Background(((0, 0, 0), (0, 0, 0))), (0, 0, 0), 0.0, 0.5, 0.5, 0.0, 1.0, n)


def footage_arrow(reverse: bool) -> Recipe:
    """Real footage played forwards, or the very same frames played backwards.

    Every forward piece lies inside one quarter, and the video is a whole number of ARROW_STEP_S long, so the
    reversed video's quarters are the forward quarters in reverse order (to a sampled frame): each quarter mean
    is a mean of whole pieces, and pieces are drawn the same way whatever their quarter (`_framed_quarters`).
    """

    def build(rng: np.random.Generator, canvas: Canvas) -> Sketch:
        steps = round(_frames(rng, canvas, ARROW_STEP_S) / canvas.fps / ARROW_STEP_S)
        n_total = canvas.frames(ARROW_STEP_S * max(steps, min(2, round(canvas.duration_s[1] / ARROW_STEP_S)), 1))
        segments = _framed_quarters(rng, canvas, n_total)
        names = [CLIPS[s.clip].description for s in segments if isinstance(s, FootagePart)][:: -1 if reverse else 1]
        runs = [name for name, _ in groupby(names)]
        caption = f"{sequence_phrase(runs)}, played {DIRECTIONS[int(reverse)]}"
        primary = closed_qa(rng, "Is the footage played forwards or backwards?", DIRECTIONS[int(reverse)],
                            DIRECTIONS, "structure")
        others = [closed_qa(rng, "What is shown at the start of the video?", names[0], CLIP_NAMES, "order")]
        return Sketch(tuple(segments), sentence(caption), choose_qas(rng, primary, others), reverse=reverse)

    return build
