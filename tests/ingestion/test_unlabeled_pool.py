"""The unlabeled pretraining pool: videos in ``ingest.unlabeled_splits`` need no label and never reach `video_index`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog
from pydantic import ValidationError

from nlv_kedro.ingestion.config import IngestConfig
from nlv_kedro.ingestion.steps import IngestError, accept_index, videos_to_encode
from nlv_kedro.ingestion.validation import validate_table
from nlv_kedro.pipelines.ingest import create_pipeline
from tests.conftest import PROJECT_ROOT, run_slice


def _table(labels: list[str], splits: list[str]) -> pd.DataFrame:
    n = len(labels)
    return pd.DataFrame({"video_id": [f"v{i}" for i in range(n)], "path": [f"v{i}.mp4" for i in range(n)],
                         "label": labels, "split": splits, "caption": [""] * n, "fps": [25.0] * n,
                         "n_frames": [100] * n, "duration_s": [4.0] * n, "width": [64] * n, "height": [48] * n})


def test_only_unlabeled_splits_may_lack_a_label() -> None:
    table = _table(["a", "", "", "b"], ["train", "unlabeled", "val", "test"])
    accepted, rejected, _ = validate_table(table, IngestConfig(root=".").rules())
    assert accepted["video_id"].tolist() == ["v0", "v1", "v3"]
    assert rejected["video_id"].tolist() == ["v2"] and "outside the unlabeled splits" in rejected["reason"].iloc[0]


def test_ingest_puts_the_pool_in_its_own_index(tmp_path: Path, good_video: Path) -> None:
    rows = ["path,label,split"] + [f"l{i}.mp4,{'ab'[i % 2]},{['train', 'val', 'test'][i % 3]}" for i in range(6)]
    rows += [f"u{i}.mp4,,unlabeled" for i in range(3)]
    for name in [r.split(",")[0] for r in rows[1:]]:
        shutil.copy(good_video, tmp_path / name)
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n")
    catalog = run_slice(create_pipeline(), {"params:ingest": IngestConfig(root=str(tmp_path))})
    index, pool = catalog["video_index"].load(), catalog["unlabeled_index"].load()
    assert sorted(index["video_id"]) == [f"l{i}" for i in range(6)] and set(index["split"]) == {"train", "val", "test"}
    assert sorted(pool["video_id"]) == ["u0", "u1", "u2"] and catalog["ingest_summary"].load()["unlabeled"] == 3
    assert len(videos_to_encode(index, pool)) == 9 and videos_to_encode(index, None) is index


def test_pool_alone_is_not_enough() -> None:
    accepted = pd.DataFrame({"video_id": ["u0"], "label": [""], "split": ["unlabeled"]})
    with pytest.raises(IngestError, match="unlabeled_splits"):
        accept_index(accepted, pd.DataFrame(), {"total_inputs": 1, "rejected": 0}, IngestConfig(root="."))


def test_bad_pool_parameters_name_the_key() -> None:
    with pytest.raises(ValidationError, match=r"ingest\.unlabeled_splits names splits \['extra'\]"):
        IngestConfig(root=".", unlabeled_splits=["extra"])
    with pytest.raises(ValidationError, match="labelled split"):
        IngestConfig(root=".", allowed_splits=["unlabeled"], unlabeled_splits=["unlabeled"],
                     missing_split_fractions={"unlabeled": 1.0})


def test_a_data_folder_without_the_pool_file_loads_no_pool(tmp_path: Path) -> None:
    entry = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog_ingest.yml").read_text())["unlabeled_index"]
    catalog = DataCatalog.from_config({"unlabeled_index": {**entry, "filepath": str(tmp_path / "pool.csv")}})
    assert catalog.load("unlabeled_index") is None
    catalog.save("unlabeled_index", pd.DataFrame({"video_id": ["0001"], "split": ["unlabeled"]}))
    assert catalog.load("unlabeled_index")["video_id"].tolist() == ["0001"]
