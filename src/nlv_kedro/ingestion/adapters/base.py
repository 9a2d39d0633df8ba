"""What every dataset adapter returns, and the steps they share.

An adapter reads one dataset's official annotation files into the tables the demo data uses:

* candidates: ``CANDIDATE_COLUMNS`` (video_id, path, label, split, caption), one row per video, ``path``
  relative to ``ingest.root``; this becomes ``video_index`` after probing and validation;
* rejected: ``QUARANTINE_COLUMNS``, videos the annotations name but that are missing or unsafe;
* captions: ``CAPTION_COLUMNS``, every caption sentence, with segment times where the dataset has them;
* qa: ``QA_COLUMNS``, multiple-choice questions in the demo's ``qa.jsonl`` shape.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pydantic import Field

from nlv_kedro.config import Strict
from nlv_kedro.ingestion.sources import CANDIDATE_COLUMNS, QUARANTINE_COLUMNS, ManifestError, resolve_inside

CAPTION_COLUMNS = ["video_id", "caption_id", "caption", "start_s", "end_s"]
QA_COLUMNS = ["video_id", "question", "choices", "answer", "type"]
# Spellings of split names in official files -> the project's split names.
SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "valid": "val", "validate": "val",
               "validation": "val", "test": "test", "testing": "test"}


class AnnotationError(ManifestError):
    """An annotation file is missing, outside the data root, or not in the expected format."""


class CarvedValSource(Strict):
    """The fields of a dataset with no official validation split: val is carved from train, seeded."""

    split: int = Field(default=1, ge=1, le=3, description="official train/test split number (1, 2 or 3)")
    val_fraction: float = Field(default=0.1, ge=0, lt=1,
                                description="share of each class's train groups (source movies) moved to val")
    seed: int = 0


@dataclass(frozen=True)
class SourceTables:
    candidates: pd.DataFrame
    rejected: pd.DataFrame
    captions: pd.DataFrame
    qa: pd.DataFrame


def annotation_file(root: Path, relative: str, key: str, folder: bool = False) -> Path:
    """``relative`` (a file, or a folder) resolved inside ``root``; errors name ``ingest.source.<key>``."""
    try:
        path = resolve_inside(root, relative)
    except ValueError as exc:
        raise AnnotationError(f"ingest.source.{key} '{relative}': {exc}") from None
    if not (path.is_dir() if folder else path.is_file()):
        kind = "folder" if folder else "file"
        raise AnnotationError(f"ingest.source.{key}: {kind} '{relative}' not found under the data root "
                              f"{root.resolve()}")
    return path


def locate(root: Path, rows: list[dict], listed_in: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep rows whose ``path`` is a file inside ``root``; quarantine the rest, naming the file.

    ``listed_in`` maps video_id -> the annotation file that references it (for the reason).
    """
    kept, rejected = [], []
    for row in rows:
        source = listed_in.get(row["video_id"], "the annotations")
        try:
            found = resolve_inside(root, row["path"]).is_file()
        except ValueError as exc:
            rejected.append(_reject(row, f"unsafe path '{row['path']}' in {source}: {exc}"))
            continue
        if found:
            kept.append(row)
        else:
            rejected.append(_reject(row, f"video file not found: {row['path']} (listed in {source})"))
    extras = [c for c in (rows[0] if rows else {}) if c not in CANDIDATE_COLUMNS]
    return pd.DataFrame(kept, columns=CANDIDATE_COLUMNS + extras), pd.DataFrame(rejected, columns=QUARANTINE_COLUMNS)


def index_videos(root: Path, folder: str, extensions: list[str], key: str) -> dict[str, str]:
    """{file stem: path relative to root} for every video under ``root/folder`` (recursive, first wins).

    The folder itself must exist inside the root (``key`` names its parameter in the error).
    """
    annotation_file(root, folder, key, folder=True)
    wanted = {e.lower() for e in extensions}
    found: dict[str, str] = {}
    for file in sorted((root / folder).rglob("*")):
        if file.suffix.lower() in wanted and not file.name.startswith("."):
            found.setdefault(file.stem, file.relative_to(root).as_posix())
    return found


def video_path(found: dict[str, str], folder: str, stem: str, extensions: list[str]) -> str:
    """The file found for ``stem``, else the path it was expected at (named in the quarantine reason)."""
    return found.get(stem) or f"{folder.rstrip('/')}/{stem}{extensions[0]}"


def carve_val(table: pd.DataFrame, fraction: float, seed: int, groups: pd.Series | None = None) -> pd.DataFrame:
    """Move a seeded share of each label's train groups to ``val``.

    Whole groups move together (UCF101 clips of one source video share a group), so near-duplicate
    clips never straddle train and val. Each label draws from its own seed, so adding a class does not
    reshuffle the others. A label with one train group keeps it in train.
    """
    table = table.copy()
    if fraction <= 0 or table.empty:
        return table
    keys = (groups if groups is not None else table["video_id"]).astype(str)
    is_train = table["split"].eq("train")
    moved: set[tuple[str, str]] = set()
    for label in sorted(set(table.loc[is_train, "label"])):
        options = sorted(set(keys[is_train & table["label"].eq(label)]))
        if len(options) < 2:
            continue
        n = min(max(1, round(fraction * len(options))), len(options) - 1)
        rng = np.random.default_rng(zlib.crc32(f"{seed}:{label}".encode()))
        moved |= {(label, options[i]) for i in rng.choice(len(options), size=n, replace=False)}
    chosen = is_train & pd.Series([(lb, k) in moved for lb, k in zip(table["label"], keys)], index=table.index)
    table.loc[chosen, "split"] = "val"
    return table


def captions_from_column(candidates: pd.DataFrame) -> pd.DataFrame:
    """One caption row per video that has a caption (formats whose only text is the caption column)."""
    rows = candidates.loc[candidates["caption"].astype(str).str.len() > 0, ["video_id", "caption"]].copy()
    rows["caption_id"], rows["start_s"], rows["end_s"] = 0, np.nan, np.nan
    return rows[CAPTION_COLUMNS].reset_index(drop=True)


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


def _reject(row: dict, reason: str) -> dict:
    return {"video_id": row["video_id"], "path": row["path"], "stage": "discover", "reason": reason}


def role_tables(root: Path, source: Strict) -> Iterator[tuple[str, Path, pd.DataFrame]]:
    """(split role, file, table as text) for each of ``source.{train,val,test}_file`` that is set."""
    for role in ("train", "val", "test"):
        relative = getattr(source, f"{role}_file")
        if relative:
            csv = annotation_file(root, relative, f"{role}_file")
            yield role, csv, pd.read_csv(csv, dtype=str, keep_default_na=False)
