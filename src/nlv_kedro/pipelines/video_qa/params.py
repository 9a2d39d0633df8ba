"""Typed parameters of the `video_qa` pipeline (conf/base/parameters_video_qa.yml)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from nlv_kedro.qa.module import TrainConfig

Method = Literal["text_only", "mean_pool", "frozen_chunks", "nextlevel"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LLMParams(_Strict):
    name: str = "smollm2"                          # packaged name (smollm2, tinycoder) or hf:<model id or local dir>
    cache_dir: str = "data/06_models/llm_cache"    # packaged GGUF models are converted once into <cache_dir>/<name>
    trust_remote_code: bool = False
    # None: the model's own default (SmolLM2's is ~20 tokens); short, because every prompt token costs CPU time
    system_prompt: str | None = "Answer the question about the video in a few words."


class ProjectorParams(_Strict):
    kind: Literal["linear", "mlp"] = "mlp"
    hidden_dim: int = Field(1024, ge=1)
    max_tokens: int = Field(8, ge=1)               # soft tokens per video; adjacent chunks are pooled beyond it
    dropout: float = Field(0.0, ge=0, lt=1)


class LoraParams(_Strict):
    enabled: bool = False
    r: int = Field(8, ge=1)
    alpha: int = Field(16, ge=1)
    target_modules: list[str] = ["q_proj", "v_proj"]


class TrainingParams(_Strict):
    lr: float = Field(5e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    max_epochs: int = Field(3, ge=1)
    patience: int = Field(1, ge=1)
    batch_size: int = Field(4, ge=1)
    accelerator: str = "cpu"


class VideoQAParams(_Strict):
    seed: int = 0
    # compared on the same test questions; the `nextlevel` projector is the one saved and used by the CLI
    methods: list[Method] = Field(["text_only", "mean_pool", "nextlevel"], min_length=1)
    llm: LLMParams = LLMParams()
    projector: ProjectorParams = ProjectorParams()
    training: TrainingParams = TrainingParams()
    lora: LoraParams = LoraParams()
    score_reduction: Literal["sum", "mean"] = "sum"
    score_batch_size: int = Field(32, ge=1)
    max_questions_per_split: int | None = Field(None, ge=1)  # quick runs: the first N QA pairs of each split

    def train_config(self) -> TrainConfig:
        lora = {"r": self.lora.r, "lora_alpha": self.lora.alpha, "target_modules": list(self.lora.target_modules)} \
            if self.lora.enabled else {}
        return TrainConfig(lr=self.training.lr, weight_decay=self.training.weight_decay,
                           max_epochs=self.training.max_epochs, patience=self.training.patience,
                           batch_size=self.training.batch_size, seed=self.seed,
                           accelerator=self.training.accelerator, lora=lora)
