"""Long-video check: preprocess -> encode -> NextLevel inference on synthetic 1, 3 and 10 minute videos.

Each length runs in a fresh process, so its peak RSS is its own: the peak is reset (``/proc/self/clear_refs``)
after the encoder is built and has run one batch, and the growth beyond that is what the video itself costs.
Frames are streamed (``encoders/engine.py``), so that growth should stay flat while time grows linearly.
Run from the repository root:  .venv/bin/python benchmarks/long_video_benchmark.py   (about 2-5 min on 2 cores)

Sampling is uncapped here (``max_frames`` is raised), otherwise the default cap of 256 frames per video makes
every length cost the same and the check would show nothing. Exits 0 whatever it measures: it is a report.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # read when tqdm is imported: keeps the report readable
# ruff: noqa: E402

import numpy as np
import yaml

PROJECT = Path(__file__).resolve().parents[1]
CONF = PROJECT / "conf" / "base"
TOP_MODEL = PROJECT / "data" / "06_models" / "top_model"


def conf(name: str) -> dict:
    return yaml.safe_load((CONF / f"parameters_{name}.yml").read_text())[name]


def synthetic_video(minutes: float, fps: int, size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """(T, H, W, 3) uint8: a new flat colour every 5 s and a square sweeping across it, so dedup keeps frames."""
    width, height = size
    n = int(minutes * 60 * fps)
    t = np.arange(n)
    colours = np.random.default_rng(seed).integers(0, 200, (n // (5 * fps) + 1, 3), dtype=np.uint8)
    frames = np.empty((n, height, width, 3), np.uint8)
    frames[:] = colours[t // (5 * fps)][:, None, None, :]
    x = (t * 9) % (width - 16)
    y = (t * 5) % (height - 16)
    for k in range(n):
        frames[k, y[k] : y[k] + 16, x[k] : x[k] + 16] = 255
    return frames


def _proc_kb(field: str) -> int:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field + ":"))
    return int(line.split()[1])


def _reset_peak() -> int:
    """VmHWM := current RSS (Linux >= 4.0); returns the current RSS in kB."""
    with contextlib.suppress(OSError):  # if not allowed, peaks also cover the imports: an upper bound
        Path("/proc/self/clear_refs").write_text("5")
    return _proc_kb("VmRSS")


def child(video: Path, fps: float, n_frames: int, target_fps: float) -> dict:
    """One length, in this fresh process: warm up, reset the peak, then plan -> encode -> infer."""
    import pandas as pd
    import torch

    from nlv_kedro.datasets.embedding_store import EmbeddingStore
    from nlv_kedro.encoders import build_frame_encoder
    from nlv_kedro.encoders.engine import _forward
    from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel
    from nlv_kedro.encoders.config import EncodeConfig
    from nlv_kedro.encoders.index import encode_videos
    from nlv_kedro.video.plan import PlanConfig, plan_videos
    from nlv_kedro.training.artifact import TopModelArtifact

    encode = EncodeConfig(**{**conf("encode"), "device": "cpu", "num_workers": 0})
    preprocess = PlanConfig(**{**conf("preprocess"), "target_fps": target_fps, "max_frames": 1_000_000})
    encoder = build_frame_encoder(encode.frame_encoder, encode.image_size, "cpu")  # warm: weights, kernels, pages
    _forward(encoder, torch.zeros(encode.batch_size, *encoder.input_size, 3, dtype=torch.uint8), False)
    if (TOP_MODEL / "config.json").is_file():
        artifact, model_kind = TopModelArtifact.load(TOP_MODEL), "pretrained (data/06_models/top_model)"
    else:  # no `kedro run` yet: same architecture, random weights, identity standardizer
        config = NextLevelConfig(input_dim=encoder.dim)
        artifact = TopModelArtifact(config, NextLevelModel(config).state_dict(), np.zeros(encoder.dim, np.float32),
                                    np.ones(encoder.dim, np.float32))
        model_kind = "randomly initialised"
    model = artifact.build()
    index = pd.DataFrame([{"video_id": "long", "path": video.name, "fps": fps, "n_frames": n_frames,
                           "decoder": "decord", "caption": ""}])
    warm = torch.zeros(encode.batch_size, *encoder.input_size, 3, dtype=torch.uint8)
    base_kb = _reset_peak()
    _forward(encoder, warm, False)  # what one full batch costs on its own, paid at any video length
    forward_mb = (_proc_kb("VmHWM") - base_kb) / 1024
    del warm
    base_kb = _reset_peak()
    tracemalloc.start()  # numpy buffers (decoded frames, vectors) and Python objects; not torch's tensors
    with tempfile.TemporaryDirectory(prefix="nlv_long_store_") as store_dir:
        start = time.perf_counter()
        plan, _ = plan_videos(index, str(video.parent), preprocess)
        planned = time.perf_counter()
        store = EmbeddingStore(store_dir)
        report = encode_videos(index, plan, str(video.parent), store, encode)
        encoded = time.perf_counter()
        tensors, _ = store.read("long")
        times = np.stack([tensors["chunk_start_s"], tensors["chunk_end_s"]], axis=1)
        contextual, pooled = artifact.embed([tensors["embeddings"]], [times] if artifact.config.use_time else None,
                                            model=model)
        done = time.perf_counter()
    traced_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    height, width = encoder.input_size
    return {
        "kept": report["frames_encoded"], "chunks": int(contextual[0].shape[0]), "pooled_dim": int(pooled.shape[1]),
        "plan_s": planned - start, "encode_s": encoded - planned, "infer_s": done - encoded, "total_s": done - start,
        "peak_mb": _proc_kb("VmHWM") / 1024, "growth_mb": (_proc_kb("VmHWM") - base_kb) / 1024,
        "forward_mb": forward_mb, "traced_mb": traced_mb,
        "all_frames_mb": report["frames_encoded"] * height * width * 3 / 2**20, "model": model_kind,
        "encoder": f"{encoder.name} @ {height}px", "threads": torch.get_num_threads(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="time and peak memory versus video length")
    parser.add_argument("--minutes", type=float, nargs="+", default=[1, 3, 10])
    parser.add_argument("--fps", type=int, default=4, help="frame rate of the synthetic videos")
    parser.add_argument("--size", default="128x96", help="WxH of the synthetic videos")
    parser.add_argument("--target-fps", type=float, default=1.0, help="sampling rate of the plan (conf: 2.0)")
    parser.add_argument("--child", nargs=4, metavar=("VIDEO", "FPS", "N_FRAMES", "TARGET_FPS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        video, fps, n_frames, target_fps = args.child
        print(json.dumps(child(Path(video), float(fps), int(n_frames), float(target_fps))))
        return
    from nlv_kedro.video.writer import encode_mp4

    width, height = (int(v) for v in args.size.split("x"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="nlv_long_videos_") as tmp:
        for minutes in args.minutes:
            frames = synthetic_video(minutes, args.fps, (width, height))
            video = Path(tmp) / f"long_{minutes:g}min.mp4"
            video.write_bytes(encode_mp4(frames, args.fps))
            n_frames = len(frames)
            del frames
            command = [sys.executable, __file__, "--child", str(video), str(args.fps), str(n_frames),
                       str(args.target_fps)]
            out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=PROJECT)
            rows.append({"minutes": minutes, "frames": n_frames, **json.loads(out.stdout.strip().splitlines()[-1])})
            print(f"{minutes:g} min done: {rows[-1]['total_s']:.1f} s", file=sys.stderr)
    print(f"\nencoder {rows[0]['encoder']}, NextLevel {rows[0]['model']}, videos {args.size} at {args.fps} fps, "
          f"sampled at {args.target_fps:g} fps, torch threads {rows[0]['threads']} ({os.cpu_count()} cores)\n")
    print("| video | frames | kept | chunks | plan s | encode s | infer s | total s | ms / kept frame "
          "| peak RSS MB | RSS growth MB | one batch alone MB | traced peak MB | all kept frames decoded MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ms_per_frame = 1000 * r["total_s"] / r["kept"]
        print(f"| {r['minutes']:g} min | {r['frames']} | {r['kept']} | {r['chunks']} | {r['plan_s']:.1f} | "
              f"{r['encode_s']:.1f} | {r['infer_s']:.2f} | {r['total_s']:.1f} | {ms_per_frame:.0f} | "
              f"{r['peak_mb']:.0f} | {r['growth_mb']:.0f} | {r['forward_mb']:.0f} | {r['traced_mb']:.1f} | "
              f"{r['all_frames_mb']:.0f} |")
    first, last = rows[0], rows[-1]
    print(f"\ntime({last['minutes']:g} min) / time({first['minutes']:g} min) = "
          f"{last['total_s'] / first['total_s']:.1f} (length ratio {last['minutes'] / first['minutes']:g}, "
          f"kept-frame ratio {last['kept'] / first['kept']:.1f}); "
          f"peak RSS growth {first['growth_mb']:.0f} -> {last['growth_mb']:.0f} MB, "
          f"traced peak {first['traced_mb']:.1f} -> {last['traced_mb']:.1f} MB")


if __name__ == "__main__":
    main()
