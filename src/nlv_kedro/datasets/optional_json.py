"""A JSON dataset whose absence is a value: loading a missing file returns ``None``.

Used for the outputs of optional pipelines (an Optuna study, video QA) that the report shows when they
exist. Writes are atomic, like every artifact of the project.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from nlv_kedro.datasets.atomic import atomic_write_bytes


class OptionalJSONDataset(AbstractDataset[Any, Any]):
    """JSON file <-> Python object; a missing file loads as ``None`` instead of failing the run."""

    def __init__(self, filepath: str, indent: int = 2, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self._indent = indent
        self.metadata = metadata

    def load(self) -> Any:
        if not self._filepath.is_file():
            return None
        try:
            return json.loads(self._filepath.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{self._filepath} is not valid JSON: {exc}") from exc

    def save(self, data: Any) -> None:
        text = json.dumps(data, indent=self._indent, sort_keys=False, allow_nan=False)
        atomic_write_bytes(self._filepath, (text + "\n").encode("utf-8"))

    def _exists(self) -> bool:
        # Always loadable: a missing file is the documented value None.
        return True

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
