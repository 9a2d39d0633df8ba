"""What the project adds to kedro-datasets' file datasets: atomic writes and "a missing file is a value".

Mixed in *before* the kedro-datasets class (``class X(OptionalFileMixin, JSONDataset)``), so filesystem,
protocol, ``save_args`` and the Kedro-Viz preview stay the library's.
"""

from __future__ import annotations

import copy
from typing import Any

from kedro.io import DatasetError
from kedro.io.core import get_filepath_str

from nlv_kedro.datasets.atomic import atomic_write_bytes


class AtomicSaveMixin:
    """``_write_bytes``: temp file + rename on the local filesystem, a plain fsspec write elsewhere."""

    def __init__(self, filepath: str, **kwargs: Any) -> None:  # positional filepath, as before the subclassing
        super().__init__(filepath=filepath, **kwargs)  # type: ignore[call-arg]

    def _write_bytes(self, data: bytes) -> None:
        path = get_filepath_str(self._get_save_path(), self._protocol)  # type: ignore[attr-defined]
        if self._protocol == "file":  # type: ignore[attr-defined]
            atomic_write_bytes(path, data)
        else:  # object stores replace whole objects on close already
            with self._fs.open(path, mode="wb") as handle:  # type: ignore[attr-defined]
                handle.write(data)
        self._invalidate_cache()  # type: ignore[attr-defined]


class OptionalFileMixin(AtomicSaveMixin):
    """A missing file loads as ``MISSING`` (``None``) instead of failing the run; a broken one names itself.

    Subclasses set ``FORMAT`` (for errors) and implement ``_dump(data) -> bytes``.
    """

    FORMAT = "text"
    MISSING: Any = None

    def load(self) -> Any:
        try:
            path = get_filepath_str(self._get_load_path(), self._protocol)  # type: ignore[attr-defined]
        except DatasetError:  # a versioned dataset with no version saved yet
            return copy.deepcopy(self.MISSING)
        if not self._fs.exists(path):  # type: ignore[attr-defined]
            return copy.deepcopy(self.MISSING)
        try:
            return super().load()  # type: ignore[misc]
        except DatasetError as exc:
            raise DatasetError(f"{path} is not valid {self.FORMAT}: {exc.__cause__ or exc}") from exc

    def save(self, data: Any) -> None:
        self._write_bytes(self._dump(data))

    def _dump(self, data: Any) -> bytes:
        raise NotImplementedError

    def _exists(self) -> bool:
        return True  # always loadable: a missing file is the documented value MISSING
