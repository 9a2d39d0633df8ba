"""Nodes of demo_data: plan every video once, then derive the files, tables and class list from the plan."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from nlv_kedro.demo.generator import lazy_videos, manifest_table, plan_videos, qa_table
from nlv_kedro.demo.plan import VideoPlan
from nlv_kedro.demo.recipes import describe_classes

from .params import DemoDataParams


def plan_demo_videos(params: DemoDataParams) -> list[VideoPlan]:
    """Every video's random draws, caption, QA and split; no pixels yet."""
    return plan_videos(
        seed=params.seed,
        videos_per_class=params.resolved_videos_per_class,
        width=params.width,
        height=params.height,
        fps_choices=params.fps_choices,
        duration_s=params.resolved_duration_s,
        split_fractions=params.split_fractions,
    )


def render_demo_videos(plans: list[VideoPlan]) -> dict[str, Callable[[], bytes]]:
    """{video_id: callable -> mp4 bytes}: PartitionedDataset calls them one at a time, so memory stays flat."""
    return lazy_videos(plans)


def build_demo_manifest(plans: list[VideoPlan]) -> pd.DataFrame:
    return manifest_table(plans)


def build_demo_qa(plans: list[VideoPlan]) -> pd.DataFrame:
    return qa_table(plans)


def describe_demo_classes(plans: list[VideoPlan]) -> dict[str, object]:
    """Class descriptions, order dependence and order pairs, plus how many videos each split holds."""
    doc = describe_classes()
    for name, info in doc["classes"].items():
        splits = [plan.split for plan in plans if plan.label == name]
        info["videos"] = {split: splits.count(split) for split in ("train", "val", "test")}
    return doc
