"""The frame plan of one video: which frames the encoder will read and how they group into chunks.

``plan_video`` = uniform sampling -> tiny decode-time-resized thumbnails of the sampled frames only ->
near-duplicate dropping -> chunking. The expensive full-resolution decode happens later, in ``encode``, and
only for the kept frames. ``plan_from_thumbnails`` is the pure part, usable without any video file.

Timestamps assume a constant frame rate: frame i is shown at ``i / fps`` seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from nlv_kedro.video.chunking import fixed_count_chunks, fixed_duration_chunks, scene_chunks
from nlv_kedro.video.config import PLAN_ALGORITHM_VERSION, ChunkingStrategy, PlanConfig  # noqa: F401 - re-exported
from nlv_kedro.video.decode import VideoDecodeError, decode_batch, open_reader, read_frames_pyav
from nlv_kedro.video.sampling import consecutive_histogram_distances, drop_near_duplicates, uniform_indices

logger = logging.getLogger(__name__)

_DERIVED_KEYS = ("n_kept", "n_chunks", "kept_ratio")  # in to_dict for reporting, recomputed by from_dict


@dataclass(eq=False)
class VideoPlan:
    """Plan of one video. ``chunk_bounds`` rows are half-open ``[start, end)`` positions into ``kept_indices``;
    ``chunk_end_s`` = timestamp of the chunk's last kept frame + 1 / fps."""

    video_id: str
    fps: float
    kept_indices: np.ndarray  # (n_kept,) int64 frame indices into the video, strictly increasing
    chunk_bounds: np.ndarray  # (n_chunks, 2) int64
    chunk_start_s: np.ndarray  # (n_chunks,) float64
    chunk_end_s: np.ndarray  # (n_chunks,) float64
    n_frames_total: int
    n_sampled: int
    config_fingerprint: str = ""  # PlanConfig.fingerprint() of the config that produced this plan

    def __post_init__(self) -> None:
        self.kept_indices = np.asarray(self.kept_indices, dtype=np.int64).reshape(-1)
        self.chunk_bounds = np.asarray(self.chunk_bounds, dtype=np.int64).reshape(-1, 2)
        self.chunk_start_s = np.asarray(self.chunk_start_s, dtype=np.float64).reshape(-1)
        self.chunk_end_s = np.asarray(self.chunk_end_s, dtype=np.float64).reshape(-1)
        b = self.chunk_bounds
        contiguous = b.size > 0 and b[0, 0] == 0 and b[-1, 1] == self.n_kept and np.all(b[1:, 0] == b[:-1, 1])
        if not (contiguous and np.all(b[:, 1] > b[:, 0])):
            raise ValueError(f"VideoPlan '{self.video_id}': chunk_bounds must tile [0, {self.n_kept}) without gaps")
        if not (len(self.chunk_start_s) == len(self.chunk_end_s) == len(b)):
            raise ValueError(f"VideoPlan '{self.video_id}': need one start and end timestamp per chunk")

    @property
    def n_kept(self) -> int:
        return int(self.kept_indices.size)

    @property
    def n_chunks(self) -> int:
        return int(self.chunk_bounds.shape[0])

    @property
    def kept_ratio(self) -> float:
        """Fraction of the video's frames the encoder will decode: n_kept / n_frames_total."""
        return self.n_kept / self.n_frames_total

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (plain ints, floats, lists); derived stats are included for reporting."""
        return {
            "video_id": self.video_id,
            "fps": float(self.fps),
            "kept_indices": self.kept_indices.tolist(),
            "chunk_bounds": self.chunk_bounds.tolist(),
            "chunk_start_s": self.chunk_start_s.tolist(),
            "chunk_end_s": self.chunk_end_s.tolist(),
            "n_frames_total": int(self.n_frames_total),
            "n_sampled": int(self.n_sampled),
            "config_fingerprint": self.config_fingerprint,
            **{name: getattr(self, name) for name in _DERIVED_KEYS},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VideoPlan:
        """Inverse of :meth:`to_dict`; derived keys are recomputed, not trusted."""
        return cls(**{key: value for key, value in data.items() if key not in _DERIVED_KEYS})


def plan_from_thumbnails(
    video_id: str,
    sampled: np.ndarray,
    thumbs: np.ndarray,
    fps: float,
    n_frames: int,
    config: PlanConfig,
) -> VideoPlan:
    """Pure planning: ``thumbs`` (N, h, w, 3) uint8 are the thumbnails of frame indices ``sampled`` (N,)."""
    sampled = np.asarray(sampled, dtype=np.int64)
    if len(sampled) != len(thumbs) or len(sampled) == 0:
        raise ValueError(
            f"video '{video_id}': need one thumbnail per sampled frame, got {len(thumbs)} for {len(sampled)}"
        )
    keep = drop_near_duplicates(thumbs, config.dedup_threshold, config.dedup_grid)
    kept, kept_thumbs = sampled[keep], thumbs[keep]
    timestamps = kept / fps
    if config.chunking == "fixed_count":
        bounds = fixed_count_chunks(len(kept), config.frames_per_chunk, config.min_chunk)
    elif config.chunking == "fixed_duration":
        bounds = fixed_duration_chunks(timestamps, config.chunk_seconds, config.min_chunk)
    else:
        distances = consecutive_histogram_distances(kept_thumbs)
        bounds = scene_chunks(distances, config.scene_threshold, config.min_chunk, config.max_chunk)
    return VideoPlan(
        video_id=video_id,
        fps=float(fps),
        kept_indices=kept,
        chunk_bounds=bounds,
        chunk_start_s=timestamps[bounds[:, 0]],
        chunk_end_s=timestamps[bounds[:, 1] - 1] + 1.0 / fps,
        n_frames_total=int(n_frames),
        n_sampled=len(sampled),
        config_fingerprint=config.fingerprint(),
    )


def plan_video(
    path: str | Path, video_id: str, fps: float, n_frames: int, config: PlanConfig, decoder: str = "decord"
) -> VideoPlan:
    """Plan one video file. ``fps`` and ``n_frames`` come from the video index (ingest).

    If the decoder finds fewer frames than ``n_frames`` (containers often over-report), planning uses the
    decodable count, logs a warning, and reports that count as ``n_frames_total``. Raises
    ``VideoDecodeError`` (naming the file) when the file cannot be decoded.
    """
    if not fps > 0 or n_frames < 1:
        raise ValueError(f"video '{video_id}' ({path}): need fps > 0 and n_frames >= 1, got {fps}, {n_frames}")
    if decoder == "pyav":  # ingest found decord cannot open this container; its frame count is exact
        sampled = uniform_indices(n_frames, fps, config.target_fps, config.max_frames)
        thumbs = read_frames_pyav(path, sampled, config.thumb_width, config.thumb_height)
        return plan_from_thumbnails(video_id, sampled, thumbs, fps, n_frames, config)
    reader = open_reader(path, width=config.thumb_width, height=config.thumb_height)
    if len(reader) < n_frames:
        logger.warning(
            "video '%s' (%s): index says %d frames but the decoder finds %d; planning over %d",
            video_id, path, n_frames, len(reader), len(reader),
        )
        n_frames = len(reader)
    sampled = uniform_indices(n_frames, fps, config.target_fps, config.max_frames)
    thumbs = decode_batch(reader, sampled, path)
    plan = plan_from_thumbnails(video_id, sampled, thumbs, fps, n_frames, config)
    logger.debug("video '%s': sampled %d, kept %d, %d chunks", video_id, plan.n_sampled, plan.n_kept, plan.n_chunks)
    return plan


class IndexRootMismatch(ValueError):
    """``video_index`` does not describe the videos under ``ingest.root`` (stale index or wrong root)."""


def check_index_root(video_index: pd.DataFrame, root: str | Path) -> None:
    """Fail fast, in one line naming ``ingest.root``, when the index was made from another root or none of its
    videos exists under ``root`` (so a step never replaces a good output with an empty one)."""
    if video_index.empty:
        raise IndexRootMismatch("video_index is empty: run the ingest pipeline first")
    indexed = {str(r) for r in video_index.get("ingest_root", pd.Series(dtype=str)).dropna().unique() if str(r)}
    if indexed and all(i != str(root) and Path(i).resolve() != Path(root).resolve() for i in indexed):
        made = sorted(indexed)[0]
        raise IndexRootMismatch(f"video_index was made by ingest from '{made}' but ingest.root is '{root}': "
                                f"pass --params=ingest.root={made} (or the --env that sets it), or re-run ingest")
    paths = video_index["path"].astype(str)
    if not any((Path(root) / p).is_file() for p in paths):
        raise IndexRootMismatch(f"none of the {len(paths)} videos of video_index exists under ingest.root "
                                f"'{root}' (e.g. '{paths.iloc[0]}'): pass the ingest.root ingest indexed, or re-run ingest")


def plan_videos(video_index: pd.DataFrame, root: str | Path, config: PlanConfig) -> tuple[dict, dict]:
    """Plan every video of the index -> (``chunk_plan`` {video_id: plan dict}, kept-frame statistics).

    A video that fails to plan is listed under the statistics' ``failures`` with its file and reason and left
    out of the plan; it never stops the others. A stale index (see :func:`check_index_root`) or every video
    failing raises instead, so no empty plan replaces a good one.
    """
    check_index_root(video_index, root)
    plans: dict[str, dict] = {}
    failures: list[dict[str, str]] = []
    for row in tqdm(video_index.to_dict("records"), desc="planning frames", unit="video"):
        path = Path(root) / row["path"]
        try:
            plan = plan_video(path, row["video_id"], row["fps"], int(row["n_frames"]), config, row.get("decoder", "decord"))
        except VideoDecodeError as exc:
            failures.append({"video_id": row["video_id"], "path": row["path"], "reason": exc.reason})
        except Exception as exc:  # noqa: BLE001 - one odd video (bad id, odd stream) must not stop the rest
            failures.append({"video_id": row["video_id"], "path": row["path"],
                             "reason": f"planning failed: {type(exc).__name__}: {exc}"})
        else:
            plans[row["video_id"]] = plan.to_dict()
            continue
        logger.warning("Skipping %s: %s", path, failures[-1]["reason"])
    if not plans:
        raise IndexRootMismatch(f"all {len(failures)} videos under ingest.root '{root}' failed to plan (e.g. "
                                f"{failures[0]['path']}: {failures[0]['reason']}); chunk_plan is left as it was")
    stats = kept_frame_stats(plans)
    stats["failures"] = failures
    stats["plan_fingerprint"] = config.fingerprint()
    overall = stats["overall"]
    logger.info("Planned %d videos: kept %.1f%% of frames overall (%d of %d), %d chunks; %d failed", len(plans),
                100 * overall["kept_ratio"], overall["n_kept"], overall["n_frames_total"], overall["n_chunks"],
                len(failures))
    return plans, stats


def kept_frame_stats(plans: dict[str, dict]) -> dict:
    """Per-video and overall kept-frame ratios, sampled-vs-kept counts and chunk counts."""
    per_video = {
        vid: {k: p[k] for k in ("n_frames_total", "n_sampled", "n_kept", "n_chunks", "kept_ratio")}
        for vid, p in plans.items()
    }
    totals = {k: int(sum(v[k] for v in per_video.values())) for k in ("n_frames_total", "n_sampled", "n_kept", "n_chunks")}
    ratios = np.array([v["kept_ratio"] for v in per_video.values()]) if per_video else np.zeros(1)
    overall = {
        **totals,
        "n_videos": len(per_video),
        "kept_ratio": totals["n_kept"] / max(totals["n_frames_total"], 1),
        "kept_of_sampled": totals["n_kept"] / max(totals["n_sampled"], 1),
        "kept_ratio_per_video": {"mean": float(ratios.mean()), "min": float(ratios.min()), "max": float(ratios.max())},
    }
    return {"overall": overall, "per_video": per_video}
