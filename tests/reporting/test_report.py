"""Report pipeline on tiny synthetic results: every section, the summary schema, exact FLOPs, node timings."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline
from kedro.runner import SequentialRunner
from matplotlib.figure import Figure
from torch import nn

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.evaluation.comparisons import method_comparisons
from nlv_kedro.evaluation.stats import paired_bootstrap
from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel
from nlv_kedro.training.recipe import PretrainParams
from nlv_kedro.pipelines.report import create_pipeline
from nlv_kedro.reporting.config import ReportConfig
from nlv_kedro.reporting.compute import count_flops, count_parameters, inference_flops, training_step_flops
from nlv_kedro.reporting.plot_dataset import PlotDataset
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.timing import NodeTimingHooks
from tests.conftest import run_slice

SECTIONS = ("data", "rq1-encoders", "rq2-frames", "rq3-pretraining", "rq4-masking", "downstream", "seed-study",
            "video-qa", "tuning", "compute")
_CI = {"diff": 0.1, "lo": -0.02, "hi": 0.2, "beats": False}
SEED_STUDY = {"seeds": [0, 1], "test_video_ids": ["a", "b"], "subset_sizes": {"structure": 2},
              "methods": {"nextlevel": {"overall": {"mean": 0.5, "std": 0.1}, "structure": {"mean": 0.5, "std": 0.0}}},
              "comparisons": {"overall": {"untrained": _CI, "best_frozen_baseline": {"name": "temporal_pool_2", **_CI}}},
              "goals": {"pretrained_vs_untrained": {"points": 10.0, "ci": [-2.0, 20.0], "target": 10.0, "met": False}}}
PROBE = {"top1": 0.5, "top1_order_dependent": 0.5, "top1_other": 0.5}
DIAG = {"cos_pred": 0.7, "cos_mean_baseline": 0.5, "cos_copy_neighbour": 0.8, "cos_pred_standardized": 0.4,
        "cos_copy_neighbour_standardized": 0.6, "cos_gain_over_best_baseline": -0.1, "pred_std": 0.3,
        "effective_rank": 9.0}


def _method(order: bool, correct: list[int] | None = None) -> dict:
    correct = correct or [1, 1, 1, 0, 0] * 2
    curve = {"shots": [1, 2], "top1_mean": [0.4, 0.5], "top1_std": [0.1, 0.0], "top1_order_dependent_mean": [0.5, 0.5],
             "top1_order_dependent_std": [0.0, 0.0], "full": {"top1": float(np.mean(correct)), "top5": 1.0,
                                                               "top1_order_dependent": 0.5, "top1_other": 0.7,
                                                               "correct": correct}}
    out = {"probe": curve, "clustering": {"nmi": 0.5, "ari": 0.2, "purity": 0.6},
           "retrieval": {d: {"R@1": 20.0, "R@5": 60.0, "R@10": 100.0, "MdR": 3.0, "MnR": 3.5} for d in ("t2v", "v2t")}}
    if order:
        out["finetune"] = {"best_val_acc": 0.5, "epochs": 2, "head_top1": 0.5, "head_top1_order_dependent": 0.5,
                           "head_top1_other": 0.5, "correct": correct, "pooling": "temporal"}
    return out


def _downstream() -> dict:
    """downstream_metrics as the pipeline writes it: methods, per-video results and the comparisons block."""
    methods = {"mean_pool": _method(False), "nextlevel_frozen": _method(False, [1] * 10),
               "nextlevel_untrained": _method(False, [1, 0] * 5), "transformer_scratch": _method(True, [0] * 10),
               "nextlevel_finetuned": _method(True, [1, 1, 1, 1, 0] * 2)}
    subsets = {"order_dependent": [True] * 4 + [False] * 6, "other": [False] * 4 + [True] * 6}
    finetune = {m: t["finetune"] for m, t in methods.items() if "finetune" in t}
    heads = {"transformer_scratch": {"head_top1": 0.5, "correct": [[1, 0] * 5]},
             "nextlevel_finetuned": {"head_top1": 0.9, "correct": [[1] * 9 + [0]]}}
    efficiency = {"1": {**heads, "vs_scratch": paired_bootstrap(heads["nextlevel_finetuned"]["correct"],
                                                                heads["transformer_scratch"]["correct"])}}
    return {**methods, "test_video_ids": [f"v{i}" for i in range(10)], "test_subsets": subsets,
            "comparisons": method_comparisons({m: t["probe"] for m, t in methods.items()}, finetune, subsets),
            "label_efficiency": efficiency}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every persisted input of the report, tiny: 12 videos of 3 classes, a 1-layer top model, random vectors."""
    tmp_path = tmp_path_factory.mktemp("report_inputs")
    rng = np.random.default_rng(0)
    labels = ["a_then_b", "b_then_a", "plain"]
    index = pd.DataFrame([{"video_id": f"{c}{i}", "label": c, "split": ["train", "train", "val", "test"][i],
                           "order_dependent": c != "plain", "duration_s": 3.0 + i} for c in labels for i in range(4)])
    chunks, contextual = EmbeddingStore(tmp_path / "chunks"), EmbeddingStore(tmp_path / "ctx")
    for vid in index["video_id"]:
        chunks.write(vid, {"embeddings": rng.normal(size=(3, 8)).astype(np.float32)}, {})
        contextual.write(vid, {"pooled": rng.normal(size=16).astype(np.float32)}, {})
    config = NextLevelConfig(input_dim=8, d_model=16, n_layers=1, n_heads=2, head_hidden=16, max_chunks=8)
    model = TopModelArtifact(config, NextLevelModel(config).state_dict(), np.zeros(8, np.float32),
                             np.ones(8, np.float32))
    epochs = [{"epoch": e, "train/loss": 1.0 / (e + 1), "val/loss": 1.1 / (e + 1), "val/cos_pred": 0.5 + e / 10,
               "val/cos_mean_baseline": 0.5, "val/cos_copy_neighbour": 0.6, "val/pred_std": 0.2,
               "val/effective_rank": 5.0, "val/cos_gain_over_best_baseline": e / 10 - 0.1,
               "val/cos_interpolate_shrunk": 0.58, "val/interpolate_shrink_factor": 0.8,
               "val/gain_over_shrunk_interpolation": e / 10 - 0.08, "val/gain_over_shrunk_interpolation_lo": 0.01,
               "val/gain_over_shrunk_interpolation_hi": 0.2, "val/share_span1": 0.5, "val/cos_pred_span1": 0.7}
              for e in range(3)]
    return {
        "video_index": index, "chunk_embeddings": chunks, "contextual_embeddings": contextual, "top_model": model,
        "quarantine": pd.DataFrame([{"video_id": "broken", "path": "x.mp4", "stage": "probe", "reason": "empty file"}]),
        "ingest_summary": {"total_inputs": 13, "accepted": 12, "rejected": 1},
        "chunk_plan_stats": {"overall": {"n_frames_total": 400, "n_kept": 48, "n_chunks": 36, "n_videos": 12,
                                         "kept_ratio": 0.12},
                             "per_video": {v: {"kept_ratio": 0.12, "n_chunks": 3} for v in index["video_id"]},
                             "failures": []},
        "encode_report": {"encoder": "efficientnet_lite0", "input_size": [32, 32], "frames_per_s": 50.0,
                          "seconds": 1.0, "frames_encoded": 48},
        "pretrain_history": {"epochs": epochs, "final": epochs[-1], "trainable_parameters": 1000,
                             "epochs_completed": 3, "seconds": 2.0, "train_videos": 6},
        "downstream_metrics": _downstream(),
        "qa_metrics": None,
        "tune_summary": {"study_name": "s", "storage": "sqlite://", "direction": "maximize", "n_trials": 2,
                         "n_complete": 1, "n_pruned": 1, "n_failed": 0, "best_value": 0.6,
                         "best_params": {"optim.lr": 0.001},
                         "trials": [{"number": 0, "state": "COMPLETE", "value": 0.6, "params": {"optim.lr": 0.001}}]},
        "ablation_encoders": {"videos": {"train": 6, "val": 3}, "frames_per_chunk": 1, "pretrain_epochs": 1,
                              "encoders": [
            {"encoder": "efficientnet_lite0", "available": True, "dim": 1280, "input_size": [32, 32], "params": 10,
             "flops_per_frame": 1e6, "forward_frames_per_s": 100.0, "diagnostics": DIAG, "mean_pool": PROBE,
             "nextlevel": PROBE},
            {"encoder": "efficientnet_lite2", "available": False, "error": "weights package missing"}]},
        "ablation_frame_sampling": {"encoder": "efficientnet_lite0", "videos": {"train": 6, "val": 3},
                                    "frames_encoded": 4, "seconds_per_frame": 0.01, "settings": [
            {"name": f"{fps:g} fps, dedup 0.01, fixed_count", "axis": "target_fps", "frames_kept_pct": 10.0 * fps,
             "chunks_per_video": 3.0, "encode_s_est": fps, "mean_pool": PROBE, "nextlevel": PROBE} for fps in (1, 2)]},
        "ablation_masking": {"disabled": True},  # as a disabled sweep saves it
        "seed_study": SEED_STUDY,
        "node_timings": {"updated_at": "now", "nodes": {"encode_videos_node": {"wall_s": 3.0, "peak_rss_mb": 500.0}}},
        "qa_projector_config": None,
        "params:pretrain": PretrainParams.model_validate({"trainer": {"batch_size": 4}}),
        "params:report": ReportConfig(),
    }


