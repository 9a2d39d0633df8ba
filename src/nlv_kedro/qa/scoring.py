"""Answering with the bridged LLM: multiple choice by log-likelihood, and free-form generation.

Multiple choice asks the LLM how likely each choice is as the whole answer, rather than parsing a
generated letter: a 135M model follows "answer A/B/C" instructions poorly, but its likelihoods are
well defined. A choice's score is over its tokens plus the end-of-turn token:

- ``sum`` (default): log p(choice | video, question), the answer's probability. Training optimizes
  exactly this, so after training it is the right ranking; it favours short choices when untrained.
- ``mean``: the per-token average, which removes that length bias (for zero-shot, text-only use).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch
from tqdm.auto import tqdm

from nlv_kedro.qa.bridge import Projector, QAItem, encode_prompt, soft_tokens, splice
from nlv_kedro.qa.choices import Question, choice_log_probs
from nlv_kedro.qa.llm import LoadedLLM, end_of_turn_id

logger = logging.getLogger(__name__)
Reduction = Literal["sum", "mean"]


def score_choices(llm: LoadedLLM, projector: Projector | None, questions: Sequence[Question],
                  reduction: Reduction = "sum", batch_size: int = 32, progress: bool = False,
                  share_prompt: bool = True) -> list[np.ndarray]:
    """Each question's choice scores (higher = more likely), in order.

    ``share_prompt`` runs each prompt once and scores its choices from the cached keys and values: about
    3x less compute with three choices. Questions are batched with others of the same prompt length, so
    no prompt needs padding; ``share_prompt=False`` scores full rows (the reference the tests compare to).
    """
    if reduction not in ("sum", "mean"):
        raise ValueError(f"choice score reduction must be 'sum' or 'mean', got {reduction!r}")
    return choice_scores(llm, projector, questions, batch_size, progress, share_prompt)[reduction]


@torch.no_grad()
def choice_scores(llm: LoadedLLM, projector: Projector | None, questions: Sequence[Question], batch_size: int = 32,
                  progress: bool = False, share_prompt: bool = True) -> dict[Reduction, list[np.ndarray]]:
    """Both reductions from one pass: ``{"sum": [per question (choices,)], "mean": [...]}``."""
    if projector is not None:
        projector.eval()
    scores: dict[Reduction, list[np.ndarray]] = {r: [np.zeros(len(q.choices)) for q in questions]
                                                 for r in ("sum", "mean")}
    for chunk in tqdm(_batches(questions, batch_size), desc="scoring choices", disable=not progress, leave=False):
        picked, mask = choice_log_probs(llm.model, llm.tokenizer.pad_token_id, projector,
                                        [questions[q] for q in chunk], share_prompt)
        total = picked.sum(1)
        values = {"sum": total.tolist(), "mean": (total / mask.sum(1)).tolist()}
        rows = [(q, c) for q in chunk for c in range(len(questions[q].choices))]
        for reduction, column in values.items():
            for (q, c), value in zip(rows, column):
                scores[reduction][q][c] = value  # type: ignore[index]
    return scores


def _batches(questions: Sequence[Question], batch_size: int) -> list[list[int]]:
    """Question indices grouped by prompt length, at most ``batch_size`` to a group."""
    by_length: dict[int, list[int]] = {}
    for i, q in enumerate(questions):
        n_soft = 0 if q.vectors is None else len(q.vectors)
        by_length.setdefault(len(q.prompt.before) + n_soft + len(q.prompt.after), []).append(i)
    return [group[s:s + batch_size] for group in by_length.values() for s in range(0, len(group), batch_size)]


@torch.no_grad()
def generate_answer(llm: LoadedLLM, projector: Projector | None, vectors: torch.Tensor | None, question: str,
                    system_prompt: str | None = None, max_new_tokens: int = 32) -> str:
    """Greedy free-form answer to a typed question about one video (``vectors`` None: text only)."""
    tokenizer = llm.tokenizer
    prompt = encode_prompt(tokenizer, question, with_video=vectors is not None, system_prompt=system_prompt)
    item = QAItem(prompt, vectors, [])
    if projector is not None:
        projector.eval()
    batch = splice(llm.model.get_input_embeddings(), [prompt], soft_tokens(projector, [item]), [[]],
                   tokenizer.pad_token_id)
    stop = sorted({end_of_turn_id(tokenizer), int(tokenizer.eos_token_id)})
    output = llm.model.generate(inputs_embeds=batch.inputs_embeds, attention_mask=batch.attention_mask,
                                max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=stop,
                                pad_token_id=tokenizer.pad_token_id)
    return tokenizer.decode(output[0], skip_special_tokens=True).strip()


def accuracy_by_type(predicted: Sequence[int], correct: Sequence[int], types: Sequence[str]) -> dict[str, float | int]:
    """``{"overall": acc, "<type>": acc, ..., "n": count, "n_<type>": count}``, accuracies in percent."""
    hits = np.asarray(predicted) == np.asarray(correct)
    kinds = np.asarray(types)
    result: dict[str, float | int] = {"overall": round(100.0 * float(hits.mean()), 2) if len(hits) else float("nan"),
                                      "n": int(len(hits))}
    for kind in sorted(set(kinds.tolist())):
        sel = kinds == kind
        result[kind] = round(100.0 * float(hits[sel].mean()), 2)
        result[f"n_{kind}"] = int(sel.sum())
    return result
