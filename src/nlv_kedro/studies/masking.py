"""RQ4, masked embedding prediction: which masking ratio, strategy and loss make the best pretraining?

One model is pretrained per variant on the subset's train videos; the collapse/shortcut diagnostics of its last
validation (the subset's val videos) are read next to the val probe accuracy of its pooled vectors.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.studies.params import AblationParams, MaskingVariant
from nlv_kedro.studies.pretraining import diagnostics, short_pretraining, untrained_model
from nlv_kedro.studies.probe import mean_pool_vectors, probe_on_val
from nlv_kedro.studies.videos import split_sequences
from nlv_kedro.training.artifact import pooled_vectors
from nlv_kedro.training.data import Sequences, load_sequences
from nlv_kedro.training.recipe import PretrainParams

logger = logging.getLogger(__name__)


def _variant_row(variant: MaskingVariant, subset: Sequences, videos: pd.DataFrame, base: PretrainParams,
                 params: AblationParams) -> dict:
    pretrain = params.pretrain_params(base, variant.objective)
    train, val = split_sequences(subset, videos, "train"), split_sequences(subset, videos, "val")
    artifact, history, seconds = short_pretraining(train, val, pretrain, f"rq4 {variant.name}")
    objective = pretrain.objective
    return {"name": variant.name, "masking": objective.masking, "mask_ratio": objective.mask_ratio,
            "loss": "+".join(objective.loss_weights) or objective.loss, "pretrain_seconds": round(seconds, 2),
            **diagnostics(history["final"]), **_interpolation_baselines(history["final"]),
            "nextlevel": probe_on_val(pooled_vectors(artifact, subset), videos, params.probe_c)}


def _interpolation_baselines(final: dict[str, float]) -> dict:
    """The interpolation baselines of the variant's last validation: shrunk (encoder space, factor best on val),
    plain in the standardized space, and the per-video interval of the model's gain over shrunk interpolation."""
    get = lambda key: float(final[key]) if key in final else None  # noqa: E731
    key = "val/gain_over_shrunk_interpolation"
    return {"cos_interpolate_shrunk": get("val/cos_interpolate_shrunk"),
            "cos_interpolate_neighbours_standardized": get("val/cos_interpolate_neighbours_standardized"),
            "gain_over_shrunk_interpolation": None if key not in final else
            {"diff": get(key), "lo": get(f"{key}_lo"), "hi": get(f"{key}_hi")}}


def masking_sweep(videos: pd.DataFrame, store: EmbeddingStore, base: PretrainParams, params: AblationParams) -> dict:
    """RQ4: one row per variant, with the masked-prediction cosine, its two baselines and the val probe."""
    subset = load_sequences(store, videos["video_id"].tolist())
    train, val = split_sequences(subset, videos, "train"), split_sequences(subset, videos, "val")
    shared = params.pretrain_params(base)
    mean_pool = probe_on_val(mean_pool_vectors(subset), videos, params.probe_c)
    untrained = probe_on_val(pooled_vectors(untrained_model(shared, train), subset), videos, params.probe_c)
    rows = []
    for variant in params.masking.variants:
        rows.append(_variant_row(variant, subset, videos, base, params))
        logger.info("RQ4 %-28s cos %.3f (copy %.3f)  probe %.3f", variant.name, rows[-1]["cos_pred"] or np.nan,
                    rows[-1]["cos_copy_neighbour"] or np.nan, rows[-1]["nextlevel"]["top1"])
    return {"videos": {"train": len(train), "val": len(val)}, "pretrain_epochs": shared.trainer.max_epochs,
            "model": shared.model.model_dump(exclude={"input_dim"}), "mean_pool": mean_pool,
            "nextlevel_untrained": untrained, "variants": rows}
