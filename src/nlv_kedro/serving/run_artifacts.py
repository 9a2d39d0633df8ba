"""What a pipeline run attaches to its MLflow run besides metrics: the resolved parameters (as the run
saw them, runtime overrides included) and the report with its plots when the run built them."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import mlflow

logger = logging.getLogger(__name__)

REPORT_DATASETS = ("report_html", "report_markdown")


def log_resolved_config(params: Mapping[str, Any], extra: Mapping[str, Mapping[str, Any]] = {}) -> None:  # noqa: B006
    """``config/parameters.yml`` (and ``config/<name>.yml`` for each of ``extra``) in the active run."""
    mlflow.log_dict(dict(params), "config/parameters.yml")
    for name, section in extra.items():
        mlflow.log_dict(dict(section), f"config/{name}.yml")


def report_files(outputs: Iterable[str], catalog: Any, project: Path = Path()) -> list[tuple[Path, str]]:
    """(file, artifact folder) of the report datasets among ``outputs`` whose file exists (relative paths
    against ``project``): the report itself under ``report``, plot PNGs (datasets ``*_plot``) under
    ``report/plots``."""
    files = []
    for name in sorted(outputs):
        if name not in REPORT_DATASETS and not name.endswith("_plot"):
            continue
        path = getattr(catalog.get(name), "_filepath", None)
        if path is not None and (project / str(path)).is_file():
            files.append((project / str(path), "report/plots" if name.endswith("_plot") else "report"))
    return files


def log_report(outputs: Iterable[str], catalog: Any, project: Path = Path()) -> int:
    """Log the report files of this run as artifacts; returns how many."""
    files = report_files(outputs, catalog, project)
    for path, folder in files:
        mlflow.log_artifact(str(path), artifact_path=folder)
    return len(files)
