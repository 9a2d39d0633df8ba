"""``hf:<model id or local dir>`` frame encoders: any supported transformers vision model.

For users with hub access (or a model saved locally with ``save_pretrained``). Image towers embed
frames one by one (CLIP/SigLIP/DINOv2/ViT); video models (VideoMAE, X-CLIP) embed a whole chunk.
Preprocessing is read from the model's own image processor so the vectors match what the model
was trained on; only mean/std and the input size are used, because frames arrive already decoded
at ``input_size`` (no centre crop: the decoder resizes the full frame).
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import torch
import transformers
from torch import nn

from nlv_kedro.encoders.base import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    EncoderKind,
    FrameEncoder,
    hash_model_dir,
    hub_load_error,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

# model_type -> (transformers class to load, pooling); pooling names say how a vector is made.
IMAGE_MODELS: dict[str, tuple[str, str]] = {
    "clip": ("CLIPVisionModelWithProjection", "image_embeds"),
    "clip_vision_model": ("CLIPVisionModelWithProjection", "image_embeds"),
    "siglip": ("SiglipVisionModel", "pooler_output"),
    "siglip_vision_model": ("SiglipVisionModel", "pooler_output"),
    "dinov2": ("AutoModel", "cls"),
    "dinov2_with_registers": ("AutoModel", "cls"),
    "vit": ("ViTModel", "cls"),
    "deit": ("AutoModel", "cls"),
}
VIDEO_MODELS: dict[str, tuple[str, str]] = {
    "videomae": ("VideoMAEModel", "mean_tokens"),
    "xclip": ("XCLIPModel", "xclip_video"),
}


class HFFrameEncoder(FrameEncoder):
    """A transformers vision model behind the :class:`FrameEncoder` contract."""

    def __init__(self, name: str, module: nn.Module, pooling: str, interpolate: bool, **kwargs: object) -> None:
        self.pooling = pooling
        self._call_kwargs = {"interpolate_pos_encoding": True} if interpolate else {}
        kwargs["extra_identity"] = {"pooling": pooling}
        super().__init__(name=name, module=module, **kwargs)  # type: ignore[arg-type]

    def _encode_images(self, batch: torch.Tensor) -> torch.Tensor:  # (N, 3, H, W) -> (N, dim)
        out = self.module(pixel_values=batch, **self._call_kwargs)
        if self.pooling == "image_embeds":
            return out.image_embeds
        if self.pooling == "pooler_output" and getattr(out, "pooler_output", None) is not None:
            return out.pooler_output
        return out.last_hidden_state[:, 0]  # CLS token (already layer-normed in ViT/DINOv2)

    def _encode_chunks(self, chunks: torch.Tensor) -> torch.Tensor:  # (B, T, 3, H, W) -> (B, dim)
        if self.pooling == "xclip_video":
            out = self.module.get_video_features(pixel_values=chunks)
            return getattr(out, "pooler_output", out)  # transformers < 5 returned the tensor itself
        return self.module(pixel_values=chunks).last_hidden_state.mean(1)  # mean over tube tokens


def build_hf_encoder(source: str, image_size: int | None = None, trust_remote_code: bool = False) -> HFFrameEncoder:
    """Load ``source`` (hub id or local dir) offline-first and wrap it; see the module docstring."""
    config = _load_config(source, trust_remote_code)
    model_type = config.model_type
    if model_type in IMAGE_MODELS:
        kind: EncoderKind = "image"
        class_name, pooling = IMAGE_MODELS[model_type]
    elif model_type in VIDEO_MODELS:
        kind = "video"
        class_name, pooling = VIDEO_MODELS[model_type]
    else:
        if not getattr(_vision_config(config), "image_size", None):
            supported = sorted(IMAGE_MODELS) + sorted(VIDEO_MODELS)
            raise ValueError(
                f"hf:{source} is a {model_type!r} model, which is not a supported vision encoder; "
                f"supported model types: {supported}"
            )
        logger.warning("hf:%s: unknown model type %r; using AutoModel and its pooled/CLS output", source, model_type)
        kind, class_name, pooling = "image", "AutoModel", "pooler_output"

    model_class = getattr(transformers, class_name)
    extra = _load_kwargs(config, class_name)
    module = _offline_hint(
        source, lambda: model_class.from_pretrained(source, trust_remote_code=trust_remote_code, **extra)
    )
    vision = _vision_config(module.config)
    native = _native_size(vision)
    input_size, mean, std = _preprocessing(source, native, trust_remote_code)
    if image_size is not None:
        input_size = (image_size, image_size)
    interpolate = False
    if input_size != native:
        if kind == "video":
            raise ValueError(
                f"hf:{source} has fixed position embeddings for {native[0]}x{native[1]} inputs; "
                f"image_size={image_size} is not supported for video models (leave it unset)"
            )
        interpolate = "interpolate_pos_encoding" in inspect.signature(module.forward).parameters
    dim = _output_dim(module.config, vision, pooling)
    num_frames = int(getattr(vision, "num_frames", 0) or getattr(module.config, "num_frames", 0) or 0) or None
    logger.info("Loaded hf:%s (%s, %s, dim=%d, input %s)", source, model_type, kind, dim, input_size)
    return HFFrameEncoder(
        name=f"hf:{source}", module=module, pooling=pooling, interpolate=interpolate, dim=dim,
        input_size=input_size, mean=mean, std=std, kind=kind, weights_identity=_weights_identity(source, config),
        num_frames=num_frames if kind == "video" else None,
    )


def _load_config(source: str, trust_remote_code: bool) -> transformers.PretrainedConfig:
    """AutoConfig, after telling a mistyped local path apart from a hub id."""
    local = Path(source).expanduser()
    if local.is_dir():
        if not (local / "config.json").is_file():
            raise FileNotFoundError(
                f"hf:{source} is a directory without config.json; save the model there with save_pretrained"
            )
    elif source.startswith(("/", ".", "~")) or source.count("/") > 1:  # a path, not an "org/name" hub id
        raise FileNotFoundError(f"hf:{source}: no such local model directory")
    return _offline_hint(
        source, lambda: transformers.AutoConfig.from_pretrained(source, trust_remote_code=trust_remote_code)
    )


def _offline_hint(source: str, load: Callable[[], T]) -> T:
    """Run a hub load; turn "not found" into an error that says what to do without hub access."""
    try:
        return load()
    except OSError as error:
        raise hub_load_error(f"hf:{source}") from error


def _load_kwargs(config: transformers.PretrainedConfig, class_name: str) -> dict:
    """Extra from_pretrained arguments that make a tower load cleanly out of a full checkpoint."""
    if class_name == "ViTModel":  # the pooler is often absent or task-specific; we use the CLS token
        return {"add_pooling_layer": False}
    if class_name == "CLIPVisionModelWithProjection" and config.model_type == "clip":
        # A full CLIP checkpoint keeps projection_dim at the top level; the vision config's own
        # default (512) would not match e.g. ViT-L/14's 768.
        vision = transformers.CLIPVisionConfig(**config.vision_config.to_dict())
        vision.projection_dim = config.projection_dim
        return {"config": vision}
    return {}


def _vision_config(config: transformers.PretrainedConfig) -> transformers.PretrainedConfig:
    return getattr(config, "vision_config", None) or config


def _native_size(vision: transformers.PretrainedConfig) -> tuple[int, int]:
    size = getattr(vision, "image_size", 224)
    return (int(size[0]), int(size[1])) if isinstance(size, (list, tuple)) else (int(size), int(size))


def _preprocessing(
    source: str, native: tuple[int, int], trust_remote_code: bool
) -> tuple[tuple[int, int], tuple[float, ...], tuple[float, ...]]:
    """(input_size, mean, std) from the saved processor config, else config size + ImageNet stats.

    The image processor is instantiated when there is one (its class fills defaults the JSON
    leaves out). A video-only processor is read as plain JSON: transformers' video processors
    need torchvision, which this project cannot install beside its CPU torch.
    """
    try:
        processor: object = transformers.AutoImageProcessor.from_pretrained(source, trust_remote_code=trust_remote_code)
    except (OSError, ValueError, KeyError, TypeError, ImportError) as error:
        logger.debug("hf:%s: no image processor (%s)", source, error)
        processor = _video_processor_json(source)
    if processor is None:
        logger.info("hf:%s has no image processor config; using %s and ImageNet mean/std", source, native)
        return native, IMAGENET_MEAN, IMAGENET_STD

    def field(key: str) -> object:
        return processor.get(key) if isinstance(processor, dict) else getattr(processor, key, None)

    mean = tuple(field("image_mean") or IMAGENET_MEAN)
    std = tuple(field("image_std") or IMAGENET_STD)
    crop = _size_hw(field("crop_size")) if field("do_center_crop") else None
    return crop or _size_hw(field("size")) or native, mean, std


def _video_processor_json(source: str) -> dict | None:
    from transformers.utils import cached_file

    try:
        path = cached_file(source, "video_preprocessor_config.json", _raise_exceptions_for_missing_entries=False)
    except OSError:
        return None
    return json.loads(Path(path).read_text()) if path else None


def _size_hw(size: object) -> tuple[int, int] | None:
    """Read a processor ``size``/``crop_size`` (dict or SizeDict) as (H, W)."""
    if size is None:
        return None
    if isinstance(size, int):
        return (size, size)
    get: Callable[[str], object] = size.get if isinstance(size, dict) else lambda key: getattr(size, key, None)
    height, width, edge = get("height"), get("width"), get("shortest_edge")
    if height and width:
        return (int(height), int(width))
    return (int(edge), int(edge)) if edge else None


def _output_dim(config: transformers.PretrainedConfig, vision: transformers.PretrainedConfig, pooling: str) -> int:
    if pooling in ("image_embeds", "xclip_video"):
        return int(getattr(config, "projection_dim", None) or vision.projection_dim)
    return int(vision.hidden_size)


def _weights_identity(source: str, config: transformers.PretrainedConfig) -> Callable[[], str]:
    """Hub snapshots are identified by commit; local dirs by a content hash (computed lazily)."""
    local = Path(source).expanduser()
    if local.is_dir():
        return lambda: f"dir:{hash_model_dir(local)}"
    commit = getattr(config, "_commit_hash", None)
    return lambda: f"{source}@{commit or 'unknown-revision'}"
