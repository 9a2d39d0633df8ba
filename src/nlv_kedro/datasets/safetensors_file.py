"""A Kedro dataset for a dict of named arrays plus string metadata, stored as one safetensors file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from safetensors import safe_open
from safetensors.numpy import load_file, save

from nlv_kedro.datasets.atomic import atomic_write_bytes


class SafetensorsDataset(AbstractDataset[dict, dict]):
    """``{"tensors": {name: ndarray}, "metadata": {key: str}}`` <-> one safetensors file (no pickle)."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> dict:
        if not self._filepath.is_file():
            raise DatasetError(f"{self._filepath} does not exist: run the pipeline that produces it")
        with safe_open(str(self._filepath), framework="numpy") as handle:
            meta = dict(handle.metadata() or {})
        return {"tensors": load_file(str(self._filepath)), "metadata": meta}

    def save(self, data: dict) -> None:
        tensors, meta = data.get("tensors"), data.get("metadata", {})
        if not isinstance(tensors, dict) or not all(isinstance(v, str) for v in meta.values()):
            raise DatasetError(f"{self._filepath}: expected {{'tensors': dict, 'metadata': dict[str, str]}}")
        atomic_write_bytes(self._filepath, save(tensors, metadata=meta))

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
