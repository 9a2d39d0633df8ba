"""Report sections built from persisted results: data, pretraining (RQ3), downstream, video QA, tuning, compute."""

from __future__ import annotations

import pandas as pd

from nlv_kedro.evaluation.comparisons import method_results
from nlv_kedro.reporting.downstream_tables import (
    comparison_rows,
    curve_rows,
    finetune_rows,
    label_efficiency_rows,
    probe_rows,
    probe_subsets,
)
from nlv_kedro.reporting.figures import label
from nlv_kedro.reporting.pretraining_tables import baselines_table, buckets_table, gain_interval_text
from nlv_kedro.reporting.render import Plot, Section, Table, fmt, pct, si


def data_section(video_index: pd.DataFrame, quarantine: pd.DataFrame, ingest_summary: dict, plan_stats: dict,
                 encode_report: dict, data: dict, max_rows: int) -> Section:
    per_video = plan_stats.get("per_video", {})
    table = video_index.assign(
        kept=video_index["video_id"].map(lambda v: per_video.get(v, {}).get("kept_ratio")),
        chunks=video_index["video_id"].map(lambda v: per_video.get(v, {}).get("n_chunks")),
        order=video_index["order_dependent"])
    rows = []
    for name, group in table.groupby("label"):
        splits = group["split"].value_counts()
        durations = group["duration_s"].astype(float)
        counts = [int(splits.get(s, 0)) for s in ("train", "val", "test")]
        rows.append([name, bool(group["order"].any()), *counts,
                     f"{durations.mean():.1f} ({durations.min():.1f}–{durations.max():.1f})",
                     pct(group["kept"].astype(float).mean()), fmt(group["chunks"].astype(float).mean(), 1)])
    blocks: list = [
        f"**{data['n_videos']}** videos accepted, **{data['n_quarantined']}** quarantined "
        f"({ingest_summary.get('total_inputs', data['n_videos'] + data['n_quarantined'])} inputs). "
        f"Frames kept for encoding: **{fmt(data['frames_kept_pct'], 1)}%** of {fmt(data['frames_total'])} "
        f"({fmt(data['frames_kept'])} frames, {fmt(data['chunks_per_video_mean'], 1)} chunks per video on average); "
        f"frame encoder `{encode_report.get('encoder', '?')}` at {encode_report.get('input_size', '?')} px.",
        Table(["class", "order-dependent", "train", "val", "test", "duration s, mean (min–max)", "frames kept",
               "chunks / video"], rows, "Videos per class"),
        Plot("data_overview_plot", "Durations and kept frames per class."),
    ]
    if len(quarantine):
        reasons = [[r.get("video_id", ""), r.get("stage", ""), r.get("reason", "")]
                   for r in quarantine.head(max_rows).to_dict("records")]
        blocks.append(Table(["video", "stage", "reason"], reasons,
                            f"Quarantined inputs ({len(quarantine)}; first {min(max_rows, len(quarantine))} shown)"))
    else:
        blocks.append("No input was quarantined.")
    failures = plan_stats.get("failures", [])
    if failures:
        blocks.append(Table(["video", "reason"], [[f["video_id"], f["reason"]] for f in failures[:max_rows]],
                            "Videos that failed frame planning"))
    return Section("data", "Data", blocks)


