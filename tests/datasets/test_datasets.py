"""The project's datasets on top of kedro-datasets: same files as before, atomic, readable by others (0644)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import numpy as np
import pytest
import yaml
from kedro.io import DataCatalog, DatasetError
from kedro_datasets.json import JSONDataset
from kedro_datasets.yaml import YAMLDataset

from nlv_kedro.datasets.atomic import atomic_write_bytes
from nlv_kedro.datasets.optional_json import OptionalJSONDataset
from nlv_kedro.datasets.optional_yaml import OptionalYAMLDataset
from nlv_kedro.datasets.safetensors_file import SafetensorsDataset


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_leaves_mode_0644(tmp_path: Path) -> None:
    atomic_write_bytes(tmp_path / "a" / "f.bin", b"x")
    assert _mode(tmp_path / "a" / "f.bin") == 0o644


def test_optional_datasets_are_the_library_ones_and_write_the_same_bytes(tmp_path: Path) -> None:
    data = {"b": [1, 2], "a": {"lr": 0.001}}
    js, ym = OptionalJSONDataset(str(tmp_path / "x.json")), OptionalYAMLDataset(str(tmp_path / "x.yml"))
    assert isinstance(js, JSONDataset) and isinstance(ym, YAMLDataset)
    js.save(data)
    ym.save(data)
    assert (tmp_path / "x.json").read_text() == json.dumps(data, indent=2) + "\n"
    assert (tmp_path / "x.yml").read_text() == yaml.safe_dump(data, sort_keys=True, default_flow_style=False)
    assert _mode(tmp_path / "x.json") == _mode(tmp_path / "x.yml") == 0o644
    with pytest.raises(DatasetError):
        js.save({"x": float("nan")})  # NaN is not JSON
    assert js.load() == data  # a failed save left the old file whole


def test_versioned_optional_dataset_is_missing_until_saved(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config({"s": {"type": "nlv_kedro.datasets.optional_json.OptionalJSONDataset",
                                             "filepath": str(tmp_path / "s.json"), "versioned": True}})
    assert catalog.load("s") is None
    catalog.save("s", [1, 2])
    assert catalog.load("s") == [1, 2] and len(list((tmp_path / "s.json").iterdir())) == 1


def test_catalog_entries_build_from_yaml_with_save_args(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "m": {"type": "nlv_kedro.datasets.optional_json.OptionalJSONDataset",
                  "filepath": str(tmp_path / "m.json"), "save_args": {"indent": 4}},
            "p": {"type": "nlv_kedro.datasets.optional_yaml.OptionalYAMLDataset", "filepath": str(tmp_path / "p.yml")},
        }
    )
    assert catalog.load("m") is None and catalog.load("p") is None
    catalog.save("m", {"k": 1})
    assert (tmp_path / "m.json").read_text() == '{\n    "k": 1\n}\n'


def test_safetensors_round_trip_with_metadata(tmp_path: Path) -> None:
    path = tmp_path / "t" / "e.safetensors"
    dataset = SafetensorsDataset(str(path))
    assert not dataset.exists()
    with pytest.raises(DatasetError, match="does not exist"):
        dataset.load()
    tensors = {"emb": np.arange(6, dtype=np.float32).reshape(2, 3), "ids": np.array([3, 4], dtype=np.int64)}
    dataset.save({"tensors": tensors, "metadata": {"encoder": "clip"}})
    loaded = dataset.load()
    assert loaded["metadata"] == {"encoder": "clip"} and set(loaded["tensors"]) == {"emb", "ids"}
    np.testing.assert_array_equal(loaded["tensors"]["emb"], tensors["emb"])
    assert _mode(path) == 0o644 and not list(path.parent.glob(".*tmp"))
    with pytest.raises(DatasetError, match="metadata"):
        dataset.save({"tensors": tensors, "metadata": {"n": 3}})
