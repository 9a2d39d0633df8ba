"""`downstream`: contextual vectors + baselines + controls → probes, fine-tuning, clustering, retrieval →
`downstream_metrics` (with paired bootstrap CIs of NextLevel against the best baseline and the untrained control)."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    build_video_vectors,
    evaluate_action_recognition,
    evaluate_clustering,
    evaluate_retrieval,
    summarize_downstream,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(build_video_vectors,
                 ["video_index", "chunk_embeddings", "contextual_embeddings", "top_model", "params:downstream"],
                 ["downstream_video_vectors", "finetune_metrics"], name="build_method_vectors_and_finetune_node"),
            Node(evaluate_action_recognition, ["downstream_video_vectors", "params:downstream"], "probe_metrics",
                 name="linear_probe_few_shot_node"),
            Node(evaluate_clustering, ["downstream_video_vectors", "params:downstream"], "clustering_metrics",
                 name="kmeans_clustering_node"),
            Node(evaluate_retrieval, ["downstream_video_vectors", "text_embeddings", "params:downstream"],
                 "retrieval_metrics", name="text_video_retrieval_node"),
            Node(summarize_downstream,
                 ["probe_metrics", "finetune_metrics", "clustering_metrics", "retrieval_metrics", "params:downstream"],
                 ["downstream_metrics", "downstream_mlflow_metrics"], name="summarize_downstream_node"),
        ]
    )
