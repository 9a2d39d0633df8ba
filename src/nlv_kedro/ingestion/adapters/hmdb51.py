"""HMDB51: class folders plus the official ``testTrainMulti_7030_splits`` (one file per class and split).

Layout under ``ingest.root`` (each class archive unpacked into its folder)::

    hmdb51_org/brush_hair/April_09_brush_hair_u_nm_np1_ba_goo_0.avi
    testTrainMulti_7030_splits/brush_hair_test_split1.txt   "April_09_brush_hair_u_nm_np1_ba_goo_0.avi 1"

Codes: 1 = train, 2 = test, 0 = not used in that split (left out, not quarantined). HMDB51 has no
validation split: ``val_fraction`` of each class's train source movies (the file name before
``_<class>_``) moves to val.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field

from .base import (
    QA_COLUMNS, AnnotationError, CarvedValSource, SourceTables, annotation_file, captions_from_column, carve_val,
    empty, locate
)

_CODES = {"1": "train", "2": "test", "0": None}


class Hmdb51Source(CarvedValSource):
    """``ingest.source`` for HMDB51."""


    format: Literal["hmdb51"] = "hmdb51"
    videos_dir: str = Field(default="hmdb51_org", description="class folders, relative to ingest.root")
    splits_dir: str = Field(default="testTrainMulti_7030_splits", description="<class>_test_split<N>.txt files")


def read_hmdb51(root: Path, source: Hmdb51Source, extensions: list[str]) -> SourceTables:
    """Videos coded 1 (train) or 2 (test) in split ``source.split``; code 0 is left out."""
    annotation_file(root, source.videos_dir, "videos_dir", folder=True)
    folder = annotation_file(root, source.splits_dir, "splits_dir", folder=True)
    pattern = re.compile(rf"^(?P<label>.+)_test_split{source.split}\.txt$")
    files = sorted(p for p in folder.iterdir() if pattern.match(p.name))
    if not files:
        raise AnnotationError(f"ingest.source.splits_dir '{source.splits_dir}' has no *_test_split{source.split}.txt "
                              "files: point it at the unpacked testTrainMulti_7030_splits folder")
    rows: list[dict] = []
    listed_in: dict[str, str] = {}
    for file in files:
        label = pattern.match(file.name)["label"]  # type: ignore[index]
        for name, code in _split_lines(file):
            if _CODES[code] is None:
                continue
            video_id = Path(name).stem
            rows.append({"video_id": video_id, "path": f"{source.videos_dir.rstrip('/')}/{label}/{name}",
                         "label": label, "split": _CODES[code], "caption": ""})
            listed_in[video_id] = file.name
    candidates, rejected = locate(root, rows, listed_in)
    pairs = zip(candidates["video_id"], candidates["label"])
    groups = pd.Series([f"{lb}/{vid.split(f'_{lb}_')[0]}" for vid, lb in pairs], index=candidates.index, dtype=object)
    candidates = carve_val(candidates, source.val_fraction, source.seed, groups)
    return SourceTables(candidates, rejected, captions_from_column(candidates), empty(QA_COLUMNS))


def _split_lines(path: Path) -> list[tuple[str, str]]:
    """Lines "<file name> <code>" (the official files end each line with a space)."""
    out: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or parts[1] not in _CODES:
            raise AnnotationError(f"{path}, line {number}: expected '<file> <0|1|2>', got {line!r}")
        out.append((parts[0], parts[1]))
    return out
