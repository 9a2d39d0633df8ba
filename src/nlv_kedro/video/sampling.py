"""Choose which frames to look at: uniform sampling, near-duplicate dropping, colour-histogram distances.

All functions are pure and work on small planning thumbnails, (N, h, w, 3) uint8 RGB. Differences and
distances are in [0, 1] so that thresholds mean the same thing whatever the thumbnail size.
"""

from __future__ import annotations

import logging
import math

import numpy as np

logger = logging.getLogger(__name__)

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601, what "grayscale" usually means


def uniform_indices(n_frames: int, fps: float, target_fps: float, max_frames: int) -> np.ndarray:
    """Frame indices sampled every ``fps / target_fps`` frames, starting at frame 0.

    When that gives more than ``max_frames`` indices, ``max_frames`` indices are instead spread uniformly over
    the whole video (so a long video is covered end to end, just more sparsely). ``target_fps >= fps`` keeps
    every frame. Contract: int64, strictly increasing, within ``[0, n_frames)``, first index 0, never empty.
    """
    if n_frames < 1:
        raise ValueError(f"uniform_indices: n_frames must be >= 1, got {n_frames}")
    if not fps > 0 or not target_fps > 0:
        raise ValueError(f"uniform_indices: fps and target_fps must be > 0, got fps={fps} target_fps={target_fps}")
    if max_frames < 1:
        raise ValueError(f"uniform_indices: max_frames must be >= 1, got {max_frames}")
    step = max(1.0, fps / target_fps)
    count = min(n_frames, math.ceil(n_frames / step))
    if count > max_frames:
        count, step = max_frames, n_frames / max_frames
    # floor(k * step) with step >= 1 is strictly increasing; the clip only guards float round-off at the end.
    indices = np.minimum(np.floor(np.arange(count) * step), n_frames - 1).astype(np.int64)
    assert indices.size >= 1 and np.all(np.diff(indices) > 0), "uniform_indices must be strictly increasing"
    return indices


def to_gray(thumbs: np.ndarray) -> np.ndarray:
    """(N, h, w, 3) uint8 RGB -> (N, h, w) float32 luma in [0, 1]."""
    _check_thumbs(thumbs)
    return (thumbs.astype(np.float32) @ _LUMA) / 255.0


def frame_difference(a: np.ndarray, b: np.ndarray, grid: int = 4) -> float:
    """Largest per-cell mean absolute difference of two (h, w) gray frames split into a grid x grid layout.

    A whole-frame mean hides a small object moving over a still background (a ball covering 2% of the
    frame moves the mean by ~0.003, below sensor noise on a real shot); the busiest cell sees it, while
    noise, which averages within every cell, stays low everywhere. ``grid = 1`` is the plain mean.
    """
    diff = np.abs(a - b)
    h, w = diff.shape
    g = max(1, min(grid, h, w))
    cells = diff[: h // g * g, : w // g * g].reshape(g, h // g, g, w // g).mean(axis=(1, 3))
    return float(cells.max())


def drop_near_duplicates(thumbs: np.ndarray, threshold: float, grid: int = 4) -> np.ndarray:
    """Keep-mask (N,) bool: a frame is dropped when its :func:`frame_difference` to the LAST KEPT frame is
    below ``threshold``.

    Comparing with the last kept frame (not the previous frame) means slow drift still produces a new frame
    once it has accumulated. The first frame is always kept; ``threshold = 0`` keeps every frame.
    """
    if threshold < 0:
        raise ValueError(f"drop_near_duplicates: threshold must be >= 0, got {threshold}")
    gray = to_gray(thumbs)
    keep = np.zeros(len(gray), dtype=bool)
    if len(gray) == 0:
        return keep
    keep[0] = True
    last_kept = gray[0]
    for i in range(1, len(gray)):
        if frame_difference(gray[i], last_kept, grid) >= threshold:
            keep[i] = True
            last_kept = gray[i]
    logger.debug("drop_near_duplicates kept %d of %d frames (threshold %.4f)", keep.sum(), keep.size, threshold)
    return keep


def colour_histograms(thumbs: np.ndarray, bins: int = 16) -> np.ndarray:
    """Per-channel colour histograms, each normalised to sum 1 -> (N, 3, bins) float64."""
    _check_thumbs(thumbs)
    if not 1 <= bins <= 256:
        raise ValueError(f"colour_histograms: bins must be in [1, 256], got {bins}")
    n = thumbs.shape[0]
    binned = (thumbs.reshape(n, -1, 3).astype(np.int64) * bins) // 256  # (N, P, 3) bin ids
    # One bincount over (frame, channel, bin) ids instead of a Python loop over frames.
    offsets = (np.arange(n)[:, None, None] * 3 + np.arange(3)[None, None, :]) * bins
    counts = np.bincount((binned + offsets).ravel(), minlength=n * 3 * bins).reshape(n, 3, bins)
    return counts / max(1, binned.shape[1])


def histogram_distance(a: np.ndarray, b: np.ndarray, bins: int = 16) -> float:
    """Colour distance of two thumbnails (h, w, 3): half the L1 distance of their per-channel histograms,
    averaged over channels -> [0, 1] (0 = same colour distribution, 1 = disjoint)."""
    hists = colour_histograms(np.stack([a, b]), bins=bins)
    return float(0.5 * np.abs(hists[0] - hists[1]).sum(axis=-1).mean())


def consecutive_histogram_distances(thumbs: np.ndarray, bins: int = 16) -> np.ndarray:
    """:func:`histogram_distance` between each thumbnail and the next -> (N - 1,) float in [0, 1]."""
    hists = colour_histograms(thumbs, bins=bins)
    return 0.5 * np.abs(np.diff(hists, axis=0)).sum(axis=-1).mean(axis=-1)


def _check_thumbs(thumbs: np.ndarray) -> None:
    if thumbs.ndim != 4 or thumbs.shape[-1] != 3 or thumbs.dtype != np.uint8:
        raise ValueError(f"thumbnails must be (N, h, w, 3) uint8, got {thumbs.shape} {thumbs.dtype}")
