"""The video subset a study runs on: a seeded per-class sample of the train and val splits."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from nlv_kedro.training.data import Sequences

logger = logging.getLogger(__name__)


def select_videos(video_index: pd.DataFrame, available: set[str], train_per_class: int | None,
                  val_per_class: int | None, seed: int) -> pd.DataFrame:
    """A seeded sample of ``*_per_class`` videos per class from the train and val splits (None = all of them),
    among ``available`` ids. Columns: video_id, path, label, split, order_dependent (bool, False when the index
    has no such column), fps, n_frames, decoder."""
    table = video_index[video_index["video_id"].astype(str).isin(available)].copy()
    table["video_id"] = table["video_id"].astype(str)
    table["order_dependent"] = table["order_dependent"].astype(bool) if "order_dependent" in table else False
    if "decoder" not in table:
        table["decoder"] = "decord"
    parts = []
    for split, per_class in (("train", train_per_class), ("val", val_per_class)):
        rows = table[table["split"] == split]
        if per_class is not None:
            rows = rows.sample(frac=1.0, random_state=seed).groupby("label").head(per_class)
        parts.append(rows)
    subset = pd.concat(parts).sort_values(["split", "video_id"]).reset_index(drop=True)
    for split in ("train", "val"):
        if (subset["split"] == split).sum() == 0:
            raise ValueError(f"ablations need encoded videos in the '{split}' split; run the encode pipeline first")
    logger.info("study videos: %d train and %d val", (subset["split"] == "train").sum(),
                (subset["split"] == "val").sum())
    return subset


def split_sequences(sequences: Sequences, videos: pd.DataFrame, split: str) -> Sequences:
    """The rows of ``sequences`` (one per row of ``videos``, same order) that belong to ``split``."""
    keep = np.flatnonzero(videos["split"].to_numpy() == split)
    return Sequences([sequences.ids[i] for i in keep], [sequences.vectors[i] for i in keep],
                     [sequences.times[i] for i in keep])
