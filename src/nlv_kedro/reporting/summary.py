"""``report_summary.json``: the headline numbers of a run in a stable schema (version 3).

Every key below is always present; a value is ``null`` when its source has not run (``ran: false`` says so
for the optional sections). Maps keyed by method hold one entry per compared method of ``downstream_metrics``
(``middle_frame``, ``mean_pool``, ``temporal_pool_<k>``, ``nextlevel_frozen``, the controls ``nextlevel_untrained``,
``nextlevel_meanpool``, ``nextlevel_shuffled``, and ``transformer_scratch``, ``cls_token``, ``nextlevel_finetuned``).
Accuracies are fractions in [0, 1] except retrieval recalls and QA accuracies,
which are percentages as in their source files. Adding a key bumps ``schema_version``.

- ``schema_version`` (int), ``generated_at`` (ISO-8601 UTC)
- ``data``: n_videos, n_quarantined, n_classes, n_order_dependent_classes, splits {split: n},
  duration_s_mean, frames_total, frames_kept, frames_kept_pct, chunks_per_video_mean, frame_encoder
- ``pretraining``: epochs, trainable_params, val_cos_pred, val_cos_mean_baseline, val_cos_copy_neighbour,
  val_cos_interpolate_neighbours, val_cos_interpolate_shrunk (interpolation pulled toward the train mean by
  val_interpolate_shrink_factor, the best factor on val), val_cos_pred_standardized, val_cos_interpolate_standardized,
  val_gain_over_shrunk_interpolation ({diff, lo, hi}: 95% paired bootstrap over val videos, or null),
  val_cos_gain_over_best_baseline (over the best of the four baselines), beats_baselines (gain > 0 and the
  interval's lo > 0), val_pred_std, val_effective_rank, collapse_suspected, seconds
- ``downstream``: methods [..], probe_top1 {m}, probe_top1_order_dependent {m}, probe_top1_other {m},
  few_shot_top1 {m: {shots: acc}}, finetune_head_top1 {m}, clustering_nmi {m}, retrieval_t2v_r1 {m},
  retrieval_t2v_median_rank {m}, best_probe_method, probe_top1_subsets {m: {subset: acc}},
  best_baseline_method (best frozen non-NextLevel probe), comparisons {NextLevel method: {vs_best_baseline |
  vs_untrained: {diff, lo, hi, beats}}} (paired bootstrap 95% CI over test videos), beats_baselines {m},
  beats_untrained {m} (true only when the CI's lower bound > 0), finetune_head_vs_scratch {diff, lo, hi, beats}
- ``video_qa``: ran, accuracy {method: %}, accuracy_by_type {method: {question type: %}},
  goals {goal: {points, target, met}}
- ``tuning``: ran, study_name, direction, n_trials, n_complete, n_pruned, n_failed, best_value, best_params
- ``ablations``: ran, rq1_encoders [{encoder, mean_pool_top1, nextlevel_untrained_top1, nextlevel_top1,
  flops_per_frame}], rq2_frame_sampling [{setting, frames_kept_pct, encode_s_est, mean_pool_top1, nextlevel_top1}],
  rq4_masking [{variant, cos_pred, cos_best_baseline, probe_top1}], the first row being the untrained model
  (val accuracies; each list null if its sweep did not run)
- ``seeds``: ran, seeds, top1 {method: {mean, std}} (test, over pretraining seeds), goals {goal: {points, ci,
  target, met}} (see :mod:`nlv_kedro.studies.seeds`)
- ``compute``: frame_encoder_params, frame_encoder_flops_per_frame, top_model_params_total,
  top_model_params_trainable, flops_per_video_inference, flops_per_training_step, encode_frames_per_s,
  pretrain_seconds, peak_rss_mb, total_node_wall_s
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

from nlv_kedro.evaluation.comparisons import method_results
from nlv_kedro.reporting.downstream_tables import headline_comparisons

SCHEMA_VERSION = 4  # 2: pretraining.val_cos_interpolate_neighbours, video_qa.goals; 3: seeds, pretraining shrunk
# interpolation, downstream comparisons with CIs; 4: pretraining.train_videos / unlabeled_videos
SUMMARY_KEYS: dict[str, tuple[str, ...]] = {
    "data": ("n_videos", "n_quarantined", "n_classes", "n_order_dependent_classes", "splits", "duration_s_mean",
             "frames_total", "frames_kept", "frames_kept_pct", "chunks_per_video_mean", "frame_encoder"),
    "pretraining": ("epochs", "trainable_params", "val_cos_pred", "val_cos_mean_baseline", "val_cos_copy_neighbour",
                    "val_cos_interpolate_neighbours", "val_cos_interpolate_shrunk", "val_interpolate_shrink_factor",
                    "val_cos_pred_standardized", "val_cos_interpolate_standardized", "val_gain_over_shrunk_interpolation",
                    "val_cos_gain_over_best_baseline", "beats_baselines", "val_pred_std", "val_effective_rank",
                    "collapse_suspected", "seconds", "train_videos", "unlabeled_videos"),
    "downstream": ("methods", "probe_top1", "probe_top1_order_dependent", "probe_top1_other", "few_shot_top1",
                   "finetune_head_top1", "clustering_nmi", "retrieval_t2v_r1", "retrieval_t2v_median_rank",
                   "best_probe_method", "probe_top1_subsets", "best_baseline_method", "comparisons",
                   "beats_baselines", "beats_untrained", "finetune_head_vs_scratch"),
    "video_qa": ("ran", "accuracy", "accuracy_by_type", "goals"),
    "tuning": ("ran", "study_name", "direction", "n_trials", "n_complete", "n_pruned", "n_failed", "best_value",
               "best_params"),
    "ablations": ("ran", "rq1_encoders", "rq2_frame_sampling", "rq4_masking"),
    "seeds": ("ran", "seeds", "top1", "goals"),
    "compute": ("frame_encoder_params", "frame_encoder_flops_per_frame", "top_model_params_total",
                "top_model_params_trainable", "flops_per_video_inference", "flops_per_training_step",
                "encode_frames_per_s", "pretrain_seconds", "peak_rss_mb", "total_node_wall_s"),
}


def data_summary(video_index: pd.DataFrame, quarantine: pd.DataFrame, plan_stats: dict, encode_report: dict) -> dict:
    overall = plan_stats.get("overall", {})
    order = video_index.loc[video_index["order_dependent"], "label"]  # bool column, typed by ingest
    return {"n_videos": len(video_index), "n_quarantined": len(quarantine),
            "n_classes": int(video_index["label"].nunique()), "n_order_dependent_classes": int(order.nunique()),
            "splits": {str(k): int(v) for k, v in video_index["split"].value_counts().sort_index().items()},
            "duration_s_mean": float(video_index["duration_s"].astype(float).mean()),
            "frames_total": overall.get("n_frames_total"), "frames_kept": overall.get("n_kept"),
            "frames_kept_pct": 100 * overall["kept_ratio"] if "kept_ratio" in overall else None,
            "chunks_per_video_mean": overall["n_chunks"] / overall["n_videos"] if overall.get("n_videos") else None,
            "frame_encoder": encode_report.get("encoder")}


def pretraining_summary(history: dict, min_pred_std: float, min_effective_rank: float) -> dict:
    final = history.get("final", {})
    get = lambda key: None if final.get(key) is None else float(final[key])  # noqa: E731
    std, rank, gain = get("val/pred_std"), get("val/effective_rank"), get("val/cos_gain_over_best_baseline")
    collapse = None if std is None or rank is None else bool(std < min_pred_std or rank < min_effective_rank)
    key = "val/gain_over_shrunk_interpolation"
    ci = None if get(key) is None else {"diff": get(key), "lo": get(f"{key}_lo"), "hi": get(f"{key}_hi")}
    # "beats" needs the gain over the best baseline and, when logged, a per-video interval above 0
    beats = None if gain is None else bool(gain > 0 and (ci is None or (ci["lo"] or 0.0) > 0))
    return {"epochs": history.get("epochs_completed", len(history.get("epochs", []))),
            "trainable_params": history.get("trainable_parameters"), "val_cos_pred": get("val/cos_pred"),
            "val_cos_mean_baseline": get("val/cos_mean_baseline"),
            "val_cos_copy_neighbour": get("val/cos_copy_neighbour"),
            "val_cos_interpolate_neighbours": get("val/cos_interpolate_neighbours"),
            "val_cos_interpolate_shrunk": get("val/cos_interpolate_shrunk"),
            "val_interpolate_shrink_factor": get("val/interpolate_shrink_factor"),
            "val_cos_pred_standardized": get("val/cos_pred_standardized"),
            "val_cos_interpolate_standardized": get("val/cos_interpolate_neighbours_standardized"),
            "val_gain_over_shrunk_interpolation": ci,
            "val_cos_gain_over_best_baseline": gain, "beats_baselines": beats,
            "val_pred_std": std, "val_effective_rank": rank, "collapse_suspected": collapse,
            "seconds": history.get("seconds"), "train_videos": history.get("train_videos"),
            "unlabeled_videos": history.get("unlabeled_videos")}


def downstream_summary(metrics: dict) -> dict:
    """Headline numbers of ``downstream_metrics``; every "beats" is a paired bootstrap CI with its lower bound > 0."""
    methods = method_results(metrics)
    probe = {m: t.get("probe", {}) for m, t in methods.items()}
    full = {m: p.get("full", {}) for m, p in probe.items()}
    top1 = {m: f.get("top1") for m, f in full.items()}
    ranked = [m for m in top1 if top1[m] is not None]
    return {
        "methods": list(methods), "probe_top1": top1,
        "probe_top1_order_dependent": {m: f.get("top1_order_dependent") for m, f in full.items()},
        "probe_top1_other": {m: f.get("top1_other") for m, f in full.items()},
        "probe_top1_subsets": {m: {k[5:]: v for k, v in f.items() if k.startswith("top1_")} for m, f in full.items()},
        "few_shot_top1": {m: {str(k): v for k, v in zip(p.get("shots", []), p.get("top1_mean", []))}
                          for m, p in probe.items()},
        "finetune_head_top1": {m: t["finetune"].get("head_top1") for m, t in methods.items() if "finetune" in t},
        "clustering_nmi": {m: t.get("clustering", {}).get("nmi") for m, t in methods.items()},
        "retrieval_t2v_r1": {m: t.get("retrieval", {}).get("t2v", {}).get("R@1") for m, t in methods.items()},
        "retrieval_t2v_median_rank": {m: t.get("retrieval", {}).get("t2v", {}).get("MdR") for m, t in methods.items()},
        "best_probe_method": max(ranked, key=lambda m: top1[m]) if ranked else None,
        **headline_comparisons(metrics),
    }


def qa_summary(qa: dict | None) -> dict:
    """Means over seeds; each goal carries its control, points, CI (lo, hi), target and met."""
    if not qa or qa.get("skipped"):  # not run, or run on a dataset without QA pairs
        return {"ran": False, "accuracy": None, "accuracy_by_type": None, "goals": None}
    accuracy = qa.get("accuracy", {})
    return {"ran": True, "accuracy": {m: a.get("overall") for m, a in accuracy.items()},
            "accuracy_by_type": {m: {k: v for k, v in a.items()
                                     if k not in ("overall", "n", "std", "seeds") and not k.startswith("n_")}
                                 for m, a in accuracy.items()},
            "goals": qa.get("goals", {})}


def tuning_summary(tune: dict | None) -> dict:
    keys = SUMMARY_KEYS["tuning"][1:]
    if not tune:
        return {"ran": False, **{k: None for k in keys}}
    return {"ran": True, **{k: tune.get(k) for k in keys}}


def ablations_summary(encoders: dict | None, frames: dict | None, masking: dict | None) -> dict:
    top1 = lambda probe: None if not probe else probe.get("top1")  # noqa: E731
    rq1 = None if encoders is None else [
        {"encoder": r["encoder"], "mean_pool_top1": top1(r.get("mean_pool")),
         "nextlevel_untrained_top1": top1(r.get("nextlevel_untrained")), "nextlevel_top1": top1(r.get("nextlevel")),
         "flops_per_frame": r.get("flops_per_frame")}
        for r in encoders.get("encoders", [])]
    rq2 = None if frames is None else [
        {"setting": r["name"], "frames_kept_pct": r["frames_kept_pct"], "encode_s_est": r.get("encode_s_est"),
         "mean_pool_top1": top1(r.get("mean_pool")), "nextlevel_top1": top1(r.get("nextlevel"))}
        for r in frames.get("settings", [])]
    rq4 = None if masking is None else [
        {"variant": "no pretraining (untrained)", "cos_pred": None, "cos_best_baseline": None,
         "probe_top1": top1(masking.get("nextlevel_untrained"))}] + [
        {"variant": r["name"], "cos_pred": r.get("cos_pred"),
         "cos_best_baseline": max((v for v in (r.get("cos_mean_baseline"), r.get("cos_copy_neighbour"),
                                               r.get("cos_interpolate_neighbours")) if v is not None), default=None),
         "probe_top1": top1(r.get("nextlevel"))}
        for r in masking.get("variants", [])]
    return {"ran": any(x is not None for x in (encoders, frames, masking)), "rq1_encoders": rq1,
            "rq2_frame_sampling": rq2, "rq4_masking": rq4}


def compute_summary(compute: dict) -> dict:
    encoder, top = compute.get("frame_encoder", {}), compute.get("top_model", {})
    throughput = compute.get("throughput", {})
    nodes = compute.get("nodes", [])
    return {"frame_encoder_params": encoder.get("params_total"),
            "frame_encoder_flops_per_frame": encoder.get("flops_per_frame"),
            "top_model_params_total": top.get("params_total"),
            "top_model_params_trainable": top.get("params_trainable"),
            "flops_per_video_inference": compute.get("per_video", {}).get("flops_total"),
            "flops_per_training_step": top.get("flops_per_training_step"),
            "encode_frames_per_s": throughput.get("encode_frames_per_s"),
            "pretrain_seconds": throughput.get("pretrain_seconds"),
            "peak_rss_mb": max((n["peak_rss_mb"] for n in nodes if n.get("peak_rss_mb") is not None), default=None),
            "total_node_wall_s": float(np.sum([n["wall_s"] for n in nodes])) if nodes else None}


def build_summary(sections: dict[str, dict[str, Any]]) -> dict:
    """Assemble the document; asserts every section has exactly its documented keys."""
    for name, keys in SUMMARY_KEYS.items():
        assert set(sections[name]) == set(keys), f"report_summary.{name}: {sorted(set(sections[name]) ^ set(keys))}"
    return {"schema_version": SCHEMA_VERSION, "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **{name: sections[name] for name in SUMMARY_KEYS}}
