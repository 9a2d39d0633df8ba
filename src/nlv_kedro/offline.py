"""Offline-by-default environment: no telemetry, no model-hub lookups unless the user opts in."""

from __future__ import annotations

import os

OFFLINE_DEFAULTS: dict[str, str] = {
    "DO_NOT_TRACK": "true",
    "KEDRO_DISABLE_TELEMETRY": "true",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    # Without this a hub lookup hangs ~20 s before failing on a machine with no hub access.
    # Users with access export HF_HUB_OFFLINE=0 themselves; we never override an explicit value.
    "HF_HUB_OFFLINE": "1",
}


def apply_offline_defaults() -> None:
    """Set each default only where the user has not set the variable."""
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
