"""What the registry shows about a top-model version: signature, input example and description.

The signature declares the outputs only. Its inputs stay open on purpose: MLflow enforces an input schema
by turning each input into one array, which rejects the ragged form (a list of (T_i, D) arrays of different
lengths) that Python callers use. The padded form is shown by the input example, and both forms by the
description.
"""

from __future__ import annotations

import numpy as np
from mlflow.models import ModelSignature
from mlflow.types import Schema, TensorSpec

from nlv_kedro.training.artifact import TopModelArtifact

EXAMPLE_CHUNKS = 4


def input_example(artifact: TopModelArtifact) -> dict[str, np.ndarray]:
    """One padded video of ``EXAMPLE_CHUNKS`` chunk vectors (the encoder's mean vector), as REST clients send it."""
    chunks = np.broadcast_to(artifact.mean.astype(np.float32), (1, EXAMPLE_CHUNKS, len(artifact.mean))).copy()
    return {"embeddings": chunks, "lengths": np.array([EXAMPLE_CHUNKS], dtype=np.int64)}


def signature(artifact: TopModelArtifact) -> ModelSignature:
    config = artifact.config
    return ModelSignature(inputs=None, outputs=Schema([
        TensorSpec(np.dtype(np.float32), (-1, -1, config.d_model), "contextual"),
        TensorSpec(np.dtype(np.float32), (-1, config.pooled_dim), "pooled"),
    ]))


def description(artifact: TopModelArtifact, metric_name: str, metric_value: float) -> str:
    config = artifact.config
    return (
        f"NextLevel top model: frozen-encoder chunk vectors (width {config.input_dim}) in, contextual chunk vectors "
        f"(T_i, {config.d_model}) and one pooled vector ({config.pooled_dim}, {config.pooling} pooling) per video "
        f"out. {metric_name}={metric_value:.4f}. Input: {{'embeddings': [ (T_i, {config.input_dim}) per video ]}}, "
        f"or padded {{'embeddings': (B, T, {config.input_dim}), 'lengths': (B,)}}; optional 'times' gives each "
        "chunk's (start, end) seconds. Use `python -m nlv_kedro.embed <videos>` to embed video files end to end."
    )
