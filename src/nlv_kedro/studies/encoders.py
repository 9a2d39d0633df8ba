"""RQ1, frame encoders: which frozen encoder gives the best video vectors, and at what cost?

The subset's planned chunks are encoded with every encoder (reusing ``chunk_embeddings`` for the encoder that
made them), then mean-pooling is compared with a NextLevel model pretrained on that encoder's vectors of the
subset's train videos.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import torch

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders import build_frame_encoder
from nlv_kedro.encoders.base import FrameEncoder
from nlv_kedro.encoders.engine import pool_chunks
from nlv_kedro.reporting.compute import count_flops, count_parameters
from nlv_kedro.studies.frames import encode_frames, stored_frames
from nlv_kedro.studies.params import EncoderSweep
from nlv_kedro.studies.pretraining import diagnostics, short_pretraining, untrained_model
from nlv_kedro.studies.probe import mean_pool_vectors, probe_on_val, temporal_pool_vectors
from nlv_kedro.studies.videos import split_sequences
from nlv_kedro.training.artifact import pooled_vectors
from nlv_kedro.training.data import Sequences
from nlv_kedro.training.recipe import PretrainParams

logger = logging.getLogger(__name__)


def chunk_frame_positions(bounds: np.ndarray, per_chunk: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Positions (into a plan's kept frames) of up to ``per_chunk`` evenly spread frames of each chunk, and the
    chunk bounds over those positions. ``None`` keeps every frame."""
    positions, new_bounds = [], []
    for start, end in np.asarray(bounds, np.int64):
        chosen = np.arange(start, end) if per_chunk is None else np.unique(
            np.linspace(start, end - 1, min(per_chunk, end - start)).round().astype(np.int64))
        new_bounds.append([sum(len(p) for p in positions), sum(len(p) for p in positions) + len(chosen)])
        positions.append(chosen)
    return np.concatenate(positions), np.asarray(new_bounds, np.int64)


def _forward_frames_per_s(encoder: FrameEncoder, n_frames: int, repeats: int = 3) -> float:
    """Best of ``repeats`` timed forward passes of a synthetic batch (the least disturbed by other work)."""
    batch = torch.zeros(n_frames, 3, *encoder.input_size)
    best = float("inf")
    with torch.inference_mode():
        encoder.encode(batch[:2])  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            encoder.encode(batch)
            best = min(best, time.perf_counter() - start)
    return n_frames / best


def _encoder_sequences(videos: pd.DataFrame, chunk_plan: dict, root: str, store: EmbeddingStore,
                       encoder: FrameEncoder, per_chunk: int | None, pooling: str, batch_size: int,
                       num_workers: int) -> tuple[Sequences, dict]:
    layout = {v: chunk_frame_positions(chunk_plan[v]["chunk_bounds"], per_chunk) for v in videos["video_id"]}
    frames = {v: np.asarray(chunk_plan[v]["kept_indices"], np.int64)[layout[v][0]] for v in videos["video_id"]}
    reuse = all(store.metadata(v).get("encoder_fingerprint") == encoder.fingerprint() for v in videos["video_id"])
    cache = {v: stored_frames(store, v) if reuse else {} for v in videos["video_id"]}
    missing = {v: np.array(sorted(set(frames[v].tolist()) - set(cache[v])), np.int64) for v in videos["video_id"]}
    encoded, seconds, n_encoded = encode_frames(videos, missing, root, encoder, batch_size, num_workers)
    for video_id, vectors in encoded.items():
        cache[video_id].update(vectors)
    vectors, times = [], []
    for video_id in videos["video_id"]:
        if not all(int(i) in cache[video_id] for i in frames[video_id]):
            raise ValueError(f"RQ1: video '{video_id}' could not be decoded for {encoder.name}; "
                             "re-run ingest so it is quarantined, or drop it from the index")
        stacked = torch.from_numpy(np.stack([cache[video_id][int(i)] for i in frames[video_id]]))
        vectors.append(pool_chunks(stacked, layout[video_id][1], pooling).numpy().astype(np.float32))
        plan = chunk_plan[video_id]
        times.append(np.stack([plan["chunk_start_s"], plan["chunk_end_s"]], axis=1).astype(np.float32))
    info = {"frames_encoded": int(n_encoded), "encode_seconds": round(seconds, 2), "reused_chunk_embeddings": reuse,
            "frames_per_chunk_encoded": float(np.mean([len(f) for f in frames.values()]) /
                                              np.mean([len(layout[v][1]) for v in layout]))}
    return Sequences(videos["video_id"].tolist(), vectors, times), info


