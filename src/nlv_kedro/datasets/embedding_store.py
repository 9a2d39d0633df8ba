"""An incremental store of per-video embeddings: one safetensors file per video, written atomically.

The encode step is the long one, so it writes each video as soon as it is encoded; killing the run
leaves only whole files, and the next run skips every video whose stored fingerprint still matches.
Never pickle: tensors go in safetensors, and the small metadata (strings) in its header.

Why not kedro's ``PartitionedDataset``: encode writes one video at a time from inside a node (resumability),
while ``PartitionedDataset`` saves only when the node returns; skip-if-current must read one header
(``metadata``) without loading tensors, which its load-callables cannot; and many nodes read a few ids lazily.
"""

from __future__ import annotations

import json
import logging
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np
from filelock import FileLock, Timeout
from kedro.io import AbstractDataset, DatasetError
from safetensors import safe_open
from safetensors.numpy import load_file, save

from nlv_kedro.datasets.atomic import atomic_write_bytes

_SAFE_ID = re.compile(r"^[\w.\-]+$")
logger = logging.getLogger(__name__)
LOCK_NAME = ".encode.lock"  # held by one encode run at a time (see EmbeddingStore.writing)


class EmbeddingStore:
    """A folder of ``<video_id>.safetensors``; reading is lazy, writing is atomic per video."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, video_id: str) -> Path:
        if not self.accepts(video_id):
            raise ValueError(f"video_id '{video_id}' cannot be a file name (letters, digits, _ . - only); "
                             "re-run ingest, which gives every video a safe id")
        return self.root / f"{video_id}.safetensors"

    @staticmethod
    def accepts(video_id: str) -> bool:
        """Whether ``video_id`` can name a file in the store (ingest makes every id so)."""
        return bool(_SAFE_ID.match(video_id)) and not video_id.startswith(".")

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the store's writer lock (a file lock, so it works across processes): a second encode run
        waits here until the first finishes, then finds its videos current and skips them."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.root / LOCK_NAME, thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            logger.info("Another encode run is writing %s: waiting for it to finish (lock %s)", self.root,
                        lock.lock_file)
            lock.acquire()
        try:
            yield
        finally:
            lock.release()

    def ids(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.safetensors")) if self.root.is_dir() else []

    def __contains__(self, video_id: str) -> bool:
        return self.path(video_id).is_file()

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids())

    def __len__(self) -> int:
        return len(self.ids())

    def metadata(self, video_id: str) -> dict[str, str]:
        """The header metadata only (no tensor data is read); {} if the video is not stored."""
        path = self.path(video_id)
        if not path.is_file():
            return {}
        try:
            with safe_open(str(path), framework="numpy") as handle:
                return dict(handle.metadata() or {})
        except Exception as exc:  # is_current() treats this as stale, so encode rewrites the file
            raise DatasetError(f"{path} is not a readable safetensors file ({exc}); delete it to re-encode") from exc

    def is_current(self, video_id: str, fingerprint: str) -> bool:
        try:
            return self.metadata(video_id).get("fingerprint") == fingerprint
        except DatasetError:
            return False

    def read(self, video_id: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        path = self.path(video_id)
        if not path.is_file():
            raise DatasetError(f"no embeddings stored for '{video_id}' in {self.root}: run the encode pipeline")
        return load_file(str(path)), self.metadata(video_id)

    def write(self, video_id: str, tensors: dict[str, np.ndarray], metadata: dict[str, Any]) -> None:
        meta = {k: v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()}
        arrays = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
        atomic_write_bytes(self.path(video_id), save(arrays, metadata=meta))


class EmbeddingStoreDataset(AbstractDataset[EmbeddingStore, EmbeddingStore]):
    """Kedro face of :class:`EmbeddingStore`. ``load`` gives the (lazy) store handle.

    Saving a store handle that points at this folder is a no-op (its files were committed one by one
    as they were encoded); saving a dict ``{video_id: (tensors, metadata)}`` writes those videos.
    """

    def __init__(self, path: str, metadata: dict[str, Any] | None = None) -> None:
        self._root = Path(path)
        self.metadata = metadata

    def load(self) -> EmbeddingStore:
        return EmbeddingStore(self._root)

    def save(self, data: EmbeddingStore | dict) -> None:
        if isinstance(data, EmbeddingStore):
            if data.root.resolve() != self._root.resolve():
                raise DatasetError(f"store at {data.root} is not this dataset's folder {self._root}")
            return
        store = EmbeddingStore(self._root)
        for video_id, (tensors, meta) in data.items():
            store.write(video_id, tensors, meta)

    def _exists(self) -> bool:
        return self._root.is_dir() and any(self._root.glob("*.safetensors"))

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._root)}
