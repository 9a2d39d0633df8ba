"""Safe video ids: every id ingest publishes can name a file; collisions are resolved independent of order."""

from __future__ import annotations

import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.ingestion.ids import assign_safe_ids, safe_id_map, sanitize_id


def test_sanitize_folds_accents_and_replaces_separators() -> None:
    assert sanitize_id("name with spaces ünï") == "name_with_spaces_uni"
    assert sanitize_id("../../x") == "x"
    assert sanitize_id("ok-id_1.v2") == "ok-id_1.v2"
    assert sanitize_id("...") == "video" and sanitize_id("日本") == "video"
    assert len(sanitize_id("é" + "a" * 500)) <= 120


def test_collisions_get_a_stable_hash_suffix_whatever_the_order() -> None:
    ids = ["a b", "a_b", "a/b", "c"]
    mapping = safe_id_map(pd.Series(ids))
    assert mapping["a_b"] == "a_b" and mapping["c"] == "c"
    assert len(set(mapping.values())) == 4
    assert mapping == safe_id_map(pd.Series(ids[::-1]))
    assert all(EmbeddingStore.accepts(v) for v in mapping.values())


def test_source_id_keeps_the_original_and_duplicates_stay_duplicates() -> None:
    table = pd.DataFrame({"video_id": ["x y", "x y", "z"], "path": ["1.mp4", "2.mp4", "3.mp4"]})
    safe, _ = assign_safe_ids(table)
    assert safe["source_id"].tolist() == ["x y", "x y", "z"]
    assert safe["video_id"].tolist() == ["x_y", "x_y", "z"]  # validation still rejects the second copy
