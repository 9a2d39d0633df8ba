"""Label efficiency of the supervised heads: fine-tuned NextLevel against the same architecture from scratch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nlv_kedro.evaluation.config import DownstreamConfig
from nlv_kedro.training.data import Sequences
from nlv_kedro.training.downstream import label_efficiency
from tests.training.test_downstream_controls import DIM, _artifact


def _videos() -> tuple[pd.DataFrame, Sequences]:
    rng = np.random.default_rng(0)
    centers = rng.normal(size=(3, DIM)) * 3
    rows, vectors, times = [], [], []
    for c in range(3):
        for i, split in enumerate(["train"] * 6 + ["val"] * 2 + ["test"] * 3):
            rows.append({"video_id": f"c{c}_{i}", "label": f"class{c}", "split": split, "order_dependent": False})
            vectors.append((centers[c] + rng.normal(size=(4, DIM))).astype(np.float32))
            times.append(np.stack([np.arange(4), np.arange(4) + 1], axis=1).astype(np.float32))
    table = pd.DataFrame(rows)
    return table, Sequences(table["video_id"].tolist(), vectors, times)


def test_label_efficiency_trains_both_heads_per_shot_and_draw(tmp_path: Path) -> None:
    table, sequences = _videos()
    config = DownstreamConfig.model_validate({
        "supervised": {"max_epochs": 1, "patience": 1, "batch_size": 4, "accelerator": "cpu",
                       "checkpoint_dir": str(tmp_path / "ckpt")},
        "label_efficiency": {"enabled": True, "shots": [1, 2, 8], "seeds": [0, 1]}})
    curve = label_efficiency(table, sequences, _artifact(), config)
    assert list(curve) == ["1", "2"]  # 8 labels per class is more than the 6 train videos of a class
    for row in curve.values():
        for method in ("transformer_scratch", "nextlevel_finetuned"):
            correct = np.asarray(row[method]["correct"])
            assert correct.shape == (2, 9) and row[method]["head_top1"] == correct.mean()
        assert row["vs_scratch"]["n"] == 9 and row["vs_scratch"]["beats"] == (row["vs_scratch"]["lo"] > 0)
    assert (tmp_path / "ckpt" / "nextlevel_finetuned_2shot_draw1" / "last.ckpt").is_file()
    assert label_efficiency(table, sequences, _artifact(), DownstreamConfig()) == {}  # off by default
