"""Frozen frame and text encoders behind one small contract (see ``base.FrameEncoder``)."""

from nlv_kedro.lazy import lazy_exports

__all__ = [
    "DEFAULT_FRAME_ENCODER",
    "FRAME_ENCODER_NAMES",
    "EncoderKind",
    "FrameEncoder",
    "TextEncoder",
    "build_frame_encoder",
    "build_text_encoder",
]

# name -> submodule; imported on first use, so importing the package stays torch-free
_EXPORTS = {
    "EncoderKind": "base",
    "FrameEncoder": "base",
    "DEFAULT_FRAME_ENCODER": "registry",
    "FRAME_ENCODER_NAMES": "registry",
    "build_frame_encoder": "registry",
    "TextEncoder": "text",
    "build_text_encoder": "text",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
