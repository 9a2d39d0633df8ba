"""Frozen frame and text encoders behind one small contract (see ``base.FrameEncoder``)."""

from nlv_kedro.encoders.base import EncoderKind, FrameEncoder
from nlv_kedro.encoders.registry import DEFAULT_FRAME_ENCODER, FRAME_ENCODER_NAMES, build_frame_encoder
from nlv_kedro.encoders.text import TextEncoder, build_text_encoder

__all__ = [
    "DEFAULT_FRAME_ENCODER",
    "FRAME_ENCODER_NAMES",
    "EncoderKind",
    "FrameEncoder",
    "TextEncoder",
    "build_frame_encoder",
    "build_text_encoder",
]
