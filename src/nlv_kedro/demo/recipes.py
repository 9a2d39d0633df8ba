"""The demo classes: name, description, whether telling it apart needs temporal order, and its recipe.

Three order pairs hold the same frames in different orders; order-blind pooling of per-frame features is at chance
on them by construction, but pooling each half of a video solves them. The structure groups (see
`structure_recipes`) are content-matched per video and built so that pooling halves or quarters does not solve
them either: they are the test of whether a top model uses temporal context. The other classes are the
order-independent control.
"""

from __future__ import annotations

from dataclasses import dataclass

from nlv_kedro.demo import footage_recipes as fr
from nlv_kedro.demo import shape_recipes as sr
from nlv_kedro.demo import structure_recipes as st
from nlv_kedro.demo.plan import Recipe


@dataclass(frozen=True)
class ClassRecipe:
    name: str
    description: str
    recipe: Recipe
    group: str | None = None  # classes of one group share every random draw of video k (and its split)


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
    ClassRecipe("insert_circle_first", "Real footage with a drawn circle and then a square, each shown briefly.",
                st.insert_order(circle_first=True), "insert_order"),
    ClassRecipe("insert_square_first", "insert_circle_first with the two shapes swapped: the square comes first.",
                st.insert_order(circle_first=False), "insert_order"),
    ClassRecipe("one_long_insert", "Real footage with one drawn shape shown once, for three times as long.",
                st.insert_count(three=False), "insert_count"),
    ClassRecipe("three_short_inserts", "one_long_insert's shape shown three times, for the same total time.",
                st.insert_count(three=True), "insert_count"),
    ClassRecipe("parts_abc", "Rabbit, street and car footage of random lengths, in that order.",
                st.parts_order("abc"), "parts_order"),
    ClassRecipe("parts_bca", "parts_abc's three parts in the order street, car, rabbit.",
                st.parts_order("bca"), "parts_order"),
    ClassRecipe("parts_cab", "parts_abc's three parts in the order car, rabbit, street.",
                st.parts_order("cab"), "parts_order"),
    ClassRecipe("footage_forward", "Real footage (rabbit, street, car) played forwards.",
                st.footage_arrow(reverse=False), "arrow_of_time"),
    ClassRecipe("footage_reversed", "footage_forward's frames played backwards.",
                st.footage_arrow(reverse=True), "arrow_of_time"),
)
CLASS_BY_NAME: dict[str, ClassRecipe] = {c.name: c for c in CLASSES}

ORDER_PAIRS: tuple[tuple[str, str], ...] = (
    ("bunny_then_bikes", "bikes_then_bunny"),
    ("ball_left_to_right", "ball_right_to_left"),
    ("square_grows", "square_shrinks"),
)
STRUCTURE_GROUPS: dict[str, tuple[str, ...]] = {
    group: tuple(c.name for c in CLASSES if c.group == group)
    for group in dict.fromkeys(c.group for c in CLASSES if c.group)
}
ORDER_DEPENDENT: frozenset[str] = frozenset(
    [name for pair in ORDER_PAIRS for name in pair] + [name for group in STRUCTURE_GROUPS.values() for name in group]
)


def describe_classes() -> dict[str, object]:
    """The `classes.json` document: per class its description, order dependence and group; the order pairs and
    the structure groups."""
    return {
        "classes": {
            c.name: {"description": c.description, "order_dependent": c.name in ORDER_DEPENDENT, "group": c.group}
            for c in CLASSES
        },
        "order_pairs": [list(pair) for pair in ORDER_PAIRS],
        "structure_groups": {group: list(names) for group, names in STRUCTURE_GROUPS.items()},
    }
