"""Sharded encoding on many processes, GPUs or nodes: ``torchrun [...] -m nlv_kedro.launchers.encode``.

Run from the project root, e.g. ``torchrun --nproc_per_node=4 -m nlv_kedro.launchers.encode --env=thesis``.

- Rank 0 runs the Kedro ``encode`` pipeline exactly as ``kedro run --pipeline=encode`` does: project hooks,
  kedro-mlflow, parameter validation, and every catalog save (the merged encode report, text embeddings).
- The other ranks build the same Kedro context without any hooks (so no second MLflow run and no database
  writes), load the frame-encoding node's inputs through the same catalog, run that node on their share of the
  videos, and save nothing through the catalog: their only outputs are the per-video files in the store.

Without torchrun (WORLD_SIZE unset) it is simply ``kedro run --pipeline=encode``.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

import pluggy
import torch.distributed as dist
from kedro.framework.hooks import specs
from kedro.framework.project import pipelines, settings
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from omegaconf import OmegaConf

from nlv_kedro.encoders.sharding import init_from_env

logger = logging.getLogger(__name__)
PIPELINE = "encode"
SHARDED_NODE = "encode_videos_node"


def parse_runtime_params(text: str) -> dict[str, Any]:
    """``"encode.batch_size=32,encode.device=cuda"`` -> nested dict, as ``kedro run --params`` reads it."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    for item in items:
        if "=" not in item or not item.partition("=")[0].strip():
            raise ValueError(f"--params item {item!r} must look like key=value (dots for nesting)")
    return OmegaConf.to_container(OmegaConf.from_dotlist(items)) if items else {}


def _hookless_manager() -> pluggy.PluginManager:
    """A hook manager that knows Kedro's hook specifications and has no implementation registered."""
    manager = pluggy.PluginManager("kedro")
    for spec in (specs.DataCatalogSpecs, specs.NodeSpecs, specs.PipelineSpecs, specs.DatasetSpecs,
                 specs.KedroContextSpecs):
        manager.add_hookspecs(spec)
    return manager


def run_worker(project: Path, package_name: str, env: str | None, runtime_params: dict[str, Any]) -> dict[str, Any]:
    """Ranks >= 1: run only the frame-encoding node on this rank's share; return its outputs unsaved."""
    loader = settings.CONFIG_LOADER_CLASS(conf_source=str(project / settings.CONF_SOURCE), env=env,
                                          runtime_params=runtime_params, **settings.CONFIG_LOADER_ARGS)
    context = settings.CONTEXT_CLASS(package_name=package_name, project_path=project, config_loader=loader,
                                     env=env, runtime_params=runtime_params, hook_manager=_hookless_manager(),
                                     pipelines_to_validate=[PIPELINE])  # typed params, as `kedro run` validates them
    catalog = context.catalog
    node = next(n for n in pipelines[PIPELINE].nodes if n.name == SHARDED_NODE)
    return node.run({name: catalog.load(name) for name in node.inputs})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default=None, help="Kedro environment, e.g. thesis (default: local)")
    parser.add_argument("--params", default="", help="runtime parameters as for `kedro run --params`")
    args = parser.parse_args(argv)
    project = Path.cwd()
    metadata = bootstrap_project(project)
    runtime_params = parse_runtime_params(args.params)
    if int(os.environ.get("WORLD_SIZE", "1")) == 1:
        with KedroSession.create(project_path=project, env=args.env, runtime_params=runtime_params) as session:
            session.run(pipeline_names=[PIPELINE])
        return
    shard = init_from_env()
    logger.info("Encoding shard %d of %d (local rank %d)", shard.rank, shard.world_size, shard.local_rank)
    try:
        if shard.rank == 0:
            with KedroSession.create(project_path=project, env=args.env, runtime_params=runtime_params) as session:
                session.run(pipeline_names=[PIPELINE])
        else:
            run_worker(project, metadata.package_name, args.env, runtime_params)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
