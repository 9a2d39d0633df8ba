"""The frame-encoder contract shared by every backbone, and the helpers that make it hold.

An encoder is a frozen network plus the preprocessing it was trained with. Both travel together so
that the rest of the project never has to know which network it is talking to: decoded uint8 frames
go into :meth:`FrameEncoder.preprocess`, float batches into :meth:`FrameEncoder.encode` (one vector
per frame) or :meth:`FrameEncoder.encode_chunks` (one vector per chunk of frames), and
:meth:`FrameEncoder.fingerprint` tells stored embeddings whether they are still valid.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from abc import ABC
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, Self

import torch
import torch.nn.functional as F
from torch import nn

logger = logging.getLogger(__name__)

EncoderKind = Literal["image", "video"]
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_HASH_BLOCK = 1 << 20


class FrameEncoder(ABC):
    """A frozen frame (``kind="image"``) or clip (``kind="video"``) encoder with its own preprocessing.

    Subclasses implement ``_encode_images`` (image kind) or ``_encode_chunks`` (video kind) on an
    already normalised float batch; everything else (freezing, devices, normalisation, resizing,
    dtype safety under autocast, fingerprints) lives here so all backbones behave the same.
    """

    def __init__(
        self,
        name: str,
        module: nn.Module,
        dim: int,
        input_size: tuple[int, int],
        mean: Sequence[float],
        std: Sequence[float],
        kind: EncoderKind,
        weights_identity: Callable[[], str],
        extra_identity: dict | None = None,
        num_frames: int | None = None,
    ) -> None:
        self.name = name
        self.dim = dim
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.kind: EncoderKind = kind
        # Video encoders have positional embeddings for a fixed clip length; None for image encoders.
        self.num_frames = num_frames
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)
        self.module = module.eval().requires_grad_(False)
        self._weights_identity = weights_identity
        self._extra_identity = extra_identity or {}
        self._fingerprint: str | None = None

    # -- device -----------------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return next(self.module.parameters()).device

    def to(self, device: str | torch.device) -> Self:
        self.module.to(device)
        return self

    # -- identity ---------------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """16 hex chars that change whenever the weights, preprocessing or pooling change.

        Stored embeddings keep this next to them; a mismatch means they must be recomputed. The
        device, batch size and autocast dtype are deliberately left out: they do not change what
        the vectors mean.
        """
        if self._fingerprint is None:
            payload = {
                "name": self.name,
                "weights": self._weights_identity(),
                "input_size": list(self.input_size),
                "mean": [round(m, 6) for m in self.mean],
                "std": [round(s, 6) for s in self.std],
                "kind": self.kind,
                "num_frames": self.num_frames,
                **self._extra_identity,
            }
            blob = json.dumps(payload, sort_keys=True).encode()
            self._fingerprint = hashlib.sha256(blob).hexdigest()[:16]
        return self._fingerprint

    # -- preprocessing ----------------------------------------------------------------------------
    def preprocess(self, frames: torch.Tensor) -> torch.Tensor:
        """uint8 ``(N, H, W, 3)`` RGB -> normalised float32 ``(N, 3, h, w)`` on ``frames.device``.

        Frames are normally decoded at :attr:`input_size` already (decord resizes during decode,
        which is far cheaper); the antialiased resize here is only a safety net for other callers.
        """
        if frames.dtype != torch.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
            raise ValueError(
                f"{self.name}: preprocess expects uint8 RGB frames shaped (N, H, W, 3), "
                f"got dtype={frames.dtype} shape={tuple(frames.shape)}"
            )
        x = frames.permute(0, 3, 1, 2).float().div_(255.0)  # (N, 3, H, W), channels_last strides
        if tuple(x.shape[-2:]) != self.input_size and x.shape[0] > 0:
            x = F.interpolate(x, size=self.input_size, mode="bilinear", align_corners=False, antialias=True)
        mean = torch.tensor(self.mean, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=x.device).view(1, 3, 1, 1)
        return x.sub_(mean).div_(std)

    # -- encoding ---------------------------------------------------------------------------------
    def encode(self, batch: torch.Tensor) -> torch.Tensor:
        """Float ``(N, 3, H, W)`` -> float32 ``(N, dim)``, one vector per frame (image encoders)."""
        if self.kind != "image":
            raise TypeError(f"{self.name} is a video encoder: call encode_chunks((B, T, 3, H, W)) instead of encode")
        if batch.ndim != 4 or batch.shape[1] != 3:
            raise ValueError(f"{self.name}: encode expects (N, 3, H, W), got {tuple(batch.shape)}")
        if batch.shape[0] == 0:
            return torch.zeros(0, self.dim, device=batch.device)
        return self._encode_images(self._to_model(batch)).float()

    def encode_chunks(self, chunks: torch.Tensor) -> torch.Tensor:
        """Float ``(B, T, 3, H, W)`` -> float32 ``(B, dim)``, one vector per chunk (video encoders)."""
        if self.kind != "video":
            raise TypeError(
                f"{self.name} is an image encoder: call encode((N, 3, H, W)) per frame and pool the chunk yourself"
            )
        if chunks.ndim != 5 or chunks.shape[2] != 3:
            raise ValueError(f"{self.name}: encode_chunks expects (B, T, 3, H, W), got {tuple(chunks.shape)}")
        if self.num_frames is not None and chunks.shape[1] != self.num_frames:
            raise ValueError(
                f"{self.name} was trained on clips of {self.num_frames} frames, got T={chunks.shape[1]}; "
                f"set the chunk length to {self.num_frames} frames"
            )
        if chunks.shape[0] == 0:
            return torch.zeros(0, self.dim, device=chunks.device)
        return self._encode_chunks(self._to_model(chunks)).float()

    def _to_model(self, x: torch.Tensor) -> torch.Tensor:
        """Move to the weights' device and dtype; under autocast the float32 input is cast per op."""
        param = next(self.module.parameters())
        return x.to(device=param.device, dtype=param.dtype)

    def _encode_images(self, batch: torch.Tensor) -> torch.Tensor:  # (N, 3, H, W) -> (N, dim)
        raise NotImplementedError

    def _encode_chunks(self, chunks: torch.Tensor) -> torch.Tensor:  # (B, T, 3, H, W) -> (B, dim)
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(name={self.name!r}, kind={self.kind}, dim={self.dim}, "
            f"input_size={self.input_size}, device={self.device})"
        )


