"""Demo QA that needs the video: every question text's train answers are equally frequent, so a blind prior is
at chance; structure questions follow from the class."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from nlv_kedro.demo.balance import QARow, balance_qa, equal_share, narrow_choices
from nlv_kedro.demo.config import DemoDataConfig
from nlv_kedro.demo.dataset import plan_demo_videos
from nlv_kedro.demo.generator import manifest_table, qa_table
from nlv_kedro.qa.controls import answer_prior_predictions

STRUCTURE_ANSWERS = {  # question -> {label: answer}
    "Which shape appears first?": {"insert_circle_first": "the circle", "insert_square_first": "the square"},
    "How many times does a shape appear?": {"one_long_insert": "once", "three_short_inserts": "three times"},
    "Is the footage played forwards or backwards?": {"footage_forward": "forwards", "footage_reversed": "backwards"},
    "Which clip comes first?": {"parts_abc": "a cartoon rabbit in a meadow", "parts_cab": "a man talking in a car",
                                "parts_bca": "city street scenes with bicycles and traffic"},
}


@pytest.fixture(scope="module")
def qa() -> pd.DataFrame:
    """The default preset's QA (planning only, no pixels) with each video's split and label."""
    plans = plan_demo_videos(DemoDataConfig())
    manifest = manifest_table(plans)
    return qa_table(plans).merge(manifest[["video_id", "split", "label"]], on="video_id")


def test_train_answers_are_balanced_per_question_text(qa: pd.DataFrame) -> None:
    train = qa[qa["split"] == "train"]
    assert train["question"].nunique() >= 15
    for question, rows in train.groupby("question"):
        counts = rows["answer"].value_counts()
        assert len(counts) >= 2 and counts.nunique() == 1, (question, counts.to_dict())
        answers = set(counts.index)
        assert all(set(c) <= answers for c in qa.loc[qa["question"] == question, "choices"]), question


def test_blind_answer_prior_is_at_chance(qa: pd.DataFrame) -> None:
    train, test = qa[qa["split"] == "train"], qa[qa["split"] != "train"]
    picks = answer_prior_predictions(train, test)
    accuracy = np.mean([choices[i] == answer for i, choices, answer in zip(picks, test["choices"], test["answer"])])
    chance = np.mean([1 / len(c) for c in test["choices"]])
    assert accuracy <= chance + 0.05


def test_structure_questions_follow_from_the_class(qa: pd.DataFrame) -> None:
    assert set(qa.loc[qa["question"].isin(STRUCTURE_ANSWERS), "type"]) == {"structure"}
    for question, by_label in STRUCTURE_ANSWERS.items():
        rows = qa[qa["question"] == question]
        assert set(rows["label"]) == set(by_label), question  # every class of the group asks it
        assert (rows["answer"] == rows["label"].map(by_label)).all(), question
        assert all(set(c) == set(by_label.values()) for c in rows["choices"]), question


def test_equal_share_keeps_the_most_rows_with_equal_counts() -> None:
    assert equal_share(Counter({"a": 5, "b": 3, "c": 3, "d": 1})) == (frozenset("abc"), 3)
    assert equal_share(Counter({"a": 9, "b": 1})) == (frozenset("ab"), 1)
    assert equal_share(Counter({"a": 4})) == (frozenset(), 0)


def test_balance_drops_a_one_answer_question_and_swaps_give_away_distractors() -> None:
    rows = [QARow(f"v{i}", "Where?", ("car", "street"), "car", "content", "train") for i in range(4)]
    rows += [QARow(f"w{i}", "How many?", (str(i % 3), "7"), str(i % 3), "count", split)
             for i, split in enumerate(["train"] * 7 + ["test"] * 3)]
    kept = balance_qa(rows)
    assert {r.question for r in kept} == {"How many?"}
    assert Counter(r.answer for r in kept if r.split == "train") == Counter({"0": 2, "1": 2, "2": 2})
    assert all("7" not in r.choices and r.answer in r.choices and len(r.choices) == 2 for r in kept)
    row = QARow("x", "How many?", ("1", "7", "9"), "1", "count", "test")
    assert narrow_choices(row, frozenset({"0", "1", "2"})) == narrow_choices(row, frozenset({"0", "1", "2"}))
    assert sorted(narrow_choices(row, frozenset({"0", "1", "2"}))) == ["0", "1", "2"]
