"""Safe video ids: every id that leaves ingest can be a file name (the embedding store writes ``<id>.safetensors``).

Users' files carry spaces, accents and slashes (``name with spaces ünï.mp4``, a manifest ``video_id`` of
``../../x``). Ingest maps each such id to a safe one once, keeps the original in ``source_id``, and every
later table (captions, QA, the store) uses the safe id. The mapping depends only on the set of ids, not on
their order, so re-running ingest on the same folder gives the same ids.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import pandas as pd

SAFE_ID = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*$")  # a subset of what the embedding store accepts
MAX_ID_LENGTH = 120


def is_safe_id(video_id: str) -> bool:
    return bool(SAFE_ID.match(video_id)) and len(video_id) <= MAX_ID_LENGTH


def sanitize_id(video_id: str) -> str:
    """ASCII letters, digits, ``_ . -`` only, no leading dot; accents are folded (``ünï`` -> ``uni``)."""
    if is_safe_id(video_id):
        return video_id
    folded = unicodedata.normalize("NFKD", video_id).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9_.\-]+", "_", folded).strip("._-")
    return cleaned[:MAX_ID_LENGTH - 9] or "video"


def safe_id_map(source_ids: pd.Series) -> dict[str, str]:
    """{source id: safe id}, unique per distinct source id.

    An id that is already safe keeps itself. A changed id that collides with another id gets a suffix from a
    hash of its source id (``name_x-1a2b3c4d``), so the result does not depend on row order.
    """
    sources = sorted(set(source_ids.astype(str)))
    mapping = {s: sanitize_id(s) for s in sources}
    counts = pd.Series(list(mapping.values())).value_counts()
    for source, safe in mapping.items():
        if safe != source and counts[safe] > 1:
            mapping[source] = f"{safe}-{zlib.crc32(source.encode()):08x}"
    return mapping


def assign_safe_ids(candidates: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """``candidates`` with ``source_id`` (the id as given) and a safe ``video_id``; also the mapping used."""
    table = candidates.copy()
    table["source_id"] = table["video_id"].astype(str)
    mapping = safe_id_map(table["source_id"])
    table["video_id"] = table["source_id"].map(mapping)
    return table, mapping


def rename_ids(table: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    """Point a captions or QA table at the safe ids; rows naming an unknown id keep theirs (dropped later)."""
    if table.empty or "video_id" not in table:
        return table
    table = table.copy()
    table["video_id"] = [mapping.get(v, v) for v in table["video_id"].astype(str)]
    return table
