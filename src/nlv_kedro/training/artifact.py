"""The trained top model as files: ``model.safetensors`` (weights + standardizer) and ``config.json``.

This is what Kedro saves as ``top_model``, what MLflow stores as the registered model's artifact, and
what the pyfunc loads in a fresh process: weights through safetensors, config through JSON, code from
this package. Nothing is pickled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from kedro.io import AbstractDataset, DatasetError

from nlv_kedro.datasets.atomic import atomic_write_bytes
from nlv_kedro.models.config import NextLevelConfig

if TYPE_CHECKING:  # torch is imported where weights are touched: pipeline registration only needs the class
    import torch

    from nlv_kedro.models.nextlevel import NextLevelModel
    from nlv_kedro.training.data import Sequences

WEIGHTS, CONFIG = "model.safetensors", "config.json"
_STD_PREFIX = "standardizer."
# What a config.json written before these keys existed meant (the defaults of that time).
_LEGACY_CONFIG = {"pooling": "mean", "head_skip": "none"}


@dataclass
class TopModelArtifact:
    config: NextLevelConfig
    state_dict: dict[str, torch.Tensor]
    mean: np.ndarray  # (input_dim,) standardizer applied to encoder chunk vectors before the model
    std: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)  # encoder fingerprint, metrics, parameter count

    def build(self, device: str = "cpu") -> NextLevelModel:
        from nlv_kedro.models.nextlevel import NextLevelModel

        model = NextLevelModel(self.config)
        model.load_state_dict(self.state_dict)
        return model.to(device).eval()

    def save(self, directory: str | Path) -> None:
        import torch
        from safetensors.torch import save as save_safetensors

        directory = Path(directory)
        tensors = {k: v.detach().cpu().contiguous() for k, v in self.state_dict.items()}
        tensors[_STD_PREFIX + "mean"] = torch.from_numpy(np.asarray(self.mean, np.float32))
        tensors[_STD_PREFIX + "std"] = torch.from_numpy(np.asarray(self.std, np.float32))
        atomic_write_bytes(directory / WEIGHTS, save_safetensors(tensors))
        meta = {"config": self.config.model_dump(), "info": self.info}
        atomic_write_bytes(directory / CONFIG, json.dumps(meta, indent=2, default=str).encode())

    @classmethod
    def load(cls, directory: str | Path) -> TopModelArtifact:
        directory = Path(directory)
        if not (directory / WEIGHTS).is_file() or not (directory / CONFIG).is_file():
            raise FileNotFoundError(f"no top model in {directory}: run `kedro run --pipelines=pretrain` first")
        from safetensors.torch import load as load_safetensors

        tensors = load_safetensors((directory / WEIGHTS).read_bytes())
        meta = json.loads((directory / CONFIG).read_text())
        mean, std = tensors.pop(_STD_PREFIX + "mean").numpy(), tensors.pop(_STD_PREFIX + "std").numpy()
        config = NextLevelConfig.model_validate({**_LEGACY_CONFIG, **meta["config"]})
        return cls(config, tensors, mean, std, meta.get("info", {}))

    def embed(self, vectors: list[np.ndarray], times: list[np.ndarray] | None = None, batch_size: int = 32,
              model: NextLevelModel | None = None) -> tuple[list[np.ndarray], np.ndarray]:
        """Chunk-vector sequences (T_i, input_dim) -> contextual (T_i, d_model) each, pooled (N, pooled_dim)."""
        import torch

        with torch.inference_mode():
            return self._embed(vectors, times, batch_size, model)

    def _embed(self, vectors: list[np.ndarray], times: list[np.ndarray] | None, batch_size: int,
               model: NextLevelModel | None) -> tuple[list[np.ndarray], np.ndarray]:
        import torch

        from nlv_kedro.training.data import collate_sequences

        model = model or self.build()
        device = next(model.parameters()).device
        contextual, pooled = [], []
        for start in range(0, len(vectors), batch_size):
            part = vectors[start : start + batch_size]
            batch = collate_sequences([
                (torch.from_numpy((np.asarray(v, np.float32) - self.mean) / self.std),
                 torch.from_numpy(np.asarray(times[start + row], np.float32)) if times is not None
                 else torch.zeros(len(v), 2), row)
                for row, v in enumerate(part)])
            x, t, padding, lengths = batch["x"], batch["times"], batch["padding_mask"], batch["lengths"].tolist()
            out = model(x.to(device), padding.to(device), t.to(device) if times is not None else None)
            contextual += [out.contextual[row, :n].float().cpu().numpy() for row, n in enumerate(lengths)]
            pooled.append(out.pooled.float().cpu().numpy())
        return contextual, np.concatenate(pooled) if pooled else np.zeros((0, self.config.pooled_dim), np.float32)

    def embed_sequences(self, sequences: Sequences, model: NextLevelModel | None = None,
                        ) -> tuple[list[np.ndarray], np.ndarray]:
        """:meth:`embed` of ``sequences``, with their chunk times when the model uses time."""
        times = sequences.times if self.config.use_time else None
        return self.embed(sequences.vectors, times, model=model)


def pooled_vectors(artifact: TopModelArtifact, sequences: Sequences,
                   model: NextLevelModel | None = None) -> np.ndarray:
    """(N, pooled_dim) pooled video vectors of ``sequences``, exactly as the pretrain export computes them.
    ``model`` (e.g. a network still in training) replaces the artifact's own weights."""
    return artifact.embed_sequences(sequences, model=model)[1]


class TopModelDataset(AbstractDataset[TopModelArtifact, TopModelArtifact]):
    """Kedro dataset for :class:`TopModelArtifact` (a folder with weights and config)."""

    def __init__(self, path: str, metadata: dict[str, Any] | None = None) -> None:
        self._path = Path(path)
        self.metadata = metadata

    def load(self) -> TopModelArtifact:
        try:
            return TopModelArtifact.load(self._path)
        except FileNotFoundError as exc:
            raise DatasetError(str(exc)) from exc

    def save(self, data: TopModelArtifact) -> None:
        data.save(self._path)

    def _exists(self) -> bool:
        return (self._path / WEIGHTS).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}
