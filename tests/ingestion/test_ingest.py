"""Ingestion: discovery, validation and the pipeline slice on a folder of good and broken files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from pydantic import ValidationError

from nlv_kedro.ingestion.sources import assign_missing_splits, read_manifest, resolve_inside, scan_class_folders
from nlv_kedro.ingestion.validation import validate_table
from nlv_kedro.pipelines.ingest import create_pipeline
from nlv_kedro.ingestion.steps import IngestError, accept_index, typed_index
from nlv_kedro.ingestion.config import IngestConfig
from tests.conftest import PROJECT_ROOT, KeptDataset, run_slice


def _params(root: Path, **overrides) -> IngestConfig:
    return IngestConfig(root=str(root), **overrides)


def test_resolve_inside_rejects_escapes(tmp_path: Path) -> None:
    (tmp_path / "ok.mp4").write_bytes(b"x")
    assert resolve_inside(tmp_path, "ok.mp4") == (tmp_path / "ok.mp4").resolve()
    for bad in ("../../etc/passwd", "/etc/passwd", "sub/../../x.mp4"):
        with pytest.raises(ValueError, match="escapes the data root"):
            resolve_inside(tmp_path, bad)


def test_resolve_inside_rejects_symlink_out_of_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "link.mp4").symlink_to("/etc/hostname")
    with pytest.raises(ValueError):
        resolve_inside(root, "link.mp4")


def test_manifest_defaults_and_unsafe_rows(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,label\nclips/a.mp4,run\n../../etc/passwd,run\nb.mp4,\n")
    candidates, rejected = read_manifest(tmp_path, manifest)
    assert candidates["video_id"].tolist() == ["a", "b"]
    assert candidates["split"].tolist() == ["", ""]
    assert rejected["path"].tolist() == ["../../etc/passwd"]
    assert "escapes the data root" in rejected["reason"].iloc[0]


def test_manifest_without_path_column_fails_fast(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    manifest.write_text("file,label\na.mp4,x\n")
    with pytest.raises(ValueError, match="no 'path' column"):
        read_manifest(tmp_path, manifest)


def test_folder_per_class_layout(tmp_path: Path) -> None:
    for label, name in [("jump", "j1.mp4"), ("jump", "j2.avi"), ("run", "r1.mkv")]:
        (tmp_path / label).mkdir(exist_ok=True)
        (tmp_path / label / name).write_bytes(b"x")
    (tmp_path / "run" / "readme.txt").write_text("not a video")
    candidates, rejected = scan_class_folders(tmp_path, [".mp4", ".avi", ".mkv"])
    assert sorted(zip(candidates["label"], candidates["video_id"])) == [("jump", "j1"), ("jump", "j2"), ("run", "r1")]
    assert rejected.empty


def test_missing_splits_are_stable_and_follow_fractions() -> None:
    table = pd.DataFrame({"video_id": [f"v{i}" for i in range(2000)], "split": [""] * 1999 + ["test"]})
    first = assign_missing_splits(table, {"train": 0.6, "val": 0.2, "test": 0.2})
    again = assign_missing_splits(table, {"train": 0.6, "val": 0.2, "test": 0.2})
    assert first["split"].tolist() == again["split"].tolist()
    assert first["split"].iloc[-1] == "test"
    assert abs(first["split"].eq("train").mean() - 0.6) < 0.05


def test_validation_rejects_rows_with_reasons() -> None:
    table = pd.DataFrame(
        {
            "video_id": ["a", "b", "b", "c", "d"],
            "path": ["a.mp4", "b.mp4", "b2.mp4", "c.mp4", "d.mp4"],
            "label": ["x", "y", "y", "", "z"],
            "split": ["train", "val", "test", "train", "holdout"],
            "caption": [""] * 5,
            "fps": [25.0, 25.0, 25.0, 25.0, 25.0],
            "n_frames": [100, 100, 100, 100, 5],
            "duration_s": [4.0, 4.0, 4.0, 4.0, 0.2],
            "width": [64, 64, 64, 64, 16],
            "height": [48, 48, 48, 48, 48],
        }
    )
    params = IngestConfig(root=".", min_duration_s=0.5)
    accepted, rejected, result = validate_table(table, params.rules())
    assert accepted["path"].tolist() == ["a.mp4", "b.mp4"]
    reasons = dict(zip(rejected["path"], rejected["reason"]))
    assert reasons["b2.mp4"] == "duplicate video_id"
    assert "label missing" in reasons["c.mp4"]
    assert "duration" in reasons["d.mp4"] and "width" in reasons["d.mp4"] and "split" in reasons["d.mp4"]
    assert result["success"] is False and result["statistics"]["evaluated_expectations"] == 8


def test_bad_parameters_name_the_key() -> None:
    with pytest.raises(ValidationError, match="min_fps"):
        IngestConfig(root=".", min_fps=-1)
    with pytest.raises(ValidationError, match="max_rejected_fraction"):
        IngestConfig(root=".", max_rejected_fraction=2)
    with pytest.raises(ValidationError, match="unknown_key"):
        IngestConfig(root=".", unknown_key=1)


def _broken_folder(root: Path, good_video: Path, bad_inputs: dict[str, Path]) -> Path:
    root.mkdir()
    rows = ["path,label,split"]
    for i in range(8):
        shutil.copy(good_video, root / f"good{i}.mp4")
        rows.append(f"good{i}.mp4,{'ab'[i % 2]},{['train', 'val', 'test'][i % 3]}")
    for kind, path in bad_inputs.items():
        shutil.copy(path, root / path.name)
        rows.append(f"{path.name},a,train")
    rows += ["missing.mp4,a,train", "../../etc/passwd,a,train"]
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root


def _run_slice(params: IngestConfig) -> dict:
    catalog = run_slice(create_pipeline(), {"params:ingest": params})
    return {name: catalog[name].load() for name in ("video_index", "quarantine", "ingest_summary")}


def test_pipeline_quarantines_every_broken_file(tmp_path: Path, good_video: Path, bad_inputs: dict) -> None:
    root = _broken_folder(tmp_path / "videos", good_video, bad_inputs)
    out = _run_slice(_params(root, max_rejected_fraction=0.6))
    assert sorted(out["video_index"]["video_id"]) == [f"good{i}" for i in range(8)]
    quarantined = set(out["quarantine"]["path"])
    assert quarantined == {p.name for p in bad_inputs.values()} | {"missing.mp4", "../../etc/passwd"}
    assert out["quarantine"]["reason"].str.len().min() > 0
    assert out["ingest_summary"]["rejected"] == len(quarantined)


def test_too_many_rejections_fail_with_clear_message(tmp_path: Path, good_video: Path, bad_inputs: dict) -> None:
    root = _broken_folder(tmp_path / "videos", good_video, bad_inputs)
    with pytest.raises(Exception, match="max_rejected_fraction"):
        _run_slice(_params(root, max_rejected_fraction=0.2))


def test_nothing_valid_fails() -> None:
    summary = {"total_inputs": 3, "rejected": 3}
    with pytest.raises(IngestError, match="no valid video"):
        accept_index(pd.DataFrame(), pd.DataFrame(), summary, IngestConfig(root="."))


def test_unreadable_root_fails_fast(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="is not a folder"):
        _run_slice(_params(tmp_path / "absent"))


def test_explicit_missing_manifest_fails_fast(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not found"):
        _run_slice(_params(tmp_path, manifest="other.csv"))


def test_folder_layout_end_to_end(tmp_path: Path, good_video: Path) -> None:
    root = tmp_path / "classes"
    for label in ("left", "right"):
        (root / label).mkdir(parents=True)
        for i in range(3):
            shutil.copy(good_video, root / label / f"{label}{i}.mp4")
    os.symlink("/etc/hostname", root / "left" / "escape.mp4")
    out = _run_slice(_params(root, manifest=None))
    assert set(out["video_index"]["label"]) == {"left", "right"}
    assert len(out["video_index"]) == 6
    assert out["quarantine"]["path"].tolist() == ["left/escape.mp4"]


def test_video_index_order_dependent_is_a_bool_written_and_loaded_once(tmp_path: Path) -> None:
    """Ingest types the manifest's text flag once; the catalog entry loads the CSV column back as bool."""
    accepted = pd.DataFrame({"video_id": ["a", "b", "c", "d"], "order_dependent": ["True", "false", "1", ""]})
    typed = typed_index(accepted)
    assert typed["order_dependent"].dtype == bool and typed["order_dependent"].tolist() == [True, False, True, False]
    assert typed_index(accepted.drop(columns="order_dependent"))["order_dependent"].tolist() == [False] * 4
    entry = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog_ingest.yml").read_text())
    entry = {**entry["video_index"], "filepath": str(tmp_path / "video_index.csv")}
    catalog = DataCatalog.from_config({"video_index": entry})
    catalog.save("video_index", typed)
    loaded = catalog.load("video_index")
    assert loaded["order_dependent"].dtype == bool and loaded["order_dependent"].tolist() == [True, False, True, False]