def pretraining_section(history: dict, summary: dict, downstream: dict) -> Section:
    """RQ3: the pretraining curves with the collapse diagnostics, and what pretraining buys when fine-tuning."""
    verdict = ("beats every baseline" if summary["beats_baselines"] else
               "does **not** beat the best baseline") if summary["beats_baselines"] is not None else "has no verdict"
    collapse = {True: "collapse is suspected (prediction std or effective rank near their floor)",
                False: "no sign of collapse", None: "collapse diagnostics missing"}[summary["collapse_suspected"]]
    final = history.get("final", {})
    keys = ("best_val_acc", "head_top1", "head_top1_order_dependent", "head_top1_other")
    finetune = [[label(m), *(pct(t["finetune"].get(k)) for k in keys), t["finetune"].get("epochs")]
                for m, t in downstream.items() if "finetune" in t]
    return Section("rq3-pretraining", "RQ3: Pretraining and fine-tuning", [
        f"{summary['epochs']} epochs on {fmt(summary.get('train_videos'), 0)} videos "
        f"({fmt(summary.get('unlabeled_videos'), 0)} of them from the unlabeled pool), "
        f"{fmt(summary['trainable_params'])} trainable parameters, "
        f"{fmt(summary['seconds'], 0)} s. On the val split the masked-prediction cosine {verdict} "
        f"(gain {fmt(summary['val_cos_gain_over_best_baseline'])}); {collapse}: per-dimension prediction std "
        f"{fmt(summary['val_pred_std'])}, effective rank of the contextual vectors "
        f"{fmt(summary['val_effective_rank'], 1)}.",
        Plot("pretraining_curves_plot", "Loss, cosine to the masked targets against both baselines, and collapse "
                                        "diagnostics per epoch (val split)."),
        baselines_table(final),
        gain_interval_text(final),
        buckets_table(final),
        Table(["method", "best val acc %", "test acc %", "order-dep. %", "other %", "epochs"], finetune,
              "Supervised heads (early stopping on val): NextLevel fine-tuned from the pretrained weights versus the "
              "same kind of aggregator trained from scratch"),
    ])


def downstream_section(downstream: dict) -> Section:
    comparisons, subsets = downstream.get("comparisons", {}), probe_subsets(downstream)
    methods = method_results(downstream)
    probe = probe_rows(downstream, subsets)
    shots = sorted({k for t in methods.values() for k in t.get("probe", {}).get("shots", [])})
    curves = {m: dict(zip(t["probe"].get("shots", []), t["probe"].get("top1_mean", []))) for m, t in methods.items()}
    few = [[label(m)] + [pct(curve.get(k)) for k in shots] for m, curve in curves.items() if curve]
    clustering = [[label(m), t["clustering"].get("nmi"), t["clustering"].get("ari"), t["clustering"].get("purity")]
                  for m, t in methods.items() if "clustering" in t]
    ranks = [(d, k) for d in ("t2v", "v2t") for k in ("R@1", "R@5", "R@10", "MdR")]
    retrieval = [[label(m), *(fmt(t["retrieval"][d].get(k), 1) for d, k in ranks)]
                 for m, t in methods.items() if "retrieval" in t]
    best = comparisons.get("best_baseline")
    curve = curve_rows(downstream)
    pooling = methods.get("transformer_scratch", {}).get("finetune", {}).get("pooling", "?")
    ci = "difference in test top-1 points, 95% paired bootstrap CI over test videos; beats = CI above 0"
    return Section("downstream", "Downstream evaluation (test split)", [
        "Every method on the same splits with the same probe. Supervised methods saw every train label before "
        "the probe, so their few-shot numbers are not few-shot. Controls: NextLevel untrained (same architecture "
        "and pooling, random init), its trained contextual vectors mean-pooled (order-blind), and the trained "
        f"model fed shuffled chunks. The from-scratch transformer is NextLevel's architecture with its `{pooling}` "
        "pooling; the class-token one pools with a learned class token.",
        Table(["method", "top-1 %", "top-5 %", *(f"{s.replace('_', '-')} top-1 %" for s in subsets)], probe,
              "Linear probe, all train labels"),
        Table(["NextLevel", "classes", f"vs best baseline ({label(best) if best else '–'})", "beats",
               "vs untrained control", "beats"], comparison_rows(downstream), f"Linear probe: NextLevel minus the "
              f"best frozen baseline (chosen on test, so the comparison is conservative) and the control ({ci})"),
        Table(["classes", "fine-tuned minus from-scratch head", "beats"], finetune_rows(downstream),
              f"Supervised heads: NextLevel fine-tuned minus the same architecture from scratch ({ci})"),
        *([Table(["labels per class", "from scratch %", "fine-tuned %", "difference", "beats"],
                 label_efficiency_rows(downstream), f"Label efficiency of the supervised heads ({ci})")]
          if downstream.get("label_efficiency") else []),
        Table(["method", *(f"{k}-shot" for k in shots)], few, "Few-shot linear probe, test top-1 % (mean over seeds)"),
        *([Table(["NextLevel", "against", "labels per class", "difference", "beats"], curve,
                 f"Few-shot linear probe: NextLevel minus its references at each shot count ({ci}, draws averaged "
                 "per video)")] if curve else []),
        Plot("probe_curves_plot", "Few-shot linear-probe curves (mean ± std over seeds), as in the thesis' figure."),
        Table(["method", "NMI", "ARI", "purity"], clustering, "k-means clustering (k = number of classes)"),
        Table(["method", "t2v R@1", "t2v R@5", "t2v R@10", "t2v MdR", "v2t R@1", "v2t R@5", "v2t R@10", "v2t MdR"],
              retrieval, "Text-video retrieval (recall in %, median rank)"),
        Plot("retrieval_plot", "Text-to-video recall per method."),
        Plot("embedding_map_plot", "Video vectors projected on their first two principal components, coloured by "
                                   "class: mean-pooling versus NextLevel."),
    ])


