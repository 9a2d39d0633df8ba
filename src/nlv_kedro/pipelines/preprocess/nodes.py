"""Preprocess node: plan which frames of each indexed video get decoded and how they group into chunks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nlv_kedro.video.config import PlanConfig


def plan_kept_frames(video_index: pd.DataFrame, root: str, preprocess: PlanConfig) -> tuple[dict, dict]:
    """``chunk_plan`` ({video_id: plan dict}) and kept-frame statistics; undecodable videos are listed, not fatal."""
    from nlv_kedro.video.plan import plan_videos  # the decoders: imported when the node runs

    return plan_videos(video_index, Path(root), preprocess)
