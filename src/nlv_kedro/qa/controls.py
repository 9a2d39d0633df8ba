"""Controls that answer without the video: what a QA method must beat before it can claim to read the video.

``answer_prior`` answers every test question with the choice that was the most frequent train answer to the
same question text (no video, no LLM). On a dataset whose answers are unbalanced per question, this prior
alone scores far above chance, and a projector can learn it without looking at the video.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd


def answer_prior_predictions(train: pd.DataFrame, test: pd.DataFrame) -> list[int]:
    """Index of the predicted choice for each test row.

    The prediction is the choice most often correct for that question text in ``train`` (ties: the earlier
    choice). A question text train never asked falls back to the answers of all train questions, and a test
    question none of whose choices was ever a train answer gets its first choice.
    """
    by_question: dict[str, Counter] = {}
    for question, answer in zip(train["question"], train["answer"]):
        by_question.setdefault(question, Counter())[answer] += 1
    overall = Counter(train["answer"])
    predictions = []
    for question, choices in zip(test["question"], test["choices"]):
        counts = by_question.get(question, overall)
        if not any(counts[c] for c in choices):
            counts = overall
        predictions.append(max(range(len(choices)), key=lambda i: (counts[choices[i]], -i)))
    return predictions
