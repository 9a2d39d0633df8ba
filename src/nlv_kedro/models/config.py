"""Torch-free configs of the top model, importable where torch is not wanted (pipeline registration)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from nlv_kedro.config import Strict

LOSSES = ("smooth_l1", "l1", "mse", "cosine", "infonce")  # the losses models.losses implements


class NextLevelConfig(Strict):
    """The top model's shape; also the `pretrain.model` parameter section (``input_dim`` comes from the data)."""

    input_dim: int = Field(1280, ge=1)  # width of the frozen encoder's chunk vectors (targets have this width)
    d_model: int = Field(384, ge=8)  # width of the top transformer
    n_layers: int = Field(4, ge=1)
    n_heads: int = Field(6, ge=1)
    mlp_ratio: float = Field(4.0, gt=0)  # feed-forward width = mlp_ratio * d_model
    dropout: float = Field(0.1, ge=0, lt=1)
    max_chunks: int = Field(512, ge=2)  # learned index-position table size; longer sequences raise a clear error
    use_time: bool = True  # add an MLP embedding of (start s, end s, duration s) to the index position
    # True: [MASK] positions get no time embedding, so a masked chunk's start, end and duration (and the gap to
    # its neighbours) are not revealed; its index position still is
    hide_masked_time: bool = False
    head_hidden: int = Field(768, ge=8)  # head: Linear(d_model, head_hidden) -> GELU -> Linear(head_hidden, input_dim)
    # "mean" over real chunks, "cls" (learned token prepended), "max" over real chunks, "temporal": the mean of
    # each of `pool_segments` consecutive parts, concatenated (keeps coarse order; plain mean is order-blind)
    pooling: Literal["mean", "cls", "max", "temporal"] = "temporal"
    pool_segments: int = Field(4, ge=1)
    # "neighbours": predictions = head(c_i) + a learned mix of the nearest visible input chunk before and
    # after i (starting as their linear interpolation). The width-d_model bottleneck cannot carry a
    # 1280-d chunk vector through, so without it the model predicts blurry means and loses to copying.
    head_skip: Literal["none", "neighbours"] = "neighbours"

    @model_validator(mode="after")
    def _heads_divide_width(self) -> NextLevelConfig:
        if self.d_model % self.n_heads != 0:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        return self

    @property
    def pooled_dim(self) -> int:
        """Width of the pooled video vector."""
        return self.d_model * (self.pool_segments if self.pooling == "temporal" else 1)
