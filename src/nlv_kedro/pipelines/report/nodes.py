"""Report nodes: plots, compute accounting, the summary and the HTML/Markdown report, from persisted datasets only.

The bodies live in :mod:`nlv_kedro.reporting.build` and :mod:`nlv_kedro.reporting.compute`; compute accounting
counts the FLOPs of the persisted model configurations with torch's FLOP counter.
"""

from __future__ import annotations

import pandas as pd

from nlv_kedro.reporting.build import (
    plot_ablations,
    plot_data_overview,
    plot_embedding_map,
    plot_pretraining_curves,
    plot_probe_curves,
    plot_retrieval,
    render_report,
    summarize_report,
)
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.config import PretrainParams

__all__ = ["account_compute", "plot_ablations", "plot_data_overview", "plot_embedding_map", "plot_pretraining_curves",
           "plot_probe_curves", "plot_retrieval", "render_report", "summarize_report"]


def account_compute(top_model: TopModelArtifact, encode_report: dict, chunk_plan_stats: dict, pretrain_history: dict,
                    node_timings: dict | None, video_index: pd.DataFrame, qa_projector_config: dict | None,
                    pretrain: PretrainParams) -> dict:
    """Parameters and FLOPs of each model, throughput of the run, wall time and peak memory per node."""
    from nlv_kedro.reporting.compute import compute_accounting  # torch's FLOP counter: imported when run

    params = {"total": int(sum(v.numel() for v in top_model.state_dict.values()))}
    return compute_accounting(top_model.config, params, encode_report, chunk_plan_stats, pretrain_history,
                              node_timings, pretrain.trainer.batch_size, int(video_index["label"].nunique()),
                              qa_projector_config)
