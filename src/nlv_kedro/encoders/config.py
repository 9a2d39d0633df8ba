"""The encode settings (the schema of ``parameters_encode.yml``): which frozen encoder embeds the planned
frames, and how the work is batched."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from nlv_kedro.config import Strict
from nlv_kedro.encoders.names import FRAME_ENCODER_NAMES, HF_PREFIX


class EncodeConfig(Strict):
    """Frame and text encoders plus batching; unknown keys fail fast."""

    frame_encoder: str = Field(default="efficientnet_lite0", description="registry name or hf:<id or path>")
    image_size: int | None = Field(default=160, ge=16, description="square input size; null = encoder's own")
    device: str = Field(default="auto", description="auto | cpu | cuda | cuda:N")
    batch_size: int = Field(default=64, ge=1)
    num_workers: int = Field(default=1, ge=0, description="decoding processes overlapping the forward pass")
    num_threads: int | None = Field(default=None, ge=1, description="torch CPU threads; null = torch default")
    pooling: Literal["mean", "max"] = "mean"
    trust_remote_code: bool = False
    text_encoder: str = Field(default="minilm", description="minilm (packaged) or hf:<sentence-transformers id/path>")

    @field_validator("frame_encoder")
    @classmethod
    def _known_encoder(cls, value: str) -> str:
        if value in FRAME_ENCODER_NAMES or (value.startswith(HF_PREFIX) and len(value) > len(HF_PREFIX)):
            return value
        raise ValueError(f"encode.frame_encoder {value!r}: use one of {list(FRAME_ENCODER_NAMES)} or 'hf:<id or path>'")

    @field_validator("device")
    @classmethod
    def _valid_device(cls, value: str) -> str:
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", value):
            raise ValueError(f"encode.device {value!r}: use auto, cpu, cuda or cuda:N")
        return value

    def resolved_device(self) -> str:
        import torch  # here, not at the top: the config is read at pipeline registration

        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        if self.device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"encode.device={self.device} but no CUDA device is visible; use auto or cpu")
        return self.device
