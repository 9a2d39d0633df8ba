"""ActivityNet Captions: ``train.json`` / ``val_1.json`` / ``val_2.json`` of the official release.

Each file maps a video id to ``{"duration": s, "timestamps": [[start, end], ...], "sentences": [...]}``.
The sentences joined in order are the video's paragraph caption (the ``caption`` column, the text
paragraph-to-video retrieval uses); each sentence with its timestamps is a row of the captions table,
so the annotated segments can serve as chunks later. Layout under ``ingest.root``::

    captions/train.json   captions/val_1.json
    videos/v_QOlSCBRmfWY.mp4          (any of ingest.extensions; file stem = the JSON key)

val_1 and val_2 annotate the same videos (two annotators): use one of them. The common retrieval
protocol tests on val_1; val is carved from train unless ``val_file`` is set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field

from nlv_kedro.config import Strict

from .base import (
    CAPTION_COLUMNS, QA_COLUMNS, AnnotationError, SourceTables, annotation_file, carve_val, empty, index_videos,
    locate, video_path
)


class ActivityNetCaptionsSource(Strict):
    """``ingest.source`` for ActivityNet Captions (no class labels: ``require_labels`` defaults to off)."""


    format: Literal["activitynet_captions"] = "activitynet_captions"
    train_file: str | None = "captions/train.json"
    val_file: str | None = Field(default=None, description="null = carve val_fraction of train")
    test_file: str | None = "captions/val_1.json"
    videos_dir: str = "videos"
    val_fraction: float = Field(default=0.1, ge=0, lt=1)
    seed: int = 0


def read_activitynet_captions(root: Path, source: ActivityNetCaptionsSource, extensions: list[str]) -> SourceTables:
    """Paragraph captions per video and one caption row per annotated segment."""
    found = index_videos(root, source.videos_dir, extensions, "videos_dir")
    rows, captions, bad, listed_in = [], [], [], {}
    for role in ("train", "val", "test"):
        relative = getattr(source, f"{role}_file")
        if not relative:
            continue
        path = annotation_file(root, relative, f"{role}_file")
        for video_id, entry in _load(path).items():
            row = {"video_id": video_id, "path": video_path(found, source.videos_dir, video_id, extensions),
                   "label": "", "split": role, "caption": ""}
            listed_in[video_id] = path.name
            try:
                segments = _segments(video_id, entry)
            except (KeyError, TypeError, ValueError) as exc:
                bad.append({"video_id": video_id, "path": row["path"], "stage": "discover",
                            "reason": f"malformed entry in {path.name}: {exc}"})
                continue
            row["caption"] = " ".join(s["caption"] for s in segments)
            rows.append(row)
            captions += segments
    candidates, rejected = locate(root, rows, listed_in)
    if source.val_file is None:
        candidates = carve_val(candidates, source.val_fraction, source.seed)
    rejected = pd.DataFrame(bad + rejected.to_dict("records"), columns=rejected.columns)
    kept = set(candidates["video_id"])
    table = pd.DataFrame([c for c in captions if c["video_id"] in kept], columns=CAPTION_COLUMNS)
    return SourceTables(candidates, rejected, table, empty(QA_COLUMNS))


def _load(path: Path) -> dict[str, dict]:
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise AnnotationError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise AnnotationError(f"{path}: expected an object {{video_id: {{duration, timestamps, sentences}}}}")
    return data


def _segments(video_id: str, entry: dict) -> list[dict]:
    """Sentence rows with times clipped to [0, duration] and put in order (a few official ones are reversed)."""
    times, sentences, duration = entry["timestamps"], entry["sentences"], float(entry["duration"])
    if len(times) != len(sentences):
        raise ValueError(f"{len(times)} timestamps but {len(sentences)} sentences")
    out = []
    for i, ((start, end), sentence) in enumerate(zip(times, sentences)):
        lo, hi = sorted((min(max(float(start), 0.0), duration), min(max(float(end), 0.0), duration)))
        out.append({"video_id": video_id, "caption_id": i, "caption": str(sentence).strip(), "start_s": lo,
                    "end_s": hi})
    return out
