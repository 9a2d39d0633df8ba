"""Figures of the research-question sweeps (RQ1, RQ2, RQ4); ``None`` input -> a "not run" figure."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from nlv_kedro.reporting.figures import not_run_figure

_NOT_RUN = "run `kedro run --pipelines=ablations`"


def _grouped_bars(ax, names: list[str], series: dict[str, list[float | None]]) -> None:  # noqa: ANN001
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        heights = [np.nan if v is None else 100 * v for v in values]
        ax.bar(np.arange(len(names)) + i * width, heights, width, label=name)
    ax.set_xticks(np.arange(len(names)) + width * (len(series) - 1) / 2, names, fontsize=8)


def encoder_comparison_figure(result: dict | None) -> Figure:
    """RQ1: val probe accuracy of mean-pooling and NextLevel per frame encoder, and GFLOPs per frame."""
    rows = [r for r in (result or {}).get("encoders", []) if r.get("available")]
    if not rows:
        return not_run_figure("RQ1: frame encoders", _NOT_RUN)
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    names = [r["encoder"] for r in rows]
    _grouped_bars(ax1, names, {"mean-pooling": [r["mean_pool"]["top1"] for r in rows],
                               "NextLevel untrained": [(r.get("nextlevel_untrained") or {}).get("top1") for r in rows],
                               "NextLevel": [r["nextlevel"]["top1"] for r in rows]})
    ax1.set(title="linear probe (val top-1)", ylabel="accuracy (%)")
    ax1.legend(fontsize=8)
    ax2.bar(names, [r["flops_per_frame"] / 1e9 for r in rows], color="tab:gray")
    ax2.set(title="cost per frame", ylabel="GFLOPs")
    return fig


def frames_vs_accuracy_figure(result: dict | None) -> Figure:
    """RQ2: val accuracy against the share of frames kept, one point per setting, per method."""
    rows = (result or {}).get("settings", [])
    if not rows:
        return not_run_figure("RQ2: frames kept vs accuracy", _NOT_RUN)
    fig = Figure(figsize=(8, 4.4), layout="constrained")
    ax = fig.add_subplot()
    x = [r["frames_kept_pct"] for r in rows]
    for key, name, marker in (("mean_pool", "mean-pooling", "o"), ("nextlevel", "NextLevel (main top model)", "s")):
        y = [100 * r[key]["top1"] if r.get(key) else np.nan for r in rows]
        ax.scatter(x, y, marker=marker, label=name)
    for r in rows:
        y = 100 * (r["nextlevel"] or r["mean_pool"])["top1"]
        ax.annotate(r["name"].replace(", fixed_count", ""), (r["frames_kept_pct"], y), fontsize=6,
                    xytext=(3, 3), textcoords="offset points")
    ax.set(title="RQ2: accuracy vs frames kept (val)", xlabel="frames kept for encoding (% of all frames)",
           ylabel="linear probe top-1 (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def masking_figure(result: dict | None) -> Figure:
    """RQ4: masked-prediction cosine against its baselines, and the val probe accuracy, per variant."""
    rows = (result or {}).get("variants", [])
    if not rows:
        return not_run_figure("RQ4: masked embedding prediction", _NOT_RUN)
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    names = [r["name"].replace(", ", "\n") for r in rows]
    _grouped_bars(ax1, names, {"prediction": [r["cos_pred"] for r in rows],
                               "copy nearest visible": [r["cos_copy_neighbour"] for r in rows],
                               "interpolate neighbours": [r.get("cos_interpolate_neighbours") for r in rows],
                               "train mean": [r["cos_mean_baseline"] for r in rows]})
    ax1.set(title="cosine to masked targets (val, x100)", ylabel="cosine x 100")
    ax1.legend(fontsize=8)
    _grouped_bars(ax2, names, {"NextLevel": [r["nextlevel"]["top1"] for r in rows]})
    for key, name, style in (("mean_pool", "mean-pooling", "--"), ("nextlevel_untrained", "NextLevel untrained", ":")):
        value = ((result or {}).get(key) or {}).get("top1")
        if value is not None:
            ax2.axhline(100 * value, color="k", ls=style, lw=1, label=name)
    ax2.legend(fontsize=8)
    ax2.set(title="linear probe (val top-1)", ylabel="accuracy (%)")
    return fig