def qa_section(qa: dict | None) -> Section:
    if not qa:
        return Section("video-qa", "Video question answering", [
            "**Not run**: `kedro run --pipelines=video_qa` (part of `make run`) writes `qa_metrics.json`."])
    if qa.get("skipped"):
        return Section("video-qa", "Video question answering", [f"**No QA**: skipped, {qa['skipped']}."])
    accuracy, compared, settings = qa.get("accuracy", {}), qa.get("comparisons", {}), qa.get("settings", {})
    types = sorted({k for a in accuracy.values() for k in a
                    if k not in ("overall", "n", "std", "seeds") and not k.startswith("n_")})

    def spread(a: dict, key: str) -> str:  # mean ± std over seeds (a single run shows the mean alone)
        std = a.get("std", {}).get(key)
        return fmt(a.get(key), 1) + (f" ± {fmt(std, 1)}" if a.get("seeds", 1) > 1 and std is not None else "")

    def ci(c: dict | None) -> str:
        return "–" if not c else f"{c['points']:+.1f} [{c['lo']:+.1f}, {c['hi']:+.1f}]"

    rows = [[m, spread(a, "overall"), *(spread(a, t) for t in types), a.get("seeds", 1), a.get("n")]
            for m, a in accuracy.items()]
    ci_rows = [[name.removeprefix("nextlevel_minus_"), *(ci(kinds.get(k)) for k in ("overall", *types))]
               for name, kinds in compared.items()]
    projector = settings.get("projector", {})
    positions = " + position embedding" if projector.get("position_embedding") else ""
    positions += ", trained on the choices' likelihoods" if settings.get("objective") == "choices" else ""
    blocks: list = [
        f"Frozen LLM `{settings.get('llm', '?')}`, projector `{projector.get('kind', '?')}`{positions}, "
        f"seeds {settings.get('seeds', '?')}; multiple choice scored by answer log-likelihood on the test questions "
        "(accuracy in %, mean ± std over seeds for the trained methods). `blind_*`: the same projector and training "
        "fed no information about the video (zeros, or another video's vectors); `answer_prior`: the most frequent "
        "train answer to the same question, no video.",
        Table(["method", "overall", *types, "seeds", "questions"], rows, "Accuracy by question type"),
    ]
    if ci_rows:
        blocks.append(Table(["nextlevel minus", "overall", *types], ci_rows,
                            "NextLevel's lead in points, paired bootstrap 95% CI over test questions"))
    blocks += [f"Goal `{name}`: {g.get('points')} points, CI [{g.get('lo')}, {g.get('hi')}] (target "
               f"{g.get('target')}, CI above 0): {'met' if g.get('met') else 'not met'}."
               for name, g in qa.get("goals", {}).items()]
    return Section("video-qa", "Video question answering", blocks)


