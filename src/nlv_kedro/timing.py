"""Per-node wall time and peak memory, collected by a Kedro hook into ``data/08_reporting/node_timings.json``.

The file accumulates across ``kedro run`` invocations: entries are keyed by node name and a newer run of a
node replaces its older entry, so ``kedro run --pipelines=encode`` then ``--pipelines=report`` leaves both
pipelines' nodes in it. It is rewritten atomically after every node (so a report node later in the same run
already sees the nodes before it) and once more when the pipeline ends or fails. Schema::

    {"updated_at": "<ISO-8601 UTC>",
     "nodes": {"<node name>": {"wall_s": float, "peak_rss_mb": float, "rss_growth_mb": float | null,
                               "children_peak_rss_mb": float, "status": "ok" | "failed",
                               "run_id": str, "finished_at": "<ISO-8601 UTC>"}}}

``peak_rss_mb`` is the process's resident-set high-water mark when the node ended (``getrusage``), so it
is an upper bound for the node: the peak of the node itself or of anything that ran before it in the same
process. ``rss_growth_mb`` is the change of the current resident set over the node (Linux only, else null);
``children_peak_rss_mb`` is the largest child process (DataLoader workers), also a high-water mark.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from nlv_kedro.datasets.atomic import atomic_write_bytes

logger = logging.getLogger(__name__)

DEFAULT_TIMINGS_PATH = "data/08_reporting/node_timings.json"
# ru_maxrss is in kilobytes on Linux and in bytes on macOS
_MAXRSS_TO_MB = 1 / 1024 / 1024 if sys.platform == "darwin" else 1 / 1024


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _current_rss_mb() -> float | None:
    try:  # /proc/self/statm: size resident shared ... in pages
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * resource.getpagesize() / 2**20


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss * _MAXRSS_TO_MB


def merge_timings(existing: dict | None, new: dict[str, dict]) -> dict:
    """``existing`` file content (or None) updated with ``new`` {node: entry}; newer entries win."""
    nodes = dict((existing or {}).get("nodes", {}))
    nodes.update(new)
    return {"updated_at": _now(), "nodes": dict(sorted(nodes.items()))}


class NodeTimingHooks:
    """Records every node's wall time and memory; see the module docstring for the file it writes."""

    def __init__(self, path: str | Path = DEFAULT_TIMINGS_PATH) -> None:
        self._configured = Path(path)
        self.path = self._configured
        self._started: dict[str, tuple[float, float | None]] = {}
        self._entries: dict[str, dict[str, Any]] = {}

    @hook_impl
    def after_context_created(self, context) -> None:  # noqa: ANN001 - kedro passes its context
        # relative to the project, wherever `kedro` was started (one instance may serve several sessions)
        configured = self._configured
        self.path = configured if configured.is_absolute() else Path(context.project_path) / configured
        self._entries = {}

    @hook_impl
    def before_node_run(self, node) -> None:  # noqa: ANN001 - kedro.pipeline.Node
        self._started[node.name] = (time.perf_counter(), _current_rss_mb())

    @hook_impl
    def after_node_run(self, node, run_id: str) -> None:  # noqa: ANN001
        self._record(node.name, run_id, "ok")

    @hook_impl
    def on_node_error(self, node, run_id: str) -> None:  # noqa: ANN001
        self._record(node.name, run_id, "failed")

    @hook_impl
    def after_pipeline_run(self) -> None:
        self.flush()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self.flush()

    def _record(self, name: str, run_id: str | None, status: str) -> None:
        start, rss_before = self._started.pop(name, (time.perf_counter(), None))
        rss_after = _current_rss_mb()
        growth = None if rss_before is None or rss_after is None else round(rss_after - rss_before, 1)
        self._entries[name] = {
            "wall_s": round(time.perf_counter() - start, 3),
            "peak_rss_mb": round(_peak_rss_mb(), 1),
            "rss_growth_mb": growth,
            "children_peak_rss_mb": round(_peak_rss_mb(resource.RUSAGE_CHILDREN), 1),
            "status": status,
            "run_id": run_id or "",
            "finished_at": _now(),
        }
        self.flush()

    def flush(self) -> None:
        """Merge the entries recorded so far into the file (atomic replace); never fails the run."""
        if not self._entries:
            return
        try:
            existing = json.loads(self.path.read_text()) if self.path.is_file() else None
        except (OSError, json.JSONDecodeError) as exc:
            logger.warning("node timings: %s is unreadable (%s); starting a new file", self.path, exc)
            existing = None
        try:
            merged = merge_timings(existing, self._entries)
            atomic_write_bytes(self.path, (json.dumps(merged, indent=2) + "\n").encode())
        except OSError as exc:
            logger.warning("node timings: cannot write %s (%s)", self.path, exc)
