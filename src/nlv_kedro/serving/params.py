"""Flatten typed parameters (pydantic models, nested dicts) into MLflow params: ``pretrain.model.d_model=32``
instead of one text dump per section."""

from __future__ import annotations

import re
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
    return {_valid_name(key): value for key, value in _flatten(plain(params), sep, prefix).items()}


def _valid_name(name: str) -> str:
    """MLflow's allowed characters in a param name; others become ``_`` (as kedro-mlflow does)."""
    return re.sub(r"[^/\w.\- :]", "_", name)


def _flatten(tree: Mapping[str, Any], sep: str, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, sep, name))
        else:
            flat[name] = value
    return flat
