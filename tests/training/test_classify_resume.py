"""Supervised fine-tuning: a killed run resumes from its last epoch with its history; same seed, same weights."""

from __future__ import annotations

import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel
from nlv_kedro.training.classify import ClassifierConfig, fit_classifier
from nlv_kedro.training.data import Sequences, Standardizer
from nlv_kedro.training.fit import epochs_completed
from tests.training.test_resume import kill_after_first_checkpoint

DIM = 8
CHILD = """
import sys
from tests.training.test_classify_resume import fit_at
fit_at(sys.argv[1], max_epochs=500)
"""


def _sequences(n: int, seed: int) -> tuple[Sequences, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    vectors = [(rng.normal(size=(4, DIM)) + label).astype(np.float32) for label in y]
    times = [np.stack([np.arange(4), np.arange(1, 5)], 1).astype(np.float32) for _ in y]
    return Sequences([f"v{i}" for i in range(n)], vectors, times), y


def fit_at(root: str, max_epochs: int, resume: bool = False, patience: int = 1000, lr: float = 1e-3) -> tuple:
    """A 1-layer classifier on 16 train and 8 val videos, checkpoints in ``root``/ckpt/m."""
    torch.manual_seed(0)
    network = NextLevelModel(NextLevelConfig(input_dim=DIM, d_model=16, n_layers=1, n_heads=2, head_hidden=16,
                                             max_chunks=8, dropout=0.0))
    (train, train_y), (val, val_y) = _sequences(16, 0), _sequences(8, 1)
    config = ClassifierConfig(max_epochs=max_epochs, patience=patience, batch_size=4, accelerator="cpu", lr=lr,
                              checkpoint_dir=str(Path(root) / "ckpt"), resume=resume)
    return fit_classifier(network, Standardizer(np.zeros(DIM, np.float32), np.ones(DIM, np.float32)), train,
                          train_y, val, val_y, 2, config, name="m")


def test_killed_fine_tuning_resumes_from_last_epoch_with_history(tmp_path: Path) -> None:
    last = tmp_path / "ckpt" / "m" / "last.ckpt"
    kill_after_first_checkpoint(CHILD, tmp_path, last)
    assert not list(last.parent.glob("*-v1.ckpt")) and stat.S_IMODE(last.stat().st_mode) == 0o644
    done = epochs_completed(last)
    saved = torch.load(last, map_location="cpu", weights_only=True)  # whole despite the kill, and no pickle
    history_before = next(v["epochs"] for k, v in saved["callbacks"].items() if k.startswith("KeepBest"))
    assert done >= 1 and [row["epoch"] for row in history_before] == list(range(done))

    _, info = fit_at(str(tmp_path), max_epochs=done + 2, resume=True)
    assert info["resumed_from"] == str(last)
    assert [row["epoch"] for row in info["history"]] == list(range(done + 2))  # continued, not restarted
    assert info["history"][:done] == history_before
    assert epochs_completed(last) == done + 2
    mtime = last.stat().st_mtime_ns
    with pytest.raises(ValueError, match=rf"already trained {done + 2} epochs.*downstream\.supervised\.max_epochs"):
        fit_at(str(tmp_path), max_epochs=done + 1, resume=True)
    assert last.stat().st_mtime_ns == mtime  # failed before any training


def test_resuming_an_early_stopped_run_trains_nothing_and_keeps_its_best_weights(tmp_path: Path) -> None:
    module, info = fit_at(str(tmp_path), max_epochs=50, patience=1, lr=1e-9)  # val acc never improves: stops at 2
    last = tmp_path / "ckpt" / "m" / "last.ckpt"
    mtime, weights = last.stat().st_mtime_ns, {k: v.clone() for k, v in module.state_dict().items()}
    again, resumed = fit_at(str(tmp_path), max_epochs=50, patience=1, lr=1e-9, resume=True)
    assert resumed["history"] == info["history"] and len(info["history"]) == info["epochs"] == 2
    assert resumed["best_val_acc"] == info["best_val_acc"]
    assert last.stat().st_mtime_ns == mtime
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in weights.items())


def test_resuming_a_run_that_reached_max_epochs_trains_nothing(tmp_path: Path) -> None:
    module, info = fit_at(str(tmp_path), max_epochs=2)
    weights = {k: v.clone() for k, v in module.state_dict().items()}
    again, resumed = fit_at(str(tmp_path), max_epochs=2, resume=True)
    assert resumed["history"] == info["history"] and resumed["epochs"] == info["epochs"] == 2
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in weights.items())


