"""Report sections of the research-question sweeps (RQ1, RQ2, RQ4), from the `ablations` JSON results."""

from __future__ import annotations

from nlv_kedro.reporting.render import Plot, Section, Table, fmt, pct, si

_NOT_RUN = "**Not run**: `kedro run --pipelines=ablations` writes it (a few minutes with the default sweep)."


def _probe(probe: dict | None, key: str = "top1") -> str:
    return pct(None if not probe else probe.get(key))


def encoders_section(result: dict | None) -> Section:
    """RQ1: pretrained image encoders on sequences of frames."""
    if result is None:
        return Section("rq1-encoders", "RQ1: Image encoders on sequences of frames", [_NOT_RUN])
    rows = []
    for r in result.get("encoders", []):
        if not r.get("available"):
            rows.append([r["encoder"], "not available here: " + r.get("error", "")[:80]] + [None] * 10)
            continue
        rows.append([r["encoder"], f"{r['input_size'][0]} px", r["params"], si(r["flops_per_frame"]),
                     fmt(r["forward_frames_per_s"], 1), _probe(r["mean_pool"]), _probe(r.get("temporal_pool")),
                     _probe(r.get("nextlevel_untrained")),
                     _probe(r["nextlevel"]),
                     _probe(r["mean_pool"], "top1_order_dependent"), _probe(r["nextlevel"], "top1_order_dependent"),
                     r["diagnostics"].get("cos_gain_over_best_baseline")])
    videos = result.get("videos", {})
    per_chunk = result.get("frames_per_chunk")
    frames = "every kept frame" if per_chunk is None else f"{per_chunk} frame(s) per chunk"
    return Section("rq1-encoders", "RQ1: Image encoders on sequences of frames", [
        f"Each frozen encoder embeds the same planned chunks ({frames}) of {videos.get('train')} train and "
        f"{videos.get('val')} val videos; mean-pooling is compared with a NextLevel model pretrained for "
        f"{result.get('pretrain_epochs')} epochs on that encoder's vectors of the train videos. "
        "Accuracy: linear probe fit on train, scored on val; \"untrained\" is the same NextLevel model before "
        "pretraining, so NextLevel minus untrained is what pretraining adds; \"temporal-pool\" is the mean of "
        "each part of the frozen chunk vectors (NextLevel's own pooling), so NextLevel minus temporal-pool is "
        "what the top model adds beyond order-aware pooling.",
        Table(["encoder", "input", "parameters", "FLOPs / frame", "forward frames/s", "mean-pool",
               "temporal-pool", "NextLevel untrained", "NextLevel",
               "mean-pool order-dep.", "NextLevel order-dep.", "NextLevel cos gain"], rows, "Val top-1 (%)"),
        Plot("encoder_comparison_plot", "Val accuracy per encoder, and its cost per frame."),
    ])


def frame_sampling_section(result: dict | None) -> Section:
    """RQ2: processing videos without every frame."""
    if result is None:
        return Section("rq2-frames", "RQ2: Efficient processing (frames kept vs accuracy)", [_NOT_RUN])
    rows = [[r["name"], r["axis"], fmt(r["frames_kept_pct"], 2) + "%", fmt(r["chunks_per_video"], 1),
             fmt(r.get("encode_s_est"), 1), _probe(r["mean_pool"]), _probe(r.get("temporal_pool")),
             _probe(r.get("nextlevel")),
             _probe(r["mean_pool"], "top1_order_dependent"), _probe(r.get("nextlevel"), "top1_order_dependent")]
            for r in result.get("settings", [])]
    videos = result.get("videos", {})
    return Section("rq2-frames", "RQ2: Efficient processing (frames kept vs accuracy)", [
        f"One axis at a time around the preprocessing parameters, on {videos.get('train')} train and "
        f"{videos.get('val')} val videos, encoder `{result.get('encoder')}`; NextLevel is the main run's pretrained "
        "top model applied to the re-planned chunks. Encode time = frames kept x "
        f"{fmt(result.get('seconds_per_frame'), 4)} s per frame measured on the {result.get('frames_encoded')} frames "
        "this sweep had to encode (the others were reused from `chunk_embeddings`).",
        Table(["setting", "axis", "frames kept", "chunks / video", "encode s (est.)", "mean-pool",
               "temporal-pool", "NextLevel",
               "mean-pool order-dep.", "NextLevel order-dep."], rows, "Val top-1 (%) per setting"),
        Plot("frames_vs_accuracy_plot", "Accuracy against the share of frames the encoder has to see."),
    ])


def _interval(ci: dict | None) -> str:
    return "–" if not ci else f"{ci['diff']:+.3f} [{fmt(ci.get('lo'))}, {fmt(ci.get('hi'))}]"


def masking_section(result: dict | None, history: dict) -> Section:
    """RQ4: how effective masked embedding prediction is, per masking and loss variant."""
    final = history.get("final", {})
    main = (f"Main run: prediction cosine {fmt(final.get('val/cos_pred'))} versus "
            f"{fmt(final.get('val/cos_copy_neighbour'))} for copying the nearest visible chunk, "
            f"{fmt(final.get('val/cos_interpolate_neighbours'))} for interpolating the visible chunks around it, "
            f"{fmt(final.get('val/cos_interpolate_shrunk'))} for that interpolation shrunk toward the train mean and "
            f"{fmt(final.get('val/cos_mean_baseline'))} for predicting the train mean (val split, encoder space).")
    if result is None:
        return Section("rq4-masking", "RQ4: Masked embedding prediction", [main, _NOT_RUN])
    rows = [[r["name"], r["masking"], fmt(r["mask_ratio"], 2), r["loss"], r["cos_pred"], r["cos_copy_neighbour"],
             r.get("cos_interpolate_shrunk"), r["cos_mean_baseline"], r["cos_gain_over_best_baseline"],
             _interval(r.get("gain_over_shrunk_interpolation")), r["pred_std"], fmt(r["effective_rank"], 1),
             _probe(r["nextlevel"]), _probe(r["nextlevel"], "top1_order_dependent")]
            for r in result.get("variants", [])]
    videos, model = result.get("videos", {}), result.get("model", {})
    return Section("rq4-masking", "RQ4: Masked embedding prediction", [
        main,
        f"Variants pretrained for {result.get('pretrain_epochs')} epochs on {videos.get('train')} train videos "
        f"(d_model {model.get('d_model')}, {model.get('n_layers')} layers); the probe is fit on the same videos and "
        f"scored on {videos.get('val')} val videos. Mean-pooling on the same probe: "
        f"**{_probe(result.get('mean_pool'))}** "
        f"(order-dependent {_probe(result.get('mean_pool'), 'top1_order_dependent')}); the same NextLevel model "
        f"before pretraining: **{_probe(result.get('nextlevel_untrained'))}** "
        f"(order-dependent {_probe(result.get('nextlevel_untrained'), 'top1_order_dependent')}).",
        Table(["variant", "masking", "ratio", "loss", "cos pred", "cos copy", "cos shrunk interp.", "cos mean",
               "gain", "pred − shrunk interp. [95% CI]", "pred std", "eff. rank", "probe %", "probe order-dep. %"],
              rows, "Val split, last epoch; gain = over the best baseline; the interval resamples val videos"),
        Plot("masking_ablation_plot",
             "Masked-prediction cosine against both baselines, and the val probe, per variant."),
    ])
