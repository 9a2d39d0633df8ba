"""The report's figures: pure functions from persisted results to matplotlib ``Figure`` objects.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state, no GUI backend). A missing input (an
optional pipeline that has not run) gives a small figure that says so, so every plot dataset always exists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nlv_kedro.evaluation.comparisons import method_results

METHOD_LABELS = {"middle_frame": "middle frame", "mean_pool": "mean-pooling",
                 "nextlevel_frozen": "NextLevel (frozen)",
                 "nextlevel_untrained": "NextLevel untrained (random init, control)",
                 "nextlevel_meanpool": "NextLevel (frozen, contextual vectors mean-pooled)",
                 "nextlevel_shuffled": "NextLevel (frozen, chunks shuffled at inference)",
                 "transformer_scratch": "NextLevel architecture from scratch (supervised)",
                 "cls_token": "class-token transformer from scratch (supervised)",
                 "nextlevel_finetuned": "NextLevel (fine-tuned)", "nextlevel": "NextLevel"}


def label(method: str) -> str:
    """The report's name of a method; ``temporal_pool_<k>``: temporal mean-pooling with k segments."""
    if method.startswith("temporal_pool_") and method.removeprefix("temporal_pool_").isdigit():
        return f"temporal mean-pooling ({method.removeprefix('temporal_pool_')} segments)"
    return METHOD_LABELS.get(method, method)


def not_run_figure(title: str, message: str) -> Figure:
    fig = Figure(figsize=(6, 1.6))
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.6, title, ha="center", va="center", fontsize=12, weight="bold")
    ax.text(0.5, 0.25, message, ha="center", va="center", fontsize=10, color="0.4")
    return fig


def data_overview_figure(video_index: pd.DataFrame, per_video_kept: dict[str, float]) -> Figure:
    """Duration per class (box plot) and the share of frames kept per class (mean over its videos)."""
    classes = sorted(video_index["label"].astype(str).unique())
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    durations = [video_index.loc[video_index["label"] == c, "duration_s"].astype(float) for c in classes]
    ax1.boxplot(durations, vert=False)
    ax1.set_yticks(range(1, len(classes) + 1), classes, fontsize=8)
    ax1.set_xlabel("duration (s)")
    ax1.set_title("video durations per class")
    kept = [100 * np.mean([per_video_kept[v] for v in video_index.loc[video_index["label"] == c, "video_id"]
                           if v in per_video_kept] or [np.nan]) for c in classes]
    ax2.barh(classes, kept, color="tab:blue")
    ax2.tick_params(axis="y", labelsize=8)
    ax2.set_xlabel("frames kept for encoding (% of all frames)")
    ax2.set_title("kept frames per class (sampling + near-duplicate dropping)")
    return fig


def pretraining_figure(history: dict) -> Figure:
    """Losses, masked-prediction cosine against its two baselines, and the collapse diagnostics per epoch."""
    epochs = pd.DataFrame(history.get("epochs", []))
    if epochs.empty:
        return not_run_figure("pretraining", "no per-epoch history in pretrain_history")
    fig = Figure(figsize=(13, 3.6), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    x = epochs["epoch"] + 1
    for key, name in (("train/loss", "train"), ("val/loss", "val")):
        if key in epochs:
            ax1.plot(x, epochs[key], label=name)
    ax1.set(title="masked-prediction loss", xlabel="epoch")
    for key, name, style in (("val/cos_pred", "NextLevel prediction", "-"),
                             ("val/cos_copy_neighbour", "copy nearest visible chunk", "--"),
                             ("val/cos_interpolate_neighbours", "interpolate visible neighbours", "-."),
                             ("val/cos_mean_baseline", "predict the train mean", ":")):
        if key in epochs:
            ax2.plot(x, epochs[key], style, label=name)
    ax2.set(title="cosine to masked targets (val, encoder space)", xlabel="epoch")
    if "val/pred_std" in epochs:
        ax3.plot(x, epochs["val/pred_std"], color="tab:red", label="per-dim std of predictions")
    ax3.set(title="collapse diagnostics (val)", xlabel="epoch")
    if "val/effective_rank" in epochs:
        twin = ax3.twinx()
        twin.plot(x, epochs["val/effective_rank"], color="tab:purple", label="effective rank of c_i")
        twin.set_ylabel("effective rank")
        twin.legend(loc="lower right", fontsize=8)
    for ax in (ax1, ax2, ax3):
        ax.legend(fontsize=8, loc="upper left" if ax is ax3 else "best")
    return fig


def probe_curves_figure(downstream: dict) -> Figure:
    """Few-shot linear-probe accuracy (mean and std over seeds) per method, all classes and order-dependent."""
    fig = Figure(figsize=(12, 4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    panels = ((axes[0], "top1", "all classes"), (axes[1], "top1_order_dependent", "order-dependent classes"))
    downstream = method_results(downstream)
    for ax, key, title in panels:
        for method, tasks in downstream.items():
            probe = tasks.get("probe", {})
            if not probe.get("shots") or f"{key}_mean" not in probe:
                continue
            mean, std = np.asarray(probe[f"{key}_mean"]), np.asarray(probe[f"{key}_std"])
            line = ax.plot(probe["shots"], 100 * mean, marker="o", label=label(method))[0]
            ax.fill_between(probe["shots"], 100 * (mean - std), 100 * (mean + std), alpha=0.15,
                            color=line.get_color())
        ax.set_xscale("log", base=2)
        shots = sorted({k for t in downstream.values() for k in t.get("probe", {}).get("shots", [])})
        ax.set_xticks(shots, [str(k) for k in shots])
        ax.minorticks_off()
        ax.set(title=f"linear probe, test top-1: {title}", xlabel="training examples per class", ylabel="accuracy (%)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return fig


def retrieval_figure(downstream: dict) -> Figure:
    """Text-to-video R@1/5/10 per method, with the median rank in the legend."""
    downstream = method_results(downstream)
    methods = [m for m, t in downstream.items() if "retrieval" in t]
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    ax = fig.add_subplot()
    width = 0.8 / max(len(methods), 1)
    for i, method in enumerate(methods):
        t2v = downstream[method]["retrieval"]["t2v"]
        ax.bar(np.arange(3) + i * width, [t2v["R@1"], t2v["R@5"], t2v["R@10"]], width,
               label=f"{label(method)} (MdR {t2v['MdR']:g})")
    ax.set_xticks(np.arange(3) + width * (len(methods) - 1) / 2, ["R@1", "R@5", "R@10"])
    ax.set(title="text-to-video retrieval (test)", ylabel="recall (%)")
    ax.legend(fontsize=8)
    return fig


def embedding_map_figure(points: dict[str, np.ndarray], labels: np.ndarray, explained: dict[str, float]) -> Figure:
    """One 2-D PCA scatter per method, coloured by class."""
    classes = sorted(set(labels.tolist()))
    colours = {c: f"C{i % 10}" for i, c in enumerate(classes)}
    fig = Figure(figsize=(6 * len(points), 5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(points)))
    for ax, (method, xy) in zip(axes, points.items()):
        for c in classes:
            rows = labels == c
            ax.scatter(xy[rows, 0], xy[rows, 1], s=14, color=colours[c], label=c,
                       marker="o" if classes.index(c) < 10 else "x")
        ax.set(title=f"{label(method)}: PCA ({100 * explained[method]:.0f}% of variance)", xticks=[], yticks=[])
    axes[-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig
