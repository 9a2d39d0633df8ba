"""`seeds`: the pretraining recipe with several seeds, each against the untrained control → `seed_study`."""

from kedro.pipeline import Node, Pipeline

from .nodes import run_seed_study


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(run_seed_study,
                 ["video_index", "unlabeled_index", "chunk_embeddings", "encode_report", "top_model",
                  "params:pretrain", "params:seeds", "params:downstream.class_groups"],
                 "seed_study", name="pretraining_seeds_vs_controls_node"),
        ]
    )
