"""Decode chosen frames of a video with decord, resized by the decoder itself.

Why decord: ``VideoReader(width=..., height=...)`` resizes inside the decode (no full-size RGB frame is ever
materialised in Python) and ``get_batch(indices)`` converts only the frames asked for. Planning asks for tiny
thumbnails of a few sampled frames; encoding later asks for the kept frames at model resolution.

Every decord failure (``decord.DECORDError``, ``RuntimeError``) is re-raised as :class:`VideoDecodeError`, which
names the file, so a caller can quarantine that one video and carry on with the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Sequence

import av
import decord
import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_THUMB_SIZE: tuple[int, int] = (32, 24)  # (width, height): enough for dedup and histograms, ~free to decode


class VideoDecodeError(RuntimeError):
    """A video file could not be opened or decoded; ``path`` and ``reason`` say which file and why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(
            f"cannot decode video '{self.path}': {reason}. "
            "Check that the file is a complete, playable video (e.g. `ffprobe` it), "
            "or re-run ingest so it is quarantined."
        )


def open_reader(
    path: str | Path,
    width: int | None = None,
    height: int | None = None,
    num_threads: int = 1,
) -> decord.VideoReader:
    """Open ``path`` for random access on the CPU; frames come out resized to ``width`` x ``height``.

    ``None`` keeps the native size of that dimension. One decode thread is the default because callers
    parallelise over videos, not within one (the CI machine has 2 cores).
    """
    path = Path(path)
    if not path.is_file():
        raise VideoDecodeError(path, "file does not exist")
    for name, value in (("width", width), ("height", height)):
        if value is not None and value < 1:
            raise ValueError(f"open_reader({path}): {name} must be a positive int or None, got {value}")
    try:
        reader = decord.VideoReader(
            str(path),
            ctx=decord.cpu(0),
            width=-1 if width is None else int(width),
            height=-1 if height is None else int(height),
            num_threads=num_threads,
        )
    except (decord.DECORDError, RuntimeError) as error:
        raise VideoDecodeError(path, f"decord could not open it ({_first_line(error)})") from error
    if len(reader) == 0:
        raise VideoDecodeError(path, "it contains no decodable video frames")
    return reader


def decode_batch(reader: decord.VideoReader, indices: Sequence[int] | np.ndarray, path: str | Path) -> np.ndarray:
    """Decode exactly ``indices`` from an open ``reader`` -> (N, H, W, 3) uint8 RGB, in the order given.

    ``path`` is only used in error messages. Indices outside ``[0, len(reader))`` raise ``ValueError`` before
    any decoding, since that is a planning bug rather than a broken file.
    """
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    n_frames = len(reader)
    if idx.size and (idx.min() < 0 or idx.max() >= n_frames):
        raise ValueError(
            f"frame indices for '{path}' must lie in [0, {n_frames}), got min {idx.min()} max {idx.max()}"
        )
    if idx.size == 0:
        height, width = reader[0].shape[:2] if n_frames else (0, 0)
        return np.zeros((0, height, width, 3), dtype=np.uint8)
    try:
        frames = reader.get_batch(idx.tolist()).asnumpy()
    except (decord.DECORDError, RuntimeError) as error:
        raise VideoDecodeError(path, f"decoding {idx.size} frames failed ({_first_line(error)})") from error
    return np.ascontiguousarray(frames, dtype=np.uint8)


def read_frames(
    path: str | Path,
    indices: Sequence[int] | np.ndarray,
    width: int | None = None,
    height: int | None = None,
    num_threads: int = 1,
    decoder: str = "decord",
) -> np.ndarray:
    """Decode only ``indices`` of ``path``, resized at decode time -> (N, height, width, 3) uint8 RGB.

    ``decoder`` is the one ingest recorded for the file: ``"pyav"`` for containers decord cannot open.
    """
    if decoder == "pyav":
        return read_frames_pyav(path, indices, width, height)
    reader = open_reader(path, width=width, height=height, num_threads=num_threads)
    return decode_batch(reader, indices, path)


