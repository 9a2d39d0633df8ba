"""Balance the demo QA so that the question text alone does not give the answer away.

The blind control of the QA evaluation (``qa.controls.answer_prior_predictions``) answers each test question
with the choice that was most often the train answer to the same question text. On raw demo QA it scores far
above chance (a still is always "not moving", counts of zero cuts dominate), and a projector learns that prior
without looking at the video. `balance_qa` keeps, per question text, an equal number of train rows for each of
a set of answers, drops the rows (in every split) whose answer is outside that set, and offers only choices
from the set; the prior then ties between every choice of a question and is at chance.
"""

from __future__ import annotations

import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np


class QARow(NamedTuple):
    video_id: str
    question: str
    choices: tuple[str, ...]
    answer: str
    type: str
    split: str


def equal_share(counts: Counter[str]) -> tuple[frozenset[str], int]:
    """(answers, per-answer count) keeping the most train rows with every kept answer equally frequent.

    Keeping t rows of each answer seen at least t times keeps t * |answers| rows; the best t wins (ties: the
    larger t). Fewer than two answers to keep: (empty set, 0), as a question with one answer tests nothing.
    """
    best: tuple[int, int, frozenset[str]] = (0, 0, frozenset())
    for t in sorted(set(counts.values())):
        answers = frozenset(a for a, c in counts.items() if c >= t)
        if len(answers) >= 2:
            best = max(best, (t * len(answers), t, answers), key=lambda b: (b[0], b[1]))
    return best[2], best[1]


def _seed(row: QARow) -> int:
    return zlib.crc32(f"{row.video_id}|{row.question}".encode())


def _train_selection(train: list[QARow]) -> tuple[list[QARow], frozenset[str]]:
    """Train rows kept for one question text, t per kept answer (picked by a hash of the row), and the answers."""
    answers, t = equal_share(Counter(r.answer for r in train))
    taken: Counter[str] = Counter()
    kept = []
    for row in sorted(train, key=_seed):
        if row.answer in answers and taken[row.answer] < t:
            taken[row.answer] += 1
            kept.append(row)
    return kept, answers


def narrow_choices(row: QARow, answers: frozenset[str]) -> tuple[str, ...]:
    """`row`'s choices with every distractor that is never a kept answer swapped for one that is.

    A distractor that is never the answer to its question is a give-away (the prior never picks it), so the
    choices become kept answers only, as many as before where there are enough; unchanged choices keep their
    order, changed ones are shuffled by a generator seeded from the row.
    """
    keep = [c for c in row.choices if c in answers]
    if len(keep) == len(row.choices):
        return row.choices
    rng = np.random.default_rng(_seed(row))
    extra = [c for c in sorted(answers) if c not in keep]
    extra = [extra[i] for i in rng.permutation(len(extra))][: max(len(row.choices), 2) - len(keep)]
    choices = keep + extra
    return tuple(choices[i] for i in rng.permutation(len(choices)))


def balance_qa(rows: Sequence[QARow]) -> list[QARow]:
    """The rows kept, in their input order, with their choices narrowed to the kept answers of their question."""
    by_question: dict[str, list[QARow]] = defaultdict(list)
    for row in rows:
        by_question[row.question].append(row)
    keep: set[QARow] = set()
    kept_answers: dict[str, frozenset[str]] = {}
    for question, group in by_question.items():
        train, answers = _train_selection([r for r in group if r.split == "train"])
        kept_answers[question] = answers
        keep.update(train)
        keep.update(r for r in group if r.split != "train" and r.answer in answers)
    return [row._replace(choices=narrow_choices(row, kept_answers[row.question])) for row in rows if row in keep]
