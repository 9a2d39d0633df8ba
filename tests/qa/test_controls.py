"""The blind answer-prior control: the most frequent train answer to the same question text."""

from __future__ import annotations

import pandas as pd

from nlv_kedro.qa.controls import answer_prior_predictions


def _rows(items: list[tuple[str, list[str], str]]) -> pd.DataFrame:
    return pd.DataFrame(items, columns=["question", "choices", "answer"])


def test_prior_answers_the_most_frequent_train_answer_of_the_same_question() -> None:
    train = _rows([("What comes first?", ["a cat", "a dog"], "a dog"),
                   ("What comes first?", ["a dog", "a cat"], "a dog"),
                   ("What comes first?", ["a cat", "a dog"], "a cat"),
                   ("How many balls?", ["1", "3"], "3")])
    test = _rows([("What comes first?", ["a cat", "a dog"], "a cat"),   # prior says dog: index 1
                  ("What comes first?", ["a dog", "a cat"], "a dog"),   # choice order does not matter: index 0
                  ("How many balls?", ["3", "1"], "1")])                 # index 0
    assert answer_prior_predictions(train, test) == [1, 0, 0]


def test_unseen_questions_fall_back_to_all_train_answers_then_to_the_first_choice() -> None:
    train = _rows([("Q1", ["red", "blue"], "blue"), ("Q2", ["blue", "green"], "blue")])
    test = _rows([("never asked", ["green", "blue"], "green"),   # overall prior: blue
                  ("Q1", ["pink", "grey"], "grey")])             # no choice ever answered: first choice
    assert answer_prior_predictions(train, test) == [1, 0]


def test_ties_go_to_the_earlier_choice() -> None:
    train = _rows([("Q", ["x", "y"], "x"), ("Q", ["x", "y"], "y")])
    assert answer_prior_predictions(train, _rows([("Q", ["y", "x"], "x")])) == [0]
