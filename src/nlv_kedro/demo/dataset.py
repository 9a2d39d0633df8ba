"""The demo dataset from its settings: every video planned once, then files, tables and the class list from it."""

from __future__ import annotations

from nlv_kedro.demo.config import DemoDataConfig
from nlv_kedro.demo.generator import plan_videos
from nlv_kedro.demo.plan import VideoPlan
from nlv_kedro.demo.recipes import describe_classes


def plan_demo_videos(config: DemoDataConfig) -> list[VideoPlan]:
    """Every video's random draws, caption, QA and split; no pixels yet."""
    return plan_videos(
        seed=config.seed,
        videos_per_class=config.resolved_videos_per_class,
        width=config.width,
        height=config.height,
        fps_choices=config.fps_choices,
        duration_s=config.resolved_duration_s,
        split_fractions=config.split_fractions,
        unlabeled_videos=config.resolved_unlabeled_videos,
    )


def describe_demo_classes(plans: list[VideoPlan]) -> dict[str, object]:
    """Class descriptions, order dependence and order pairs, plus how many videos each split holds (the
    unlabeled pool is counted on its own: its videos are not labelled in the manifest)."""
    doc = describe_classes()
    doc["unlabeled_videos"] = sum(plan.split == "unlabeled" for plan in plans)
    for name, info in doc["classes"].items():
        splits = [plan.split for plan in plans if plan.label == name]
        info["videos"] = {split: splits.count(split) for split in ("train", "val", "test")}
    return doc
