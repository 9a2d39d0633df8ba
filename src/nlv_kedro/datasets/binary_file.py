"""A Kedro dataset for one opaque binary file (an encoded video), saved atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from nlv_kedro.datasets.atomic import atomic_write_bytes


class BinaryFileDataset(AbstractDataset[bytes, bytes]):
    """Loads and saves raw bytes. Used as the partition type of `PartitionedDataset` for videos."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> bytes:
        try:
            return self._filepath.read_bytes()
        except OSError as exc:
            raise DatasetError(f"cannot read {self._filepath}: {exc}") from exc

    def save(self, data: bytes) -> None:
        if not isinstance(data, bytes | bytearray):
            raise DatasetError(f"{self._filepath}: expected bytes, got {type(data).__name__}")
        atomic_write_bytes(self._filepath, bytes(data))

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
