"""Encode-step benchmark: every number is a ratio of variants measured side by side in one run.

Variants are interleaved (rotated each repeat) and medians taken, so a noisy, shared machine slows them
alike. Run from the repository root after `make run`:  .venv/bin/python benchmarks/encode_benchmark.py
See benchmarks/README.md for what each number means. Exits 0 when a goal is missed: it is a report.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # read when tqdm is imported: keeps the report readable
# ruff: noqa: E402

import av
import numpy as np
import pandas as pd
import torch
import yaml

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.encoders import FrameEncoder, build_frame_encoder
from nlv_kedro.encoders.engine import _forward  # the engine's exact per-batch call
from nlv_kedro.encoders.config import EncodeConfig
from nlv_kedro.encoders.index import encode_videos
from nlv_kedro.video.plan import PlanConfig, plan_videos
from nlv_kedro.video.decode import read_frames
from nlv_kedro.video.writer import encode_mp4

PROJECT = Path(__file__).resolve().parents[1]
CONF = PROJECT / "conf" / "base"
INDEX = PROJECT / "data" / "02_intermediate" / "video_index.csv"
log = logging.getLogger("encode_benchmark")
Row = tuple[str, str, str, bool | None]  # metric, measured, goal, met (None = no goal)


def conf(name: str) -> dict:
    return yaml.safe_load((CONF / f"parameters_{name}.yml").read_text())[name]


def load_index(root: Path) -> pd.DataFrame:
    if not INDEX.is_file() or not (root / "manifest.csv").is_file():
        sys.exit(f"No demo data: {INDEX} or {root / 'manifest.csv'} is missing. Run `make run` first "
                 "(or `.venv/bin/kedro run --pipelines=demo_data` then `.venv/bin/kedro run --pipelines=ingest`).")
    return pd.read_csv(INDEX, keep_default_na=False)


def stratified(index: pd.DataFrame, n: int) -> pd.DataFrame:
    """Up to ``n`` videos, round-robin over labels; within a label, nearest to its median length first."""
    groups = []
    for _, group in index.groupby("label", sort=True):
        distance = (group["n_frames"] - group["n_frames"].median()).abs()
        groups.append(group.assign(_d=distance).sort_values(["_d", "video_id"]).drop(columns="_d"))
    order = [g.iloc[k] for k in range(max(map(len, groups))) for g in groups if k < len(g)]
    return pd.DataFrame(order[:n]).reset_index(drop=True)


def timed_encode(index: pd.DataFrame, plans: dict, root: Path, params: EncodeConfig,
                 store_dir: str | None = None) -> tuple[float, dict]:
    """Wall time of one ``encode_videos`` call (encoder build included) into ``store_dir`` or a fresh temp store."""
    with tempfile.TemporaryDirectory(prefix="nlv_bench_store_") as tmp:
        start = time.perf_counter()
        report = encode_videos(index, plans, str(root), EmbeddingStore(store_dir or tmp), params)
        return time.perf_counter() - start, report


def forward_only(encoder: FrameEncoder, frames: torch.Tensor, batch_size: int) -> float:
    """Wall time of preprocess + encode over pre-decoded frames, ``batch_size`` at a time."""
    start = time.perf_counter()
    for k in range(0, len(frames), batch_size):
        _forward(encoder, frames[k : k + batch_size].to(encoder.device), encoder.device.type == "cuda")
    return time.perf_counter() - start


def naive_loop(encoder: FrameEncoder, index: pd.DataFrame, root: Path, threads: int) -> dict[str, float]:
    """Decode EVERY frame with PyAV, resize it to the encoder size, one forward call per frame, no planning."""
    height, width = encoder.input_size
    default_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    out, start = {"decode_s": 0.0, "forward_s": 0.0, "frames": 0}, time.perf_counter()
    for path in index["path"]:
        vectors = []
        with av.open(str(root / path)) as container:
            tick = time.perf_counter()
            for frame in container.decode(video=0):
                rgb = torch.from_numpy(frame.to_ndarray(width=width, height=height, format="rgb24"))
                tock = time.perf_counter()
                with torch.inference_mode():
                    vectors.append(encoder.encode(encoder.preprocess(rgb[None].to(encoder.device))))
                out["decode_s"] += tock - tick
                tick = time.perf_counter()
                out["forward_s"] += tick - tock
        out["frames"] += len(vectors)
        torch.cat(vectors).mean(0)  # one pooled vector per video
    out["wall"] = time.perf_counter() - start
    torch.set_num_threads(default_threads)
    return out


def _interleaved_runs(args: argparse.Namespace, variants: dict, encoder: FrameEncoder, subset: pd.DataFrame,
                      root: Path, n_kept: int) -> tuple[dict[str, list[float]], dict[str, list[float]], dict]:
    """Every variant once per repeat, in an order rotated each repeat, then the repeat's share of the naive loop."""
    walls: dict[str, list[float]] = {k: [] for k in variants}
    engine_fps: dict[str, list[float]] = {k: [] for k in variants}
    naive = {"decode_s": 0.0, "forward_s": 0.0, "frames": 0, "wall": 0.0}
    names = list(variants)
    for r in range(args.repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:  # rotate the order every repeat
            log.info("repeat %d/%d: %s", r + 1, args.repeats, name)
            wall, report = variants[name]()
            walls[name].append(wall)
            engine_fps[name].append(report.get("frames_per_s", n_kept / wall))
        # The naive loop is too slow to repeat: each repeat runs it on its own share of the subset.
        log.info("repeat %d/%d: naive loop (every frame, one forward each)", r + 1, args.repeats)
        for key, value in naive_loop(encoder, subset.iloc[r :: args.repeats], root, args.naive_threads).items():
            naive[key] += value
    return walls, engine_fps, naive


def throughput_and_naive(args: argparse.Namespace, index: pd.DataFrame, plans: dict, root: Path,
                         params: EncodeConfig) -> list[Row]:
    """Parts 1 and 2 on one subset: pipeline (num_workers 0 and 1), forward-only and the naive loop, interleaved."""
    subset = stratified(index, args.subset)
    encoder = build_frame_encoder(params.frame_encoder, params.image_size, params.resolved_device())
    height, width = encoder.input_size
    frames = torch.cat([torch.from_numpy(read_frames(root / path, plans[vid]["kept_indices"], width, height))
                        for vid, path in zip(subset["video_id"], subset["path"])])  # (N, H, W, 3) uint8, decoded once
    forward_only(encoder, frames[: args.batch_size], args.batch_size)  # warm-up
    n_kept, workers = len(frames), params.num_workers
    variants = {
        "forward": lambda: (forward_only(encoder, frames, args.batch_size), {}),
        **{f"pipeline_w{w}": lambda w=w: timed_encode(subset, plans, root, params.model_copy(update={"num_workers": w}))
           for w in (0, 1)},
    }
    walls, engine_fps, naive = _interleaved_runs(args, variants, encoder, subset, root, n_kept)
    med = {k: statistics.median(v) for k, v in walls.items()}
    fps = {k: n_kept / med[k] for k in variants}
    print(f"\n## 1. Pipeline vs forward-only: {len(subset)} videos (one per class, median length; {n_kept} kept "
          f"frames), medians of {args.repeats} interleaved repeats")
    print(f"torch threads {torch.get_num_threads()} (cpu count {os.cpu_count()}); batch {args.batch_size}; input "
          f"{encoder.input_size}; device {encoder.device}; conf num_workers {workers}")
    for k in variants:
        print(f"{k:>12}: {med[k]:6.2f} s  {fps[k]:6.1f} frames/s end to end  (engine loop only: "
              f"{statistics.median(engine_fps[k]):6.1f})  runs: {', '.join(f'{w:.2f}' for w in walls[k])}")
    ratio = {w: fps[f"pipeline_w{w}"] / fps["forward"] for w in (0, 1)}
    pipe_s = med[f"pipeline_w{workers}"]
    frames_ratio = naive["frames"] / n_kept
    per_frame = (naive["wall"] / naive["frames"]) / (pipe_s / n_kept)
    speedup = naive["wall"] / pipe_s
    print(f"\n## 2. Naive loop vs pipeline (num_workers {workers}) on the same {len(subset)} videos; the naive loop "
          f"is split over the repeats and runs with {args.naive_threads} torch thread(s)")
    ms = {k: 1000 * naive[k] / naive["frames"] for k in ("wall", "decode_s", "forward_s")}
    print(f"naive:    {naive['wall']:6.1f} s for {naive['frames']} frames ({ms['wall']:.1f} ms/frame: decode+resize "
          f"{ms['decode_s']:.1f}, forward {ms['forward_s']:.1f})")
    print(f"pipeline: {pipe_s:6.1f} s for {n_kept} kept frames ({1000 * pipe_s / n_kept:.1f} ms/frame, encoder build "
          f"included)\nspeedup {speedup:.1f}x = downsampling {frames_ratio:.1f}x (all / kept frames) x per-frame "
          f"cost {per_frame:.2f}x (batching, decoding only the kept frames, at size)")
    return [
        *[(f"pipeline / forward-only throughput, num_workers={w}{' (conf)' if w == workers else ''}",
           f"{ratio[w]:.2f} ({fps[f'pipeline_w{w}']:.1f} vs {fps['forward']:.1f} frames/s)", "≥ 0.85",
           ratio[w] >= 0.85) for w in (1, 0)],
        ("torch threads (cpu count)", f"{torch.get_num_threads()} ({os.cpu_count()})", "—", None),
        (f"speedup vs naive loop ({len(subset)} videos)", f"{speedup:.1f}× ({naive['wall']:.0f} s vs "
         f"{pipe_s:.1f} s)", "≥ 4×", speedup >= 4),
        ("… from downsampling (all / kept frames)", f"{frames_ratio:.1f}×", "—", None),
        ("… from per-frame cost (naive / pipeline ms per frame)", f"{per_frame:.2f}×", "—", None),
    ]


def _proc_kb(field: str) -> int:
    """``VmRSS`` (current) or ``VmHWM`` (peak since the last reset) of this process, in kB (Linux)."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field + ":"))
    return int(line.split()[1])


def _reset_peak_rss() -> int:
    """Reset VmHWM to the current RSS (Linux >= 4.0) and return the current RSS in kB."""
    with contextlib.suppress(OSError):  # if not allowed, the peak also covers the imports: an upper bound
        Path("/proc/self/clear_refs").write_text("5")
    return _proc_kb("VmRSS")


def _child(conn: Connection, mode: str, payload: dict) -> None:
    """Fresh process. ``forward``: build the encoder and run one batch (the memory any approach needs).
    ``encode``: full encode into an empty store, then add one video and rerun into the same store."""
    with contextlib.suppress(ImportError):
        import efficientnet_lite_pytorch  # noqa: F401  the encoder's lazy import, paid outside every measurement
    p, out = EncodeConfig(**payload["params"]), {"before_kb": _reset_peak_rss()}
    if mode == "forward":
        encoder = build_frame_encoder(p.frame_encoder, p.image_size, p.resolved_device())
        frames = torch.zeros(p.batch_size, *encoder.input_size, 3, dtype=torch.uint8)
        _forward(encoder, frames, encoder.device.type == "cuda")
        out["peak_kb"] = _proc_kb("VmHWM")
    else:
        index, plans, extra, root = payload["index"], payload["plans"], payload["extra"], Path(payload["root"])
        with tempfile.TemporaryDirectory(prefix="nlv_bench_store_") as store:
            out["full_s"], out["full"] = timed_encode(index, plans, root, p, store)
            out["peak_kb"] = _proc_kb("VmHWM")
            out["worker_peak_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # exited decode workers
            index = pd.concat([index, pd.DataFrame([extra])], ignore_index=True)
            plans = {**plans, extra["video_id"]: payload["extra_plan"]}
            out["rerun_s"], out["rerun"] = timed_encode(index, plans, root, p, store)
    conn.send(out)


def _in_child(mode: str, **payload: object) -> dict:
    context = get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(sender, mode, payload))
    child.start()
    sender.close()  # so a crashed child gives EOFError here instead of a hang
    result = receiver.recv()
    child.join()
    return result


def incremental_and_memory(index: pd.DataFrame, total: int, plans: dict, root: Path, params: EncodeConfig,
                           pre: PlanConfig, tmp: Path) -> list[Row]:
    """Parts 3 and 5, each in a fresh process so its peak RSS is that step's alone."""
    source = stratified(index, 1).iloc[0].to_dict()
    extra = {**source, "video_id": "bench_added_copy", "path": str(tmp / "bench_added_copy.mp4")}
    Path(extra["path"]).write_bytes((root / source["path"]).read_bytes())
    extra_plan = plan_videos(pd.DataFrame([extra]), str(root), pre)[0]["bench_added_copy"]
    fwd = _in_child("forward", params=params.model_dump())
    res = _in_child("encode", params=params.model_dump(), index=index, plans=plans, extra=extra,
                    extra_plan=extra_plan, root=str(root))
    n_kept = sum(len(plans[v]["kept_indices"]) for v in index["video_id"])
    all_frames_mb = n_kept * int(np.prod(res["full"]["input_size"])) * 3 / 2**20
    growth_mb = (res["peak_kb"] - res["before_kb"]) / 1024
    forward_mb = (fwd["peak_kb"] - fwd["before_kb"]) / 1024
    extra_mb = growth_mb - forward_mb
    rerun, ratio = res["rerun"], res["rerun_s"] / res["full_s"]
    print(f"\n## 3. Incremental: full encode of {len(index)} videos (of {total}) into an empty store, then one copied "
          f"video added (each time = one encode_videos call, encoder build included, in a fresh process)")
    print(f"full: {res['full_s']:.1f} s ({res['full']['frames_encoded']} frames, engine "
          f"{res['full']['frames_per_s']} frames/s); rerun: {res['rerun_s']:.2f} s, encoded "
          f"{rerun['videos_encoded']}, skipped {rerun['videos_skipped_current']} as current")
    print(f"\n## 5. Memory of that full encode (num_workers {params.num_workers}): RSS {res['before_kb'] / 1024:.0f} "
          f"MB before, {res['peak_kb'] / 1024:.0f} MB peak (growth {growth_mb:.0f} MB). Building the encoder and one "
          f"batch-{params.batch_size} forward pass alone, in another fresh process: growth {forward_mb:.0f} MB. Decode "
          f"worker peak {res['worker_peak_kb'] / 1024:.0f} MB (counts pages shared with the parent). All {n_kept} kept "
          f"frames decoded at once: {all_frames_mb:.0f} MB as uint8 ({4 * all_frames_mb:.0f} MB as float32)")
    return [
        ("incremental rerun: videos encoded / skipped", f"{rerun['videos_encoded']} / "
         f"{rerun['videos_skipped_current']}", f"1 / {len(index)}",
         rerun["videos_encoded"] == 1 and rerun["videos_skipped_current"] == len(index)),
        (f"incremental rerun / full run wall time ({len(index)} videos)",
         f"{100 * ratio:.1f}% ({res['rerun_s']:.2f} s vs {res['full_s']:.1f} s)", "≤ 15%", ratio <= 0.15),
        (f"encode peak RSS growth beyond one forward pass / all kept frames decoded ({len(index)} videos)",
         f"{100 * extra_mb / all_frames_mb:.0f}% ({extra_mb:.0f} of {all_frames_mb:.0f} MB; growth incl. forward "
         f"{growth_mb:.0f} MB)", "< 100%", extra_mb < all_frames_mb),
    ]


def synthetic_videos(index: pd.DataFrame, root: Path, tmp: Path) -> pd.DataFrame:
    """A static 20 s shot (one real frame + faint noise) and 4 cut-together 5 s scenes with motion, at 25 fps."""
    rng, fps, rows = np.random.default_rng(0), 25.0, []
    long = index[index["n_frames"] >= 125]
    still = long[long["label"] == "carphone"] if (long["label"] == "carphone").any() else long
    base = read_frames(root / still.iloc[0]["path"], [0])[0].astype(np.int16)  # (H, W, 3)
    h, w = base.shape[:2]
    static = np.stack([np.clip(base + rng.integers(-2, 3, base.shape), 0, 255) for _ in range(500)]).astype(np.uint8)
    preferred = ["bunny_then_bikes", "carphone", "ball_left_to_right", "square_grows"]
    labels = [lab for lab in preferred if lab in set(long["label"])] + sorted(set(long["label"]) - set(preferred))
    paths = [root / long[long["label"] == label].iloc[0]["path"] for label in labels[:4]]
    scenes = [read_frames(path, np.arange(125), w, h) for path in paths]
    for name, frames in (("static_20s", static), ("four_cuts", np.concatenate(scenes))):
        path = tmp / f"{name}.mp4"
        path.write_bytes(encode_mp4(frames, fps))
        rows.append({"video_id": name, "path": str(path), "fps": fps, "n_frames": len(frames), "decoder": "decord"})
    return pd.DataFrame(rows)


def downsampling(index: pd.DataFrame, stats: dict, root: Path, pre: PlanConfig, tmp: Path) -> list[Row]:
    """Part 4: kept / total frames on the demo data (overall and per class) and on two made-up videos."""
    overall = stats["overall"]
    per_video = pd.DataFrame.from_dict(stats["per_video"], orient="index")
    labelled = per_video.join(index.set_index("video_id")["label"])
    per_class = labelled.groupby("label")[["n_kept", "n_frames_total"]].sum()
    per_class["kept_%"] = 100 * per_class["n_kept"] / per_class["n_frames_total"]
    synth_plans, synth = plan_videos(synthetic_videos(index, root, tmp), str(root), pre)
    static, cuts = synth["per_video"]["static_20s"], synth["per_video"]["four_cuts"]
    kept = np.asarray(synth_plans["four_cuts"]["kept_indices"])
    scenes_hit = len(set((kept // 125).tolist()))
    print(f"\n## 4. Downsampling with conf/base/parameters_preprocess.yml (target_fps {pre.target_fps}, dedup "
          f"{pre.dedup_threshold}): demo {overall['n_kept']} of {overall['n_frames_total']} frames kept "
          f"({100 * overall['kept_ratio']:.1f}%; {100 * overall['kept_of_sampled']:.0f}% of the sampled ones)")
    print("| class | kept | frames | kept % |\n|---|---|---|---|")
    for label, c in per_class.sort_values("kept_%").iterrows():
        print(f"| {label} | {c['n_kept']:.0f} | {c['n_frames_total']:.0f} | {c['kept_%']:.1f}% |")
    print(f"static 20 s @25 fps: kept {static['n_kept']} of {static['n_frames_total']} (sampled {static['n_sampled']});"
          f" 4 cut scenes: kept {cuts['n_kept']} of {cuts['n_frames_total']} (sampled {cuts['n_sampled']}), "
          f"scenes with a kept frame: {scenes_hit}/4")
    lo, hi = per_class["kept_%"].idxmin(), per_class["kept_%"].idxmax()
    return [
        (f"frames kept, demo data ({overall['n_videos']} videos)", f"{100 * overall['kept_ratio']:.1f}% "
         f"({overall['n_kept']} / {overall['n_frames_total']})", "≤ 10%", overall["kept_ratio"] <= 0.10),
        ("frames kept per class (min … max)", f"{per_class.loc[lo, 'kept_%']:.1f}% ({lo}) … "
         f"{per_class.loc[hi, 'kept_%']:.1f}% ({hi})", "—", None),
        ("frames kept, static 20 s shot", f"{100 * static['kept_ratio']:.1f}% ({static['n_kept']} / 500)", "≤ 1%",
         static["kept_ratio"] <= 0.01),
        ("frames kept, 4 cut scenes with motion", f"{100 * cuts['kept_ratio']:.1f}% ({cuts['n_kept']} / 500), "
         f"{cuts['n_kept'] / cuts['n_sampled']:.0%} of sampled, {scenes_hit}/4 scenes", "all 4 scenes, ≥ 90% of "
         "sampled", scenes_hit == 4 and cuts["n_kept"] >= 0.9 * cuts["n_sampled"]),
    ]


def main() -> None:
    encode_conf = conf("encode")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=120, help="videos fully encoded for parts 3 and 5, stratified "
                        "over classes; 0 = all (default 120 of 240 keeps the run near 5 minutes; all are planned)")
    parser.add_argument("--image-size", type=int, default=encode_conf["image_size"])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the interleaved throughput variants")
    parser.add_argument("--subset", type=int, default=10, help="videos for throughput and the naive loop "
                        "(stratified: default one per class)")
    parser.add_argument("--naive-threads", type=int, default=1, help="torch threads of the naive loop (see README)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("nlv_kedro").setLevel(logging.WARNING)
    start = time.perf_counter()
    root = (PROJECT / conf("ingest")["root"]).resolve()
    index = load_index(root)
    pre = PlanConfig(**conf("preprocess"))
    params = EncodeConfig(**{**encode_conf, "image_size": args.image_size, "batch_size": args.batch_size})
    log.info("planning all %d videos", len(index))  # cheap: thumbnails of the sampled frames only
    plans, stats = plan_videos(index, str(root), pre)
    index = index[index["video_id"].isin(plans)].reset_index(drop=True)
    chosen = stratified(index, args.videos or len(index))
    with tempfile.TemporaryDirectory(prefix="nlv_bench_") as tmp:
        log.info("part 4: downsampling")
        part4 = downsampling(index, stats, root, pre, Path(tmp))
        log.info("parts 1 and 2: throughput and naive loop")
        parts12 = throughput_and_naive(args, index, plans, root, params)
        log.info("parts 3 and 5: full + incremental encode of %d videos in a child process", len(chosen))
        parts35 = incremental_and_memory(chosen, len(index), plans, root, params, pre, Path(tmp))
    rows: list[Row] = parts12 + parts35[:2] + part4 + parts35[2:]  # in the order of the README
    command = " ".join([".venv/bin/python", *sys.argv])
    print(f"\n## Summary (`{command}`, {time.perf_counter() - start:.0f} s)\n")
    print("| metric | measured | goal | met? |\n|---|---|---|---|")
    for metric, measured, goal, met in rows:
        print(f"| {metric} | {measured} | {goal} | {'—' if met is None else 'yes' if met else 'NO'} |")


if __name__ == "__main__":
    main()