def test_unknown_order_dependent_spelling_fails_naming_the_column(tmp_path: Path, good_video: Path) -> None:
    assert typed_index(pd.DataFrame({"order_dependent": [" YES", "No", "t", "F", "0"]}))["order_dependent"].tolist() \
        == [True, False, True, False, False]
    shutil.copy(good_video, tmp_path / "a.mp4")
    (tmp_path / "manifest.csv").write_text("path,label,order_dependent\na.mp4,k,maybe\n")
    with pytest.raises(Exception, match=r"'order_dependent'.*'maybe'.*a\.mp4.*allowed: true") as failed:
        _run_slice(_params(tmp_path))
    assert "\n" not in str(failed.value)


def _failed_run_outputs(params: IngestConfig) -> set[str]:
    """The outputs a failing ingest run saved before it failed."""
    pipeline = create_pipeline()
    catalog = DataCatalog({"params:ingest": MemoryDataset(params)})
    for name in pipeline.all_outputs():
        catalog[name] = KeptDataset()
    with pytest.raises(Exception):
        SequentialRunner().run(pipeline, catalog)
    return {name for name in pipeline.all_outputs() if catalog[name].exists()}


def test_failed_ingest_publishes_no_quarantine_without_an_index(tmp_path: Path, good_video: Path,
                                                                bad_inputs: dict) -> None:
    (tmp_path / "empty").mkdir()
    assert _failed_run_outputs(_params(tmp_path / "empty")) == set()
    root = _broken_folder(tmp_path / "videos", good_video, bad_inputs)
    saved = _failed_run_outputs(_params(root, max_rejected_fraction=0.2))
    assert not saved & {"video_index", "quarantine", "ingest_summary"}


def test_empty_folder_fails_naming_ingest_root(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"ingest\.root .* holds no video"):
        _run_slice(_params(tmp_path, manifest=None))


def test_numeric_looking_ids_load_back_as_text(tmp_path: Path) -> None:
    entries = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog_ingest.yml").read_text())
    table = typed_index(pd.DataFrame({"video_id": ["0001", "2"], "source_id": ["0001", "2"], "path": ["0001.mp4", "2.mp4"]}))
    for name in ("video_index", "quarantine", "video_captions"):
        catalog = DataCatalog.from_config({name: {**entries[name], "filepath": str(tmp_path / f"{name}.csv")}})
        catalog.save(name, table[["video_id", "path"]] if name != "video_index" else table)
        assert catalog.load(name)["video_id"].tolist() == ["0001", "2"]
