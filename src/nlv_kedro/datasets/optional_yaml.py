"""A YAML dataset whose absence is a value: loading a missing file returns ``None``.

Used for `best_params`, the output of the optional `tune` pipeline that `pretrain` reads: pretraining
must keep working when no study has run. Reads use ``yaml.safe_load`` (plain data only); writes are atomic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from kedro.io import AbstractDataset, DatasetError

from nlv_kedro.datasets.atomic import atomic_write_bytes


class OptionalYAMLDataset(AbstractDataset[Any, Any]):
    """YAML file <-> plain Python data; a missing file loads as ``None`` instead of failing the run."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def load(self) -> Any:
        if not self._filepath.is_file():
            return None
        try:
            return yaml.safe_load(self._filepath.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise DatasetError(f"{self._filepath} is not valid YAML: {exc}") from exc

    def save(self, data: Any) -> None:
        text = yaml.safe_dump(data, sort_keys=True, default_flow_style=False)
        atomic_write_bytes(self._filepath, text.encode("utf-8"))

    def _exists(self) -> bool:
        # Always loadable: a missing file is the documented value None.
        return True

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
