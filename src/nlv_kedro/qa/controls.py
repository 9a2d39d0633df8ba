"""Controls that answer without the video: what a QA method must beat before it can claim to read the video.

``answer_prior`` answers every test question with the choice that was the most frequent train answer to the
same question text (no video, no LLM). On a dataset whose answers are unbalanced per question, this prior
alone scores far above chance, and a projector can learn it without looking at the video.

The blind projectors (:func:`blind_vectors`) are that control for the trained methods: the same projector, token
budget and training, fed inputs that carry no information about the question's video.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
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


BLIND_METHODS = ("blind_constant", "blind_shuffled")


def blind_vectors(method: str, vectors: dict[str, np.ndarray], splits: dict[str, str],
                  max_tokens: int) -> dict[str, np.ndarray]:
    """The input of a blind projector, per video, built from the NextLevel vectors ``vectors`` ({video_id: (T, d)}).

    ``blind_constant``: the same zeros block (max_tokens, d) for every video, so the projector can learn only a
    constant soft prompt (prompt tuning); no video length or content gets through. ``blind_shuffled``: every video
    gets another video's vectors of the same split (a fixed derangement), so the inputs keep their statistics
    but no longer match the question's video. Both train exactly like the video methods.
    """
    if method == "blind_constant":
        dim = next(iter(vectors.values())).shape[-1]
        return {video_id: np.zeros((max_tokens, dim), np.float32) for video_id in vectors}
    if method != "blind_shuffled":
        raise ValueError(f"unknown blind control {method!r}; known: {list(BLIND_METHODS)}")
    out: dict[str, np.ndarray] = {}
    for split in sorted(set(splits.values())):
        ids = sorted(v for v in vectors if splits[v] == split)
        order = np.random.default_rng(0).permutation(len(ids))
        for i, j in zip(order, np.roll(order, -1)):  # each video takes the next one's vectors in a random cycle
            out[ids[i]] = vectors[ids[j]]
    return out
