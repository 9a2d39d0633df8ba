"""The blind controls: the answer prior (most frequent train answer per question text) and the inputs of the\nblind projectors (constant, or another video's vectors)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nlv_kedro.qa.controls import answer_prior_predictions, blind_vectors


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


def _videos() -> tuple[dict[str, np.ndarray], dict[str, str]]:
    vectors = {f"v{i}": np.full((2 + i, 3), float(i), np.float32) for i in range(7)}
    return vectors, {f"v{i}": "train" if i < 4 else "test" for i in range(7)}


def test_shuffled_blind_gives_every_video_another_video_of_its_split_deterministically() -> None:
    vectors, splits = _videos()
    shuffled = blind_vectors("blind_shuffled", vectors, splits, max_tokens=4)
    assert shuffled.keys() == vectors.keys() and shuffled == blind_vectors("blind_shuffled", vectors, splits, 4)
    owners = {v: int(x[0, 0]) for v, x in shuffled.items()}
    assert all(owners[v] != int(v[1:]) for v in vectors)                          # nobody keeps its own video
    assert all(splits[f"v{owners[v]}"] == splits[v] for v in vectors)             # within the split
    assert sorted(owners.values()) == list(range(7))                              # each video used exactly once


def test_constant_blind_is_one_zero_block_for_every_video() -> None:
    vectors, splits = _videos()
    constant = blind_vectors("blind_constant", vectors, splits, max_tokens=4)
    assert all(x.shape == (4, 3) and not x.any() for x in constant.values())
    with pytest.raises(ValueError, match="unknown blind control"):
        blind_vectors("blind_noise", vectors, splits, 4)
