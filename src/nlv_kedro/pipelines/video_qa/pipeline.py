"""`video_qa`: QA pairs + chunk and contextual vectors → projectors into a frozen LLM → `qa_projector`, `qa_metrics`."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    collect_video_vectors,
    evaluate_video_qa,
    export_qa_projector,
    prepare_qa_pairs,
    train_qa_projectors,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(prepare_qa_pairs, ["video_qa_pairs", "video_index", "params:video_qa"], "qa_table",
                 name="prepare_qa_pairs_node"),
            Node(collect_video_vectors, ["qa_table", "chunk_embeddings", "contextual_embeddings", "params:video_qa"],
                 "qa_video_vectors", name="collect_qa_video_vectors_node"),
            Node(train_qa_projectors, ["qa_table", "qa_video_vectors", "params:video_qa"], "qa_projectors",
                 name="train_llm_soft_token_projectors_node"),
            Node(evaluate_video_qa, ["qa_table", "qa_video_vectors", "qa_projectors", "params:video_qa"],
                 ["qa_metrics", "qa_mlflow_metrics"], name="score_multiple_choice_answers_node"),
            Node(export_qa_projector, "qa_projectors", ["qa_projector", "qa_projector_config"],
                 name="export_qa_projector_node"),
        ]
    )
