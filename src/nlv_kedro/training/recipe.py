"""A pretraining recipe: the `pretrain` parameters (conf/base/parameters_pretrain.yml), built directly from each
concept's own config class, and the run of one recipe on the encoded train/val videos."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import pandas as pd
from pydantic import Field

from nlv_kedro.config import Strict, deep_merge
from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.models.nextlevel import NextLevelConfig
from nlv_kedro.serving.registry import RegistryConfig
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.data import Sequences, load_sequences
from nlv_kedro.training.fit import TrainerConfig, fit_masked_pretraining
from nlv_kedro.training.objective import ObjectiveConfig, OptimConfig

logger = logging.getLogger(__name__)

BEST_PARAMS_FILE = "data/06_models/best_params.yml"


class PretrainParams(Strict):
    """Everything one pretraining needs; ``model.input_dim`` is replaced by the encoder's width at fit time."""

    model: NextLevelConfig = NextLevelConfig()
    objective: ObjectiveConfig = ObjectiveConfig()
    optim: OptimConfig = OptimConfig()
    trainer: TrainerConfig = TrainerConfig()
    registry: RegistryConfig = RegistryConfig()
    use_best_params: bool = Field(False, description="merge `best_params` (from the tune pipeline) over these")

    def merged(self, overrides: Mapping[str, Any]) -> PretrainParams:
        """These params with ``overrides`` (a nested dict, e.g. `best_params`) merged over them, validated
        again as a whole: an override that breaks a constraint fails here, naming the key."""
        return PretrainParams.model_validate(deep_merge(self.model_dump(), overrides))

    def network_config(self, input_dim: int) -> NextLevelConfig:
        """The model config for chunk vectors of width ``input_dim``."""
        return NextLevelConfig.model_validate({**self.model.model_dump(), "input_dim": input_dim})

    def scratch(self, checkpoint_dir: str) -> PretrainParams:
        """A throwaway variant for studies: checkpoints in ``checkpoint_dir``, no resume, no progress bar."""
        trainer = self.trainer.model_copy(update={"checkpoint_dir": checkpoint_dir, "resume": False,
                                                  "enable_progress_bar": False})
        return self.model_copy(update={"trainer": trainer})


def check_override_keys(overrides: Mapping[str, Any], where: str, model: type[Strict] = PretrainParams) -> None:
    """Fail fast if a nested override (e.g. `tune.trial_overrides`) names a key ``model`` does not have; values
    are checked later, merged over the actual pretrain params."""
    for key, value in overrides.items():
        field = model.model_fields.get(key)
        if field is None:
            raise ValueError(f"{where}.{key} is not a pretrain parameter; known keys: {sorted(model.model_fields)}")
        sub = field.annotation
        if isinstance(value, Mapping) and isinstance(sub, type) and issubclass(sub, Strict):
            check_override_keys(value, f"{where}.{key}", sub)


def with_best_params(params: PretrainParams, best_params: dict | None) -> PretrainParams:
    """``params`` with the tune pipeline's `best_params` merged over them when ``use_best_params`` is on."""
    if not params.use_best_params:
        return params
    if not best_params:
        raise FileNotFoundError(f"pretrain.use_best_params is true but there are no best_params ({BEST_PARAMS_FILE})"
                                ": run `kedro run --pipelines=tune` first")
    logger.info("pretrain: using best_params from the tune pipeline: %s", best_params)
    try:
        return params.merged(best_params)
    except ValueError as exc:
        raise ValueError(f"best_params ({BEST_PARAMS_FILE}) do not fit the pretrain params: {exc}; "
                         "rerun `kedro run --pipelines=tune` or edit the file") from exc


def split_ids(video_index: pd.DataFrame, store: EmbeddingStore) -> dict[str, list[str]]:
    """Video ids per split, keeping only videos that have stored chunk embeddings."""
    stored = set(store.ids())
    if not stored:
        raise FileNotFoundError(f"no chunk embeddings in {store.root}: run `kedro run --pipelines=encode` first")
    splits = {name: [v for v in group["video_id"].astype(str) if v in stored]
              for name, group in video_index.groupby("split")}
    if not splits.get("train") or not splits.get("val"):
        raise ValueError("pretraining needs encoded videos in both the 'train' and 'val' splits of video_index; "
                         f"found {({k: len(v) for k, v in splits.items()})}")
    return splits


def fit_recipe(train: Sequences, val: Sequences, params: PretrainParams,
               callbacks: tuple = ()) -> tuple[TopModelArtifact, dict]:
    """:func:`fit_masked_pretraining` with every config taken from ``params``."""
    return fit_masked_pretraining(train, val, params.network_config(train.dim), params.objective, params.optim,
                                  params.trainer, callbacks=callbacks)


def pretrain_on_splits(video_index: pd.DataFrame, store: EmbeddingStore,
                       params: PretrainParams) -> tuple[TopModelArtifact, dict]:
    """Train on the encoded train split, validate on val; the history gains timing and video counts."""
    splits = split_ids(video_index, store)
    train, val = load_sequences(store, splits["train"]), load_sequences(store, splits["val"])
    start = time.perf_counter()
    artifact, history = fit_recipe(train, val, params)
    encoder_fps = {store.metadata(v).get("encoder_fingerprint", "") for v in splits["train"][:50]}
    artifact.info.update({"encoder_fingerprints": sorted(encoder_fps), "train_videos": len(train),
                          "val_videos": len(val)})
    history.update({"seconds": round(time.perf_counter() - start, 2), "train_videos": len(train),
                    "val_videos": len(val)})
    return artifact, history
