"""QA rows -> model inputs: training items (answer ids) and multiple-choice questions (each choice's ids)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import torch

from nlv_kedro.qa.bridge import QAItem, encode_answer, encode_prompt, pool_adjacent
from nlv_kedro.qa.choices import Question
from nlv_kedro.qa.llm import LoadedLLM, end_of_turn_id


def video_tokens_input(vectors: np.ndarray | None, max_tokens: int) -> torch.Tensor | None:
    """(T, d) stored vectors -> (min(T, max_tokens), d) float tensor, adjacent chunks pooled past the cap."""
    if vectors is None:
        return None
    x = torch.as_tensor(np.asarray(vectors, dtype=np.float32))
    return pool_adjacent(x.reshape(-1, x.shape[-1]), max_tokens)


def training_items(rows: pd.DataFrame, vectors: Mapping[str, np.ndarray] | None, llm: LoadedLLM,
                   max_tokens: int, system_prompt: str | None) -> list[QAItem]:
    """One item per QA row, the answer as target (and the offered choices, when the row has them and they hold
    the answer); ``vectors`` None means text only."""
    end_id = end_of_turn_id(llm.tokenizer)
    items = []
    for row in rows.itertuples(index=False):
        x = video_tokens_input(vectors[row.video_id], max_tokens) if vectors is not None else None
        prompt = encode_prompt(llm.tokenizer, row.question, with_video=x is not None, system_prompt=system_prompt)
        offered = getattr(row, "choices", None)
        choices = [str(c) for c in offered] if isinstance(offered, (list, tuple, np.ndarray)) else []
        encoded = [encode_answer(llm.tokenizer, c, end_id) for c in choices] if row.answer in choices else None
        items.append(QAItem(prompt, x, encode_answer(llm.tokenizer, row.answer, end_id), encoded,
                            choices.index(row.answer) if encoded else None))
    return items


def choice_questions(rows: pd.DataFrame, vectors: Mapping[str, np.ndarray] | None, llm: LoadedLLM,
                     max_tokens: int, system_prompt: str | None) -> tuple[list[Question], list[int]]:
    """Questions with every choice encoded, and the index of the correct choice of each."""
    end_id = end_of_turn_id(llm.tokenizer)
    questions, correct = [], []
    for row in rows.itertuples(index=False):
        x = video_tokens_input(vectors[row.video_id], max_tokens) if vectors is not None else None
        prompt = encode_prompt(llm.tokenizer, row.question, with_video=x is not None, system_prompt=system_prompt)
        choices = list(row.choices)
        questions.append(Question(prompt, x, [encode_answer(llm.tokenizer, c, end_id) for c in choices]))
        correct.append(choices.index(row.answer))
    return questions, correct


# method -> which store its vectors come from; text_only uses none
# (the blind controls start from NextLevel's vectors, see qa/controls.py)
VIDEO_SOURCE: dict[str, str | None] = {"text_only": None, "text_only_normalized": None, "mean_pool": "chunks",
                                       "frozen_chunks": "chunks", "nextlevel": "contextual",
                                       "blind_constant": "contextual", "blind_shuffled": "contextual"}


def method_vectors(method: str, chunks: Mapping[str, np.ndarray] | None,
                   contextual: Mapping[str, np.ndarray] | None) -> np.ndarray | None:
    """One video's input vectors for a compared method, as stored tensors -> (T, d) float32 (None: text only).

    ``mean_pool`` is the classic video vector (one token); ``frozen_chunks`` feeds the frozen encoder's
    chunk vectors one token each, which is the same sequence NextLevel contextualizes.
    """
    if method not in VIDEO_SOURCE:
        raise ValueError(f"unknown video_qa method {method!r}; known: {sorted(VIDEO_SOURCE)}")
    if VIDEO_SOURCE[method] is None:
        return None
    if VIDEO_SOURCE[method] == "contextual":
        assert contextual is not None, f"{method} needs the contextual embeddings"
        return np.asarray(contextual["contextual"], dtype=np.float32)
    assert chunks is not None, f"{method} needs the chunk embeddings"
    x = np.asarray(chunks["embeddings"], dtype=np.float32)
    return x.mean(0, keepdims=True) if method == "mean_pool" else x
