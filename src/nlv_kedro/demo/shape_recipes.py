"""Classes made of drawn shapes: a ball crossing the frame and a square changing size.

The "backwards" class of each pair is the *same* drawing played in reverse (`Sketch.reverse`), with the
same random draws, so its frames are exactly those of the forward class in the opposite order.
"""

from __future__ import annotations

import numpy as np

from nlv_kedro.demo.footage import CLIPS
from nlv_kedro.demo.language import (
    BACKGROUND_COLORS,
    SHAPE_COLORS,
    choose_qas,
    make_qa,
    pick,
    sentence,
    with_article,
)
from nlv_kedro.demo.plan import Canvas, Recipe, Sketch
from nlv_kedro.demo.scenes import Background, BallPart, SquarePart

BLUR_SOURCES: tuple[str, ...] = ("bunny", "bikes", "carphone")
DIRECTIONS = ("from left to right", "from right to left", "from top to bottom", "from bottom to top")


def background(rng: np.random.Generator) -> tuple[Background, str]:
    """A gradient of two muted colours or a blurred real frame, with a phrase naming it."""
    if rng.random() < 0.5:
        a, b = (str(x) for x in rng.choice(list(BACKGROUND_COLORS), size=2, replace=False))
        angle = float(rng.uniform(0.0, 2 * np.pi))
        return Background((BACKGROUND_COLORS[a], BACKGROUND_COLORS[b]), angle), f"a {a} and {b} gradient"
    clip = pick(rng, BLUR_SOURCES)
    lo, hi = CLIPS[clip].span
    return Background(clip=clip, frame=int(rng.integers(lo, hi))), f"a blurred picture of {CLIPS[clip].description}"


def ball(right_to_left: bool) -> Recipe:
    """A ball crossing left to right; the right-to-left class is the identical drawing played backwards."""

    def build(rng: np.random.Generator, canvas: Canvas) -> Sketch:
        n_frames = canvas.frames(canvas.duration(rng))
        bg, bg_phrase = background(rng)
        color = pick(rng, list(SHAPE_COLORS))
        bob = float(rng.uniform(0.0, 0.1))
        part = BallPart(bg, SHAPE_COLORS[color], float(rng.uniform(0.08, 0.16)), float(rng.uniform(0.3, 0.7)),
                        float(rng.uniform(0.3, 0.7)), bob, float(rng.uniform(0.5, 3.0)), n_frames)
        direction, opposite = DIRECTIONS[1::-1] if right_to_left else DIRECTIONS[:2]
        end, start = ("left", "right") if right_to_left else ("right", "left")
        bobbing = ", bobbing up and down" if bob > 0.05 else ""
        caption = f"{with_article(color)} ball moves {direction} across {bg_phrase}{bobbing}"
        primary = make_qa(rng, "In which direction does the ball move?", direction, "direction",
                          hard=[opposite], pool=DIRECTIONS)
        others = [
            make_qa(rng, "Where is the ball at the end of the video?", f"on the {end}", "order",
                    hard=[f"on the {start}"], pool=["in the centre"]),
            make_qa(rng, "What colour is the ball?", color, "content", pool=list(SHAPE_COLORS)),
        ]
        return Sketch((part,), sentence(caption), choose_qas(rng, primary, others), reverse=right_to_left)

    return build


def square(shrinks: bool) -> Recipe:
    """A square growing around a fixed centre; the shrinking class is the same drawing played backwards."""

    def build(rng: np.random.Generator, canvas: Canvas) -> Sketch:
        n_frames = canvas.frames(canvas.duration(rng))
        bg, bg_phrase = background(rng)
        color = pick(rng, list(SHAPE_COLORS))
        center = (float(rng.uniform(0.35, 0.65)), float(rng.uniform(0.35, 0.65)))
        part = SquarePart(bg, SHAPE_COLORS[color], center, float(rng.uniform(0.08, 0.2)),
                          float(rng.uniform(0.6, 0.95)), n_frames)
        change, other = ("it shrinks", "it grows") if shrinks else ("it grows", "it shrinks")
        verb = "shrinks from large to small" if shrinks else "grows from small to large"
        caption = f"{with_article(color)} square {verb} on {bg_phrase}"
        primary = make_qa(rng, "How does the square change over time?", change, "order", hard=[other],
                          pool=["it stays the same size", "it moves from left to right"])
        bigger, smaller = ("at the start", "at the end") if shrinks else ("at the end", "at the start")
        others = [
            make_qa(rng, "When is the square biggest?", bigger, "order", hard=[smaller], pool=["in the middle"]),
            make_qa(rng, "What colour is the square?", color, "content", pool=list(SHAPE_COLORS)),
        ]
        return Sketch((part,), sentence(caption), choose_qas(rng, primary, others), reverse=shrinks)

    return build
