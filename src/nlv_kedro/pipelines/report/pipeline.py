"""`report`: persisted results of every pipeline → plots, `compute_accounting`, `report_summary`, report.html/.md."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    account_compute,
    plot_ablations,
    plot_data_overview,
    plot_embedding_map,
    plot_pretraining_curves,
    plot_probe_curves,
    plot_retrieval,
    render_report,
    summarize_report,
)

PLOTS = ("data_overview_plot", "pretraining_curves_plot", "probe_curves_plot", "retrieval_plot", "embedding_map_plot",
         "encoder_comparison_plot", "frames_vs_accuracy_plot", "masking_ablation_plot")
RESULTS = {"video_index": "video_index", "quarantine": "quarantine", "chunk_plan_stats": "chunk_plan_stats",
           "encode_report": "encode_report", "pretrain_history": "pretrain_history",
           "downstream_metrics": "downstream_metrics", "qa_metrics": "qa_metrics", "tune_summary": "tune_summary",
           "ablation_encoders": "ablation_encoders", "ablation_frame_sampling": "ablation_frame_sampling",
           "ablation_masking": "ablation_masking", "compute": "compute_accounting", "params": "params:report",
           "seed_study": "seed_study"}


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(account_compute, ["top_model", "encode_report", "chunk_plan_stats", "pretrain_history", "node_timings",
                                   "video_index", "qa_projector_config", "params:pretrain"],
                 "compute_accounting", name="count_params_flops_and_node_timings_node"),
            Node(plot_data_overview, ["video_index", "chunk_plan_stats"], "data_overview_plot",
                 name="plot_data_overview_node"),
            Node(plot_pretraining_curves, "pretrain_history", "pretraining_curves_plot",
                 name="plot_pretraining_curves_node"),
            Node(plot_probe_curves, "downstream_metrics", "probe_curves_plot", name="plot_few_shot_probe_curves_node"),
            Node(plot_retrieval, "downstream_metrics", "retrieval_plot", name="plot_retrieval_recall_node"),
            Node(plot_embedding_map, ["video_index", "chunk_embeddings", "contextual_embeddings", "params:report"],
                 "embedding_map_plot", name="plot_embedding_map_node"),
            Node(plot_ablations, ["ablation_encoders", "ablation_frame_sampling", "ablation_masking"],
                 ["encoder_comparison_plot", "frames_vs_accuracy_plot", "masking_ablation_plot"],
                 name="plot_ablation_results_node"),
            Node(summarize_report, RESULTS,
                 "report_summary", name="summarize_headline_numbers_node"),
            Node(render_report, {"summary": "report_summary", "ingest_summary": "ingest_summary", **RESULTS,
                                 **{p: p for p in PLOTS}},
                 ["report_html", "report_markdown"], name="render_html_and_markdown_report_node"),
        ]
    )
