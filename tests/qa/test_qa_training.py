"""Projector training: a killed run resumes from its last epoch, and the same seed trains the same weights."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from nlv_kedro.qa.compare import collect_video_vectors, evaluate_video_qa, prepare_qa_pairs, train_qa_projectors
from nlv_kedro.qa.llm import load_llm
from nlv_kedro.qa.module import TrainConfig, fit_bridge
from nlv_kedro.qa.scoring import Question, score_choices
from nlv_kedro.training.fit import epochs_completed
from tests.qa.test_video_qa import _items, _params, _projector, qa_corpus, save_tiny_llm, tiny_llm_dir  # noqa: F401
from tests.training.test_resume import kill_after_first_checkpoint

CHILD = """
import sys
from tests.qa.test_qa_training import fit_at
fit_at(sys.argv[1], max_epochs=5000)
"""


def fit_at(root: str, max_epochs: int, resume: bool = False) -> tuple[list[dict], dict[str, torch.Tensor]]:
    """The tiny LLM saved in ``root``/llm (made once), 8 train and 4 val items; checkpoints in ``root``/ckpt/m."""
    llm_dir = Path(root) / "llm"
    if not (llm_dir / "config.json").is_file():
        save_tiny_llm(llm_dir)
    llm = load_llm(f"hf:{llm_dir}")
    projector = _projector(llm)
    config = TrainConfig(max_epochs=max_epochs, patience=max_epochs, batch_size=4, lr=1e-3,
                         checkpoint_dir=str(Path(root) / "ckpt"), resume=resume)
    history = fit_bridge(projector, llm.model, llm.tokenizer.pad_token_id, _items(llm), _items(llm, 4), config,
                         name="m")
    return history, projector.state_dict()


def test_killed_projector_training_resumes_from_last_epoch_with_history(tmp_path: Path) -> None:
    save_tiny_llm(tmp_path / "llm")  # before the child starts, so it never races the parent's later loads
    last = tmp_path / "ckpt" / "m" / "last.ckpt"
    kill_after_first_checkpoint(CHILD, tmp_path, last)
    assert stat.S_IMODE(last.stat().st_mode) == 0o644
    saved = torch.load(last, map_location="cpu", weights_only=True)  # whole despite the kill, and no pickle
    assert saved["state_dict"] and all(k.startswith("projector.") for k in saved["state_dict"])  # no frozen LLM
    done = epochs_completed(last)
    history_before = next(v["epochs"] for k, v in saved["callbacks"].items() if k.startswith("KeepBest"))
    assert done >= 1 and [row["epoch"] for row in history_before] == list(range(done))

    history, _ = fit_at(str(tmp_path), max_epochs=done + 2, resume=True)
    assert [row["epoch"] for row in history] == list(range(done + 2))  # continued, not restarted
    assert history[:done] == history_before
    assert epochs_completed(last) == done + 2
    mtime = last.stat().st_mtime_ns
    with pytest.raises(ValueError, match=rf"already trained {done + 2} epochs.*video_qa\.training\.max_epochs"):
        fit_at(str(tmp_path), max_epochs=done + 1, resume=True)
    assert last.stat().st_mtime_ns == mtime  # failed before any training


def test_the_same_seed_trains_the_same_weights_and_writes_an_identical_qa_metrics_json(tmp_path, tiny_llm_dir,  # noqa: F811
                                                                                       qa_corpus) -> None:  # noqa: F811
    qa, index, chunks, contextual = qa_corpus
    params = _params(tmp_path, tiny_llm_dir, methods=["text_only", "nextlevel", "blind_shuffled"], seeds=[3])
    params = params.model_copy(update={"training": params.training.model_copy(update={"max_epochs": 2})})
    table = prepare_qa_pairs(qa, index, params)
    vectors = collect_video_vectors(table, chunks, contextual, params)
    trained, written = [], []
    for _ in range(2):
        trained.append(train_qa_projectors(table, vectors, params))
        metrics, _ = evaluate_video_qa(table, vectors, trained[-1], params)
        written.append(json.dumps(metrics, indent=2))  # as the qa_metrics dataset writes it
    first, second = (run["nextlevel"][0]["artifact"]["tensors"] for run in trained)
    assert set(first) == set(second) and first
    assert all(np.array_equal(first[k], second[k]) for k in first)
    assert trained[0]["nextlevel"][0]["history"] == trained[1]["nextlevel"][0]["history"]
    assert len(trained[0]["nextlevel"][0]["history"]) == 2
    assert written[0] == written[1] and json.loads(written[0])["per_question"]["seeds"]["nextlevel"] == [3]


def test_training_and_scoring_show_tqdm_progress_bars(tmp_path, tiny_llm_dir, capsys,  # noqa: F811
                                                    monkeypatch) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    llm = load_llm(tiny_llm_dir)
    projector = _projector(llm)
    fit_bridge(projector, llm.model, llm.tokenizer.pad_token_id, _items(llm), _items(llm, 4),
               TrainConfig(max_epochs=1, batch_size=4, checkpoint_dir=str(tmp_path)))
    questions = [Question(item.prompt, item.vectors, [item.answer, item.answer[1:]]) for item in _items(llm, 2)]
    score_choices(llm, projector, questions, progress=True)
    captured = capsys.readouterr()
    bars = captured.out + captured.err  # Lightning's tqdm bar writes to stdout, tqdm's own to stderr
    assert "Epoch 0:" in bars and "it/s" in bars and "━" not in bars  # Lightning's tqdm bar, not the rich one
    assert "scoring choices" in captured.err
