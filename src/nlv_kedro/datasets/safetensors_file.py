"""kedro-datasets' (experimental) ``SafetensorsDataset`` plus the header's string metadata, saved atomically."""

from __future__ import annotations

import json
from kedro.io import DatasetError
from kedro.io.core import get_filepath_str
from kedro_datasets_experimental.safetensors import SafetensorsDataset as _LibrarySafetensorsDataset
from safetensors.numpy import load, save

from nlv_kedro.datasets.optional import AtomicSaveMixin


def header_metadata(raw: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file's JSON header (an 8-byte little-endian length, then JSON)."""
    length = int.from_bytes(raw[:8], "little")
    return dict(json.loads(raw[8 : 8 + length]).get("__metadata__") or {})


class SafetensorsDataset(AtomicSaveMixin, _LibrarySafetensorsDataset):
    """``{"tensors": {name: ndarray}, "metadata": {key: str}}`` <-> one safetensors file (numpy, no pickle).

    The library's dataset round-trips the tensors only; the project also keeps provenance in the header.
    """

    def load(self) -> dict:  # type: ignore[override]
        path = get_filepath_str(self._get_load_path(), self._protocol)
        if not self._fs.exists(path):
            raise DatasetError(f"{path} does not exist: run the pipeline that produces it")
        with self._fs.open(path, mode="rb") as handle:
            raw = handle.read()
        return {"tensors": load(raw), "metadata": header_metadata(raw)}

    def save(self, data: dict) -> None:  # type: ignore[override]
        tensors, meta = data.get("tensors"), data.get("metadata", {})
        if not isinstance(tensors, dict) or not all(isinstance(v, str) for v in meta.values()):
            raise DatasetError(f"{self._filepath}: expected {{'tensors': dict, 'metadata': dict[str, str]}}")
        self._write_bytes(save(tensors, metadata=meta))

