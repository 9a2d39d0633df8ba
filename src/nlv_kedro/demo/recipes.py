"""The demo classes: name, description, whether telling it apart needs temporal order, and its recipe.

Three order pairs hold the same frames in different orders. Order-blind pooling of per-frame features is at
chance on them by construction, which makes them the test of whether a top model uses temporal context.
"""

from __future__ import annotations

from dataclasses import dataclass

from nlv_kedro.demo import footage_recipes as fr
from nlv_kedro.demo import shape_recipes as sr
from nlv_kedro.demo.plan import Recipe


@dataclass(frozen=True)
class ClassRecipe:
    name: str
    description: str
    recipe: Recipe


CLASSES: tuple[ClassRecipe, ...] = (
    ClassRecipe("bunny_then_bikes", "Cartoon rabbit footage, then city street footage (real clips).",
                fr.scene_pair("bunny")),
    ClassRecipe("bikes_then_bunny", "City street footage, then cartoon rabbit footage: bunny_then_bikes reordered.",
                fr.scene_pair("bikes")),
    ClassRecipe("ball_left_to_right", "A drawn ball crosses the frame from left to right over a plain background.",
                sr.ball(right_to_left=False)),
    ClassRecipe("ball_right_to_left", "ball_left_to_right played backwards: the ball crosses from right to left.",
                sr.ball(right_to_left=True)),
    ClassRecipe("square_grows", "A drawn square grows from small to large around a fixed centre.",
                sr.square(shrinks=False)),
    ClassRecipe("square_shrinks", "square_grows played backwards: the square shrinks.", sr.square(shrinks=True)),
    ClassRecipe("carphone", "Real talking-head footage of a man in a car, sometimes heavily compressed.",
                fr.carphone),
    ClassRecipe("static_scene", "One real frame held still with faint noise: near-duplicate frames throughout.",
                fr.static_scene),
    ClassRecipe("rapid_cuts", "A fast montage of 3-12 short real shots; the number of cuts is asked in QA.",
                fr.rapid_cuts),
    ClassRecipe("bikes_street", "Continuous real street footage, crossing the clip's own cuts.", fr.bikes_street),
)
CLASS_BY_NAME: dict[str, ClassRecipe] = {c.name: c for c in CLASSES}

ORDER_PAIRS: tuple[tuple[str, str], ...] = (
    ("bunny_then_bikes", "bikes_then_bunny"),
    ("ball_left_to_right", "ball_right_to_left"),
    ("square_grows", "square_shrinks"),
)
ORDER_DEPENDENT: frozenset[str] = frozenset(name for pair in ORDER_PAIRS for name in pair)


def describe_classes() -> dict[str, object]:
    """The `classes.json` document: per class its description and order dependence, plus the order pairs."""
    return {
        "classes": {
            c.name: {"description": c.description, "order_dependent": c.name in ORDER_DEPENDENT} for c in CLASSES
        },
        "order_pairs": [list(pair) for pair in ORDER_PAIRS],
    }
