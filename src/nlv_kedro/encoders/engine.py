"""Batch encoding of planned frames: decode in DataLoader workers, encode in full batches, store per video.

Frames of several videos share one forward batch (short videos would otherwise run tiny batches),
and decoding of the next videos overlaps the forward pass of the current batch. On CUDA the frames
travel as pinned uint8 (4x less than float), are normalised on the GPU, and run under autocast.
Each video is written to the store as soon as its last frame is encoded, so a killed run loses at
most the batch in flight.

Frames are streamed: a video is decoded ``batch_size`` kept frames at a time, so memory holds a few
segments of frames (prefetch + the batch being filled) whatever the video's length; only its
per-frame vectors (5 KB a frame at 1280-d) accumulate until the video is written.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info
from tqdm.auto import tqdm

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders.base import FrameEncoder
from nlv_kedro.video.decode import VideoDecodeError, iter_frames

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncodeJob:
    """One video to encode: the kept frames of its plan and their grouping into chunks."""

    video_id: str
    path: str
    decoder: str
    frame_indices: np.ndarray  # (n_kept,) frame indices to decode
    chunk_bounds: np.ndarray  # (n_chunks, 2) half-open positions into frame_indices
    chunk_start_s: np.ndarray  # (n_chunks,)
    chunk_end_s: np.ndarray  # (n_chunks,)
    fingerprint: str  # encoder + plan + pooling identity of the vectors this job produces


STORE_LAYOUT_VERSION = 2  # bump when the tensors written per video change (2: frame_embeddings added)


def job_fingerprint(encoder_fp: str, pooling: str, frame_indices: np.ndarray, chunk_bounds: np.ndarray,
                    source: str = "") -> str:
    """Changes when the encoder, the pooling, this video's plan, its file (``source``: size and modification
    time, see :func:`file_identity`) or the store layout changes."""
    digest = hashlib.sha256(f"{STORE_LAYOUT_VERSION}|{encoder_fp}|{pooling}|{source}|".encode())
    digest.update(np.asarray(frame_indices, np.int64).tobytes())
    digest.update(np.asarray(chunk_bounds, np.int64).tobytes())
    return digest.hexdigest()[:20]


def file_identity(path: str | Path) -> str:
    """``size:mtime_ns`` of a video file ("missing" when it is gone: decoding then reports it): a regenerated or
    replaced file under the same id is encoded again instead of keeping the old file's vectors."""
    try:
        stat = Path(path).stat()
    except OSError:
        return "missing"
    return f"{stat.st_size}:{stat.st_mtime_ns}"


class _FrameSegments(IterableDataset):
    """Items ``(job index, uint8 (n <= segment, H, W, 3) frames, "")`` in video order, or ``(i, None, reason)``
    once when job i fails to decode. DataLoader worker w decodes jobs w, w + n_workers, ... whole."""

    def __init__(self, jobs: Sequence[EncodeJob], size: tuple[int, int], segment: int) -> None:
        self.jobs, self.size, self.segment = jobs, size, segment

    def __iter__(self) -> Iterator[tuple[int, torch.Tensor | None, str]]:
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        height, width = self.size
        for i in range(worker, len(self.jobs), workers):
            job = self.jobs[i]
            try:
                for frames in iter_frames(job.path, job.frame_indices, self.segment, width, height, job.decoder):
                    yield i, torch.from_numpy(frames), ""
            except VideoDecodeError as exc:
                yield i, None, exc.reason
            except Exception as exc:  # noqa: BLE001 - one odd video must not stop the others
                yield i, None, f"decoding failed: {type(exc).__name__}: {exc}"


