"""RQ2, efficient processing: how many frames does the representation need?

Each setting re-plans the subset's videos with the project's own planner (``plan_from_thumbnails``): the
thumbnails of every sampling rate a video needs are decoded once, and each frame is encoded at most once: the
frames the encode pipeline already kept come from ``chunk_embeddings`` (when its encoder matches), only the
others are encoded, with the project's batched engine. So a setting's encode time is an estimate, frames kept
x the measured seconds per frame, which also keeps it free of the noise of a shared machine.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders.base import FrameEncoder
from nlv_kedro.encoders.engine import pool_chunks
from nlv_kedro.studies.frames import encode_frames, stored_frames
from nlv_kedro.studies.params import FrameSamplingSweep
from nlv_kedro.studies.probe import mean_pool_vectors, probe_on_val, temporal_pool_vectors
from nlv_kedro.training.artifact import TopModelArtifact, pooled_vectors
from nlv_kedro.training.data import Sequences
from nlv_kedro.video.decode import decode_batch, open_reader, read_frames_pyav
from nlv_kedro.video.plan import PlanConfig, VideoPlan, plan_from_thumbnails
from nlv_kedro.video.sampling import uniform_indices

logger = logging.getLogger(__name__)


def sweep_settings(base: PlanConfig, sweep: FrameSamplingSweep) -> list[tuple[str, PlanConfig]]:
    """(axis, config) pairs: the base plan first, then every swept value of one axis at a time."""
    settings, seen = [("base", base)], {base}
    for axis in ("target_fps", "dedup_threshold", "chunking"):
        for value in getattr(sweep, axis):
            config = _with(base, axis, value)
            if config not in seen:
                settings.append((axis, config))
                seen.add(config)
    return settings


def _with(config: PlanConfig, axis: str, value: object) -> PlanConfig:
    """``config`` with one field changed, validated again."""
    return PlanConfig.model_validate({**config.model_dump(), axis: value})


def setting_name(config: PlanConfig) -> str:
    return f"{config.target_fps:g} fps, dedup {config.dedup_threshold:g}, {config.chunking}"


def plan_video_settings(row: dict, root: str, configs: list[PlanConfig]) -> list[VideoPlan]:
    """One plan per config for one video, decoding the thumbnails of all their sampled frames once."""
    path, fps, n_frames = Path(root) / row["path"], float(row["fps"]), int(row["n_frames"])
    width, height = configs[0].thumb_width, configs[0].thumb_height
    reader = None
    if row["decoder"] != "pyav":
        reader = open_reader(path, width=width, height=height)
        n_frames = min(n_frames, len(reader))  # containers may over-report, as in plan_video
    sampled = [uniform_indices(n_frames, fps, c.target_fps, c.max_frames) for c in configs]
    union = np.unique(np.concatenate(sampled))
    thumbs = decode_batch(reader, union, path) if reader is not None else read_frames_pyav(path, union, width, height)
    position = np.searchsorted(union, np.concatenate(sampled))
    offsets = np.cumsum([0] + [len(s) for s in sampled])
    return [plan_from_thumbnails(row["video_id"], s, thumbs[position[offsets[k]:offsets[k + 1]]], fps, n_frames, c)
            for k, (c, s) in enumerate(zip(configs, sampled))]


def _chunk_sequences(videos: pd.DataFrame, plans: dict[str, VideoPlan], frames: dict[str, dict[int, np.ndarray]],
                     pooling: str) -> Sequences:
    vectors, times = [], []
    for video_id in videos["video_id"]:
        plan = plans[video_id]
        stacked = torch.from_numpy(np.stack([frames[video_id][int(i)] for i in plan.kept_indices]))
        vectors.append(pool_chunks(stacked, plan.chunk_bounds, pooling).numpy().astype(np.float32))
        times.append(np.stack([plan.chunk_start_s, plan.chunk_end_s], axis=1).astype(np.float32))
    return Sequences(videos["video_id"].tolist(), vectors, times)


def _setting_row(axis: str, config: PlanConfig, video_plans: dict[str, VideoPlan], usable: pd.DataFrame,
                 cache: dict[str, dict[int, np.ndarray]], pooling: str, top_model: TopModelArtifact,
                 compatible: bool, per_frame_s: float | None, probe_c: float) -> dict:
    """Frames kept, estimated encode time and the val probes of one setting (NextLevel: None when the top model
    was trained on another encoder's vectors)."""
    chosen = [video_plans[v] for v in usable["video_id"]]
    total, kept = sum(p.n_frames_total for p in chosen), sum(p.n_kept for p in chosen)
    sequences = _chunk_sequences(usable, video_plans, cache, pooling)
    temporal = temporal_pool_vectors(sequences, top_model.config.pool_segments)
    nextlevel = probe_on_val(pooled_vectors(top_model, sequences), usable, probe_c) if compatible else None
    row = {
        "name": setting_name(config), "axis": axis, "target_fps": config.target_fps,
        "dedup_threshold": config.dedup_threshold, "chunking": config.chunking,
        "frames_total": int(total), "frames_sampled": int(sum(p.n_sampled for p in chosen)),
        "frames_kept": int(kept), "frames_kept_pct": 100.0 * kept / max(total, 1),
        "chunks_per_video": float(np.mean([p.n_chunks for p in chosen])),
        "encode_s_est": None if per_frame_s is None else kept * per_frame_s,
        "mean_pool": probe_on_val(mean_pool_vectors(sequences), usable, probe_c),
        "temporal_pool": probe_on_val(temporal, usable, probe_c), "nextlevel": nextlevel,
    }
    logger.info("RQ2 %-40s kept %5.1f%%  mean-pool %.3f  nextlevel %s", row["name"], row["frames_kept_pct"],
                row["mean_pool"]["top1"], f"{nextlevel['top1']:.3f}" if nextlevel else "-")
    return row


def frame_sampling_sweep(videos: pd.DataFrame, root: str, store: EmbeddingStore, top_model: TopModelArtifact,
                         encoder: FrameEncoder, base: PlanConfig, sweep: FrameSamplingSweep, probe_c: float,
                         pooling: str, batch_size: int, num_workers: int,
                         fallback_frames_per_s: float | None) -> dict:
    """Frames kept, estimated encode time and val probe accuracy (mean-pooling, NextLevel) per setting."""
    settings = sweep_settings(base, sweep)
    configs = [config for _, config in settings]
    plans: list[dict[str, VideoPlan]] = [{} for _ in settings]
    for row in videos.to_dict("records"):
        for k, plan in enumerate(plan_video_settings(row, root, configs)):
            plans[k][row["video_id"]] = plan
    reuse = all(store.metadata(v).get("encoder_fingerprint") == encoder.fingerprint() for v in videos["video_id"])
    cache = {v: stored_frames(store, v) if reuse else {} for v in videos["video_id"]}
    missing = {v: np.array(sorted({int(i) for p in plans for i in p[v].kept_indices} - set(cache[v])), np.int64)
               for v in videos["video_id"]}
    logger.info("RQ2: %d settings on %d videos; encoding %d frames not in chunk_embeddings", len(settings),
                len(videos), sum(len(m) for m in missing.values()))
    encoded, seconds, n_encoded = encode_frames(videos, missing, root, encoder, batch_size, num_workers)
    for video_id, vectors in encoded.items():
        cache[video_id].update(vectors)
    usable = videos[[all(int(i) in cache[v] for p in plans for i in p[v].kept_indices) for v in videos["video_id"]]]
    per_frame_s = seconds / n_encoded if n_encoded >= 32 else (
        1.0 / fallback_frames_per_s if fallback_frames_per_s else None)
    compatible = encoder.fingerprint() in top_model.info.get("encoder_fingerprints", [encoder.fingerprint()])
    if not compatible:
        logger.warning("RQ2: top_model was trained on another encoder's vectors; NextLevel accuracy is left out")
    rows = [_setting_row(axis, config, video_plans, usable, cache, pooling, top_model, compatible, per_frame_s,
                         probe_c) for (axis, config), video_plans in zip(settings, plans)]
    return {"encoder": encoder.name, "videos": {"train": int((usable["split"] == "train").sum()),
                                                "val": int((usable["split"] == "val").sum())},
            "frames_encoded": int(n_encoded), "encode_seconds": round(seconds, 2),
            "seconds_per_frame": per_frame_s, "reused_chunk_embeddings": reuse, "settings": rows}
