"""Embed video files end to end: the project's ingest -> plan -> encode on the given files (in a temporary
store), then the registered top model -> contextual and pooled vectors per video, written as one safetensors
file. Used by ``python -m nlv_kedro.embed``."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from safetensors.numpy import save as save_safetensors

from nlv_kedro.datasets.atomic import atomic_write_bytes
from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders.config import EncodeConfig
from nlv_kedro.encoders.index import encode_videos
from nlv_kedro.ingestion.config import IngestConfig
from nlv_kedro.ingestion.steps import accept_index, discover_videos, gather_quarantine, probe_candidates, \
    validate_videos
from nlv_kedro.video.plan import PlanConfig, plan_videos


class EmbedError(RuntimeError):
    """A problem with the command's input (no video, unknown model): one readable line, exit code 1."""


@dataclass
class VideoVectors:
    video_id: str
    path: Path
    contextual: np.ndarray  # (T, d_model)
    pooled: np.ndarray  # (pooled_dim,)
    times: np.ndarray  # (T, 2) chunk start and end seconds


def find_videos(target: Path, extensions: list[str]) -> tuple[Path, list[Path]]:
    """(root, files): ``target`` itself, or the video files under the folder ``target`` (recursively)."""
    if not target.exists():
        raise EmbedError(f"{target}: no such file or folder")
    if target.is_file():
        return target.parent.resolve(), [target.resolve()]
    files = sorted(p.resolve() for p in target.rglob("*") if p.is_file() and p.suffix.lower() in extensions)
    if not files:
        raise EmbedError(f"no video found in {target} (extensions {', '.join(extensions)})")
    return target.resolve(), files


def video_ids(relative_paths: list[str]) -> list[str]:
    """File-name-safe, unique ids: ``sub/clip.mp4`` -> ``sub__clip`` (a repeat gets ``-2``, ``-3``...)."""
    ids: list[str] = []
    for path in relative_paths:
        base = re.sub(r"[^A-Za-z0-9_.-]", "_", str(Path(path).with_suffix("")).replace("/", "__"))
        name, n = base, 1
        while name in ids:
            n += 1
            name = f"{base}-{n}"
        ids.append(name)
    return ids


def encode_files(root: Path, files: list[Path], params: Mapping[str, Any], workdir: Path,
                 ) -> tuple[pd.DataFrame, EmbeddingStore]:
    """Ingest, plan and encode ``files`` (under ``root``) with the project's ``ingest``, ``preprocess`` and
    ``encode`` parameters; unusable files are skipped (as in the pipeline's quarantine), not fatal."""
    manifest = workdir / "manifest.csv"
    relative = [f.relative_to(root).as_posix() for f in files]
    pd.DataFrame({"path": relative, "video_id": video_ids(relative),
                  "split": "test"}).to_csv(manifest, index=False)
    ingest = IngestConfig.model_validate({**params.get("ingest", {}), "root": str(root), "source": {"format": "manifest"},
                                          "manifest": str(manifest), "require_labels": False,
                                          "max_rejected_fraction": 1.0})
    candidates, discover_rejects, _, _ = discover_videos(ingest)
    probed, probe_rejects = probe_candidates(candidates, ingest)
    accepted, validate_rejects, _, _ = validate_videos(probed, ingest)
    quarantine, summary = gather_quarantine(discover_rejects, probe_rejects, validate_rejects, accepted)
    try:
        index, _, _, _ = accept_index(accepted, quarantine, summary, ingest)
    except RuntimeError as exc:
        raise EmbedError(f"no usable video among {len(files)} file(s) in {root}: {exc}") from exc
    plan, _ = plan_videos(index, root, PlanConfig.model_validate(params.get("preprocess", {})))
    store = EmbeddingStore(workdir / "chunks")
    encode_videos(index, plan, str(root), store, EncodeConfig.model_validate(params.get("encode", {})))
    return index, store


def embed_videos(index: pd.DataFrame, store: EmbeddingStore, model: Any, root: Path) -> list[VideoVectors]:
    """Run the loaded pyfunc ``model`` over every encoded video of ``index``."""
    rows = [row for row in index.to_dict("records") if row["video_id"] in set(store.ids())]
    if not rows:
        raise EmbedError("no video could be encoded (see the log for the reasons)")
    tensors = [store.read(row["video_id"])[0] for row in rows]
    times = [np.stack([t["chunk_start_s"], t["chunk_end_s"]], axis=1).astype(np.float32) for t in tensors]
    artifact = model.unwrap_python_model().artifact
    expected = artifact.config.input_dim
    width = tensors[0]["embeddings"].shape[1]
    if width != expected:
        raise EmbedError(f"the model expects {expected}-wide chunk vectors but encode.frame_encoder gives {width}: "
                         "embed with the encoder the model was trained on")
    out = model.predict({"embeddings": [t["embeddings"] for t in tensors],
                         **({"times": times} if artifact.config.use_time else {})})
    return [VideoVectors(row["video_id"], root / row["path"], ctx, pooled, t)
            for row, ctx, pooled, t in zip(rows, out["contextual"], out["pooled"], times)]


def write_vectors(path: Path, vectors: list[VideoVectors], model_uri: str) -> None:
    """``<video_id>/contextual`` (T, d), ``<video_id>/pooled`` (P,), ``<video_id>/times`` (T, 2) in one
    safetensors file, written atomically; metadata: the model URI and each video's source path."""
    tensors: dict[str, np.ndarray] = {}
    for v in vectors:
        tensors[f"{v.video_id}/contextual"] = np.ascontiguousarray(v.contextual, np.float32)
        tensors[f"{v.video_id}/pooled"] = np.ascontiguousarray(v.pooled, np.float32)
        tensors[f"{v.video_id}/times"] = np.ascontiguousarray(v.times, np.float32)
    metadata = {"model_uri": model_uri, "videos": json.dumps({v.video_id: str(v.path) for v in vectors})}
    atomic_write_bytes(path, save_safetensors(tensors, metadata=metadata))


def temporary_workdir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="nlv_embed_")
