"""MSR-VTT: the official ``*_videodatainfo.json`` files (or the merged ``MSRVTT_data.json``).

Each JSON holds ``videos`` (``video_id``, ``category`` 0-19, ``split`` train/validate/test, ...) and
``sentences`` (``video_id``, ``caption``, ``sen_id``), 20 sentences per video. The label is the
category number, the ``caption`` column the first sentence (lowest ``sen_id``), and the captions table
keeps all of them. Layout under ``ingest.root``::

    train_val_videodatainfo.json   test_videodatainfo.json
    TrainValVideo/video0.mp4       TestVideo/video7010.mp4

With the merged release set ``annotations: MSRVTT_data.json`` and ``videos_dirs: videos/all``. The
official 6513/497/2990 split is used; the 9k/1k-A retrieval split is not built in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import field_validator

from nlv_kedro.config import Strict

from .base import (
    CAPTION_COLUMNS, QA_COLUMNS, SPLIT_NAMES, AnnotationError, SourceTables, annotation_file, empty, index_videos,
    locate, video_path
)


class MsrVttSource(Strict):
    """``ingest.source`` for MSR-VTT. A single string is accepted where a list is expected."""


    format: Literal["msrvtt"] = "msrvtt"
    annotations: list[str] = ["train_val_videodatainfo.json", "test_videodatainfo.json"]
    videos_dirs: list[str] = ["TrainValVideo", "TestVideo"]

    @field_validator("annotations", "videos_dirs", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


def read_msrvtt(root: Path, source: MsrVttSource, extensions: list[str]) -> SourceTables:
    """One row per entry of ``videos``; every sentence in the captions table."""
    found: dict[str, str] = {}
    for i, folder in enumerate(source.videos_dirs):
        found = {**index_videos(root, folder, extensions, f"videos_dirs[{i}]"), **found}
    rows, sentences, listed_in = [], [], {}
    for i, relative in enumerate(source.annotations):
        path = annotation_file(root, relative, f"annotations[{i}]")
        videos, texts = _load(path)
        for video in videos:
            video_id = str(video["video_id"])
            split = str(video.get("split", "")).lower()
            rows.append({"video_id": video_id, "path": video_path(found, source.videos_dirs[0], video_id, extensions),
                         "label": str(video.get("category", "")), "split": SPLIT_NAMES.get(split, split),
                         "caption": ""})
            listed_in[video_id] = path.name
        sentences += [{"video_id": str(s["video_id"]), "caption_id": int(s.get("sen_id", j)),
                       "caption": str(s["caption"]).strip()} for j, s in enumerate(texts)]
    captions = pd.DataFrame(sentences, columns=CAPTION_COLUMNS).sort_values(["video_id", "caption_id"], kind="stable")
    first = captions.drop_duplicates("video_id").set_index("video_id")["caption"]
    for row in rows:
        row["caption"] = first.get(row["video_id"], "")
    candidates, rejected = locate(root, rows, listed_in)
    captions = captions[captions["video_id"].isin(set(candidates["video_id"]))].reset_index(drop=True)
    return SourceTables(candidates, rejected, captions, empty(QA_COLUMNS))


def _load(path: Path) -> tuple[list[dict], list[dict]]:
    try:
        data = json.loads(path.read_text())
        return list(data["videos"]), list(data.get("sentences", []))
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise AnnotationError(f"{path}: expected MSR-VTT JSON with 'videos' and 'sentences' ({exc!r})") from None
