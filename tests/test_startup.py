"""Pipeline registration stays light: no pipeline module imports the heavy libraries its nodes use.

Not timed (timings on a shared machine are noise); it checks the cause of a slow start instead: which
libraries a fresh interpreter has loaded after importing each pipeline's ``pipeline.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT

HEAVY = ("torch", "lightning", "transformers", "mlflow", "sklearn", "optuna")
PIPELINES = sorted(p.name for p in (PROJECT_ROOT / "src/nlv_kedro/pipelines").iterdir()
                   if (p / "pipeline.py").is_file())

_PROBE = """
import json, sys
import nlv_kedro.pipelines.{name}.pipeline as module
module.create_pipeline()
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def test_every_pipeline_is_found() -> None:
    assert {"ingest", "preprocess", "encode", "pretrain", "downstream", "report"} <= set(PIPELINES)


@pytest.mark.parametrize("name", PIPELINES)
def test_pipeline_registration_imports_no_heavy_library(name: str) -> None:
    probe = _PROBE.format(name=name, heavy=HEAVY)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300,
                            cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"importing pipelines/{name}/pipeline.py loads {loaded}: import them inside the nodes"


@pytest.mark.parametrize("name", PIPELINES)
def test_node_type_hints_resolve(name: str) -> None:
    # Kedro validates typed `params:` inputs through typing.get_type_hints: a hint only imported under
    # TYPE_CHECKING would silently turn that validation off for the node.
    import importlib
    import typing

    pipeline = importlib.import_module(f"nlv_kedro.pipelines.{name}.pipeline").create_pipeline()
    for node in pipeline.nodes:
        typing.get_type_hints(node.func)
