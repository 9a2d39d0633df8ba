"""Torch-free configs of a pretraining (the `pretrain` parameter section), importable at pipeline registration
without paying for torch, Lightning or MLflow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from nlv_kedro.config import Strict, deep_merge
from nlv_kedro.models.config import NextLevelConfig
from nlv_kedro.serving.config import RegistryConfig
from nlv_kedro.training.objective import ObjectiveConfig, OptimConfig


class TrainerConfig(Strict):
    """How a pretraining runs (the `pretrain.trainer` parameter section): Lightning Trainer settings, the seed,
    and where checkpoints go and whether to resume from them."""

    max_epochs: int = Field(20, ge=1)
    batch_size: int = Field(32, ge=1)
    max_train_chunks: int = Field(64, ge=2)  # training crop length; longer videos get a random window
    accelerator: str = "auto"
    devices: int | str = "auto"
    strategy: str = "auto"  # Lightning's own: ddp, fsdp, ... for multi-GPU / multi-node
    num_nodes: int = Field(1, ge=1)
    precision: str = "auto"  # auto: bf16-mixed on CUDA with bf16 support, else 32-true
    gradient_clip_val: float = Field(1.0, ge=0)
    num_workers: int = Field(0, ge=0)
    log_every_n_steps: int = Field(5, ge=1)
    early_stopping_patience: int | None = Field(None, ge=1)
    seed: int = 0
    checkpoint_dir: str = "data/06_models/pretrain_checkpoints"
    resume: bool = False  # continue from checkpoint_dir/last.ckpt when it exists
    fast_dev_run: bool = False
    enable_progress_bar: bool = True


class PretrainParams(Strict):
    """Everything one pretraining needs; ``model.input_dim`` is replaced by the encoder's width at fit time."""

    model: NextLevelConfig = NextLevelConfig()
    objective: ObjectiveConfig = ObjectiveConfig()
    optim: OptimConfig = OptimConfig()
    trainer: TrainerConfig = TrainerConfig()
    registry: RegistryConfig = RegistryConfig()
    use_best_params: bool = Field(False, description="merge `best_params` (from the tune pipeline) over these")
    use_unlabeled: bool = Field(True, description="also train on `unlabeled_index` (ingest.unlabeled_splits)")

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


class ClassifierConfig(Strict):
    """Supervised training of a sequence classifier (the schema of ``downstream.supervised``)."""

    lr: float = Field(3e-4, gt=0)
    pretrained_lr_scale: float = Field(0.3, gt=0, le=1, description="learning-rate factor of the pretrained "
                                       "network's weights when fine-tuning (its head and every from-scratch "
                                       "network train at lr): below 1 keeps the pretrained features closer; 0.3 was "
                                       "chosen on the study's val split (docs/finetune_trials.md)")
    pretrained_head_init: Literal["random", "probe"] = Field(
        "random", description="how a fine-tuned model's new head starts: random, or probe (a logistic regression "
        "fitted on the pretrained model's pooled train vectors, LP-FT); from-scratch networks always start random")
    weight_decay: float = Field(0.05, ge=0)
    max_epochs: int = Field(30, ge=1)
    patience: int = Field(5, ge=1, description="epochs without a better val accuracy before stopping")
    batch_size: int = Field(16, ge=1)
    max_chunks: int = Field(64, ge=1, description="chunks per video seen in training (longer videos are cut)")
    label_smoothing: float = Field(0.1, ge=0, lt=1)
    accelerator: str = "auto"
    deterministic: bool = Field(True, description="torch.use_deterministic_algorithms (warn-only) from training "
                                "on: same seed, same weights on a GPU too (no effect on CPU results)")
    checkpoint_dir: str = Field("data/06_models/downstream_checkpoints",
                                description="last.ckpt of each method, every epoch, in <checkpoint_dir>/<method>")
    resume: bool = Field(False, description="continue each method from its last.ckpt when it exists")
