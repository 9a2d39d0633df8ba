"""Ablation nodes: the research-question sweeps of :mod:`nlv_kedro.studies` on a train/val subset (result
schemas in the studies package docstring). A disabled sweep saves ``{"disabled": true}``."""

from __future__ import annotations

import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders.config import EncodeConfig
from nlv_kedro.studies.params import AblationParams
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.config import PretrainParams
from nlv_kedro.video.config import PlanConfig

# The sweeps (torch, Lightning, MLflow, scikit-learn) are imported inside the nodes: registration must stay fast.

DISABLED = {"disabled": True}


def select_ablation_videos(video_index: pd.DataFrame, chunk_plan: dict, chunk_embeddings: EmbeddingStore,
                           encode_report: dict, params: AblationParams) -> pd.DataFrame:
    """The seeded train/val subset every sweep uses (only videos that were planned and encoded).

    ``encode_report`` is read only to order this step after `encode`, which fills ``chunk_embeddings`` in place.
    """
    from nlv_kedro.studies.videos import select_videos

    available = set(chunk_plan) & set(chunk_embeddings.ids())
    return select_videos(video_index, available, params.videos.train_per_class, params.videos.val_per_class,
                         params.seed)


def sweep_frame_sampling(videos: pd.DataFrame, chunk_embeddings: EmbeddingStore, top_model: TopModelArtifact,
                         encode_report: dict, root: str, preprocess: PlanConfig, encode: EncodeConfig,
                         params: AblationParams) -> dict:
    """RQ2: frames kept, encode time and val accuracy per sampling rate, dedup threshold and chunking."""
    if not params.frame_sampling.enabled:
        return dict(DISABLED)
    from nlv_kedro.encoders import build_frame_encoder
    from nlv_kedro.studies.frame_sampling import frame_sampling_sweep

    encoder = build_frame_encoder(encode.frame_encoder, encode.image_size, encode.resolved_device(),
                                  encode.trust_remote_code)
    return frame_sampling_sweep(videos, root, chunk_embeddings, top_model, encoder, preprocess,
                                params.frame_sampling, params.probe_c, encode.pooling, encode.batch_size,
                                encode.num_workers, (encode_report or {}).get("frames_per_s"))


def compare_frame_encoders(videos: pd.DataFrame, chunk_plan: dict, chunk_embeddings: EmbeddingStore, root: str,
                           encode: EncodeConfig, pretrain: PretrainParams, params: AblationParams) -> dict:
    """RQ1: every listed frame encoder with mean-pooling and its own short-pretrained NextLevel model."""
    if not params.encoders.enabled:
        return dict(DISABLED)
    from nlv_kedro.studies.encoders import encoder_sweep

    return encoder_sweep(videos, chunk_plan, root, chunk_embeddings, params.pretrain_params(pretrain),
                         params.encoders, encode.image_size, params.probe_c, encode.pooling, encode.batch_size,
                         encode.num_workers, encode.resolved_device())


def sweep_masking(videos: pd.DataFrame, chunk_embeddings: EmbeddingStore, pretrain: PretrainParams,
                  params: AblationParams) -> dict:
    """RQ4: masking ratio / strategy and loss variants: masked-prediction cosine vs baselines, val probe."""
    if not params.masking.enabled:
        return dict(DISABLED)
    from nlv_kedro.studies.masking import masking_sweep

    return masking_sweep(videos, chunk_embeddings, pretrain, params)
