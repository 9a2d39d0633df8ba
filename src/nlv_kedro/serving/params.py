"""Flatten typed parameters (pydantic models, nested dicts) into MLflow params: ``pretrain.model.d_model=32``
instead of one text dump per section."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel


def plain(value: Any) -> Any:
    """``value`` with pydantic models turned into JSON-ready dicts (nested models included)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    return value


def flatten_params(params: Mapping[str, Any] | BaseModel, prefix: str = "", sep: str = ".") -> dict[str, Any]:
    """One entry per leaf, keys joined by ``sep`` under ``prefix``; lists and scalars are leaves.
    An empty section becomes one ``{}`` leaf, so its key still shows in the MLflow UI."""
    tree = plain(params)
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten_params(value, name, sep))
        else:
            flat[name] = value
    return flat
