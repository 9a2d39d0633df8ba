"""Ingest steps: discover → probe → validate → quarantine check → typed index. Each bad input is kept with a reason."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from nlv_kedro.ingestion.adapters import ManifestSource, read_manifest_source, read_source
from nlv_kedro.ingestion.config import IngestConfig
from nlv_kedro.ingestion.report import validation_markdown
from nlv_kedro.ingestion.sources import QUARANTINE_COLUMNS, assign_missing_splits
from nlv_kedro.ingestion.validation import validate_table
from nlv_kedro.video.probe import ProbeError, probe_video

logger = logging.getLogger(__name__)
ORDER_TRUE = ("true", "1", "yes")  # manifest spellings of a true `order_dependent` flag


class IngestError(RuntimeError):
    """Raised only when the input as a whole is unusable (nothing valid, or too much rejected)."""


def discover_videos(params: IngestConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read ``ingest.source``: candidates, unsafe or missing files as rejects, captions and QA rows."""
    root = Path(params.root)
    if not root.is_dir():
        raise IngestError(f"ingest.root '{root}' is not a folder: point it at your videos")
    if isinstance(params.source, ManifestSource):
        manifest = _manifest_path(root, params.manifest)
        tables = read_manifest_source(root, params.source, manifest, params.extensions)
        found = f"manifest {manifest}" if manifest else "folder-per-class layout"
    else:
        tables = read_source(root, params.source, params.extensions)
        found = f"{params.source.format} annotations"
    logger.info("Read %s in %s: %d videos, %d rejected, %d captions, %d QA rows", found, root,
                len(tables.candidates), len(tables.rejected), len(tables.captions), len(tables.qa))
    candidates = assign_missing_splits(tables.candidates, params.missing_split_fractions)
    return candidates, tables.rejected, tables.captions, tables.qa


def probe_candidates(candidates: pd.DataFrame, params: IngestConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Probe every candidate; a file that cannot be probed becomes a quarantine row, never an error."""
    root = Path(params.root).resolve()
    probed, rejected = [], []
    for row in tqdm(candidates.to_dict("records"), desc="probing videos", unit="file"):
        try:
            info = probe_video(root / row["path"], check_last_frame=params.check_last_frame)
        except ProbeError as exc:
            rejected.append({"video_id": row["video_id"], "path": row["path"], "stage": "probe", "reason": exc.reason})
            continue
        probed.append({**row, **info.to_dict()})
    columns = list(candidates.columns) + ["fps", "n_frames", "duration_s", "width", "height", "codec", "decoder"]
    return pd.DataFrame(probed, columns=columns), pd.DataFrame(rejected, columns=QUARANTINE_COLUMNS)


def validate_videos(probed: pd.DataFrame, params: IngestConfig) -> tuple[pd.DataFrame, pd.DataFrame, dict, str]:
    """Run the Great Expectations suite; failing rows are rejected, the rest accepted."""
    accepted, rejected, result = validate_table(probed, params.rules())
    return accepted, rejected, result, validation_markdown(result, len(probed), rejected)


def gather_quarantine(
    discover_rejects: pd.DataFrame,
    probe_rejects: pd.DataFrame,
    validate_rejects: pd.DataFrame,
    accepted: pd.DataFrame,
) -> tuple[pd.DataFrame, dict]:
    """One quarantine table (persisted even if the run then fails) and the ingest summary."""
    n_accepted = len(accepted)
    parts = [d for d in (discover_rejects, probe_rejects, validate_rejects) if len(d)]
    quarantine = pd.concat(parts, ignore_index=True)[QUARANTINE_COLUMNS] if parts else discover_rejects
    summary = {
        "total_inputs": n_accepted + len(quarantine),
        "accepted": n_accepted,
        "rejected": len(quarantine),
        "rejected_by_stage": quarantine["stage"].value_counts().to_dict(),
        "rejected_by_reason": quarantine["reason"].value_counts().to_dict(),
    }
    logger.info("Ingest: %d accepted, %d rejected of %d inputs", n_accepted, len(quarantine), summary["total_inputs"])
    for row in quarantine.itertuples():
        logger.warning("Quarantined %s (%s): %s", row.path, row.stage, row.reason)
    return quarantine, summary


def accept_index(accepted: pd.DataFrame, summary: dict, params: IngestConfig) -> pd.DataFrame:
    """Publish `video_index`; fail with a clear message only when too little valid input remains."""
    total, rejected = summary["total_inputs"], summary["rejected"]
    if accepted.empty:
        raise IngestError(
            f"no valid video remains in ingest.root '{params.root}' ({rejected} inputs rejected; "
            "see the quarantine dataset for the reasons)"
        )
    if total and rejected / total > params.max_rejected_fraction:
        raise IngestError(
            f"{rejected}/{total} inputs rejected, more than ingest.max_rejected_fraction="
            f"{params.max_rejected_fraction}; see the quarantine dataset, fix the inputs or raise that parameter"
        )
    return typed_index(accepted)


def typed_index(accepted: pd.DataFrame) -> pd.DataFrame:
    """`video_index` with ``order_dependent`` as a bool column (False where the source has no such column).

    The manifest gives the flag as text ("True", "true", "1", "yes" count as true); it is read here, once, and
    the catalog loads the column back as bool, so no later step parses it.
    """
    table = accepted.copy()
    flags = table["order_dependent"] if "order_dependent" in table else pd.Series(False, index=table.index)
    table["order_dependent"] = flags.astype(str).str.strip().str.lower().isin(ORDER_TRUE)
    return table


def publish_annotations(
    captions: pd.DataFrame, qa: pd.DataFrame, video_index: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Captions and QA rows of the accepted videos only, so every row names a video in `video_index`."""
    accepted = set(video_index["video_id"].astype(str))
    kept_captions = captions[captions["video_id"].astype(str).isin(accepted)].reset_index(drop=True)
    kept_qa = qa[qa["video_id"].astype(str).isin(accepted)].reset_index(drop=True)
    return kept_captions, kept_qa


def _manifest_path(root: Path, manifest: str | None) -> Path | None:
    if manifest is None:
        return None
    given = Path(manifest)
    for option in ([given] if given.is_absolute() else [root / given, given]):
        if option.is_file():
            return option
    if manifest == "manifest.csv":  # the default: no manifest in root means folder-per-class
        return None
    raise IngestError(f"ingest.manifest '{manifest}' not found (looked in {root} and the working directory)")
