"""Words for the demo videos: colour names, caption phrasing and multiple-choice questions.

Every choice here is drawn from the video's own generator, so captions and QA are as reproducible as the
pixels. Order questions always offer the answer of the partner class as a distractor, so that a model which
ignores temporal order is at chance on them. Structure questions (`closed_qa`) offer every possible answer, and
`balance.balance_qa` then makes each question text's train answers equally frequent, so that answering from the
question text alone (the blind answer prior) is at chance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

RGB = tuple[int, int, int]

# Saturated colours for the moving shapes, muted ones for gradients, so a shape never blends in.
SHAPE_COLORS: dict[str, RGB] = {
    "red": (220, 40, 40),
    "blue": (40, 90, 230),
    "green": (40, 180, 70),
    "yellow": (245, 215, 40),
    "orange": (250, 140, 30),
    "purple": (150, 60, 210),
    "white": (250, 250, 250),
}
BACKGROUND_COLORS: dict[str, RGB] = {
    "navy": (20, 30, 80),
    "grey": (110, 110, 110),
    "teal": (30, 110, 110),
    "sand": (200, 180, 130),
    "black": (15, 15, 15),
    "pink": (230, 160, 180),
}
QA_TYPES: tuple[str, ...] = ("order", "direction", "count", "content", "structure")
VIDEO_ENDS = "nothing, the video ends"


@dataclass(frozen=True)
class QA:
    """One multiple-choice question; `answer` is always one of `choices`."""

    question: str
    choices: tuple[str, ...]
    answer: str
    type: str

    def __post_init__(self) -> None:
        if self.answer not in self.choices or len(set(self.choices)) != len(self.choices):
            raise ValueError(f"bad QA {self.question!r}: answer {self.answer!r}, choices {self.choices}")
        if self.type not in QA_TYPES:
            raise ValueError(f"QA type {self.type!r} is not one of {QA_TYPES}")


def pick(rng: np.random.Generator, options: Sequence[str]) -> str:
    return options[int(rng.integers(len(options)))]


def make_qa(
    rng: np.random.Generator,
    question: str,
    answer: str,
    kind: str,
    hard: Sequence[str] = (),
    pool: Sequence[str] = (),
) -> QA:
    """2-4 shuffled choices: the answer, the `hard` distractors first, then random ones from `pool`."""
    n_choices = int(rng.integers(2, 5))
    seen = {answer}
    distractors = []
    for option in [*hard, *(pool[i] for i in rng.permutation(len(pool)))]:
        if option not in seen:
            seen.add(option)
            distractors.append(option)
    choices = [answer, *distractors[: max(n_choices - 1, 1)]]
    if len(choices) < 2:
        raise ValueError(f"question {question!r} has no distractor for answer {answer!r}")
    order = rng.permutation(len(choices))
    return QA(question, tuple(choices[i] for i in order), answer, kind)


def closed_qa(rng: np.random.Generator, question: str, answer: str, options: Sequence[str], kind: str) -> QA:
    """Every one of `options` as a choice, shuffled: no distractor that is never an answer gives the answer away."""
    order = rng.permutation(len(options))
    return QA(question, tuple(options[i] for i in order), answer, kind)


def count_qa(rng: np.random.Generator, cuts: int) -> QA:
    """How many hard cuts; distractors are nearby counts so the answer needs counting, not guessing."""
    nearby = [str(n) for n in range(max(cuts - 2, 0), cuts + 4) if n != cuts]
    return make_qa(rng, "How many hard cuts to a different shot are there?", str(cuts), "count", pool=nearby)


def choose_qas(rng: np.random.Generator, primary: QA, others: Sequence[QA]) -> tuple[QA, ...]:
    """1-3 questions: always the primary one (the class's defining question), then random others."""
    n_total = int(rng.integers(1, 4))
    order = rng.permutation(len(others))
    return (primary, *(others[i] for i in order[: n_total - 1]))


def sequence_phrase(items: Sequence[str], limit: int = 6) -> str:
    """'a, then b, and finally c' (at most `limit` items, then 'and more')."""
    shown = list(items[:limit])
    if len(shown) == 1:
        return shown[0]
    text = ", then ".join(shown[:-1]) + (", and finally " if len(items) <= limit else ", then ") + shown[-1]
    return text + (", and more" if len(items) > limit else "")


def with_article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