@pytest.fixture(scope="module")
def report(results: dict) -> DataCatalog:
    return run_slice(create_pipeline(), results)


def test_report_contains_every_section_and_embeds_every_plot(report: DataCatalog) -> None:
    catalog = report
    html, markdown = catalog["report_html"].load(), catalog["report_markdown"].load()
    for section in SECTIONS:
        assert f"id='{section}'" in html and f'<a id="{section}"></a>' in markdown
    plots = {name for name in create_pipeline().all_outputs() if name.endswith("_plot")}
    assert len(plots) == 8
    shown = plots - {"masking_ablation_plot"}  # RQ4 did not run: its section says so instead of showing a plot
    assert html.count("data:image/png;base64,") == len(shown)
    for name in shown:
        assert f"(plots/{name.removesuffix('_plot')}.png)" in markdown
    assert "empty file" in html  # the quarantine reason
    pretraining = markdown.split('<a id="rq3-pretraining"></a>')[1].split('<a id="rq4-masking"></a>')[0]
    assert "shrunk toward the train mean (factor 0.8" in pretraining and "beats it" in pretraining
    assert "1 chunk" in pretraining and "50.0" in pretraining  # the by-span table
    assert "**Not run**" in markdown.split('<a id="rq4-masking"></a>')[1].split('<a id="downstream">')[0]
    assert "Not run" in markdown.split('<a id="video-qa"></a>')[1]  # qa_metrics is None
    assert "weights package missing" in html  # an unavailable encoder is listed, not dropped
    seeds = markdown.split('<a id="seed-study"></a>')[1].split('<a id="video-qa">')[0]
    assert "+10.0 [-2.0, +20.0]" in seeds and "not met" in seeds  # a gain whose CI reaches 0 is not a win
    compute = catalog["compute_accounting"].load()
    assert compute["top_model"]["params_total"] == compute["top_model"]["params_total_persisted"]
    assert compute["nodes"] == [{"name": "encode_videos_node", "wall_s": 3.0, "peak_rss_mb": 500.0}]