def read_frames_pyav(
    path: str | Path, indices: Sequence[int] | np.ndarray, width: int | None = None, height: int | None = None
) -> np.ndarray:
    """PyAV fallback: decode sequentially, convert (and resize) only the wanted frames, in index order."""
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    wanted = {int(i) for i in idx}
    found: dict[int, np.ndarray] = {}
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for position, frame in enumerate(container.decode(stream)):
                if position in wanted:
                    found[position] = frame.to_ndarray(format="rgb24", width=width or frame.width,
                                                       height=height or frame.height)
                if position >= idx.max(initial=-1):
                    break
    except (av.error.FFmpegError, IndexError) as error:
        raise VideoDecodeError(path, f"PyAV decoding failed ({_first_line(error)})") from error
    missing = wanted - set(found)
    if missing:
        raise VideoDecodeError(path, f"{len(missing)} requested frames do not exist (first: {min(missing)})")
    return np.stack([found[int(i)] for i in idx]) if idx.size else np.zeros((0, height or 0, width or 0, 3), np.uint8)


def iter_frames(
    path: str | Path,
    indices: Sequence[int] | np.ndarray,
    segment: int,
    width: int | None = None,
    height: int | None = None,
    decoder: str = "decord",
    num_threads: int = 1,
) -> Iterator[np.ndarray]:
    """Decode ``indices`` of ``path`` in order, ``segment`` frames at a time -> (<= segment, H, W, 3) uint8 each.

    This is how long videos stay within bounded memory: the caller holds one segment (plus what it keeps of
    earlier ones), never all decoded frames of the video. decord keeps one reader open across segments;
    PyAV makes a single sequential pass (indices must then be non-decreasing, as plans and clips are).
    """
    idx = np.asarray(indices, dtype=np.int64).reshape(-1)
    if segment < 1:
        raise ValueError(f"iter_frames({path}): segment must be >= 1 frame, got {segment}")
    if idx.size == 0:
        return
    if decoder == "pyav":
        yield from _iter_frames_pyav(path, idx, segment, width, height)
        return
    reader = open_reader(path, width=width, height=height, num_threads=num_threads)
    for start in range(0, idx.size, segment):
        yield decode_batch(reader, idx[start : start + segment], path)


def _iter_frames_pyav(
    path: str | Path, idx: np.ndarray, segment: int, width: int | None, height: int | None
) -> Iterator[np.ndarray]:
    if np.any(np.diff(idx) < 0):  # unordered: one pass per segment (correct, slower)
        for start in range(0, idx.size, segment):
            yield read_frames_pyav(path, idx[start : start + segment], width, height)
        return
    buffer: list[np.ndarray] = []
    k = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for position, frame in enumerate(container.decode(stream)):
                if idx[k] != position:
                    continue
                array = frame.to_ndarray(format="rgb24", width=width or frame.width, height=height or frame.height)
                while k < idx.size and idx[k] == position:  # repeated indices (short clips) reuse the frame
                    buffer.append(array)
                    k += 1
                    if len(buffer) == segment:
                        yield np.stack(buffer)
                        buffer = []
                if k == idx.size:
                    break
    except (av.error.FFmpegError, IndexError) as error:
        raise VideoDecodeError(path, f"PyAV decoding failed ({_first_line(error)})") from error
    if k < idx.size:
        raise VideoDecodeError(path, f"{idx.size - k} requested frames do not exist (first: {idx[k]})")
    if buffer:
        yield np.stack(buffer)


def thumbnails(
    path: str | Path,
    indices: Sequence[int] | np.ndarray,
    size: tuple[int, int] = DEFAULT_THUMB_SIZE,
) -> np.ndarray:
    """Tiny frames for planning, ``size`` = (width, height) -> (N, height, width, 3) uint8.

    Cheap relative to encoding: the resize happens in the decoder and only the sampled frames are converted.
    """
    width, height = size
    return read_frames(path, indices, width=width, height=height)


def _first_line(error: BaseException) -> str:
    """decord messages carry a C++ source location and a traceback; the first line is the useful part."""
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__
