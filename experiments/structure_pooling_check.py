"""Can segment pooling of frozen chunk vectors solve the structure groups? The check behind
docs/structure_benchmark.md.

Writes a structure-only demo set (the classes of the four structure groups, as `generator.plan_videos` plans
them at the demo's defaults: video k of every class of a group from the same generator), runs the
library's ingest -> frame planning -> frozen encoding on it with the shipped defaults (conf/base: 2 fps, 4
frames per chunk, EfficientNet-Lite0 at 160 px), then fits a within-group logistic probe on the mean / 2- / 4- /
8-segment pooled chunk vectors (and, for contrast, an order-aware but position-free pooling:
`order_pairs`). The probe is scored by 4-fold cross-validation over the video index k (the
content-matched videos k of a group stay in one fold), so every video is held out once. Run from the repository
root, for example:

    nice -n 10 /work/main/.venv/bin/python experiments/structure_pooling_check.py /tmp/h6/new \
        --videos-per-class 24 --duration 4 24

To compare with another version of the recipes, run it with PYTHONPATH pointing at that version's `src`.
Prints one line per group and writes `probe.csv` into the output folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")
# ruff: noqa: E402

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.demo.generator import encode_video, manifest_table, plan_videos
from nlv_kedro.demo.plan import VideoPlan
from nlv_kedro.demo.recipes import CLASS_BY_NAME, STRUCTURE_GROUPS
from nlv_kedro.encoders.config import EncodeConfig
from nlv_kedro.ingestion import steps
from nlv_kedro.ingestion.config import IngestConfig
from nlv_kedro.models.pooling import temporal_mean_pool_array
from nlv_kedro.video.config import PlanConfig

logger = logging.getLogger("structure_pooling_check")
POOLINGS: dict[str, int] = {"mean": 1, "2-seg": 2, "4-seg": 4, "8-seg": 8}
FPS_CHOICES = (10.0, 12.0, 15.0, 20.0, 24.0, 25.0, 29.97)  # conf/base demo_data.fps_choices, 160x120 frames


def plan_structure(seed: int, n: int, duration_s: tuple[float, float]) -> list[VideoPlan]:
    """The structure classes' plans from `generator.plan_videos` (planning every class is cheap: no pixels)."""
    plans = plan_videos(seed, n, 160, 120, FPS_CHOICES, duration_s, (0.6, 0.2, 0.2))
    return [p for p in plans if CLASS_BY_NAME[p.label].group]


def write_demo(plans: list[VideoPlan], folder: Path) -> None:
    (folder / "videos").mkdir(parents=True, exist_ok=True)
    for i, plan in enumerate(plans):
        path = folder / "videos" / f"{plan.video_id}.mp4"
        if not path.exists():
            path.write_bytes(encode_video(plan))
        if (i + 1) % 24 == 0:
            logger.info("written %d/%d videos", i + 1, len(plans))
    manifest_table(plans).to_csv(folder / "manifest.csv", index=False)


def index_and_encode(folder: Path, out: Path) -> tuple[pd.DataFrame, EmbeddingStore]:
    """ingest -> preprocess -> encode with the shipped defaults, as the Kedro pipelines chain them."""
    from nlv_kedro.encoders.index import encode_videos
    from nlv_kedro.video.plan import plan_videos

    ingest = IngestConfig(root=str(folder))
    candidates, rejects, _, _ = steps.discover_videos(ingest)
    probed, probe_rejects = steps.probe_candidates(candidates, ingest)
    accepted, invalid, _, _ = steps.validate_videos(probed, ingest)
    quarantine, summary = steps.gather_quarantine(rejects, probe_rejects, invalid, accepted)
    index, _, _ = steps.accept_index(accepted, quarantine, summary, ingest)
    chunk_plan, _ = plan_videos(index, folder, PlanConfig())
    dropped = {v: p["n_sampled"] - len(p["kept_indices"]) for v, p in chunk_plan.items()}
    logger.info("near-duplicate frames dropped: %d in %d of %d videos (the placement assumes none)",
                sum(dropped.values()), sum(n > 0 for n in dropped.values()), len(dropped))
    store = EmbeddingStore(str(out / "chunk_embeddings"))
    encode_videos(index, chunk_plan, str(folder), store, EncodeConfig())
    return index, store


def order_pairs(vectors: list[np.ndarray], dims: int = 16) -> np.ndarray:
    """An order-aware, position-free pooling for contrast: per video, the mean over t of the antisymmetric
    outer product z[t] z[t+1]^T - z[t+1] z[t]^T of consecutive chunk vectors reduced to `dims` principal
    components (fitted on the group's chunks, no labels) -> (dims * (dims - 1) / 2,) per video. Reversing a
    video flips its sign, so it reads which content follows which, wherever in the video that happens."""
    stacked = np.concatenate(vectors)
    mean = stacked.mean(axis=0)
    basis = np.linalg.svd(stacked - mean, full_matrices=False)[2][:dims]  # (dims, D)
    upper = np.triu_indices(dims, 1)
    rows = []
    for v in vectors:
        z = (v - mean) @ basis.T  # (T, dims)
        outer = z[:-1, :, None] * z[1:, None, :] if len(z) > 1 else np.zeros((1, dims, dims))
        rows.append((outer - outer.transpose(0, 2, 1)).mean(axis=0)[upper])
    return np.stack(rows)


def probe(index: pd.DataFrame, store: EmbeddingStore) -> pd.DataFrame:
    """Within-group accuracy of a logistic probe on each pooling, 4-fold CV grouped by the video index k."""
    rows = []
    for group, labels in STRUCTURE_GROUPS.items():
        sub = index[index.label.isin(labels)].sort_values("video_id")
        vectors = [store.read(v)[0]["embeddings"] for v in sub.video_id]
        k = sub.video_id.str.rsplit("_", n=1).str[1].astype(int).to_numpy()
        y = sub.label.to_numpy()
        row = {"group": group, "chance": round(1 / len(labels), 2), "videos": len(sub),
               "chunks": f"{np.median([len(v) for v in vectors]):.0f}"}
        features = {name: np.stack([temporal_mean_pool_array(v, segments) for v in vectors])
                    for name, segments in POOLINGS.items()}
        for name, x in {**features, "order pairs": order_pairs(vectors)}.items():
            model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
            predicted = cross_val_predict(model, x, y, groups=k, cv=GroupKFold(4))
            row[name] = round(float((predicted == y).mean()), 2)
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="output folder (demo videos, embeddings, probe.csv)")
    parser.add_argument("--videos-per-class", type=int, default=24)
    parser.add_argument("--duration", type=float, nargs=2, default=(4.0, 24.0), help="min max seconds")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    started = time.perf_counter()
    plans = plan_structure(args.seed, args.videos_per_class, tuple(args.duration))
    write_demo(plans, args.out / "demo")
    logger.info("wrote %d videos in %.0f s", len(plans), time.perf_counter() - started)
    index, store = index_and_encode(args.out / "demo", args.out)
    logger.info("encoded in %.0f s in all", time.perf_counter() - started)
    table = probe(index, store)
    table.to_csv(args.out / "probe.csv", index=False)
    print(table.to_string(index=False))
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
