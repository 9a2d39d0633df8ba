"""Project pipelines. `__default__` is the main job `make run` executes, chosen explicitly."""

from __future__ import annotations

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

# The main job, in order. A pipeline joins it when it is ready to run on the demo data.
# `demo_data` is not part of it: `make run` generates the demo data only when data/01_raw is empty.
MAIN_JOB: tuple[str, ...] = ("ingest", "preprocess", "encode", "pretrain", "downstream", "seeds", "video_qa",
                             "ablations", "report")


def register_pipelines() -> dict[str, Pipeline]:
    # Kedro 1.7 imports only the pipelines a `kedro run --pipeline=X` asks for; `__default__`
    # is assembled when all of its members were loaded (always the case for a plain `kedro run`).
    pipelines = find_pipelines(raise_errors=True)
    if all(name in pipelines for name in MAIN_JOB):
        pipelines["__default__"] = sum((pipelines[name] for name in MAIN_JOB), Pipeline([]))
    return pipelines
