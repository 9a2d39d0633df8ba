"""Seed-study node: the pretraining recipe with several seeds against its controls (schema in
:mod:`nlv_kedro.studies.seeds`). A disabled study saves ``{"disabled": true}``."""

from __future__ import annotations

import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.studies.params import SeedStudyParams
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.config import PretrainParams


def run_seed_study(video_index: pd.DataFrame, unlabeled_index: pd.DataFrame | None, chunk_embeddings: EmbeddingStore,
                   encode_report: dict, top_model: TopModelArtifact, pretrain: PretrainParams,
                   params: SeedStudyParams, class_groups: dict[str, list[str]]) -> dict:
    """Every seed of the recipe, probed on test with the untrained control and the frozen pooling baselines.

    ``encode_report`` is read only to order this step after `encode`, which fills ``chunk_embeddings`` in place.
    """
    if not params.enabled:
        return {"disabled": True}
    from nlv_kedro.studies.seeds import run_seed_study as run

    return run(video_index, chunk_embeddings, pretrain, top_model, params, class_groups, unlabeled_index)
