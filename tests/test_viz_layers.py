"""Kedro-Viz layers: the catalogs' `metadata: kedro-viz: layer:` entries must order without a cycle.

Kedro-Viz turns its layer view off when one layer is both upstream and downstream of another. It orders layers
by reachability: every layer reachable from a dataset's layer (through any nodes and unlayered datasets) must
come after it. This test rebuilds that relation from conf/base and the registered pipelines.
"""

from __future__ import annotations

from collections import defaultdict
from graphlib import CycleError, TopologicalSorter

from kedro.config import OmegaConfigLoader
from kedro.io.catalog_config_resolver import CatalogConfigResolver
from kedro.pipeline import Pipeline

from tests.conftest import PROJECT_ROOT

PIPELINES = ("demo_data", "ingest", "preprocess", "encode", "pretrain", "tune", "downstream", "video_qa",
             "ablations", "report")


def _pipeline() -> Pipeline:
    import importlib

    return sum((importlib.import_module(f"nlv_kedro.pipelines.{name}.pipeline").create_pipeline()
                for name in PIPELINES), Pipeline([]))


def _layers(names: set[str]) -> dict[str, str]:
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")
    resolver = CatalogConfigResolver(loader["catalog"])
    layers = {}
    for name in names:
        if name.startswith("params:") or name == "parameters":
            continue
        config = resolver.config.get(name) or resolver.resolve_pattern(name) or {}
        layer = ((config.get("metadata") or {}).get("kedro-viz") or {}).get("layer")
        if layer:
            layers[name] = layer
    return layers


def layer_order(pipeline: Pipeline) -> list[str]:
    """The layers in Kedro-Viz's order; raises CycleError as Kedro-Viz would disable the view."""
    children: dict[str, set[str]] = defaultdict(set)  # dataset -> datasets written by a node that reads it
    for node in pipeline.nodes:
        for source in node.inputs:
            children[source].update(node.outputs)
    layers = _layers(pipeline.datasets())
    reachable: dict[str, set[str]] = {}

    def below(name: str) -> set[str]:
        if name not in reachable:
            reachable[name] = set()
            for child in children[name]:
                reachable[name] |= ({layers[child]} if child in layers else set()) | below(child)
        return reachable[name]

    after: dict[str, set[str]] = defaultdict(set)  # layer -> layers that must come before it
    for name, layer in layers.items():
        after[layer]
        for child_layer in below(name) - {layer}:
            after[child_layer].add(layer)
    return list(TopologicalSorter(after).static_order())


def test_layers_have_no_cycle() -> None:
    try:
        order = layer_order(_pipeline())
    except CycleError as exc:
        raise AssertionError(f"Kedro-Viz would disable its layer view: cycle {exc.args[1]}") from None
    assert order[-1] == "reporting"  # everything else feeds the report
    for earlier, later in [("intermediate", "primary"), ("primary", "feature"), ("feature", "models"),
                           ("models", "model_output")]:
        assert order.index(earlier) < order.index(later)
