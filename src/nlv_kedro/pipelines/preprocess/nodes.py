"""Preprocess node: plan which frames of each indexed video get decoded and how they group into chunks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nlv_kedro.video.config import PlanConfig


def plan_kept_frames(video_index: pd.DataFrame, unlabeled_index: pd.DataFrame | None, root: str,
                     preprocess: PlanConfig) -> tuple[dict, dict]:
    """``chunk_plan`` ({video_id: plan dict}) of the labelled and the unlabeled videos, and kept-frame statistics;
    undecodable videos are listed, not fatal."""
    from nlv_kedro.ingestion.steps import videos_to_encode
    from nlv_kedro.video.plan import plan_videos  # the decoders: imported when the node runs

    return plan_videos(videos_to_encode(video_index, unlabeled_index), Path(root), preprocess)
