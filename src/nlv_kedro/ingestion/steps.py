"""Ingest steps: discover → probe → validate → quarantine check → typed index. Each bad input is kept with a reason."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from nlv_kedro.ingestion.adapters import ManifestSource, read_manifest_source, read_source
from nlv_kedro.ingestion.config import IngestConfig
from nlv_kedro.ingestion.ids import assign_safe_ids, rename_ids
from nlv_kedro.ingestion.report import validation_markdown
from nlv_kedro.ingestion.sources import QUARANTINE_COLUMNS, assign_missing_splits
from nlv_kedro.ingestion.validation import validate_table
from nlv_kedro.video.probe import ProbeError, probe_video

logger = logging.getLogger(__name__)
# Manifest spellings of the `order_dependent` flag (case and surrounding spaces ignored); anything else fails.
ORDER_TRUE = ("true", "1", "yes", "y", "t")
ORDER_FALSE = ("false", "0", "no", "n", "f", "")


class IngestError(RuntimeError):
    """Raised only when the input as a whole is unusable (nothing valid, or too much rejected)."""


def discover_videos(params: IngestConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read ``ingest.source``: candidates, unsafe or missing files as rejects, captions and QA rows."""
    root = Path(params.root)
    if not root.is_dir():
        raise IngestError(f"ingest.root '{root}' is not a folder: point it at your videos")
    if isinstance(params.source, ManifestSource):
        manifest = find_manifest(root, params.manifest)
        tables = read_manifest_source(root, params.source, manifest, params.extensions)
        found = f"manifest {manifest}" if manifest else "folder-per-class layout"
    else:
        tables = read_source(root, params.source, params.extensions)
        found = f"{params.source.format} annotations"
    logger.info("Read %s in %s: %d videos, %d rejected, %d captions, %d QA rows", found, root,
                len(tables.candidates), len(tables.rejected), len(tables.captions), len(tables.qa))
    if tables.candidates.empty and tables.rejected.empty:
        raise IngestError(f"ingest.root '{root}' holds no video ({found}, extensions {params.extensions}): "
                          "point ingest.root at your videos")
    order_flags(tables.candidates)  # fail before probing on an unknown spelling
    candidates, ids = assign_safe_ids(tables.candidates)
    for source, safe in ids.items():
        if source != safe:
            logger.info("Video id '%s' is not a safe file name: using '%s' (kept as source_id)", source, safe)
    candidates = assign_missing_splits(candidates, params.missing_split_fractions)
    return candidates, tables.rejected, rename_ids(tables.captions, ids), rename_ids(tables.qa, ids)


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
        except (OSError, ValueError, RuntimeError) as exc:  # one odd file never stops ingest
            rejected.append({"video_id": row["video_id"], "path": row["path"], "stage": "probe",
                             "reason": f"probing failed: {type(exc).__name__}: {exc}"})
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
    """One quarantine table and the ingest summary (published by `accept_index`, with the index or not at all)."""
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


def accept_index(
    accepted: pd.DataFrame, quarantine: pd.DataFrame, summary: dict, params: IngestConfig
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """Publish `video_index`, `unlabeled_index`, `quarantine` and the summary together, or nothing.

    Fails with a clear message when too little valid input remains; then no output is written, so an old
    `video_index` never sits next to a quarantine table from another run. The indexes record the root they
    were read from (``ingest_root``), which preprocess and encode check against ``ingest.root``. Videos in
    ``ingest.unlabeled_splits`` form `unlabeled_index` (pretraining's extra pool, never evaluated).
    """
    total, rejected = summary["total_inputs"], summary["rejected"]
    reasons = "; ".join(f"{n}x {r}" for r, n in list(summary.get("rejected_by_reason", {}).items())[:3])
    if accepted.empty:
        raise IngestError(
            f"no valid video remains in ingest.root '{params.root}' ({rejected} inputs rejected: {reasons}; "
            "the log lists each file)"
        )
    if total and rejected / total > params.max_rejected_fraction:
        raise IngestError(
            f"{rejected}/{total} inputs rejected ({reasons}), more than ingest.max_rejected_fraction="
            f"{params.max_rejected_fraction}; the log lists each file: fix the inputs or raise that parameter"
        )
    index = typed_index(accepted)
    index["ingest_root"] = params.root
    pool = index["split"].astype(str).isin(params.unlabeled_splits)
    if not (~pool).any():
        raise IngestError(f"every accepted video is in ingest.unlabeled_splits {params.unlabeled_splits}: "
                          "pretraining and evaluation need labelled train/val/test videos too")
    labelled, unlabeled = index[~pool].reset_index(drop=True), index[pool].reset_index(drop=True)
    if len(unlabeled):
        logger.info("Ingest: %d unlabeled videos form the pretraining pool", len(unlabeled))
    return labelled, unlabeled, quarantine, {**summary, "root": params.root, "unlabeled": len(unlabeled)}


def videos_to_encode(video_index: pd.DataFrame, unlabeled_index: pd.DataFrame | None) -> pd.DataFrame:
    """The labelled and the unlabeled videos in one table: what preprocess plans and encode embeds."""
    if unlabeled_index is None or unlabeled_index.empty:
        return video_index
    return pd.concat([video_index, unlabeled_index], ignore_index=True)


def typed_index(accepted: pd.DataFrame) -> pd.DataFrame:
    """`video_index` with ``order_dependent`` as a bool column (False where the source has no such column).

    The manifest gives the flag as text (``ORDER_TRUE`` / ``ORDER_FALSE`` spellings, any case); it is read
    here, once, and the catalog loads the column back as bool, so no later step parses it. Any other value
    fails, naming the column, the video and the allowed spellings.
    """
    table = accepted.copy()
    table["order_dependent"] = order_flags(table)
    return table


def order_flags(table: pd.DataFrame) -> pd.Series:
    """The ``order_dependent`` column as bools; an unknown spelling raises IngestError naming it."""
    flags = table["order_dependent"] if "order_dependent" in table else pd.Series("", index=table.index)
    text = flags.fillna("").astype(str).str.strip().str.lower()
    unknown = ~text.isin(ORDER_TRUE + ORDER_FALSE)
    if unknown.any():
        row = table.loc[unknown].iloc[0]
        raise IngestError(
            f"manifest column 'order_dependent' has {int(unknown.sum())} unknown values, e.g. "
            f"'{flags[unknown].iloc[0]}' for '{row.get('path', '')}'; "
            f"allowed: {', '.join(v for v in ORDER_TRUE + ORDER_FALSE if v)} (any case) or empty"
        )
    return text.isin(ORDER_TRUE)


def publish_annotations(
    captions: pd.DataFrame, qa: pd.DataFrame, video_index: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Captions and QA rows of the accepted videos only, so every row names a video in `video_index`."""
    accepted = set(video_index["video_id"].astype(str))
    kept_captions = captions[captions["video_id"].astype(str).isin(accepted)].reset_index(drop=True)
    kept_qa = qa[qa["video_id"].astype(str).isin(accepted)].reset_index(drop=True)
    return kept_captions, kept_qa


def find_manifest(root: Path, manifest: str | None) -> Path | None:
    """The manifest file ``ingest.manifest`` names (relative to root or the working dir); None = folder-per-class."""
    if manifest is None:
        return None
    given = Path(manifest)
    for option in ([given] if given.is_absolute() else [root / given, given]):
        if option.is_file():
            return option
    if manifest == "manifest.csv":  # the default: no manifest in root means folder-per-class
        return None
    raise IngestError(f"ingest.manifest '{manifest}' not found (looked in {root} and the working directory)")
