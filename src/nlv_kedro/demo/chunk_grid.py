"""What the shipped frame plan and segment pooling make of a demo video: its chunks and their quarters.

The structure recipes place each arrangement on this grid, so that 2- and 4-segment pooling see it inside one
segment mean."""

from __future__ import annotations

from nlv_kedro.demo.plan import Canvas
from nlv_kedro.video.chunking import fixed_count_chunks
from nlv_kedro.video.config import PlanConfig
from nlv_kedro.video.sampling import uniform_indices

PLAN = PlanConfig()  # the shipped frame plan (conf/base parameters_preprocess.yml), which the placement targets
QUARTERS = 4  # 2- and 4-segment pooling both split at quarter boundaries


def chunk_grid(canvas: Canvas, n_total: int) -> list[tuple[int, int, int]]:
    """(first frame, end frame, quarter) of each chunk the shipped frame plan makes of an `n_total`-frame video.

    The plan samples 2 frames a second and groups 4 sampled frames into a chunk (a short tail joins the last
    one); segment pooling puts chunk t of n into quarter floor(4t / n) (`models.pooling`). A chunk's frames
    run from its first sampled frame to the next chunk's, so anything drawn inside them lands in that chunk
    only (assuming no frame is dropped as a near-duplicate: the backgrounds here always move).
    """
    sampled = uniform_indices(n_total, canvas.fps, PLAN.target_fps, PLAN.max_frames)
    bounds = fixed_count_chunks(len(sampled), PLAN.frames_per_chunk, PLAN.min_chunk)
    edges = [*(int(i) for i in sampled[bounds[:, 0]]), n_total]
    n = len(bounds)
    return [(edges[t], edges[t + 1], t * QUARTERS // n) for t in range(n)]


def quarter_spans(canvas: Canvas, n_total: int) -> list[tuple[int, int]]:
    """(first frame, end frame) of each quarter as segment pooling sees it under the shipped frame plan."""
    grid = chunk_grid(canvas, n_total)
    return [(min(a for a, _, q in grid if q == k), max(b for _, b, q in grid if q == k)) for k in range(QUARTERS)]
