"""Find the input videos: from a manifest CSV or from a folder-per-class layout (UCF101, HMDB51).

Both return one *candidates* table (one row per input) and one *rejected* table (inputs that
cannot even be located safely). No file is opened here beyond listing and reading the manifest.
"""

from __future__ import annotations

import logging
import zlib
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)

CANDIDATE_COLUMNS = ["video_id", "path", "label", "split", "caption"]
QUARANTINE_COLUMNS = ["video_id", "path", "stage", "reason"]


class ManifestError(ValueError):
    """The manifest as a whole is unusable (missing file, missing `path` column)."""


def resolve_inside(root: Path, relative: str) -> Path:
    """Resolve ``relative`` against ``root``; raise ValueError if the result escapes the root.

    Symlinks are resolved first, so a link pointing outside the data root is rejected too.
    """
    root_resolved = root.resolve()
    candidate = (root_resolved / relative).resolve()
    if not candidate.is_relative_to(root_resolved):
        raise ValueError(f"path escapes the data root {root_resolved}")
    return candidate


def read_manifest(root: Path, manifest: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a manifest whose only required column is ``path`` (relative to ``root``)."""
    if not manifest.is_file():
        raise ManifestError(f"manifest not found: {manifest}")
    table = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    table.columns = [c.strip() for c in table.columns]
    if "path" not in table.columns:
        raise ManifestError(f"{manifest} has no 'path' column (columns: {list(table.columns)})")
    for column in CANDIDATE_COLUMNS:
        if column not in table.columns:
            table[column] = ""
    table = table.map(lambda v: v.strip() if isinstance(v, str) else v)
    table["video_id"] = [vid or Path(p).stem for vid, p in zip(table["video_id"], table["path"])]
    accepted, rejected = [], []
    for row in table.to_dict("records"):
        try:
            if not row["path"]:
                raise ValueError("empty path")
            resolve_inside(root, row["path"])
        except ValueError as exc:
            rejected.append(_reject(row, "discover", f"unsafe path '{row['path']}': {exc}"))
            continue
        accepted.append(row)
    return _frame(accepted, CANDIDATE_COLUMNS + _extra(table)), _frame(rejected, QUARANTINE_COLUMNS)


def scan_class_folders(root: Path, extensions: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read ``root/<label>/<video file>``; files directly under root have no label."""
    if not root.is_dir():
        raise ManifestError(f"ingest root is not a folder: {root}")
    wanted = {e.lower() for e in extensions}
    rows, rejected = [], []
    for file in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = file.relative_to(root).as_posix()
        if file.suffix.lower() not in wanted:
            continue
        label = rel.split("/")[0] if "/" in rel else ""
        row = {"video_id": file.stem, "path": rel, "label": label, "split": "", "caption": ""}
        try:
            resolve_inside(root, rel)
        except ValueError as exc:
            rejected.append(_reject(row, "discover", f"unsafe path '{rel}': {exc}"))
            continue
        rows.append(row)
    return _frame(rows, CANDIDATE_COLUMNS), _frame(rejected, QUARANTINE_COLUMNS)


def assign_missing_splits(table: pd.DataFrame, fractions: dict[str, float]) -> pd.DataFrame:
    """Give rows without a split one drawn from a stable hash of the video id (reproducible)."""
    table = table.copy()
    names, cuts = list(fractions), pd.Series(list(fractions.values())).cumsum().tolist()
    total = cuts[-1]

    def pick(video_id: str) -> str:
        u = (zlib.crc32(video_id.encode()) % 10_000) / 10_000 * total
        return next(name for name, cut in zip(names, cuts) if u < cut)

    missing = table["split"].eq("")
    table.loc[missing, "split"] = table.loc[missing, "video_id"].map(pick)
    return table


def _reject(row: dict, stage: str, reason: str) -> dict:
    return {"video_id": row.get("video_id", ""), "path": row.get("path", ""), "stage": stage, "reason": reason}


def _extra(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in CANDIDATE_COLUMNS]


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)
