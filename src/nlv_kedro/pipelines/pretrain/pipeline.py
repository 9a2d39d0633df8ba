"""`pretrain`: `chunk_embeddings` → `top_model` (+ MLflow run and registry version), `contextual_embeddings`.

`best_params` (from `tune`; None while no study has run) is merged in only when `pretrain.use_best_params`."""

from kedro.pipeline import Node, Pipeline

from .nodes import export_contextual_embeddings, pretrain_top_model, register_top_model


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(pretrain_top_model, ["video_index", "unlabeled_index", "chunk_embeddings", "encode_report",
                                      "params:pretrain", "best_params"],
                 ["top_model", "pretrain_history"], name="pretrain_top_model_node"),
            Node(export_contextual_embeddings, ["top_model", "video_index", "chunk_embeddings"],
                 "contextual_embeddings", name="export_contextual_embeddings_node"),
            Node(register_top_model, ["top_model", "pretrain_history", "params:pretrain"], "top_model_registration",
                 name="register_top_model_node"),
        ]
    )
