"""`preprocess`: `video_index` + `unlabeled_index` → `chunk_plan` (kept frames, chunk bounds, timestamps) + kept-frame stats."""

from kedro.pipeline import Node, Pipeline

from .nodes import plan_kept_frames


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(plan_kept_frames, ["video_index", "unlabeled_index", "params:ingest.root", "params:preprocess"],
                 ["chunk_plan", "chunk_plan_stats"], name="plan_kept_frames_and_chunks_node"),
        ]
    )
