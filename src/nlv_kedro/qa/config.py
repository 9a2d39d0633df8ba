"""The video-QA settings (the schema of ``parameters_video_qa.yml``): which frozen LLM, which projector, how
it trains and how the compared methods are scored."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nlv_kedro.config import Strict

# text_only(_normalized): the frozen LLM without video, choices scored by summed (per-token mean) log-likelihood;
# blind_constant / blind_shuffled: the NextLevel projector trained on a constant input / on another video's vectors
Method = Literal["text_only", "text_only_normalized", "mean_pool", "frozen_chunks", "nextlevel", "blind_constant",
                 "blind_shuffled"]


class TrainConfig(Strict):
    """Training of the projector (the schema of ``video_qa.training``)."""

    lr: float = Field(5e-3, gt=0)            # AdamW; the projector is small and starts from scratch
    weight_decay: float = Field(0.0, ge=0)
    max_epochs: int = Field(2, ge=1)
    patience: int = Field(1, ge=1)           # epochs without a better val loss before stopping
    batch_size: int = Field(4, ge=1)
    # answer: next-token loss on the answer's tokens (LLaVA); choices: plus softmax cross-entropy over the offered
    # choices' log-likelihoods, the ranking that scoring uses (T-Few's choice loss); every QA row needs choices
    objective: Literal["answer", "choices"] = "answer"
    accelerator: str = "cpu"                 # "auto" uses a GPU when there is one
    # torch.use_deterministic_algorithms (warn-only) from training on: the same seed trains the same weights on a
    # GPU too (no effect on CPU results); Lightning also sets CUBLAS_WORKSPACE_CONFIG when it is unset
    deterministic: bool = True
    checkpoint_dir: str = "data/06_models/video_qa_checkpoints"  # <dir>/<method>/last.ckpt, every epoch
    resume: bool = False                     # continue each method from its last.ckpt when it exists


class LLMConfig(Strict):
    name: str = "smollm2"                          # packaged name (smollm2, tinycoder) or hf:<model id or local dir>
    cache_dir: str = "data/06_models/llm_cache"    # packaged GGUF models are converted once into <cache_dir>/<name>
    trust_remote_code: bool = False
    # None: the model's own default (SmolLM2's is ~20 tokens); short, because every prompt token costs CPU time
    system_prompt: str | None = "Answer the question about the video in a few words."


class ProjectorSpec(Strict):
    """The projector's shape; its input and LLM sizes come from the data and the LLM (``bridge.ProjectorConfig``)."""

    kind: Literal["linear", "mlp"] = "mlp"
    hidden_dim: int = Field(1024, ge=1)
    max_tokens: int = Field(8, ge=1)               # soft tokens per video; adjacent chunks are pooled beyond it
    dropout: float = Field(0.0, ge=0, lt=1)
    # a learned vector per soft-token slot added to the projected tokens, so the LLM can tell first from last
    position_embedding: bool = False


class LoraConfig(Strict):
    enabled: bool = False
    r: int = Field(8, ge=1)
    alpha: int = Field(16, ge=1)
    target_modules: list[str] = ["q_proj", "v_proj"]

    def peft_kwargs(self) -> dict:
        """peft ``LoraConfig`` keyword arguments; {} when LoRA is off."""
        if not self.enabled:
            return {}
        return {"r": self.r, "lora_alpha": self.alpha, "target_modules": list(self.target_modules)}


class GoalConfig(Strict):
    """Points NextLevel must lead by (and the paired bootstrap CI's lower bound must clear 0) for a goal to be met."""

    over_blind_overall: float = Field(15.0, ge=0)         # vs the best blind projector, all test questions
    over_frozen_chunks_order: float = Field(10.0, ge=0)   # vs frozen_chunks, on order (and structure) questions


class VideoQAConfig(Strict):
    seeds: list[int] = Field([0], min_length=1)   # every trained method runs once per seed; metrics: mean ± std
    # compared on the same test questions; the `nextlevel` projector (first seed) is the one saved for the CLI
    methods: list[Method] = Field(["text_only", "text_only_normalized", "mean_pool", "frozen_chunks", "nextlevel",
                                   "blind_shuffled"], min_length=1)
    llm: LLMConfig = LLMConfig()
    projector: ProjectorSpec = ProjectorSpec()
    training: TrainConfig = TrainConfig()
    lora: LoraConfig = LoraConfig()
    score_reduction: Literal["sum", "mean"] = "sum"
    score_batch_size: int = Field(32, ge=1)
    max_questions_per_split: int | None = Field(None, ge=1)  # quick runs: the first N QA pairs of each split
    # budget: every trained method learns from the same seeded sample of N train (val) questions; test is never capped
    max_train_questions: int | None = Field(128, ge=1)  # None: all (conf/study)
    max_val_questions: int | None = Field(48, ge=1)
    goals: GoalConfig = GoalConfig()
    bootstrap_resamples: int = Field(2000, ge=1)  # paired bootstrap over test questions (nextlevel - each control)