def test_summary_schema_is_stable(report: DataCatalog) -> None:
    summary = report["report_summary"].load()
    json.dumps(summary, allow_nan=False)  # strict JSON
    assert set(summary) == {"schema_version", "generated_at", "data", "pretraining", "downstream", "video_qa", "tuning",
                            "ablations", "seeds", "compute"}
    assert summary["schema_version"] == 4
    assert set(summary["data"]) == {"n_videos", "n_quarantined", "n_classes", "n_order_dependent_classes", "splits",
                                    "duration_s_mean", "frames_total", "frames_kept", "frames_kept_pct",
                                    "chunks_per_video_mean", "frame_encoder"}
    assert set(summary["pretraining"]) == {"epochs", "trainable_params", "val_cos_pred", "val_cos_mean_baseline",
                                           "val_cos_copy_neighbour", "val_cos_interpolate_neighbours",
                                           "val_cos_interpolate_shrunk", "val_interpolate_shrink_factor",
                                           "val_cos_pred_standardized", "val_cos_interpolate_standardized",
                                           "val_gain_over_shrunk_interpolation", "val_cos_gain_over_best_baseline",
                                           "beats_baselines", "val_pred_std", "val_effective_rank",
                                           "collapse_suspected", "seconds", "train_videos", "unlabeled_videos"}
    assert set(summary["downstream"]) == {"methods", "probe_top1", "probe_top1_order_dependent", "probe_top1_other",
                                          "few_shot_top1", "finetune_head_top1", "clustering_nmi", "retrieval_t2v_r1",
                                          "retrieval_t2v_median_rank", "best_probe_method", "probe_top1_subsets",
                                          "best_baseline_method", "comparisons", "beats_baselines", "beats_untrained",
                                          "finetune_head_vs_scratch"}
    assert set(summary["video_qa"]) == {"ran", "accuracy", "accuracy_by_type", "goals"}
    assert set(summary["tuning"]) == {"ran", "study_name", "direction", "n_trials", "n_complete", "n_pruned",
                                      "n_failed", "best_value", "best_params"}
    assert set(summary["ablations"]) == {"ran", "rq1_encoders", "rq2_frame_sampling", "rq4_masking"}
    assert summary["seeds"] == {"ran": True, "seeds": [0, 1], "top1": {"nextlevel": {"mean": 0.5, "std": 0.1}},
                                "goals": SEED_STUDY["goals"]}
    assert set(summary["compute"]) == {"frame_encoder_params", "frame_encoder_flops_per_frame",
                                       "top_model_params_total", "top_model_params_trainable", "flops_per_video_inference",
                                       "flops_per_training_step", "encode_frames_per_s", "pretrain_seconds",
                                       "peak_rss_mb", "total_node_wall_s"}
    assert summary["video_qa"]["ran"] is False and summary["tuning"]["ran"] is True
    assert summary["ablations"]["rq4_masking"] is None and len(summary["ablations"]["rq2_frame_sampling"]) == 2
    assert summary["pretraining"]["beats_baselines"] is True and summary["pretraining"]["collapse_suspected"] is False
    assert summary["data"]["n_quarantined"] == 1 and summary["data"]["n_order_dependent_classes"] == 2
    assert summary["downstream"]["probe_top1"]["mean_pool"] == 0.6


