"""Split the encode work over processes (GPUs, nodes) started by ``torchrun``: rank r of W encodes its share.

The engine is plain ``torch.distributed``: torchrun (or srun) sets RANK / WORLD_SIZE / LOCAL_RANK and the
rendezvous, and the only collectives are control messages (the list of videos to encode, the per-rank
reports), so the ``gloo`` backend serves CPU and GPU runs alike and no NCCL setup is needed. Encoding is
embarrassingly parallel: nothing here synchronises tensors.

Why the store needs no merge step: each video is one file, written atomically, and every video is assigned
to exactly one rank, so no file is written by two processes. The store's listing is the folder itself (no
index file). The one shared output, the encode report, is merged from all ranks' reports after every rank has
finished (the all-gather is the barrier) and saved by rank 0 only (see ``pipelines/encode/launch.py``).
"""

from __future__ import annotations

import heapq
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import torch.distributed as dist

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Ranks wait for the slowest one in the final all-gather; shards are balanced, but allow for long jobs.
# torchrun tears the whole group down when a rank dies, so a long timeout never hides a crash.
COLLECTIVE_TIMEOUT = timedelta(hours=24)


@dataclass(frozen=True)
class Shard:
    """This process's place in the run: rank of world_size; local_rank picks its GPU on the node."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def current_shard() -> Shard:
    """The initialised process group's view, else a single process.

    ``WORLD_SIZE > 1`` without a process group means each process was started by torchrun around a plain
    ``kedro run``: every process then encodes every missing video. That is correct (files are atomic and
    identical) but not sharded, so it is logged.
    """
    if dist.is_available() and dist.is_initialized():
        return Shard(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        logger.warning("WORLD_SIZE=%s but no process group: encoding is not sharded. Launch with "
                       "`torchrun ... -m nlv_kedro.launchers.encode` to shard it", os.environ["WORLD_SIZE"])
    return Shard()


def init_from_env(backend: str = "gloo") -> Shard:
    """Join the process group torchrun describes in the environment (env:// rendezvous)."""
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, timeout=COLLECTIVE_TIMEOUT)
    return current_shard()


def balanced_shards(costs: Sequence[int], world_size: int) -> list[list[int]]:
    """Positions of ``costs`` per rank, longest first onto the least-loaded rank (ties: lowest rank).

    Deterministic, so every rank computes the same split; each rank's positions are returned in
    ascending order to keep the input order (and the files' order of appearance) within a rank.
    """
    if world_size < 1:
        raise ValueError(f"world_size must be >= 1, got {world_size}")
    loads = [(0, rank) for rank in range(world_size)]
    shards: list[list[int]] = [[] for _ in range(world_size)]
    for position in sorted(range(len(costs)), key=lambda p: (-costs[p], p)):
        load, rank = heapq.heappop(loads)
        shards[rank].append(position)
        heapq.heappush(loads, (load + int(costs[position]), rank))
    return [sorted(shard) for shard in shards]


def rank_device(device: str, local_rank: int) -> str:
    """``cuda`` -> ``cuda:<local_rank>`` (one GPU per process on a node); ``cpu`` and ``cuda:N`` are kept."""
    return f"cuda:{local_rank}" if device == "cuda" else device


def broadcast_from_rank0(value: T) -> T:
    """Rank 0's ``value`` on every rank (a no-op without a process group)."""
    if not (dist.is_available() and dist.is_initialized()):
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather_to_all(value: T) -> list[T]:
    """Every rank's ``value``, in rank order, on every rank; returns only after all ranks got here."""
    if not (dist.is_available() and dist.is_initialized()):
        return [value]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, value)
    return out


def merge_reports(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One encode report from the per-rank ones: counts add up, wall time is the slowest rank's.

    Keys of the single-process report keep their meaning (``frames_per_s`` is the whole run's throughput);
    ``shards`` lists what each rank did.
    """
    first = reports[0]
    frames = sum(r["frames_encoded"] for r in reports)
    seconds = max(r["seconds"] for r in reports)
    merged = {
        **first,
        "device": sorted({r["device"] for r in reports}),
        "videos_encoded": sum(r["videos_encoded"] for r in reports),
        "videos_failed": [f for r in reports for f in r["videos_failed"]],
        "frames_encoded": frames,
        "seconds": seconds,
        "frames_per_s": round(frames / seconds, 2) if seconds else 0.0,
    }
    merged["shards"] = [
        {"rank": rank, "device": r["device"], "videos_assigned": r["videos_assigned"],
         "videos_encoded": r["videos_encoded"], "frames_encoded": r["frames_encoded"], "seconds": r["seconds"]}
        for rank, r in enumerate(reports)
    ]
    merged.pop("videos_assigned", None)
    return merged
