"""Ingest nodes: the library's ingest steps, each a pure typed function of datasets and `params:ingest`.

discover → probe → validate → quarantine check → typed `video_index` → annotations of the accepted videos.
"""

from nlv_kedro.ingestion.steps import (
    accept_index,
    discover_videos,
    gather_quarantine,
    probe_candidates,
    publish_annotations,
    validate_videos,
)

__all__ = ["accept_index", "discover_videos", "gather_quarantine", "probe_candidates", "publish_annotations",
           "validate_videos"]
