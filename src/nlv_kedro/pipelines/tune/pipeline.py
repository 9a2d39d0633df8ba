"""`tune`: `chunk_embeddings` → Optuna study (persistent storage, nested MLflow runs) → `tune_summary`,
`best_params` (read by `pretrain` when `pretrain.use_best_params` is true), `tune_plots`."""

from kedro.pipeline import Node, Pipeline

from .nodes import export_best_params, plot_study, run_study


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(run_study, ["video_index", "chunk_embeddings", "encode_report", "params:pretrain",
                                "params:tune"], "tune_summary",
                 name="run_study_node"),
            Node(export_best_params, "tune_summary", "best_params", name="export_best_params_node"),
            Node(plot_study, ["tune_summary", "params:tune"], "tune_plots", name="plot_study_node"),
        ]
    )
