"""Classes made of real footage: a scene-order pair, a talking head, a still, rapid cuts and a street montage.

Each recipe draws all of its random numbers from the video's generator in a fixed order that does not depend
on the class's *order*, so the two classes of an order pair see identical distributions of frames.
"""

from __future__ import annotations

from itertools import groupby

import numpy as np

from nlv_kedro.demo.footage import CLIPS, SHOTS, ZOOMS, take_of
from nlv_kedro.demo.language import (
    VIDEO_ENDS,
    QA,
    choose_qas,
    closed_qa,
    count_qa,
    make_qa,
    pick,
    sentence,
    sequence_phrase,
)
from nlv_kedro.demo.plan import Canvas, Recipe, Sketch, count_cuts
from nlv_kedro.demo.scenes import Crop, FootagePart, StillPart

SCENES = [CLIPS[c].description for c in ("bunny", "bikes", "carphone")] + ["a coloured ball on a plain background"]
SHOT_NAMES = [shot.description for shot in SHOTS.values()]
MOVES = ("yes, things move", "no, the picture stays still")  # asked of moving and still footage alike
CAPTION_TEMPLATES = (
    "{a}, then {b}",
    "first {a}; then the video cuts to {b}",
    "the video opens on {a} and then shows {b}",
)
RICH: dict[str, tuple[str, ...]] = {  # longer caption phrases; QA choices use the short descriptions
    "bunny": (
        "a big cartoon rabbit stretching outside its burrow in a green meadow",
        "an animated rabbit waking up on a grassy hillside",
        "a cartoon rabbit in a meadow",
    ),
    "bikes": (
        "city street scenes with cyclists, traffic and parked bicycles",
        "people, cars and bicycles on busy city streets",
        "street footage of bicycles and traffic",
    ),
}


def random_crop(rng: np.random.Generator, pan: bool = True) -> Crop:
    """A window at a random zoom; with `pan`, it drifts to a nearby position over the segment."""
    zoom = ZOOMS[int(rng.integers(len(ZOOMS)))]
    start = rng.uniform(0.0, 1.0, 2)
    end = np.clip(start + rng.normal(0.0, 0.35, 2), 0.0, 1.0) if pan else start
    return Crop(zoom, (float(start[0]), float(start[1])), (float(end[0]), float(end[1])))


def footage(
    rng: np.random.Generator, canvas: Canvas, clip: str, n_frames: int, span: tuple[int, int] | None = None
) -> FootagePart:
    """`n_frames` of re-timed real footage: random start, speed 0.6-1.4x, random zoom and pan."""
    lo, hi = span or CLIPS[clip].span
    speed = rng.uniform(0.6, 1.4)
    first = rng.uniform(lo, hi - 1)
    step = speed * CLIPS[clip].fps / canvas.fps
    return FootagePart(clip, lo, hi, float(first), float(step), n_frames, random_crop(rng))


def scene_pair(first: str) -> Recipe:
    """`first` then the other of (bunny, bikes): both segments are drawn identically whatever the order."""

    def build(rng: np.random.Generator, canvas: Canvas) -> Sketch:
        lo, hi = canvas.duration_s
        drawn = {
            clip: footage(rng, canvas, clip, canvas.frames(rng.uniform(lo / 2, hi / 2))) for clip in ("bunny", "bikes")
        }
        second = "bikes" if first == "bunny" else "bunny"
        parts = (drawn[first], drawn[second])
        a, b = pick(rng, RICH[first]), pick(rng, RICH[second])
        caption = pick(rng, CAPTION_TEMPLATES)
        name = {clip: CLIPS[clip].description for clip in ("bunny", "bikes")}
        after_rabbit = name["bikes"] if first == "bunny" else VIDEO_ENDS
        qas = [
            make_qa(rng, "What is shown first?", name[first], "order", hard=[name[second]], pool=SCENES),
            make_qa(rng, "What comes right after the cartoon rabbit?", after_rabbit, "order",
                    hard=[name["bikes"], VIDEO_ENDS], pool=SCENES),
            count_qa(rng, count_cuts(parts)),
        ]
        return Sketch(parts, sentence(caption.format(a=a, b=b)), choose_qas(rng, qas[0], qas[1:]))

    return build


