"""Optional-file datasets: a missing file is the value None, a broken one a clear error, writes atomic."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.io import DatasetError

from nlv_kedro.datasets.optional_json import OptionalJSONDataset
from nlv_kedro.datasets.optional_yaml import OptionalYAMLDataset


@pytest.mark.parametrize("cls, name", [(OptionalJSONDataset, "x.json"), (OptionalYAMLDataset, "x.yml")])
def test_missing_is_none_round_trip_and_broken_file_names_itself(cls, name: str, tmp_path: Path) -> None:
    path = tmp_path / "sub" / name
    dataset = cls(str(path))
    assert dataset.exists() and dataset.load() is None  # optional pipelines have not run yet
    dataset.save({"best": {"lr": 0.001}, "n": [1, 2]})
    assert dataset.load() == {"best": {"lr": 0.001}, "n": [1, 2]}
    assert not list(path.parent.glob(".*tmp"))  # the temp file was renamed over the target
    path.write_text("{broken: [", encoding="utf-8")
    with pytest.raises(DatasetError, match=name):
        dataset.load()
