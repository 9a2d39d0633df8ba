"""Close runs whose process died (``kill -9``, OOM killer, lost node) so they do not stay RUNNING forever.

Every run this project opens records the process that owns it (``nlv.pid``, ``nlv.pid_started``,
``nlv.host``). At the next pipeline start, a RUNNING run of the experiment whose owner is on this host and
no longer alive is marked FAILED. Runs from other hosts and runs without these tags are left alone: their
owner cannot be checked from here.
"""

from __future__ import annotations

import logging
import os
import socket

import psutil
from mlflow import MlflowClient

logger = logging.getLogger(__name__)

PID_TAG, STARTED_TAG, HOST_TAG = "nlv.pid", "nlv.pid_started", "nlv.host"
REASON_TAG = "nlv.closed_reason"


def process_tags() -> dict[str, str]:
    """Tags naming the current process, to set on every run it opens."""
    started = psutil.Process(os.getpid()).create_time()
    return {PID_TAG: str(os.getpid()), STARTED_TAG: f"{started:.3f}", HOST_TAG: socket.gethostname()}


def owner_alive(tags: dict[str, str]) -> bool | None:
    """Whether the process recorded in ``tags`` still runs: None when the tags do not say (missing, other host).
    The start time guards against a recycled pid."""
    if tags.get(HOST_TAG) != socket.gethostname() or PID_TAG not in tags:
        return None
    try:
        process = psutil.Process(int(tags[PID_TAG]))
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return abs(process.create_time() - float(tags.get(STARTED_TAG, "nan"))) < 1.0
    except (psutil.NoSuchProcess, ValueError):
        return False


def close_stale_runs(client: MlflowClient, experiment_id: str) -> list[str]:
    """Mark FAILED every RUNNING run of ``experiment_id`` whose owning process is gone; returns their ids."""
    running = client.search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'", max_results=1000)
    closed = []
    for run in running:
        if owner_alive(run.data.tags) is False:
            client.set_tag(run.info.run_id, REASON_TAG, f"process {run.data.tags[PID_TAG]} gone")
            client.set_terminated(run.info.run_id, "FAILED")
            closed.append(run.info.run_id)
    if closed:
        logger.warning("Closed %d run(s) left RUNNING by a dead process as FAILED: %s", len(closed), closed)
    return closed
