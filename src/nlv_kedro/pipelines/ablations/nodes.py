"""Ablation nodes: the research-question sweeps on a subset of the train/val videos, probed on val.

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
  nextlevel_untrained: PROBE, variants: [{name, masking, mask_ratio, loss, pretrain_seconds, cos_pred, cos_mean_baseline, cos_copy_neighbour,
  cos_pred_standardized, cos_copy_neighbour_standardized, cos_gain_over_best_baseline, pred_std, effective_rank,
  nextlevel: PROBE}]}``

``PROBE`` = ``{top1, top1_order_dependent, top1_other}`` (val accuracy in [0, 1]); ``diagnostics`` has the RQ4
cosine keys. ``nextlevel_untrained`` probes the pretraining's starting point (same seed and config, no training):
the difference to ``nextlevel`` is what pretraining adds beyond the architecture (temporal pooling alone sees order). A disabled sweep saves ``{"disabled": true}`` (Kedro never saves ``None``); the report shows it,
like a missing file, as "not run".
"""

from __future__ import annotations

import logging

import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders import build_frame_encoder
from nlv_kedro.pipelines.ablations.common import select_videos
from nlv_kedro.pipelines.ablations.frame_sampling import frame_sampling_sweep
from nlv_kedro.pipelines.ablations.models import encoder_sweep, masking_sweep
from nlv_kedro.pipelines.ablations.params import AblationParams
from nlv_kedro.pipelines.encode.params import EncodeParams
from nlv_kedro.pipelines.preprocess.params import PreprocessParams
from nlv_kedro.training.recipe import PretrainParams
from nlv_kedro.training.artifact import TopModelArtifact

logger = logging.getLogger(__name__)

DISABLED = {"disabled": True}


def select_ablation_videos(video_index: pd.DataFrame, chunk_plan: dict, chunk_embeddings: EmbeddingStore,
                           params: AblationParams) -> pd.DataFrame:
    """The seeded train/val subset every sweep uses (only videos that were planned and encoded)."""
    available = set(chunk_plan) & set(chunk_embeddings.ids())
    videos = select_videos(video_index, available, params.videos.train_per_class, params.videos.val_per_class,
                           params.seed)
    logger.info("ablations: %d train and %d val videos", (videos["split"] == "train").sum(),
                (videos["split"] == "val").sum())
    return videos


def sweep_frame_sampling(videos: pd.DataFrame, chunk_embeddings: EmbeddingStore, top_model: TopModelArtifact,
                         encode_report: dict, root: str, preprocess: PreprocessParams, encode: EncodeParams,
                         params: AblationParams) -> dict:
    """RQ2: frames kept, encode time and val accuracy per sampling rate, dedup threshold and chunking."""
    if not params.frame_sampling.enabled:
        return dict(DISABLED)
    encoder = build_frame_encoder(encode.frame_encoder, encode.image_size, encode.resolved_device(),
                                  encode.trust_remote_code)
    return frame_sampling_sweep(videos, root, chunk_embeddings, top_model, encoder, preprocess.plan_config(),
                                params.frame_sampling, params.probe_c, encode.pooling, encode.batch_size,
                                encode.num_workers, (encode_report or {}).get("frames_per_s"))


def compare_frame_encoders(videos: pd.DataFrame, chunk_plan: dict, chunk_embeddings: EmbeddingStore, root: str,
                           encode: EncodeParams, pretrain: PretrainParams, params: AblationParams) -> dict:
    """RQ1: every listed frame encoder with mean-pooling and its own short-pretrained NextLevel model."""
    if not params.encoders.enabled:
        return dict(DISABLED)
    return encoder_sweep(videos, chunk_plan, root, chunk_embeddings, params.pretrain_params(pretrain),
                         params.encoders, encode.image_size, params.probe_c, encode.pooling, encode.batch_size,
                         encode.num_workers, encode.resolved_device())


def sweep_masking(videos: pd.DataFrame, chunk_embeddings: EmbeddingStore, pretrain: PretrainParams,
                  params: AblationParams) -> dict:
    """RQ4: masking ratio / strategy and loss variants: masked-prediction cosine vs baselines, val probe."""
    if not params.masking.enabled:
        return dict(DISABLED)
    return masking_sweep(videos, chunk_embeddings, pretrain, params)
