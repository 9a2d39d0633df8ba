"""Kinetics-400/600/700: the official CSVs ``label,youtube_id,time_start,time_end,split[,is_cc]``.

The CSVs name YouTube segments, not files, so the local file of a row comes from ``path_template``.
The default matches the common downloaders (ActivityNet's Crawler/Kinetics ``download.py``, with a
split folder on top), which save each trimmed clip as ``<youtube_id>_<start:06d>_<end:06d>.mp4``::

    annotations/train.csv   annotations/val.csv   annotations/test.csv
    train/abseiling/0347ZoDXyP0_000095_000105.mp4

The cvdfoundation/kinetics-dataset scripts put every clip of a split in one folder: set
``path_template: "{split}/{youtube_id}_{time_start:06d}_{time_end:06d}.mp4"``. Placeholders: split
(train/val/test), label, label_underscored (spaces -> underscores), youtube_id, time_start, time_end (ints).
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from nlv_kedro.config import Strict

from .base import (
    QA_COLUMNS, SPLIT_NAMES, AnnotationError, SourceTables, annotation_file, captions_from_column, empty, locate,
    role_tables
)

PLACEHOLDERS = ("split", "label", "label_underscored", "youtube_id", "time_start", "time_end")
DEFAULT_TEMPLATE = "{split}/{label}/{youtube_id}_{time_start:06d}_{time_end:06d}.mp4"


class KineticsSource(Strict):
    """``ingest.source`` for Kinetics (any of the 400/600/700 CSV releases)."""


    format: Literal["kinetics"] = "kinetics"
    train_file: str | None = Field(default="annotations/train.csv", description="null = no train CSV")
    val_file: str | None = Field(default="annotations/val.csv", description="K700-2020 calls it validate.csv")
    test_file: str | None = Field(default="annotations/test.csv", description="null = no test CSV")
    path_template: str = Field(default=DEFAULT_TEMPLATE, description="local file of a CSV row, under ingest.root")

    @field_validator("path_template")
    @classmethod
    def _known_placeholders(cls, value: str) -> str:
        names = {field for _, field, _, _ in string.Formatter().parse(value) if field is not None}
        unknown = sorted(names - set(PLACEHOLDERS))
        if unknown:
            raise ValueError(f"ingest.source.path_template uses unknown placeholders {unknown}; "
                             f"allowed: {list(PLACEHOLDERS)}")
        if "youtube_id" not in names:
            raise ValueError("ingest.source.path_template must contain {youtube_id}")
        try:
            value.format(split="train", label="a", label_underscored="a", youtube_id="b", time_start=0, time_end=10)
        except (ValueError, IndexError) as exc:
            raise ValueError(f"ingest.source.path_template {value!r} cannot be filled: {exc}") from None
        return value

    @model_validator(mode="after")
    def _some_file(self) -> KineticsSource:
        if not (self.train_file or self.val_file or self.test_file):
            raise ValueError("ingest.source: set at least one of train_file, val_file, test_file")
        return self


def read_kinetics(root: Path, source: KineticsSource, extensions: list[str]) -> SourceTables:
    """One row per CSV row; the split comes from the CSV's ``split`` column, else from which file it is."""
    rows, bad, listed_in = [], [], {}
    for role, csv, table in role_tables(root, source):
        missing = {"youtube_id", "time_start", "time_end"} - set(table.columns)
        if missing:
            raise AnnotationError(f"{csv} lacks columns {sorted(missing)} (expected label,youtube_id,time_start,"
                                  "time_end,split)")
        for record in table.to_dict("records"):
            row, problem = _row(record, role, source.path_template)
            listed_in[row["video_id"]] = csv.name
            if problem:
                bad.append({"video_id": row["video_id"], "path": row["path"], "stage": "discover",
                            "reason": f"{problem} in {csv.name}"})
            else:
                rows.append(row)
    candidates, rejected = locate(root, rows, listed_in)
    rejected = pd.DataFrame(bad + rejected.to_dict("records"), columns=rejected.columns)
    return SourceTables(candidates, rejected, captions_from_column(candidates), empty(QA_COLUMNS))


def _row(record: dict, role: str, template: str) -> tuple[dict, str]:
    """The candidate row of one CSV record, and a problem description when its times are unusable."""
    youtube_id, label = record["youtube_id"].strip(), record.get("label", "").strip()
    raw_split = record.get("split", "").strip().lower()
    split = SPLIT_NAMES.get(raw_split, raw_split) if raw_split else role
    try:
        start, end = int(float(record["time_start"])), int(float(record["time_end"]))
    except ValueError:
        bad = {"video_id": youtube_id, "path": "", "label": label, "split": split, "caption": ""}
        return bad, f"time_start/time_end not numbers ({record['time_start']!r}, {record['time_end']!r})"
    fields = {"split": split, "label": label, "label_underscored": label.replace(" ", "_"),
              "youtube_id": youtube_id, "time_start": start, "time_end": end}
    video_id = f"{youtube_id}_{start:06d}_{end:06d}"
    return {"video_id": video_id, "path": template.format(**fields), "label": label, "split": split, "caption": ""}, ""