def test_the_same_seed_trains_the_same_classifier(tmp_path: Path) -> None:
    (first, a), (second, b) = (fit_at(str(tmp_path / run), max_epochs=2) for run in ("a", "b"))
    assert a["history"] == b["history"]
    assert all(torch.equal(v, second.state_dict()[k]) for k, v in first.state_dict().items())


def test_pretrained_lr_scale_slows_only_the_pretrained_network(tmp_path: Path) -> None:
    """Fine-tuning trains the pretrained weights at lr x scale, its head at lr; a from-scratch network ignores it."""
    from pydantic import ValidationError

    from nlv_kedro.training.classify import SequenceClassifier

    network = NextLevelModel(NextLevelConfig(input_dim=DIM, d_model=16, n_layers=1, n_heads=2, head_hidden=16,
                                             max_chunks=8))
    config = ClassifierConfig(lr=1e-3, pretrained_lr_scale=0.1, checkpoint_dir=str(tmp_path))
    labels = {"train": torch.zeros(2, dtype=torch.long)}
    tuned = SequenceClassifier(network, 2, labels, config, pretrained=True).configure_optimizers()
    scratch = SequenceClassifier(network, 2, labels, config, pretrained=False).configure_optimizers()
    assert [g["lr"] for g in tuned.param_groups] == pytest.approx([1e-4, 1e-3])
    assert [g["lr"] for g in scratch.param_groups] == pytest.approx([1e-3, 1e-3])
    assert sum(len(g["params"]) for g in tuned.param_groups) == len(list(network.parameters())) + 2  # + head
    for bad in (0.0, 1.5):
        with pytest.raises(ValidationError, match="pretrained_lr_scale"):
            ClassifierConfig(pretrained_lr_scale=bad)


def test_a_checkpoint_whose_optimizer_has_other_param_groups_fails_fast_naming_the_key(tmp_path: Path) -> None:
    fit_at(str(tmp_path), max_epochs=1)
    last = tmp_path / "ckpt" / "m" / "last.ckpt"
    saved = torch.load(last, map_location="cpu", weights_only=True)
    assert len(saved["optimizer_states"][0]["param_groups"]) == 2  # network and head
    groups = saved["optimizer_states"][0]["param_groups"]
    saved["optimizer_states"][0]["param_groups"] = [{**groups[0], "params": groups[0]["params"] + groups[1]["params"]}]
    torch.save(saved, last)  # as an older version (one group for everything) wrote it
    mtime = last.stat().st_mtime_ns
    with pytest.raises(ValueError, match=r"1 parameter group\(s\) where this training has 2.*downstream\.supervised\.resume"):
        fit_at(str(tmp_path), max_epochs=3, resume=True)
    assert last.stat().st_mtime_ns == mtime  # failed before any training


def test_probe_head_init_starts_fine_tuning_from_the_probes_predictions(tmp_path: Path) -> None:
    from nlv_kedro.training.classify import classifier_outputs
    from nlv_kedro.training.head_init import probe_head

    torch.manual_seed(0)
    network = NextLevelModel(NextLevelConfig(input_dim=DIM, d_model=16, n_layers=1, n_heads=2, head_hidden=16,
                                             max_chunks=8, dropout=0.0))
    (train, train_y), (val, val_y) = _sequences(16, 0), _sequences(8, 1)
    standardizer = Standardizer(np.zeros(DIM, np.float32), np.ones(DIM, np.float32))
    config = ClassifierConfig(max_epochs=1, batch_size=4, accelerator="cpu", lr=1e-12, pretrained_head_init="probe",
                              checkpoint_dir=str(tmp_path))
    start = {k: v.clone() for k, v in network.state_dict().items()}
    module, _ = fit_classifier(network, standardizer, train, train_y, val, val_y, 3, config, pretrained=True)
    pooled, logits = classifier_outputs(module, standardizer, train)
    weight, bias = probe_head(pooled, train_y, 3)
    np.testing.assert_allclose(module.head.weight.detach().numpy(), weight, rtol=1e-4, atol=1e-5)  # lr ~ 0: unchanged
    assert (logits.argmax(1) == train_y).mean() == 1.0  # the probe separates the two train classes
    assert bias[2] < bias[:2].min() and not weight[2].any()  # a class absent from train never wins
    assert all(torch.allclose(v, module.network.state_dict()[k]) for k, v in start.items())
    with pytest.raises(ValueError, match="at least two classes"):
        probe_head(pooled, np.zeros(len(pooled), int), 3)
