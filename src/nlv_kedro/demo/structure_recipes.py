"""Structure classes: which insert comes first, one insert or three, the order of three parts, the arrow of time.

Each group is content-matched by construction: `generator.plan_videos` gives video k of every class in a group
the *same* generator (seeded by the group's name), and every recipe here draws its random numbers in the same
order whatever its class, which only decides the arrangement. So video k of `insert_circle_first` and of
`insert_square_first` hold the same background, shapes, colours and insert times with the two shapes swapped;
`parts_abc`, `parts_bca` and `parts_cab` hold exactly the same frames in three orders; and `footage_reversed` is
`footage_forward` played backwards. Order-blind pooling of per-frame features is at chance within a group. The
two inserts, and the three parts, mostly lie inside one half of the video (long insert-order videos: often one
quarter), so pooling each half is close to chance too; pooling quarters still sees some of the order.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby

import numpy as np

from nlv_kedro.demo import shape_recipes as sr
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
from nlv_kedro.demo.scenes import BallPart, FootagePart, Insert, InsertsPart

FOOTAGE: tuple[str, ...] = ("bunny", "bikes", "carphone")  # backgrounds, parts a/b/c, arrow-of-time footage
CLIP_NAMES: tuple[str, ...] = tuple(CLIPS[c].description for c in FOOTAGE)
SHAPES: tuple[str, ...] = ("circle", "square")
SHAPE_ANSWERS: tuple[str, ...] = ("the circle", "the square")
COUNTS: tuple[str, ...] = ("once", "three times")
DIRECTIONS: tuple[str, ...] = ("forwards", "backwards")
INSERT_S = (1.0, 1.5)  # seconds an insert lasts: at least two frames at the default 2 fps sampling
GAP_S = (1.0, 2.0)  # seconds between two inserts, so that they rarely share one 2 s chunk
PART_MIN_S = 1.0  # shortest of the three parts


def _look(rng: np.random.Generator, shape: str, color: str) -> Insert:
    """An insert's appearance; its timing is filled in with `dataclasses.replace`."""
    center = (float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.3, 0.7)))
    return Insert(shape, 0, 0, SHAPE_COLORS[color], center, float(rng.uniform(0.45, 0.7)))


def _background(rng: np.random.Generator, canvas: Canvas, n_frames: int) -> tuple[FootagePart, str]:
    clip = pick(rng, FOOTAGE)
    return footage(rng, canvas, clip, n_frames), CLIPS[clip].description


def _window(rng: np.random.Generator, n_total: int, span: int) -> tuple[int, int]:
    """(first frame, length) of the stretch that holds a video's inserts, `span` frames in all: one quarter of
    the video half of the time, one half 3 times in 10, else the whole video (smaller only where `span` fits)."""
    u = rng.random()
    n_windows = 4 if u < 0.5 else 2 if u < 0.8 else 1
    while n_windows > 1 and n_total // n_windows < span:
        n_windows //= 2
    size = n_total // n_windows
    return int(rng.integers(n_windows)) * size, size


