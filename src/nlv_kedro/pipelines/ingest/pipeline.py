"""`ingest`: raw videos + manifest or dataset annotations → `video_index` (labelled), `unlabeled_index` (the
pretraining pool), captions, QA, `quarantine`, report."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    accept_index,
    discover_videos,
    gather_quarantine,
    probe_candidates,
    publish_annotations,
    validate_videos,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(discover_videos, "params:ingest",
                 ["ingest_candidates", "ingest_discover_rejects", "ingest_source_captions", "ingest_source_qa"],
                 name="discover_videos_node"),
            Node(probe_candidates, ["ingest_candidates", "params:ingest"], ["ingest_probed", "ingest_probe_rejects"],
                 name="probe_videos_node"),
            Node(validate_videos, ["ingest_probed", "params:ingest"],
                 ["ingest_validated", "ingest_validate_rejects", "ingest_validation_result", "ingest_validation_report"],
                 name="validate_videos_node"),
            Node(gather_quarantine,
                 ["ingest_discover_rejects", "ingest_probe_rejects", "ingest_validate_rejects", "ingest_validated"],
                 ["ingest_quarantine", "ingest_draft_summary"], name="gather_quarantine_node"),
            # publishes the index, quarantine and summary together (or nothing, when ingest fails)
            Node(accept_index, ["ingest_validated", "ingest_quarantine", "ingest_draft_summary", "params:ingest"],
                 ["video_index", "unlabeled_index", "quarantine", "ingest_summary"], name="accept_index_node"),
            Node(publish_annotations, ["ingest_source_captions", "ingest_source_qa", "video_index"],
                 ["video_captions", "video_qa_pairs"], name="publish_annotations_node"),
        ]
    )
