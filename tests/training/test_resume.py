"""Resumable pretraining: kill a real run after its first last.ckpt, resume it, and find the history intact."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.training.recipe import PretrainParams, pretrain_on_splits
from nlv_kedro.training.fit import epochs_completed
from tests.conftest import PROJECT_ROOT

CHILD = """
import sys
from tests.training.test_resume import corpus_at, params_at
index, store = corpus_at(sys.argv[1])
from nlv_kedro.training.recipe import pretrain_on_splits
pretrain_on_splits(index, store, params_at(sys.argv[1], max_epochs=500))
"""


def corpus_at(root: str) -> tuple[pd.DataFrame, EmbeddingStore]:
    rng = np.random.default_rng(0)
    store, rows = EmbeddingStore(Path(root) / "store"), []
    for i in range(16):
        n = int(rng.integers(4, 12))
        vectors = (rng.normal(size=8) + np.outer(np.arange(n), rng.normal(size=8)) * 0.3).astype(np.float32)
        starts = np.arange(n, dtype=np.float32) * 2
        store.write(f"v{i}", {"embeddings": vectors, "chunk_start_s": starts, "chunk_end_s": starts + 2},
                    {"fingerprint": "x", "encoder_fingerprint": "enc"})
        rows.append({"video_id": f"v{i}", "split": ["train", "train", "val", "test"][i % 4]})
    return pd.DataFrame(rows), store


def params_at(root: str, max_epochs: int, resume: bool = False) -> PretrainParams:
    return PretrainParams.model_validate({
        "model": {"d_model": 16, "n_layers": 1, "n_heads": 2, "head_hidden": 16, "dropout": 0.0},
        "trainer": {"max_epochs": max_epochs, "batch_size": 4, "accelerator": "cpu", "log_every_n_steps": 1,
                    "checkpoint_dir": str(Path(root) / "ckpt"), "resume": resume},
    })


def kill_after_first_checkpoint(child: str, root: Path, last: Path) -> None:
    """Run the Python code ``child`` (argv[1] is ``root``) in a subprocess; SIGKILL it once ``last`` exists."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "src"), str(PROJECT_ROOT)]),
           "TQDM_DISABLE": "1"}
    process = subprocess.Popen([sys.executable, "-c", child, str(root)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while not last.is_file():
            assert process.poll() is None, f"training exited early: {process.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, f"no {last.name} within 120 s"
            time.sleep(0.05)
        time.sleep(0.3)  # let it get into a later epoch, possibly mid-write of the next last.ckpt
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"


def test_killed_pretraining_resumes_from_last_epoch_with_history(tmp_path: Path) -> None:
    last = tmp_path / "ckpt" / "last.ckpt"
    kill_after_first_checkpoint(CHILD, tmp_path, last)
    assert not list(last.parent.glob("*-v1.ckpt")) and stat.S_IMODE(last.stat().st_mode) == 0o644
    saved = torch.load(last, map_location="cpu", weights_only=True)  # whole, despite the kill
    done = epochs_completed(last)
    history_before = next(v["epochs"] for k, v in saved["callbacks"].items() if k.startswith("HistoryCallback"))
    assert done >= 1 and [row["epoch"] for row in history_before] == list(range(done))

    index, store = corpus_at(str(tmp_path))
    _, history = pretrain_on_splits(index, store, params_at(str(tmp_path), max_epochs=done + 2, resume=True))
    assert history["resumed_from"] == str(last)
    assert [row["epoch"] for row in history["epochs"]] == list(range(done + 2))  # continued, not restarted
    assert history["epochs"][:done] == history_before  # the killed run's epochs, untouched
    assert epochs_completed(last) == done + 2  # last.ckpt kept up to date, in place
    mtime = last.stat().st_mtime_ns

    with pytest.raises(ValueError, match=rf"already trained {done + 2} epochs.*max_epochs={done + 1}"):
        pretrain_on_splits(index, store, params_at(str(tmp_path), max_epochs=done + 1, resume=True))
    assert last.stat().st_mtime_ns == mtime  # failed before any training
