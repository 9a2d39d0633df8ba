"""The default source: the demo's manifest CSV (or a folder-per-class tree) plus an optional ``qa.jsonl``.

This is the layout ``demo_data`` writes and the one a user's own videos follow; the manifest itself is
chosen by the top-level ``ingest.manifest`` (null = folder-per-class), as before the adapters existed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field

from nlv_kedro.ingestion.sources import read_manifest, resolve_inside, scan_class_folders

from nlv_kedro.config import Strict

from .base import QA_COLUMNS, AnnotationError, SourceTables, captions_from_column, empty

logger = logging.getLogger(__name__)


class ManifestSource(Strict):
    """``ingest.source`` for the default layout."""


    format: Literal["manifest"] = "manifest"
    qa_file: str | None = Field(default="qa.jsonl", description="QA rows, relative to ingest.root; read when present")


def read_manifest_source(root: Path, source: ManifestSource, manifest: Path | None,
                         extensions: list[str]) -> SourceTables:
    """``manifest`` None means folder-per-class (``root/<label>/<file>``)."""
    if manifest is None:
        candidates, rejected = scan_class_folders(root, extensions)
    else:
        candidates, rejected = read_manifest(root, manifest)
    return SourceTables(candidates, rejected, captions_from_column(candidates), read_qa_lines(root, source.qa_file))


def read_qa_lines(root: Path, relative: str | None) -> pd.DataFrame:
    """The demo's ``qa.jsonl`` rows (video_id, question, choices, answer, type); empty when there is none."""
    if not relative:
        return empty(QA_COLUMNS)
    try:
        path = resolve_inside(root, relative)
    except ValueError as exc:
        raise AnnotationError(f"ingest.source.qa_file '{relative}': {exc}") from None
    if not path.is_file():
        logger.info("No QA file %s: the QA table stays empty", path)
        return empty(QA_COLUMNS)
    table = pd.read_json(path, lines=True, dtype=False)
    missing = set(QA_COLUMNS) - set(table.columns)
    if len(table) and missing:
        raise AnnotationError(f"{path} lacks QA columns {sorted(missing)} (expected {QA_COLUMNS})")
    return table.reindex(columns=QA_COLUMNS).astype({"video_id": str}) if len(table) else empty(QA_COLUMNS)
