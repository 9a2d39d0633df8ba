"""UCF101: class folders plus the official ``ucfTrainTestlist`` (classInd.txt, trainlist0N.txt, testlist0N.txt).

Layout under ``ingest.root`` (the official archives unpacked side by side)::

    UCF-101/ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi
    ucfTrainTestlist/classInd.txt          "1 ApplyEyeMakeup"
    ucfTrainTestlist/trainlist01.txt       "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1"
    ucfTrainTestlist/testlist01.txt        "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi"

UCF101 has no validation split: ``val_fraction`` of each class's train *groups* (``_gNN_``, clips cut
from one source video) moves to val, so no source video is in both train and val.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import Field

from .base import (
    QA_COLUMNS, AnnotationError, CarvedValSource, SourceTables, annotation_file, captions_from_column, carve_val,
    empty, locate
)

_GROUP = re.compile(r"_g(\d+)_c\d+")


class Ucf101Source(CarvedValSource):
    """``ingest.source`` for UCF101."""


    format: Literal["ucf101"] = "ucf101"
    videos_dir: str = Field(default="UCF-101", description="class folders, relative to ingest.root")
    splits_dir: str = Field(default="ucfTrainTestlist", description="classInd.txt and the split lists")


def read_ucf101(root: Path, source: Ucf101Source, extensions: list[str]) -> SourceTables:
    """Videos of split ``source.split``: trainlist -> train (minus the carved val), testlist -> test."""
    annotation_file(root, source.videos_dir, "videos_dir", folder=True)
    lists = annotation_file(root, source.splits_dir, "splits_dir", folder=True)
    classes = _class_index(annotation_file(root, f"{source.splits_dir}/classInd.txt", "splits_dir"))
    by_name = {name.lower(): name for name in classes.values()}
    rows: list[dict] = []
    listed_in: dict[str, str] = {}
    for split, name in (("train", f"trainlist0{source.split}.txt"), ("test", f"testlist0{source.split}.txt")):
        listing = annotation_file(root, f"{source.splits_dir}/{name}", "splits_dir")
        for relative, index in _list_lines(listing):
            folder = PurePosixPath(relative).parts[0] if "/" in relative else ""
            if index is not None and index not in classes:
                raise AnnotationError(f"{listing}: class index {index} of '{relative}' is not in classInd.txt")
            label = classes[index] if index is not None else by_name.get(folder.lower(), folder)
            video_id = PurePosixPath(relative).stem
            rows.append({"video_id": video_id, "path": f"{source.videos_dir.rstrip('/')}/{relative}",
                         "label": label, "split": split, "caption": ""})
            listed_in[video_id] = f"{lists.name}/{name}"
    candidates, rejected = locate(root, rows, listed_in)
    groups = candidates["label"] + "/" + candidates["video_id"].map(_group)
    candidates = carve_val(candidates, source.val_fraction, source.seed, groups)
    return SourceTables(candidates, rejected, captions_from_column(candidates), empty(QA_COLUMNS))


def _class_index(path: Path) -> dict[int, str]:
    """classInd.txt: "<1-based index> <ClassName>" per line."""
    classes: dict[int, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[0].isdigit():
            raise AnnotationError(f"{path}, line {number}: expected '<index> <class>', got {line!r}")
        classes[int(parts[0])] = parts[1]
    return classes


def _list_lines(path: Path) -> list[tuple[str, int | None]]:
    """trainlist lines carry "<class>/<file> <index>"; testlist lines only "<class>/<file>"."""
    out: list[tuple[str, int | None]] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
            raise AnnotationError(f"{path}, line {number}: expected '<class>/<file> [index]', got {line!r}")
        out.append((parts[0], int(parts[1]) if len(parts) == 2 else None))
    return out


def _group(video_id: str) -> str:
    match = _GROUP.search(video_id)
    return f"g{match.group(1)}" if match else video_id