def carphone(rng: np.random.Generator, canvas: Canvas) -> Sketch:
    """Real talking-head footage; one in four uses the heavily compressed copy of the same clip."""
    low_quality = bool(rng.random() < 0.25)
    part = footage(rng, canvas, "carphone_lowq" if low_quality else "carphone", canvas.frames(canvas.duration(rng)))
    caption = pick(rng, (
        "a young man in a suit and bow tie talks and pulls faces in the passenger seat of a car",
        "a man with a bow tie speaks to the camera from inside a moving car",
        "a man talking in a car",
    )) + (", in blocky low-quality video" if low_quality else "")
    primary = make_qa(rng, "What is shown?", CLIPS["carphone"].description, "content", pool=SCENES)
    others = [
        closed_qa(rng, "Does anything move in the video?", MOVES[0], MOVES, "content"),
        count_qa(rng, 0),
    ]
    return Sketch((part,), sentence(caption), choose_qas(rng, primary, others))


def static_scene(rng: np.random.Generator, canvas: Canvas) -> Sketch:
    """One real frame held still with faint noise: every frame is a near-duplicate of the first."""
    shot = SHOTS[pick(rng, list(SHOTS))]
    frame = int(rng.integers(shot.start, shot.stop))
    part = StillPart(shot.clip, frame, canvas.frames(canvas.duration(rng)), random_crop(rng, pan=False),
                     float(rng.uniform(0.5, 2.0)), int(rng.integers(2**31)))
    caption = pick(rng, ("a still image of {d}; nothing moves", "a frozen frame of {d}, held without motion"))
    primary = make_qa(rng, "What is shown?", shot.description, "content", pool=SHOT_NAMES)
    others = [
        closed_qa(rng, "Does anything move in the video?", MOVES[1], MOVES, "content"),
        count_qa(rng, 0),
    ]
    return Sketch((part,), sentence(caption.format(d=shot.description)), choose_qas(rng, primary, others))


def rapid_cuts(rng: np.random.Generator, canvas: Canvas) -> Sketch:
    """Short shots, each from a different camera take than the one before, so every boundary is a cut."""
    total = canvas.frames(canvas.duration(rng))
    n_shots = int(np.clip(round(total / canvas.fps / rng.uniform(0.6, 1.8)), 3, 12))
    lengths = np.maximum(np.rint(rng.dirichlet(np.full(n_shots, 4.0)) * total).astype(int), 4)
    keys: list[str] = []
    for _ in range(n_shots):
        keys.append(pick(rng, [k for k in SHOTS if not keys or take_of(k) != take_of(keys[-1])]))
    parts = tuple(
        footage(rng, canvas, SHOTS[k].clip, int(n), span=(SHOTS[k].start, SHOTS[k].stop))
        for k, n in zip(keys, lengths, strict=True)
    )
    names = [SHOTS[k].description for k in keys]
    caption = f"a fast montage of {n_shots} shots: {sequence_phrase(names, limit=12)}"
    primary = count_qa(rng, count_cuts(parts))
    others = [
        make_qa(rng, "What is the opening shot?", names[0], "order", hard=[names[-1]], pool=SHOT_NAMES),
        make_qa(rng, "What is shown right after the opening shot?", names[1], "order",
                hard=[names[-1]] if names[-1] != names[0] else [], pool=SHOT_NAMES),
    ]
    return Sketch(parts, sentence(caption), choose_qas(rng, primary, others))


def bikes_street(rng: np.random.Generator, canvas: Canvas) -> Sketch:
    """Continuous street footage across the clip's own cuts; the shots met are listed in the caption."""
    part = footage(rng, canvas, "bikes", canvas.frames(canvas.duration(rng)))
    runs = [SHOTS[key].description for key, _ in groupby(part.shot_keys())]
    caption = f"street footage: {sequence_phrase(runs)}" if len(runs) > 1 else f"street footage of {runs[0]}"
    primary = count_qa(rng, count_cuts((part,)))
    absent = [name for name in SHOT_NAMES if name not in runs]
    others: list[QA] = [
        make_qa(rng, "What is the opening shot?", runs[0], "order", pool=SHOT_NAMES),
        make_qa(rng, "Which of these appears in the video?", pick(rng, runs), "content", pool=absent),
    ]
    return Sketch((part,), sentence(caption), choose_qas(rng, primary, others))
