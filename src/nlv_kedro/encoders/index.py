"""Encoding of an indexed, planned video set: chunk embeddings into the embedding store (incremental,
shardable under torchrun) and text embeddings of captions and QA pairs."""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders import build_frame_encoder, build_text_encoder
from nlv_kedro.encoders.base import FrameEncoder
from nlv_kedro.encoders.engine import EncodeJob, EncodeStats, encode_jobs, file_identity, job_fingerprint
from nlv_kedro.encoders.sharding import (
    Shard,
    balanced_shards,
    broadcast_from_rank0,
    current_shard,
    gather_to_all,
    merge_reports,
    rank_device,
)
from nlv_kedro.encoders.config import EncodeConfig
from nlv_kedro.video.plan import IndexRootMismatch, check_index_root

logger = logging.getLogger(__name__)


def build_jobs(video_index: pd.DataFrame, chunk_plan: dict, root: str, encoder_fp: str, pooling: str) -> list[EncodeJob]:
    """One job per planned video of the index, in index order."""
    jobs = []
    for row in video_index.to_dict("records"):
        plan = chunk_plan.get(row["video_id"])
        if plan is None:  # failed planning; reported by preprocess
            continue
        indices, bounds = np.asarray(plan["kept_indices"]), np.asarray(plan["chunk_bounds"])
        path = Path(root) / row["path"]
        jobs.append(EncodeJob(
            video_id=row["video_id"], path=str(path), decoder=row.get("decoder", "decord"),
            frame_indices=indices, chunk_bounds=bounds,
            chunk_start_s=np.asarray(plan["chunk_start_s"]), chunk_end_s=np.asarray(plan["chunk_end_s"]),
            fingerprint=job_fingerprint(encoder_fp, pooling, indices, bounds, file_identity(path)),
        ))
    if not jobs:
        raise IndexRootMismatch(f"chunk_plan plans none of the {len(video_index)} videos of video_index: run "
                                "preprocess with the same ingest.root first")
    return jobs


def encode_videos(
    video_index: pd.DataFrame, chunk_plan: dict, root: str, store: EmbeddingStore, params: EncodeConfig
) -> dict:
    """Encode into ``store`` the videos whose stored vectors are missing or stale; skip the rest (resumable).
    Returns the encode report (counts, throughput, encoder, each failed video with its file and reason).

    A stale index or plan (another ``ingest.root``), or every video failing, raises instead. One run at a
    time writes a store: a second one waits for the store's lock, then skips what the first wrote. Under
    ``torchrun`` (an initialised process group) each rank encodes its balanced share of the missing
    videos into the same store, without that lock, and every rank returns the merged report; see
    ``encoders/sharding.py``.
    """
    check_index_root(video_index, root)
    if params.num_threads:
        torch.set_num_threads(params.num_threads)
    shard = current_shard()
    device = params.resolved_device()
    if shard.distributed:  # one GPU per process: cuda -> cuda:<LOCAL_RANK>
        device = rank_device(device, shard.local_rank)
    encoder = build_frame_encoder(params.frame_encoder, params.image_size, device, params.trust_remote_code)
    jobs = build_jobs(video_index, chunk_plan, root, encoder.fingerprint(), params.pooling)
    unstorable = [{"video_id": j.video_id, "path": j.path, "reason": "video_id cannot be a file name: re-run ingest"}
                  for j in jobs if not store.accepts(j.video_id)]
    jobs = [job for job in jobs if store.accepts(job.video_id)]
    with nullcontext() if shard.distributed else store.writing():
        todo = [job for job in jobs if not store.is_current(job.video_id, job.fingerprint)]
        mine = _my_share(jobs, todo, shard) if shard.distributed else todo
        logger.info("Encoding %d of %d videos with %s (%d already current)", len(mine), len(jobs), encoder.name,
                    len(jobs) - len(todo))
        stats = encode_jobs(mine, encoder, store, params.batch_size, params.num_workers, params.pooling,
                            {"encoder_fingerprint": encoder.fingerprint()})
    stats.failed[:0] = unstorable if shard.rank == 0 else []  # every rank saw them; report them once
    report = _report(encoder, stats, len(jobs) + len(unstorable), len(jobs) - len(todo))
    logger.info("Encoded %d videos (%d frames, %.1f frames/s); %d failed", len(stats.encoded), stats.frames,
                stats.frames_per_s, len(stats.failed))
    if shard.distributed:
        report = merge_reports(gather_to_all({**report, "videos_assigned": len(mine)}))
    _check_any_usable(report, root)
    return report


def _report(encoder: FrameEncoder, stats: EncodeStats, planned: int, current: int) -> dict:
    return {
        "encoder": encoder.name, "encoder_fingerprint": encoder.fingerprint(), "dim": encoder.dim,
        "input_size": list(encoder.input_size), "device": str(encoder.device),
        "videos_planned": planned, "videos_skipped_current": current,
        "videos_encoded": len(stats.encoded), "videos_failed": stats.failed,
        "frames_encoded": stats.frames, "seconds": round(stats.seconds, 3), "frames_per_s": round(stats.frames_per_s, 2),
    }


def _check_any_usable(report: dict, root: str) -> None:
    """Every video failing is an input problem, not a result: fail, naming ``ingest.root`` and one file."""
    failed = report["videos_failed"]
    if failed and not report["videos_encoded"] and not report["videos_skipped_current"]:
        raise IndexRootMismatch(f"all {len(failed)} videos under ingest.root '{root}' failed to encode (e.g. "
                                f"{failed[0]['path']}: {failed[0]['reason']})")


def _my_share(jobs: list[EncodeJob], todo: list[EncodeJob], shard: Shard) -> list[EncodeJob]:
    """This rank's videos: rank 0's list of what is missing, split by kept frames so ranks finish together.

    Only rank 0's view of the store counts: on a shared file system ranks may see files appear at different
    times, and all ranks must agree on one split.
    """
    wanted = broadcast_from_rank0([job.video_id for job in todo])
    by_id = {job.video_id: job for job in jobs}
    unknown = [v for v in wanted if v not in by_id]
    if unknown:
        raise RuntimeError(f"rank {shard.rank} has no plan for {len(unknown)} videos rank 0 will encode "
                           f"(e.g. {unknown[:3]}): all ranks must read the same video_index and chunk_plan")
    share = [by_id[v] for v in wanted]
    positions = balanced_shards([len(job.frame_indices) for job in share], shard.world_size)[shard.rank]
    return [share[p] for p in positions]


def encode_texts(video_index: pd.DataFrame, params: EncodeConfig) -> dict:
    """Each video's caption embedded with the text encoder (what retrieval ranks videos against)."""
    encoder = build_text_encoder(params.text_encoder)
    captions = video_index["caption"].fillna("").astype(str).tolist()
    tensors = {"captions": encoder.encode(captions)}
    meta = {"caption_video_ids": video_index["video_id"].astype(str).tolist(), "fingerprint": encoder.fingerprint()}
    return {"tensors": tensors, "metadata": {k: json.dumps(v) if not isinstance(v, str) else v for k, v in meta.items()}}
