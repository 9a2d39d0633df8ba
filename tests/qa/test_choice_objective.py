"""The ``choices`` training objective: cross-entropy over the offered choices' likelihoods (what scoring ranks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from pydantic import ValidationError

from nlv_kedro.qa.bridge import QAItem, encode_answer, encode_prompt
from nlv_kedro.qa.choices import Question, choice_loss
from nlv_kedro.qa.config import TrainConfig
from nlv_kedro.qa.examples import training_items
from nlv_kedro.qa.llm import end_of_turn_id, load_llm
from nlv_kedro.qa.module import fit_bridge
from nlv_kedro.qa.scoring import score_choices
from tests.qa.test_video_qa import IN_DIM, _projector, tiny_llm_dir  # noqa: F401

WORDS = ("left", "right", "up")


@pytest.fixture
def llm(tiny_llm_dir):  # noqa: F811
    return load_llm(tiny_llm_dir)


def _choice_items(llm, n: int) -> list[QAItem]:
    tok, end = llm.tokenizer, end_of_turn_id(llm.tokenizer)
    rng = np.random.default_rng(1)
    items = []
    for i in range(n):
        correct = i % len(WORDS)
        items.append(QAItem(encode_prompt(tok, f"Which way {'?' * (1 + i % 2)}", with_video=True),
                            torch.tensor(rng.normal(size=(1 + i % 3, IN_DIM)), dtype=torch.float32),
                            encode_answer(tok, WORDS[correct], end), [encode_answer(tok, w, end) for w in WORDS],
                            correct))
    return items


def test_choice_loss_is_cross_entropy_over_the_scored_choices_plus_the_answer_nll(llm) -> None:
    items, projector = _choice_items(llm, 3), _projector(llm)
    loss = choice_loss(llm.model, llm.tokenizer.pad_token_id, projector, items)
    questions = [Question(i.prompt, i.vectors, i.choices) for i in items]
    sums = score_choices(llm, projector, questions, "sum", share_prompt=False)
    means = score_choices(llm, projector, questions, "mean", share_prompt=False)
    expected = np.mean([-s[i.correct] + np.log(np.exp(s).sum()) - m[i.correct]
                        for s, m, i in zip(sums, means, items)])
    assert loss.item() == pytest.approx(expected, rel=1e-4)
    loss.backward()  # through the shared prompt's cache into the projector
    grads = [p.grad for p in projector.parameters()]
    assert all(g is not None for g in grads) and any(float(g.abs().sum()) > 0 for g in grads)


def test_training_with_the_choice_objective_moves_only_the_projector(llm, tmp_path) -> None:
    frozen = {k: v.clone() for k, v in llm.model.state_dict().items()}
    projector = _projector(llm)
    start = {k: v.clone() for k, v in projector.state_dict().items()}
    config = TrainConfig(max_epochs=2, batch_size=4, lr=1e-2, objective="choices", checkpoint_dir=str(tmp_path))
    history = fit_bridge(projector, llm.model, llm.tokenizer.pad_token_id, _choice_items(llm, 8),
                         _choice_items(llm, 4), config)
    assert len(history) == 2 and all(np.isfinite([h["val_loss"], h["train_loss"]]).all() for h in history)
    assert all(torch.equal(v, llm.model.state_dict()[k]) for k, v in frozen.items())
    assert not all(torch.equal(v, projector.state_dict()[k]) for k, v in start.items())


def test_rows_without_choices_fail_the_choice_objective_with_a_clear_error(llm) -> None:
    item = _choice_items(llm, 1)[0]
    bare = QAItem(item.prompt, item.vectors, item.answer)
    with pytest.raises(ValueError, match="'choices' training objective needs"):
        choice_loss(llm.model, llm.tokenizer.pad_token_id, _projector(llm), [bare])
    with pytest.raises(ValidationError, match="objective"):
        TrainConfig(objective="ranking")


def test_training_items_carry_the_choices_and_the_right_one(llm) -> None:
    rows = pd.DataFrame({"video_id": ["v", "v", "v"], "question": ["Q?"] * 3, "answer": ["up", "left", "down"],
                         "choices": [["left", "up"], np.array(["left", "right"]), ["left", "up"]]})
    items = training_items(rows, {"v": np.zeros((2, IN_DIM), np.float32)}, llm, 4, None)
    end = end_of_turn_id(llm.tokenizer)
    assert items[0].correct == 1 and items[0].choices[1] == items[0].answer
    assert items[1].correct == 0 and items[1].choices == [encode_answer(llm.tokenizer, w, end) for w in ("left", "right")]
    assert items[2].choices is None and items[2].correct is None  # the answer is not among the choices
