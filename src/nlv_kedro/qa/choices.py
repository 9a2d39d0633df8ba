"""Multiple-choice likelihoods through the bridge, with or without gradient: what scoring ranks and what the
``choices`` training objective optimizes.

A choice's log-likelihood is the sum of its tokens' log-probabilities (end-of-turn token included) after
the prompt (template, soft tokens, question). The prompt runs once per question and its keys and values are
shared by every choice, so scoring k choices costs about one prompt plus k short continuations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from nlv_kedro.qa.bridge import EncodedPrompt, Projector, QAItem, answer_log_probs, soft_tokens, splice


@dataclass
class Question:
    """A multiple-choice question about one video: prompt ids, the video's vectors, each choice's ids."""

    prompt: EncodedPrompt
    vectors: torch.Tensor | None
    choices: list[list[int]]


def choice_log_probs(model: nn.Module, pad_id: int, projector: Projector | None, chunk: Sequence[Question],
                     share_prompt: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token log-probs of every choice of every question, in order -> ((R, A) log-probs, (R, A) bool mask)
    with R the total number of choices. ``share_prompt`` needs prompts of one length (no padding): the
    callers group questions by prompt length, or pass one question at a time."""
    return (_shared(model, pad_id, projector, chunk) if share_prompt else _rows(model, pad_id, projector, chunk))


def _rows(model: nn.Module, pad_id: int, projector: Projector | None,
          chunk: Sequence[Question]) -> tuple[torch.Tensor, torch.Tensor]:
    items = [QAItem(q.prompt, q.vectors, c) for q in chunk for c in q.choices]
    batch = splice(model.get_input_embeddings(), [i.prompt for i in items], soft_tokens(projector, items),
                   [i.answer for i in items], pad_id)
    return answer_log_probs(model, batch)


def _shared(model: nn.Module, pad_id: int, projector: Projector | None,
            chunk: Sequence[Question]) -> tuple[torch.Tensor, torch.Tensor]:
    """Prompts (equal lengths, no padding) once with a KV cache, then every choice as a continuation."""
    embedding = model.get_input_embeddings()
    items = [QAItem(q.prompt, q.vectors, []) for q in chunk]
    prompts = splice(embedding, [i.prompt for i in items], soft_tokens(projector, items), [[]] * len(items), 0)
    out = model(inputs_embeds=prompts.inputs_embeds, use_cache=True, logits_to_keep=1)
    cache = out.past_key_values
    if cache is None or not hasattr(cache, "batch_select_indices"):
        return _rows(model, pad_id, projector, chunk)
    device = prompts.inputs_embeds.device
    owner = torch.tensor([q for q, question in enumerate(chunk) for _ in question.choices], device=device)
    cache.batch_select_indices(owner)  # (R, heads, P, hd): each prompt once per choice
    answers = [c for question in chunk for c in question.choices]
    width = max(len(a) for a in answers)
    ids = torch.tensor([a + [pad_id] * (width - len(a)) for a in answers], device=device)
    mask = torch.tensor([[1] * len(a) + [0] * (width - len(a)) for a in answers], device=device)
    prompt_mask = torch.ones(len(answers), prompts.inputs_embeds.shape[1], dtype=mask.dtype, device=device)
    logits = model(inputs_embeds=embedding(ids), attention_mask=torch.cat([prompt_mask, mask], 1),
                   past_key_values=cache).logits                                    # (R, A, V)
    logits = torch.cat([out.logits[owner, -1:], logits[:, :-1]], 1)                # (R, A, V) predicts ids
    picked = torch.log_softmax(logits.float(), -1).gather(-1, ids.unsqueeze(-1)).squeeze(-1)
    return picked * mask, mask.bool()


def choice_loss(model: nn.Module, pad_id: int, projector: Projector | None, items: Sequence[QAItem]) -> torch.Tensor:
    """The ``choices`` objective, averaged over items: softmax cross-entropy over each question's choice
    log-likelihoods (the quantity scoring ranks) plus the right answer's mean per-token negative log-likelihood
    (the ``answer`` objective, which keeps answers well formed). Every item needs ``choices`` and ``correct``."""
    losses = []
    for item in items:
        if item.choices is None or item.correct is None:
            raise ValueError("the 'choices' training objective needs every QA row's choices and the right one")
        picked, mask = choice_log_probs(model, pad_id, projector, [Question(item.prompt, item.vectors, item.choices)])
        scores = picked.sum(1)  # (k,) log p(choice | video, question)
        target = torch.tensor(item.correct, device=scores.device)
        nll = -scores[item.correct] / mask[item.correct].sum().clamp_min(1)
        losses.append(nn.functional.cross_entropy(scores.unsqueeze(0), target.unsqueeze(0)) + nll)
    return torch.stack(losses).mean()
