"""demo_data: params -> demo videos (mp4 partitions), manifest, QA pairs and the class list."""

from kedro.pipeline import Node, Pipeline

from .nodes import build_demo_manifest, build_demo_qa, describe_demo_classes, plan_demo_videos, render_demo_videos


def create_pipeline(**kwargs: object) -> Pipeline:
    return Pipeline(
        [
            Node(plan_demo_videos, "params:demo_data", "demo_plan", name="plan_demo_videos_node"),
            Node(render_demo_videos, "demo_plan", "demo_videos", name="render_demo_videos_node"),
            Node(build_demo_manifest, "demo_plan", "demo_manifest", name="build_demo_manifest_node"),
            Node(build_demo_qa, "demo_plan", "demo_qa", name="build_demo_qa_node"),
            Node(describe_demo_classes, "demo_plan", "demo_classes", name="describe_demo_classes_node"),
        ]
    )
