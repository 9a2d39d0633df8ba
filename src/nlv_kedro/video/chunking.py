"""Group the kept frames of a video into chunks; the encoder turns each chunk into one vector.

Every function returns chunk bounds as an int64 array of shape (n_chunks, 2): half-open ``[start, end)``
positions into the KEPT-frame list (not raw frame indices). Contract for all strategies: the first chunk
starts at 0, each chunk starts where the previous ended, the last ends at ``n_kept``, and no chunk is empty,
so every kept frame belongs to exactly one chunk.

Short chunks: a trailing chunk shorter than ``min_chunk`` is merged into the previous chunk (a 1-frame tail
would give a noisy vector). The only chunk of a video may be shorter than ``min_chunk`` when the whole video
keeps fewer frames than that.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)


def fixed_count_chunks(n_kept: int, frames_per_chunk: int = 8, min_chunk: int = 1) -> np.ndarray:
    """Chunks of ``frames_per_chunk`` kept frames; the tail is kept as is unless shorter than ``min_chunk``,
    then merged into the previous chunk (so the last chunk has at most ``frames_per_chunk + min_chunk - 1``)."""
    _check_counts(n_kept=n_kept, frames_per_chunk=frames_per_chunk, min_chunk=min_chunk)
    starts = np.arange(0, n_kept, frames_per_chunk, dtype=np.int64)
    return _merge_short_tail(_bounds_from_starts(starts, n_kept), min_chunk)


def fixed_duration_chunks(timestamps: np.ndarray, chunk_seconds: float = 4.0, min_chunk: int = 1) -> np.ndarray:
    """Chunks covering consecutive ``chunk_seconds`` windows, measured from the first kept frame.

    ``timestamps`` (n_kept,) are the kept frames' times in seconds, non-decreasing. Windows that hold no kept
    frame (e.g. everything in them was a near-duplicate) produce no chunk, so chunks can span more than
    ``chunk_seconds`` of wall time but never contain frames from two windows. Short tail: see module doc.
    """
    timestamps = np.asarray(timestamps, dtype=np.float64).reshape(-1)
    _check_counts(n_kept=timestamps.size, min_chunk=min_chunk)
    if not chunk_seconds > 0:
        raise ValueError(f"fixed_duration_chunks: chunk_seconds must be > 0, got {chunk_seconds}")
    if np.any(np.diff(timestamps) < 0):
        raise ValueError("fixed_duration_chunks: timestamps must be non-decreasing")
    window = np.floor((timestamps - timestamps[0]) / chunk_seconds).astype(np.int64)
    starts = np.flatnonzero(np.r_[True, np.diff(window) > 0]).astype(np.int64)
    return _merge_short_tail(_bounds_from_starts(starts, timestamps.size), min_chunk)


def scene_chunks(
    distances: np.ndarray,
    threshold: float,
    min_chunk: int = 2,
    max_chunk: int = 16,
) -> np.ndarray:
    """Cut where the colour change between consecutive kept frames exceeds ``threshold``.

    ``distances`` (n_kept - 1,) holds the distance between kept frame i and i + 1 (see
    ``sampling.consecutive_histogram_distances``); a cut there starts a chunk at i + 1. Rules, in order:
    1. a cut that would leave the current chunk shorter than ``min_chunk`` is suppressed;
    2. a trailing chunk shorter than ``min_chunk`` is merged into the previous one;
    3. a chunk longer than ``max_chunk`` is split into the fewest near-equal parts of at most ``max_chunk``.
    With ``max_chunk >= 2 * min_chunk`` every part of a split still has at least ``min_chunk`` frames, so all
    chunks satisfy ``min_chunk <= length <= max_chunk`` (when n_kept >= min_chunk).
    """
    distances = np.asarray(distances, dtype=np.float64).reshape(-1)
    n_kept = distances.size + 1
    _check_counts(n_kept=n_kept, min_chunk=min_chunk, max_chunk=max_chunk)
    if max_chunk < 2 * min_chunk:
        raise ValueError(
            f"scene_chunks: max_chunk ({max_chunk}) must be >= 2 * min_chunk ({min_chunk}) so that splitting a "
            "long chunk never yields a part shorter than min_chunk"
        )
    starts = [0]
    for i in np.flatnonzero(distances > threshold):
        if i + 1 - starts[-1] >= min_chunk:
            starts.append(int(i) + 1)
    bounds = _merge_short_tail(_bounds_from_starts(np.asarray(starts, dtype=np.int64), n_kept), min_chunk)
    return _split_long(bounds, max_chunk)


def _bounds_from_starts(starts: np.ndarray, n_kept: int) -> np.ndarray:
    ends = np.r_[starts[1:], n_kept]
    return np.stack([starts, ends], axis=1).astype(np.int64)


def _merge_short_tail(bounds: np.ndarray, min_chunk: int) -> np.ndarray:
    if len(bounds) > 1 and bounds[-1, 1] - bounds[-1, 0] < min_chunk:
        merged = bounds[:-1].copy()
        merged[-1, 1] = bounds[-1, 1]
        return merged
    return bounds


def _split_long(bounds: np.ndarray, max_chunk: int) -> np.ndarray:
    pieces: list[np.ndarray] = []
    for start, end in bounds:
        n_parts = -(-(end - start) // max_chunk)  # ceil
        edges = start + (np.arange(n_parts + 1) * (end - start)) // n_parts
        pieces.append(np.stack([edges[:-1], edges[1:]], axis=1))
    return np.concatenate(pieces).astype(np.int64)


def _check_counts(n_kept: int, frames_per_chunk: int = 1, min_chunk: int = 1, max_chunk: int = 1) -> None:
    if n_kept < 1:
        raise ValueError(f"chunking needs at least one kept frame, got n_kept={n_kept}")
    for name, value in (("frames_per_chunk", frames_per_chunk), ("min_chunk", min_chunk), ("max_chunk", max_chunk)):
        if value < 1:
            raise ValueError(f"chunking: {name} must be >= 1, got {value}")
