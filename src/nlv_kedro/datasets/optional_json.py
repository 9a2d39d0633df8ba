"""Datasets whose absence is a value: loading a missing file returns ``None``.

Used for the outputs of optional pipelines (an Optuna study's summary, video QA metrics) that the report
shows when they exist. Writes are atomic, like every artifact of the project.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from nlv_kedro.datasets.atomic import atomic_write_bytes


class OptionalFileDataset(AbstractDataset[Any, Any]):
    """A text file <-> plain Python data; a missing file loads as ``None`` instead of failing the run.
    Subclasses say how to parse and dump the text (``FORMAT`` names it in errors)."""

    FORMAT = "text"

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self.metadata = metadata

    def _parse(self, text: str) -> Any:
        raise NotImplementedError

    def _dump(self, data: Any) -> str:
        raise NotImplementedError

    def load(self) -> Any:
        if not self._filepath.is_file():
            return None
        try:
            return self._parse(self._filepath.read_text(encoding="utf-8"))
        except ValueError as exc:  # json.JSONDecodeError and yaml.YAMLError (re-raised as ValueError)
            raise DatasetError(f"{self._filepath} is not valid {self.FORMAT}: {exc}") from exc

    def save(self, data: Any) -> None:
        atomic_write_bytes(self._filepath, self._dump(data).encode("utf-8"))

    def _exists(self) -> bool:
        # Always loadable: a missing file is the documented value None.
        return True

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "format": self.FORMAT}


class OptionalJSONDataset(OptionalFileDataset):
    """JSON file <-> Python object; a missing file loads as ``None``."""

    FORMAT = "JSON"

    def __init__(self, filepath: str, indent: int = 2, metadata: dict[str, Any] | None = None) -> None:
        super().__init__(filepath, metadata)
        self._indent = indent

    def _parse(self, text: str) -> Any:
        return json.loads(text)

    def _dump(self, data: Any) -> str:
        return json.dumps(data, indent=self._indent, allow_nan=False) + "\n"