def test_downstream_verdicts_are_confidence_intervals(report: DataCatalog) -> None:
    downstream = report["report_summary"].load()["downstream"]
    assert downstream["best_baseline_method"] == "mean_pool"
    frozen = downstream["comparisons"]["nextlevel_frozen"]
    assert frozen["vs_best_baseline"]["diff"] == pytest.approx(0.4)
    assert downstream["beats_baselines"]["nextlevel_frozen"]
    for method, refs in downstream["comparisons"].items():
        for key, result in refs.items():
            assert result["beats"] == (result["lo"] > 0), (method, key)
    assert downstream["beats_untrained"]["nextlevel_finetuned"] == (
        downstream["comparisons"]["nextlevel_finetuned"]["vs_untrained"]["lo"] > 0)
    assert downstream["finetune_head_vs_scratch"]["diff"] == pytest.approx(0.8)
    assert "methods" not in downstream["probe_top1"] and "test_video_ids" not in downstream["methods"]
    section = report["report_markdown"].load().split('<a id="downstream"></a>')[1].split('<a id="video-qa">')[0]
    assert "vs best baseline (mean-pooling)" in section and "+40.0 [" in section
    assert "fine-tuned minus from-scratch head" in section and "`temporal` pooling" in section
    assert "Label efficiency of the supervised heads" in section and "+40.0 [" in section.split("Label efficiency")[1]


