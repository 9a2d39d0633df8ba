"""`ablations`: RQ1 encoders, RQ2 frame sampling, RQ4 masking sweeps on a train/val subset → JSON for the report."""

from kedro.pipeline import Node, Pipeline

from .nodes import compare_frame_encoders, select_ablation_videos, sweep_frame_sampling, sweep_masking


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(select_ablation_videos, ["video_index", "chunk_plan", "chunk_embeddings", "encode_report",
                                          "params:ablations"],
                 "ablation_videos", name="select_ablation_videos_node"),
            Node(sweep_frame_sampling,
                 ["ablation_videos", "chunk_embeddings", "top_model", "encode_report", "params:ingest.root",
                  "params:preprocess", "params:encode", "params:ablations"],
                 "ablation_frame_sampling", name="rq2_sweep_frame_sampling_node"),
            Node(compare_frame_encoders,
                 ["ablation_videos", "chunk_plan", "chunk_embeddings", "params:ingest.root", "params:encode",
                  "params:pretrain", "params:ablations"],
                 "ablation_encoders", name="rq1_compare_frame_encoders_node"),
            Node(sweep_masking, ["ablation_videos", "chunk_embeddings", "params:pretrain", "params:ablations"],
                 "ablation_masking", name="rq4_sweep_masking_node"),
        ]
    )
