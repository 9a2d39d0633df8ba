"""From a seed to a list of video plans, and from a plan to mp4 bytes and table rows.

Each video gets its own generator seeded by (seed, class name, index), so a video does not change when
classes are added or sizes change, and the same seed gives byte-identical tables and identical frames. Classes of
a structure group are seeded by the group's name instead, so video k of each class in the group makes the same
draws (content-matched) and lands in the same split.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from nlv_kedro.demo.balance import QARow, balance_qa
from nlv_kedro.demo.plan import Canvas, VideoPlan
from nlv_kedro.demo.recipes import CLASSES, ORDER_DEPENDENT, ClassRecipe
from nlv_kedro.video.writer import encode_mp4

logger = logging.getLogger(__name__)

SPLITS: tuple[str, ...] = ("train", "val", "test")
UNLABELED = "unlabeled"  # the split of the pretraining pool: no label, caption or QA in the tables
MANIFEST_COLUMNS: tuple[str, ...] = ("video_id", "path", "label", "split", "caption", "order_dependent")
QA_COLUMNS: tuple[str, ...] = ("video_id", "question", "choices", "answer", "type")
_VIDEO_STREAM, _SPLIT_STREAM, _POOL_STREAM = 1, 2, 3


def _rng(seed: int, label: str, *stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(label.encode()), *stream])


def split_counts(n: int, fractions: Sequence[float]) -> tuple[int, int, int]:
    """(train, val, test) counts for one class, at least one each: every class appears in every split."""
    if n < 3:
        raise ValueError(f"need at least 3 videos per class for train/val/test, got {n}")
    n_val = max(1, round(n * fractions[1]))
    n_test = max(1, round(n * fractions[2]))
    while n - n_val - n_test < 1:
        n_val, n_test = (n_val - 1, n_test) if n_val >= n_test else (n_val, n_test - 1)
    return n - n_val - n_test, n_val, n_test


def assign_splits(seed: int, label: str, n: int, fractions: Sequence[float]) -> list[str]:
    counts = split_counts(n, fractions)
    ordered = [name for name, count in zip(SPLITS, counts, strict=True) for _ in range(count)]
    permutation = _rng(seed, label, _SPLIT_STREAM).permutation(n)
    return [ordered[i] for i in permutation]


def plan_videos(
    seed: int,
    videos_per_class: int,
    width: int,
    height: int,
    fps_choices: Sequence[float],
    duration_s: tuple[float, float],
    split_fractions: Sequence[float],
    unlabeled_videos: int = 0,
) -> list[VideoPlan]:
    """All videos, class by class, then the unlabeled pool. Cheap: no pixels are made here."""
    plans = []
    for cls in CLASSES:
        key = cls.group or cls.name
        splits = assign_splits(seed, key, videos_per_class, split_fractions)
        for k, split in enumerate(splits):
            rng = _rng(seed, key, _VIDEO_STREAM, k)
            plans.append(_plan(cls, rng, f"{cls.name}_{k:03d}", split, width, height, fps_choices, duration_s))
    pool = plan_pool(seed, unlabeled_videos, width, height, fps_choices, duration_s)
    logger.info("planned %d demo videos in %d classes and %d unlabeled", len(plans), len(CLASSES), len(pool))
    return plans + pool


def plan_pool(seed: int, n_videos: int, width: int, height: int, fps_choices: Sequence[float],
              duration_s: tuple[float, float]) -> list[VideoPlan]:
    """The unlabeled pretraining pool: ``n_videos`` more videos, the classes taken in turn, from their own random
    stream (so the labelled videos stay the same), numbered in a shuffled order so no id or path names the class."""
    drafts = [(cls, _rng(seed, cls.group or cls.name, _POOL_STREAM, i // len(CLASSES)))
              for i, cls in ((i, CLASSES[i % len(CLASSES)]) for i in range(n_videos))]
    order = np.random.default_rng([seed, _POOL_STREAM]).permutation(n_videos)
    return [_plan(drafts[j][0], drafts[j][1], f"unlabeled_{i:04d}", UNLABELED, width, height, fps_choices, duration_s)
            for i, j in enumerate(order)]


def _plan(cls: ClassRecipe, rng: np.random.Generator, video_id: str, split: str, width: int, height: int,
          fps_choices: Sequence[float], duration_s: tuple[float, float]) -> VideoPlan:
    fps = float(fps_choices[int(rng.integers(len(fps_choices)))])
    sketch = cls.recipe(rng, Canvas(width, height, fps, duration_s))
    return VideoPlan(video_id, cls.name, split, fps, width, height, sketch)


def encode_video(plan: VideoPlan) -> bytes:
    """Render and encode one video; only this video's frames are in memory."""
    return encode_mp4(plan.render(), plan.fps)


class _Progress:
    """Counts written videos across the callables (PartitionedDataset saves them in its own order)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.started = total, 0, 0.0

    def tick(self) -> None:
        self.done += 1
        if self.done == self.total or self.done % max(self.total // 10, 1) == 0:
            logger.info("demo videos: %d/%d written (%.1f s)", self.done, self.total,
                        time.perf_counter() - self.started)


class LazyVideo:
    """A zero-argument callable that makes one video's bytes when `PartitionedDataset` saves it."""

    def __init__(self, plan: VideoPlan, progress: _Progress) -> None:
        self.plan, self._progress = plan, progress

    def __call__(self) -> bytes:
        if self._progress.done == 0 and not self._progress.started:
            self._progress.started = time.perf_counter()
        data = encode_video(self.plan)
        self._progress.tick()
        return data


def lazy_videos(plans: Sequence[VideoPlan]) -> dict[str, LazyVideo]:
    """{video_id: callable}; progress is logged every tenth of the way, since a full set takes a minute or so."""
    progress = _Progress(len(plans))
    return {plan.video_id: LazyVideo(plan, progress) for plan in plans}


def manifest_table(plans: Sequence[VideoPlan]) -> pd.DataFrame:
    """One row per video; `path` is relative to the demo folder, where `videos/` is written."""
    rows = [
        (p.video_id, f"videos/{p.video_id}.mp4", p.label, p.split, p.sketch.caption, p.label in ORDER_DEPENDENT)
        if p.split != UNLABELED else (p.video_id, f"videos/{p.video_id}.mp4", "", UNLABELED, "", "")
        for p in plans
    ]
    return pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))


def qa_table(plans: Sequence[VideoPlan]) -> pd.DataFrame:
    """The QA rows of every plan, balanced over the set (see `balance.balance_qa`): not every video keeps one."""
    rows = [
        QARow(p.video_id, qa.question, qa.choices, qa.answer, qa.type, p.split)
        for p in plans if p.split != UNLABELED for qa in p.sketch.qa
    ]
    kept = [(r.video_id, r.question, list(r.choices), r.answer, r.type) for r in balance_qa(rows)]
    return pd.DataFrame(kept, columns=list(QA_COLUMNS))
