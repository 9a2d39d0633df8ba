"""Preprocess node: plan which frames of each indexed video get decoded and how they group into chunks."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from nlv_kedro.pipelines.preprocess.params import PreprocessParams
from nlv_kedro.video.decode import VideoDecodeError
from nlv_kedro.video.plan import plan_video

logger = logging.getLogger(__name__)


def plan_videos(video_index: pd.DataFrame, root: str, params: PreprocessParams) -> tuple[dict, dict]:
    """Return ``chunk_plan`` ({video_id: plan dict}) and kept-frame statistics (per video and overall).

    A video that fails to decode is listed under ``failures`` with its reason and left out of the plan.
    """
    config = params.plan_config()
    plans: dict[str, dict] = {}
    failures: list[dict[str, str]] = []
    for row in tqdm(video_index.to_dict("records"), desc="planning frames", unit="video"):
        path = Path(root) / row["path"]
        try:
            plan = plan_video(path, row["video_id"], row["fps"], int(row["n_frames"]), config, row.get("decoder", "decord"))
        except VideoDecodeError as exc:
            logger.warning("Skipping %s: %s", path, exc.reason)
            failures.append({"video_id": row["video_id"], "path": row["path"], "reason": exc.reason})
            continue
        plans[row["video_id"]] = plan.to_dict()
    stats = kept_frame_stats(plans)
    stats["failures"] = failures
    stats["plan_fingerprint"] = config.fingerprint()
    logger.info(
        "Planned %d videos: kept %.1f%% of frames overall (%d of %d), %d chunks; %d failed",
        len(plans), 100 * stats["overall"]["kept_ratio"], stats["overall"]["n_kept"],
        stats["overall"]["n_frames_total"], stats["overall"]["n_chunks"], len(failures),
    )
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