def hash_files(paths: Sequence[Path], root: Path | None = None) -> str:
    """Content hash of files (name + bytes), for weights that have no version id of their own.

    Reading a few hundred MB costs about a second, paid once per encoder and only when a
    fingerprint is asked for. Names (relative to ``root``) are included so that renaming a shard
    is a change too, while moving the whole directory is not.
    """
    digest = hashlib.sha256()
    named = sorted((p.relative_to(root).as_posix() if root else p.name, p) for p in paths)
    for name, path in named:
        digest.update(name.encode())
        with path.open("rb") as handle:
            while block := handle.read(_HASH_BLOCK):
                digest.update(block)
    return digest.hexdigest()[:16]


def hash_model_dir(directory: Path) -> str:
    """Hash the files of a saved model directory that decide its outputs (weights and configs)."""
    suffixes = {".safetensors", ".bin", ".pt", ".pth", ".json", ".txt", ".model"}
    files = [p for p in directory.rglob("*") if p.is_file() and p.suffix in suffixes and p.name != "README.md"]
    if not files:
        raise FileNotFoundError(f"no weight or config files under {directory}")
    return hash_files(files, root=directory)


def hub_load_error(what: str) -> OSError:
    """The error for a model that is neither a local directory nor in the Hugging Face cache.

    Hub access is off by default in this project (HF_HUB_OFFLINE=1 is set on import), so the most
    likely cause is a hub id on an offline machine; the message says both ways out.
    """
    flag = os.environ.get("HF_HUB_OFFLINE", "unset")
    disabled = flag.lower() not in ("0", "false", "no", "off", "unset", "")
    return OSError(
        f"could not load {what}: it is not a local directory and not in the Hugging Face cache "
        f"(HF_HUB_OFFLINE={flag}{', so hub downloads are disabled' if disabled else ''}). Pass a local path "
        f"as hf:/path/to/dir (a model saved with save_pretrained), or on a machine with hub access "
        f"export HF_HUB_OFFLINE=0."
    )
