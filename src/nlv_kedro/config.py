"""The base of every typed configuration in the project, and the one override merge they share.

Every concept (top model, objective, optimizer, trainer, chunk plan, classifier, QA training...) has one
typed config class, owned by the library module that uses it. Kedro parameter files are validated by
loading them into those same classes, so a default is written once, in code, and the shipped YAML repeats
it (a test compares the two).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Frozen, and unknown keys fail fast, naming the key."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def deep_merge(base: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overrides`` merged in, nested dicts key by key (neither input is modified)."""
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