def tuning_section(tune: dict | None) -> Section:
    if not tune:
        return Section("tuning", "Hyperparameter search (Optuna)", [
            "**No study yet**: `kedro run --pipelines=tune` writes `tune_summary.json`."])
    trials = sorted((t for t in tune.get("trials", []) if t.get("value") is not None),
                    key=lambda t: t["value"], reverse=tune.get("direction") == "maximize")[:10]
    return Section("tuning", "Hyperparameter search (Optuna)", [
        f"Study `{tune.get('study_name')}` ({tune.get('direction')}): {tune.get('n_trials')} trials, "
        f"{tune.get('n_complete')} complete, {tune.get('n_pruned')} pruned, {tune.get('n_failed')} failed. "
        f"Best value **{fmt(tune.get('best_value'), 4)}** with `{tune.get('best_params')}`.",
        Table(["trial", "state", "value", "params"], [[t.get("number"), t.get("state"), t.get("value"),
                                                       str(t.get("params"))] for t in trials], "Best trials"),
    ])


def compute_section(compute: dict, max_rows: int) -> Section:
    encoder, top = compute.get("frame_encoder", {}), compute.get("top_model", {})
    per_video = compute.get("per_video", {})
    models = [[f"frame encoder `{encoder.get('name')}` (frozen)", encoder.get("params_total"), 0,
               si(encoder.get("flops_per_frame")) + " per frame", "–"],
              ["NextLevel top model", top.get("params_total"), top.get("params_trainable"),
               si(top.get("flops_per_video_inference")) + " per video", si(top.get("flops_per_training_step"))]]
    for name, extra in compute.get("other_models", {}).items():
        models.append([name, extra.get("params_total"), extra.get("params_trainable"), "–", "–"])
    throughput = compute.get("throughput", {})
    nodes = sorted(compute.get("nodes", []), key=lambda n: -n["wall_s"])[:max_rows]
    blocks: list = [
        Table(["model", "parameters", "trainable", "FLOPs at inference", "FLOPs per training step"], models,
              "Parameters and FLOPs (torch.utils.flop_counter: matmuls, convolutions, attention)"),
        f"One video at inference ({fmt(per_video.get('frames_kept_mean'), 1)} kept frames, "
        f"{fmt(per_video.get('chunks_mean'), 1)} chunks on average): **{si(per_video.get('flops_total'))}FLOPs**, "
        f"of which the top model {si(per_video.get('flops_top_model'))}. A training step: batch of "
        f"{top.get('train_batch', {}).get('batch_size')} videos x {top.get('train_batch', {}).get('chunks')} chunks, "
        "forward, loss and backward (optimizer update not counted).",
        Table(["measure", "value"], [[k.replace("_", " "), fmt(v, 2)] for k, v in throughput.items()],
              "Throughput (from the persisted run reports)"),
    ]
    if nodes:
        blocks.append(Table(["node", "wall s", "peak RSS MB", "RSS growth MB", "status", "finished"],
                            [[n["name"], fmt(n["wall_s"], 1), fmt(n["peak_rss_mb"], 0), fmt(n.get("rss_growth_mb"), 0),
                              n.get("status"), n.get("finished_at")] for n in nodes],
                            "Wall time and memory per node (NodeTimingHooks; peak RSS is the process high-water mark)"))
    else:
        blocks.append("No node timings yet: `data/08_reporting/node_timings.json` is written by the timing hook "
                      "during any `kedro run`.")
    return Section("compute", "Compute accounting", blocks)