def test_parameter_and_flop_counts_of_known_modules_are_exact() -> None:
    linear = nn.Linear(4, 3)  # 4*3 weights + 3 biases
    assert count_parameters(linear) == {"total": 15, "trainable": 15}
    x = torch.randn(2, 4)
    assert inference_flops(linear, x) == 2 * 2 * 4 * 3  # 2 * batch * in * out
    # backward of a leaf input: only the weight gradient (another 2*batch*in*out); bias grads are sums, uncounted
    assert training_step_flops(linear, lambda m: m(x).sum()) == 2 * (2 * 2 * 4 * 3)
    x_grad = torch.randn(2, 4, requires_grad=True)  # ... plus the input gradient when the input needs one
    assert training_step_flops(linear, lambda m: m(x_grad).sum()) == 3 * (2 * 2 * 4 * 3)
    linear.bias.requires_grad_(False)
    assert count_parameters(linear) == {"total": 15, "trainable": 12}
    conv = nn.Conv2d(1, 2, kernel_size=3, bias=False)  # (1,1,5,5) -> (1,2,3,3): 18 outputs x 9 MACs
    assert count_flops(lambda: conv(torch.zeros(1, 1, 5, 5))) == 2 * 18 * 9


def _two_nodes(name_suffix: str) -> Pipeline:
    return Pipeline([Node(lambda x: x + 1, "a", "b", name=f"first{name_suffix}"),
                     Node(lambda x: x * 2, "b", "c", name=f"second{name_suffix}")])


def test_timing_hook_records_and_accumulates_node_timings(tmp_path: Path) -> None:
    path = tmp_path / "node_timings.json"
    hook = NodeTimingHooks(path)
    manager = _create_hook_manager()
    manager.register(hook)
    SequentialRunner().run(_two_nodes(""), DataCatalog({"a": MemoryDataset(1)}), hook_manager=manager)
    hook.after_pipeline_run()
    nodes = json.loads(path.read_text())["nodes"]
    assert set(nodes) == {"first", "second"}
    for entry in nodes.values():
        assert entry["status"] == "ok" and entry["wall_s"] >= 0 and entry["peak_rss_mb"] > 0 and entry["finished_at"]
    SequentialRunner().run(_two_nodes("_again"), DataCatalog({"a": MemoryDataset(1)}), hook_manager=manager)
    assert set(json.loads(path.read_text())["nodes"]) == {"first", "second", "first_again", "second_again"}


def test_timing_hook_is_registered_in_settings() -> None:
    from nlv_kedro.settings import HOOKS

    assert any(isinstance(hook, NodeTimingHooks) for hook in HOOKS)


def test_plot_dataset_saves_a_figure_and_loads_its_png(tmp_path: Path) -> None:
    figure = Figure()
    figure.add_subplot().plot([0, 1], [1, 0])
    dataset = PlotDataset(filepath=str(tmp_path / "plots" / "x.png"))
    dataset.save(figure)
    png = dataset.load()
    assert png.startswith(b"\x89PNG") and base64.b64decode(dataset.preview()) == png  # what Kedro-Viz shows
