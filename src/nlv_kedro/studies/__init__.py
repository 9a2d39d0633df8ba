"""Research studies on the train/val splits: the ablation sweeps (RQ1 encoders, RQ2 frame sampling, RQ4
masking) and the pieces they share with tuning: a short pretraining, the val probe, nested MLflow runs.

Every sweep fits the same linear probe (``ablations.probe_c``, no selection) on the subset's train videos and
scores it on its val videos; the test split is left to the main evaluation. Result schemas (JSON):

- ``ablation_encoders`` (RQ1): ``{videos: {train, val}, frames_per_chunk, pretrain_epochs, encoders: [{encoder,
  available, error?, dim, input_size, params, flops_per_frame, forward_frames_per_s, frames_encoded,
  encode_seconds, reused_chunk_embeddings, frames_per_chunk_encoded, pretrain_seconds, diagnostics: {...},
  mean_pool: PROBE, nextlevel: PROBE, nextlevel_untrained: PROBE}]}``
- ``ablation_frame_sampling`` (RQ2): ``{encoder, videos, frames_encoded, encode_seconds, seconds_per_frame,
  reused_chunk_embeddings, settings: [{name, axis, target_fps, dedup_threshold, chunking, frames_total,
  frames_sampled, frames_kept, frames_kept_pct, chunks_per_video, encode_s_est, mean_pool: PROBE,
  nextlevel: PROBE | null}]}`` (``axis`` = base | target_fps | dedup_threshold | chunking)
- ``ablation_masking`` (RQ4): ``{videos: {train, val}, pretrain_epochs, model, mean_pool: PROBE,
  nextlevel_untrained: PROBE, variants: [{name, masking, mask_ratio, loss, pretrain_seconds, cos_pred,
  cos_mean_baseline, cos_copy_neighbour, cos_interpolate_neighbours, cos_pred_standardized,
  cos_copy_neighbour_standardized, cos_gain_over_best_baseline, pred_std, effective_rank, nextlevel: PROBE}]}``

``PROBE`` = ``{top1, top1_order_dependent, top1_other}`` (val accuracy in [0, 1]); ``diagnostics`` has the RQ4
cosine keys. ``nextlevel_untrained`` probes the pretraining's starting point (same seed and config, no training):
the difference to ``nextlevel`` is what pretraining adds beyond the architecture (temporal pooling alone sees
order). RQ1 and RQ2 rows also carry ``temporal_pool: PROBE`` (the order-aware frozen baseline). A disabled sweep
saves ``{"disabled": true}`` (Kedro never saves ``None``); the report shows it, like a missing file, as "not run".
"""
