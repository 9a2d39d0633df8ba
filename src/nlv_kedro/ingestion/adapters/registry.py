"""Which adapter reads which ``ingest.source.format``, and the checks that give clear parameter errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field

from .activitynet_captions import ActivityNetCaptionsSource, read_activitynet_captions
from .base import SourceTables
from .hmdb51 import Hmdb51Source, read_hmdb51
from .kinetics import KineticsSource, read_kinetics
from .manifest import ManifestSource
from .msrvtt import MsrVttSource, read_msrvtt
from .nextqa import NextQaSource, read_nextqa
from .ucf101 import Ucf101Source, read_ucf101

SourceParams = Annotated[
    ManifestSource | Ucf101Source | Hmdb51Source | KineticsSource | ActivityNetCaptionsSource | MsrVttSource
    | NextQaSource,
    Field(discriminator="format"),
]

MODELS: dict[str, type[BaseModel]] = {
    "manifest": ManifestSource,
    "ucf101": Ucf101Source,
    "hmdb51": Hmdb51Source,
    "kinetics": KineticsSource,
    "activitynet_captions": ActivityNetCaptionsSource,
    "msrvtt": MsrVttSource,
    "nextqa": NextQaSource,
}
# The manifest format is read by the ingest node itself (it needs ingest.manifest).
READERS: dict[str, Callable[[Path, Any, list[str]], SourceTables]] = {
    "ucf101": read_ucf101,
    "hmdb51": read_hmdb51,
    "kinetics": read_kinetics,
    "activitynet_captions": read_activitynet_captions,
    "msrvtt": read_msrvtt,
    "nextqa": read_nextqa,
}
UNLABELLED = frozenset({"activitynet_captions", "nextqa"})


def check_source(raw: object) -> object:
    """Reject an unknown format or key with the allowed values named; pydantic validates the rest."""
    if raw is None:
        return {"format": "manifest"}
    if isinstance(raw, BaseModel) or not isinstance(raw, Mapping):
        return raw
    fmt = raw.get("format", "manifest")
    if fmt not in MODELS:
        raise ValueError(f"ingest.source.format '{fmt}' is not supported; allowed values: {', '.join(MODELS)}")
    allowed = ["format", *(key for key in MODELS[fmt].model_fields if key != "format")]
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        hint = " (the data root is ingest.root, which preprocess and encode read too)" if "root" in unknown else ""
        names = ", ".join(f"ingest.source.{key}" for key in unknown)
        raise ValueError(f"{names}: not a key of format '{fmt}'{hint}; allowed keys: {', '.join(allowed)}")
    return {**raw, "format": fmt}


def read_source(root: Path, source: BaseModel, extensions: list[str]) -> SourceTables:
    """Read an annotation format (every format but ``manifest``) into the common tables."""
    return READERS[source.format](root, source, extensions)  # type: ignore[attr-defined]


def has_labels(source: BaseModel) -> bool:
    """Whether the format carries class labels (decides the default of ``ingest.require_labels``)."""
    return source.format not in UNLABELLED  # type: ignore[attr-defined]
