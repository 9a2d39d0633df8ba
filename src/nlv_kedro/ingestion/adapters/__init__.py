"""Dataset adapters: official annotation formats read into the video index / captions / QA tables."""

from .base import CAPTION_COLUMNS, QA_COLUMNS, AnnotationError, SourceTables
from .manifest import ManifestSource, read_manifest_source
from .registry import MODELS, SourceParams, check_source, has_labels, read_source

__all__ = [
    "CAPTION_COLUMNS",
    "MODELS",
    "QA_COLUMNS",
    "AnnotationError",
    "ManifestSource",
    "SourceParams",
    "SourceTables",
    "check_source",
    "has_labels",
    "read_manifest_source",
    "read_source",
]
