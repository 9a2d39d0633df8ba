"""Nodes of demo_data: plan every video once, then derive the files, tables and class list from the plan."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from nlv_kedro.demo.dataset import describe_demo_classes, plan_demo_videos
from nlv_kedro.demo.generator import lazy_videos, manifest_table, qa_table
from nlv_kedro.demo.plan import VideoPlan

__all__ = ["build_demo_manifest", "build_demo_qa", "describe_demo_classes", "plan_demo_videos", "render_demo_videos"]


def render_demo_videos(plans: list[VideoPlan]) -> dict[str, Callable[[], bytes]]:
    """{video_id: callable -> mp4 bytes}: PartitionedDataset calls them one at a time, so memory stays flat."""
    return lazy_videos(plans)


def build_demo_manifest(plans: list[VideoPlan]) -> pd.DataFrame:
    return manifest_table(plans)


def build_demo_qa(plans: list[VideoPlan]) -> pd.DataFrame:
    return qa_table(plans)