@dataclass
class EncodeStats:
    encoded: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    frames: int = 0
    seconds: float = 0.0

    @property
    def frames_per_s(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def pool_chunks(frame_vectors: torch.Tensor, bounds: np.ndarray, pooling: str) -> torch.Tensor:
    """(n_kept, D) frame vectors -> (n_chunks, D) chunk vectors by ``mean`` or ``max`` over each chunk."""
    if pooling not in ("mean", "max"):
        raise ValueError(f"encode.pooling must be 'mean' or 'max', got {pooling!r}")
    parts = [frame_vectors[s:e] for s, e in bounds]
    return torch.stack([p.mean(0) if pooling == "mean" else p.amax(0) for p in parts])


class _Batcher:
    """Frames of several videos waiting for one full forward batch; each video is written to the store as soon
    as its last frame is encoded."""

    def __init__(self, jobs: Sequence[EncodeJob], encoder: FrameEncoder, store: EmbeddingStore, pooling: str,
                 extra: dict[str, str], stats: EncodeStats) -> None:
        self.jobs, self.encoder, self.store, self.pooling, self.extra, self.stats = (
            jobs, encoder, store, pooling, extra, stats)
        self.pending: list[tuple[int, torch.Tensor]] = []  # (job index, uint8 frames not yet encoded)
        self.done: dict[int, list[torch.Tensor]] = {}
        self.progress = tqdm(total=sum(len(j.frame_indices) for j in jobs), desc="encoding frames", unit="frame")
        self.start = time.perf_counter()

    @property
    def waiting(self) -> int:
        return sum(len(f) for _, f in self.pending)

    def drop(self, i: int) -> None:
        """Forget job i (it failed to decode): its pending frames and any vectors encoded so far."""
        self.pending[:] = [(j, f) for j, f in self.pending if j != i]
        self.progress.update(len(self.jobs[i].frame_indices) - sum(len(p) for p in self.done.pop(i, [])))

    def finish(self, i: int, vectors: torch.Tensor) -> None:
        """Write job i; a store error (unwritable id, full disk) is reported for that video only."""
        job = self.jobs[i]
        try:
            _finish(job, vectors, self.store, self.pooling, self.encoder, self.extra)
        except (OSError, ValueError) as exc:
            logger.warning("Could not store video '%s' (%s): %s", job.video_id, job.path, exc)
            self.stats.failed.append({"video_id": job.video_id, "path": job.path, "reason": f"store: {exc}"})
            return
        self.stats.encoded.append(job.video_id)

    def run(self, n: int) -> None:
        """Encode the first ``n`` pending frames and hand each video its vectors."""
        taken, owners, left = [], [], n
        while left and self.pending:
            i, frames = self.pending[0]
            part, rest = frames[:left], frames[left:]
            taken.append(part)
            owners.append((i, len(part)))
            left -= len(part)
            self.pending[0:1] = [(i, rest)] if len(rest) else []
        batch = torch.cat(taken)
        cuda = self.encoder.device.type == "cuda"
        if cuda:  # page-locked uint8 -> asynchronous copy; normalisation then runs on the GPU
            batch = batch.pin_memory()
        vectors = _forward(self.encoder, batch.to(self.encoder.device, non_blocking=True), cuda)
        for (i, count), part in zip(owners, vectors.split([c for _, c in owners])):
            self.done.setdefault(i, []).append(part)
            if sum(len(p) for p in self.done[i]) == len(self.jobs[i].frame_indices):
                self.finish(i, torch.cat(self.done.pop(i)))
        self.stats.frames += len(batch)
        self.progress.update(len(batch))
        self.progress.set_postfix(fps=f"{self.stats.frames / (time.perf_counter() - self.start):.1f}")


def encode_jobs(
    jobs: Sequence[EncodeJob],
    encoder: FrameEncoder,
    store: EmbeddingStore,
    batch_size: int = 64,
    num_workers: int = 1,
    pooling: str = "mean",
    extra_metadata: dict[str, str] | None = None,
) -> EncodeStats:
    """Encode every job's frames and write one store entry per video; failures are reported, not raised."""
    if encoder.kind != "image":
        return _encode_video_kind(jobs, encoder, store, batch_size, extra_metadata or {})
    loader = DataLoader(
        _FrameSegments(jobs, encoder.input_size, batch_size), batch_size=None, num_workers=num_workers,
        prefetch_factor=4 if num_workers else None,
    )
    stats = EncodeStats()
    batcher = _Batcher(jobs, encoder, store, pooling, extra_metadata or {}, stats)
    for i, frames, reason in loader:
        if frames is None:  # this video's earlier segments may be pending or encoded already: drop them
            logger.warning("Skipping video '%s' (%s): %s", jobs[i].video_id, jobs[i].path, reason)
            stats.failed.append({"video_id": jobs[i].video_id, "path": jobs[i].path, "reason": reason})
            batcher.drop(i)
            continue
        batcher.pending.append((i, frames))
        while batcher.waiting >= batch_size:
            batcher.run(batch_size)
    while batcher.pending:
        batcher.run(batch_size)
    batcher.progress.close()
    stats.seconds = time.perf_counter() - batcher.start
    return stats


def _forward(encoder: FrameEncoder, batch: torch.Tensor, cuda: bool) -> torch.Tensor:
    with torch.inference_mode():
        if cuda:
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            with torch.autocast("cuda", dtype=dtype):
                return encoder.encode(encoder.preprocess(batch)).float().cpu()
        return encoder.encode(encoder.preprocess(batch))


def _finish(job: EncodeJob, vectors: torch.Tensor, store: EmbeddingStore, pooling: str, encoder: FrameEncoder,
            extra: dict[str, str]) -> None:
    _write(job, pool_chunks(vectors, job.chunk_bounds, pooling), store, pooling, encoder.name, extra,
           {"frame_embeddings": vectors.cpu().numpy().astype(np.float32)})


def _write(job: EncodeJob, chunks: torch.Tensor, store: EmbeddingStore, pooling: str, encoder_name: str,
           extra: dict[str, str], more: dict[str, np.ndarray] | None = None) -> None:
    """One store entry: chunk vectors (n_chunks, D) with their timestamps and the plan that made them;
    image encoders also keep the per-frame vectors (n_kept, D) for frame-level baselines."""
    store.write(
        job.video_id,
        {
            **(more or {}),
            "embeddings": chunks.cpu().numpy().astype(np.float32),
            "chunk_start_s": np.asarray(job.chunk_start_s, np.float32),
            "chunk_end_s": np.asarray(job.chunk_end_s, np.float32),
            "frame_indices": np.asarray(job.frame_indices, np.int64),
            "chunk_bounds": np.asarray(job.chunk_bounds, np.int64),
        },
        {"fingerprint": job.fingerprint, "encoder": encoder_name, "pooling": pooling, "video_id": job.video_id,
         **extra},
    )


def _chunk_clip_indices(job: EncodeJob, num_frames: int) -> Iterator[np.ndarray]:
    """For clip encoders: ``num_frames`` positions spread evenly over each chunk (repeating if short)."""
    for s, e in job.chunk_bounds:
        yield job.frame_indices[np.linspace(s, e - 1, num_frames).round().astype(int)]


def _encode_video_kind(jobs: Sequence[EncodeJob], encoder: FrameEncoder, store: EmbeddingStore,
                       batch_size: int, extra: dict[str, str]) -> EncodeStats:
    """Clip encoders (VideoMAE-style) see each chunk as one clip of ``encoder.num_frames`` frames, decoded
    ``batch_size // num_frames`` clips at a time."""
    stats, start = EncodeStats(), time.perf_counter()
    height, width = encoder.input_size
    t = encoder.num_frames or 8
    per_batch = max(1, batch_size // t)
    for job in tqdm(jobs, desc="encoding chunks", unit="video"):
        indices = np.concatenate(list(_chunk_clip_indices(job, t)))
        parts = []
        try:
            for frames in iter_frames(job.path, indices, per_batch * t, width, height, job.decoder):
                with torch.inference_mode():
                    x = encoder.preprocess(torch.from_numpy(frames).to(encoder.device))
                    parts.append(encoder.encode_chunks(x.view(-1, t, 3, height, width)).cpu())
            _write(job, torch.cat(parts), store, "clip", encoder.name, extra)
        except VideoDecodeError as exc:
            stats.failed.append({"video_id": job.video_id, "path": job.path, "reason": exc.reason})
            continue
        except Exception as exc:  # noqa: BLE001 - one odd video must not stop the others
            stats.failed.append({"video_id": job.video_id, "path": job.path,
                                 "reason": f"encoding failed: {type(exc).__name__}: {exc}"})
            continue
        stats.encoded.append(job.video_id)
        stats.frames += len(indices)
    stats.seconds = time.perf_counter() - start
    return stats