def _encoder_row(encoder: FrameEncoder, videos: pd.DataFrame, chunk_plan: dict, root: str, store: EmbeddingStore,
                 pretrain: PretrainParams, sweep: EncoderSweep, probe_c: float, pooling: str, batch_size: int,
                 num_workers: int) -> dict:
    """Cost and val probes of one encoder: mean-pooling, temporal pooling, NextLevel trained and untrained."""
    sequences, info = _encoder_sequences(videos, chunk_plan, root, store, encoder, sweep.frames_per_chunk,
                                         pooling, batch_size, num_workers)
    train = split_sequences(sequences, videos, "train")
    artifact, history, seconds = short_pretraining(train, split_sequences(sequences, videos, "val"), pretrain,
                                                   f"rq1 {encoder.name}")
    frame = torch.zeros(1, 3, *encoder.input_size)
    return {
        "encoder": encoder.name, "available": True, "dim": encoder.dim, "input_size": list(encoder.input_size),
        "params": count_parameters(encoder.module)["total"],
        "flops_per_frame": count_flops(lambda: encoder.encode(frame)),
        "forward_frames_per_s": round(_forward_frames_per_s(encoder, sweep.throughput_frames), 2), **info,
        "pretrain_seconds": round(seconds, 2), "diagnostics": diagnostics(history["final"]),
        "mean_pool": probe_on_val(mean_pool_vectors(sequences), videos, probe_c),
        "temporal_pool": probe_on_val(temporal_pool_vectors(sequences, pretrain.model.pool_segments), videos,
                                      probe_c),
        "nextlevel": probe_on_val(pooled_vectors(artifact, sequences), videos, probe_c),
        "nextlevel_untrained": probe_on_val(pooled_vectors(untrained_model(pretrain, train), sequences),
                                            videos, probe_c),
    }


def encoder_sweep(videos: pd.DataFrame, chunk_plan: dict, root: str, store: EmbeddingStore,
                  pretrain: PretrainParams, sweep: EncoderSweep, image_size: int | None, probe_c: float,
                  pooling: str, batch_size: int, num_workers: int, device: str = "cpu") -> dict:
    """RQ1: one row per encoder name; an encoder that cannot be built here is listed with its error."""
    rows = []
    for name in sweep.names:
        try:
            encoder = build_frame_encoder(name, sweep.image_size or image_size, device)
        except (ImportError, OSError, ValueError) as exc:
            logger.warning("RQ1: encoder %r is not available here (%s)", name, exc)
            rows.append({"encoder": name, "available": False, "error": str(exc)})
            continue
        rows.append(_encoder_row(encoder, videos, chunk_plan, root, store, pretrain, sweep, probe_c, pooling,
                                 batch_size, num_workers))
        logger.info("RQ1 %-20s mean-pool %.3f  nextlevel %.3f", encoder.name, rows[-1]["mean_pool"]["top1"],
                    rows[-1]["nextlevel"]["top1"])
    return {"videos": {s: int((videos["split"] == s).sum()) for s in ("train", "val")},
            "frames_per_chunk": sweep.frames_per_chunk, "pretrain_epochs": pretrain.trainer.max_epochs,
            "encoders": rows}