def insert_order(circle_first: bool) -> Recipe:
    """A circle and a square, equally long, over real footage; the class is which one comes first."""

    def build(rng: np.random.Generator, canvas: Canvas) -> Sketch:
        d, gap = canvas.frames(rng.uniform(*INSERT_S)), canvas.frames(rng.uniform(*GAP_S))
        n_total = max(canvas.frames(canvas.duration(rng)), 2 * (2 * d + gap))  # long enough to share a half
        background, scene = _background(rng, canvas, n_total)
        colors = [str(c) for c in rng.choice(list(SHAPE_COLORS), size=2, replace=False)]
        looks = {shape: _look(rng, shape, color) for shape, color in zip(SHAPES, colors, strict=True)}
        start, size = _window(rng, n_total, 2 * d + gap)
        x, y = np.sort(rng.uniform(0.0, size - (2 * d + gap), 2))
        first, second = SHAPES if circle_first else SHAPES[::-1]
        inserts = (replace(looks[first], start=start + int(x), n_frames=d),
                   replace(looks[second], start=start + d + gap + int(y), n_frames=d))
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
        d = canvas.frames(rng.uniform(*INSERT_S))
        gaps = [canvas.frames(g) for g in rng.uniform(*GAP_S, 2)]
        cluster = 3 * d + sum(gaps)  # the stretch the three short inserts cover; the long one sits in its middle
        n_total = max(canvas.frames(canvas.duration(rng)), cluster + canvas.frames(1.0))
        background, scene = _background(rng, canvas, n_total)
        shape, color = pick(rng, SHAPES), pick(rng, list(SHAPE_COLORS))
        look = _look(rng, shape, color)
        start, size = _window(rng, n_total, cluster)
        first = start + int(rng.uniform(0.0, size - cluster))
        if three:
            starts = (first, first + d + gaps[0], first + 2 * d + gaps[0] + gaps[1])
            inserts = tuple(replace(look, start=s, n_frames=d) for s in starts)
        else:
            inserts = (replace(look, start=first + (cluster - 3 * d) // 2, n_frames=3 * d),)
        how = "three times, briefly" if three else "once, for a while"
        caption = f"{scene}, with {with_article(color)} {shape} shown {how}"
        primary = closed_qa(rng, "How many times does a shape appear?", COUNTS[int(three)], COUNTS, "structure")
        others = [
            closed_qa(rng, "Which shape appears?", SHAPE_ANSWERS[SHAPES.index(shape)], SHAPE_ANSWERS, "content"),
            make_qa(rng, "What colour is the shape?", color, "content", pool=list(SHAPE_COLORS)),
        ]
        return Sketch((InsertsPart(background, inserts),), sentence(caption), choose_qas(rng, primary, others))

    return build


def _filler(rng: np.random.Generator, before: int, after: int) -> tuple[list[BallPart], list[BallPart], str]:
    """Drawn filler for `before` frames before the parts and `after` frames after them, and what it shows: a
    ball crossing a background, which moves, so frame dropping keeps it (a held still would be dropped)."""
    bg, bg_phrase = sr.background(rng)
    color = pick(rng, list(SHAPE_COLORS))
    look = (SHAPE_COLORS[color], float(rng.uniform(0.08, 0.16)), float(rng.uniform(0.3, 0.7)))
    y_to, bob = float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.0, 0.1))

    def ball(n: int) -> list[BallPart]:
        return [BallPart(bg, *look, y_to, bob, 1.0, n)] if n > 0 else []

    return ball(before), ball(after), f"{with_article(color)} ball crossing {bg_phrase}"


def parts_order(order: str) -> Recipe:
    """Parts a, b, c (rabbit, street, car footage) of random lengths, played in `order` (a rotation of 'abc').

    The three parts fill a third to half of the video, mostly inside one half of it, between drawn filler:
    pooling each half then sees all three parts together, as whole-video pooling does.
    """
    if sorted(order) != ["a", "b", "c"]:
        raise ValueError(f"parts order must be a permutation of 'abc', got {order!r}")

    def build(rng: np.random.Generator, canvas: Canvas) -> Sketch:
        n_total, least = canvas.frames(canvas.duration(rng)), canvas.frames(PART_MIN_S)
        cluster = max(3 * least, round(rng.uniform(0.3, 0.45) * n_total))
        lengths = least + np.rint(rng.dirichlet(np.full(3, 2.0)) * (cluster - 3 * least)).astype(int)
        cluster = int(lengths.sum())
        n_total = max(n_total, 2 * cluster)
        drawn = {key: footage(rng, canvas, clip, int(n)) for key, clip, n in zip("abc", FOOTAGE, lengths, strict=True)}
        start, size = _window(rng, n_total, cluster)
        first = start + int(rng.uniform(0.0, size - cluster))
        before, after, filler = _filler(rng, first, n_total - first - cluster)
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


def footage_arrow(reverse: bool) -> Recipe:
    """Real footage played forwards, or the very same frames played backwards."""

    def build(rng: np.random.Generator, canvas: Canvas) -> Sketch:
        segments = forward_segments(rng, canvas, canvas.frames(canvas.duration(rng)))
        names = [CLIPS[s.clip].description for s in segments][:: -1 if reverse else 1]
        runs = [name for name, _ in groupby(names)]
        caption = f"{sequence_phrase(runs)}, played {DIRECTIONS[int(reverse)]}"
        primary = closed_qa(rng, "Is the footage played forwards or backwards?", DIRECTIONS[int(reverse)],
                            DIRECTIONS, "structure")
        others = [closed_qa(rng, "What is shown at the start of the video?", names[0], CLIP_NAMES, "order")]
        return Sketch(tuple(segments), sentence(caption), choose_qas(rng, primary, others), reverse=reverse)

    return build
