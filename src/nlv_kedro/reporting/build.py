"""The report from persisted datasets only: plots, the summary and the HTML/Markdown pages.

Nothing here retrains or re-evaluates: every number is read from what earlier pipelines saved. The only
computation is presentational (a PCA projection for the embedding map).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.reporting import ablation_figures, figures
from nlv_kedro.reporting.ablation_sections import encoders_section, frame_sampling_section, masking_section
from nlv_kedro.reporting.config import ReportConfig
from nlv_kedro.reporting.plot_dataset import figure_png
from nlv_kedro.reporting.render import render_html, render_markdown
from nlv_kedro.reporting.seed_sections import seed_study_section, seeds_summary
from nlv_kedro.reporting.sections import (
    compute_section,
    data_section,
    downstream_section,
    pretraining_section,
    qa_section,
    tuning_section,
)
from nlv_kedro.reporting.summary import (
    ablations_summary,
    build_summary,
    compute_summary,
    data_summary,
    downstream_summary,
    pretraining_summary,
    qa_summary,
    tuning_summary,
)


def plot_data_overview(video_index: pd.DataFrame, chunk_plan_stats: dict) -> Figure:
    kept = {v: s["kept_ratio"] for v, s in chunk_plan_stats.get("per_video", {}).items()}
    return figures.data_overview_figure(video_index, kept)


def plot_pretraining_curves(pretrain_history: dict) -> Figure:
    return figures.pretraining_figure(pretrain_history)


def plot_probe_curves(downstream_metrics: dict) -> Figure:
    return figures.probe_curves_figure(downstream_metrics)


def plot_retrieval(downstream_metrics: dict) -> Figure:
    return figures.retrieval_figure(downstream_metrics)


def _pca_2d(x: np.ndarray) -> tuple[np.ndarray, float]:
    """(N, D) -> (N, 2) on the first two principal components of the z-scored vectors, and their variance share."""
    z = (x - x.mean(0)) / (x.std(0) + 1e-6)
    _, s, vt = np.linalg.svd(z, full_matrices=False)
    return z @ vt[:2].T, float((s[:2] ** 2).sum() / max((s**2).sum(), 1e-12))


def plot_embedding_map(video_index: pd.DataFrame, chunk_embeddings: EmbeddingStore,
                       contextual_embeddings: EmbeddingStore, params: ReportConfig) -> Figure:
    """Mean-pooled chunk vectors versus NextLevel's pooled contextual vectors, 2-D PCA, coloured by class."""
    split = params.embedding_map_split
    rows = video_index if split == "all" else video_index[video_index["split"] == split]
    ids = [v for v in rows["video_id"].astype(str) if v in chunk_embeddings and v in contextual_embeddings]
    if len(ids) < 3:
        return figures.not_run_figure("embedding map", "needs chunk and contextual embeddings of at least 3 videos")
    vectors = {"mean_pool": np.stack([chunk_embeddings.read(v)[0]["embeddings"].mean(0) for v in ids]),
               "nextlevel_frozen": np.stack([contextual_embeddings.read(v)[0]["pooled"] for v in ids])}
    projected = {m: _pca_2d(x.astype(np.float64)) for m, x in vectors.items()}
    labels = rows.set_index(rows["video_id"].astype(str)).loc[ids, "label"].astype(str).to_numpy()
    return figures.embedding_map_figure({m: p[0] for m, p in projected.items()}, labels,
                                        {m: p[1] for m, p in projected.items()})


def _ran(result: dict | None) -> dict | None:
    """An ablation result, or None when its sweep has not run (missing file) or was disabled."""
    return None if not result or result.get("disabled") else result


def plot_ablations(ablation_encoders: dict | None, ablation_frame_sampling: dict | None,
                   ablation_masking: dict | None) -> tuple[Figure, Figure, Figure]:
    return (ablation_figures.encoder_comparison_figure(_ran(ablation_encoders)),
            ablation_figures.frames_vs_accuracy_figure(_ran(ablation_frame_sampling)),
            ablation_figures.masking_figure(_ran(ablation_masking)))


def _jsonable(value: object) -> object:
    """numpy scalars -> python, NaN/inf -> None, recursively (the summary is strict JSON)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summarize_report(video_index: pd.DataFrame, quarantine: pd.DataFrame, chunk_plan_stats: dict,
                     encode_report: dict, pretrain_history: dict, downstream_metrics: dict, qa_metrics: dict | None,
                     tune_summary: dict | None, ablation_encoders: dict | None, ablation_frame_sampling: dict | None,
                     ablation_masking: dict | None, compute: dict, params: ReportConfig,
                     seed_study: dict | None = None) -> dict:
    """``report_summary``: the headline numbers, schema in :mod:`nlv_kedro.reporting.summary`."""
    return _jsonable(build_summary({
        "data": data_summary(video_index, quarantine, chunk_plan_stats, encode_report),
        "pretraining": pretraining_summary(pretrain_history, params.collapse_min_pred_std,
                                           params.collapse_min_effective_rank),
        "downstream": downstream_summary(downstream_metrics),
        "video_qa": qa_summary(qa_metrics),
        "tuning": tuning_summary(tune_summary),
        "ablations": ablations_summary(_ran(ablation_encoders), _ran(ablation_frame_sampling), _ran(ablation_masking)),
        "seeds": seeds_summary(seed_study),
        "compute": compute_summary(compute),
    }))


def render_report(summary: dict, video_index: pd.DataFrame, quarantine: pd.DataFrame, ingest_summary: dict,
                  chunk_plan_stats: dict, encode_report: dict, pretrain_history: dict, downstream_metrics: dict,
                  qa_metrics: dict | None, tune_summary: dict | None, ablation_encoders: dict | None,
                  ablation_frame_sampling: dict | None, ablation_masking: dict | None, compute: dict,
                  params: ReportConfig, seed_study: dict | None = None, **plots: Figure | bytes) -> tuple[str, str]:
    """The report as one self-contained HTML page (plots embedded) and its Markdown twin (plots linked)."""
    sections = [
        data_section(video_index, quarantine, ingest_summary, chunk_plan_stats, encode_report, summary["data"],
                     params.max_table_rows),
        encoders_section(_ran(ablation_encoders)),
        frame_sampling_section(_ran(ablation_frame_sampling)),
        pretraining_section(pretrain_history, summary["pretraining"], downstream_metrics),
        masking_section(_ran(ablation_masking), pretrain_history),
        downstream_section(downstream_metrics),
        seed_study_section(seed_study),
        qa_section(qa_metrics),
        tuning_section(tune_summary),
        compute_section(compute, params.max_table_rows),
    ]
    best = summary["downstream"]["best_probe_method"]
    intro = [f"Generated {summary['generated_at']} from the persisted datasets of the last runs "
             f"(`data/08_reporting/report_summary.json` holds the headline numbers). Best linear probe on the test "
             f"split: **{figures.label(best) if best else '–'}**."]
    html = render_html(params.title, intro, sections, {k: figure_png(v) for k, v in plots.items()})
    paths = {k: f"{params.markdown_plot_dir}/{k.removesuffix('_plot')}.png" for k in plots}
    return html, render_markdown(params.title, intro, sections, paths)
