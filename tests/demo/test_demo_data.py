"""The demo dataset generator: determinism, class design (order pairs), splits, real decodable videos, QA."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import decord
import numpy as np
import pandas as pd
import pytest
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from kedro.validation.exceptions import ParameterValidationError
from kedro.validation.parameter_validator import ParameterValidator
from kedro_datasets.json import JSONDataset
from kedro_datasets.pandas import CSVDataset
from kedro_datasets.pandas import JSONDataset as PandasJSONDataset
from kedro_datasets.partitions import PartitionedDataset
from pydantic import ValidationError

from nlv_kedro.demo import footage_recipes, shape_recipes
from nlv_kedro.demo.config import DemoDataConfig
from nlv_kedro.demo.dataset import plan_demo_videos
from nlv_kedro.demo.generator import MANIFEST_COLUMNS, encode_video, manifest_table, qa_table, split_counts
from nlv_kedro.demo.language import QA_TYPES
from nlv_kedro.demo.plan import Canvas, count_cuts
from nlv_kedro.demo.recipes import CLASS_BY_NAME, CLASSES
from nlv_kedro.demo.scenes import render_frames
from nlv_kedro.pipelines.demo_data import create_pipeline
from tests.conftest import PROJECT_ROOT

CONF = PROJECT_ROOT / "conf" / "base"
TINY = DemoDataConfig(size="tiny", seed=7)
CANVAS = Canvas(96, 64, 12.0, (2.0, 4.0))


def _frame_hashes(frames: np.ndarray) -> list[str]:
    return sorted(hashlib.sha1(f.tobytes()).hexdigest() for f in frames)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run the whole demo_data pipeline on `tiny` into a temp folder laid out like data/01_raw/demo."""
    root = tmp_path_factory.mktemp("demo")
    catalog = DataCatalog(
        {
            "params:demo_data": MemoryDataset(TINY),
            "demo_videos": PartitionedDataset(
                path=str(root / "videos"),
                dataset="nlv_kedro.datasets.binary_file.BinaryFileDataset",
                filename_suffix=".mp4",
                overwrite=True,
            ),
            "demo_manifest": CSVDataset(filepath=str(root / "manifest.csv"), save_args={"index": False}),
            "demo_qa": PandasJSONDataset(
                filepath=str(root / "qa.jsonl"),
                load_args={"orient": "records", "lines": True},
                save_args={"orient": "records", "lines": True},
            ),
            "demo_classes": JSONDataset(filepath=str(root / "classes.json")),
        }
    )
    started = time.process_time()  # CPU time: the check must not fail because other jobs share the machine
    SequentialRunner().run(create_pipeline(), catalog)
    return {
        "cpu_seconds": time.process_time() - started,
        "root": root,
        "plans": {p.video_id: p for p in plan_demo_videos(TINY)},
        "manifest": catalog.load("demo_manifest"),
        "qa": catalog.load("demo_qa"),
        "classes": catalog.load("demo_classes"),
    }


def test_pipeline_writes_every_video_and_table(generated: dict) -> None:
    manifest, root = generated["manifest"], generated["root"]
    assert tuple(manifest.columns) == MANIFEST_COLUMNS
    assert len(manifest) == 3 * len(CLASSES) + 6 and manifest["video_id"].is_unique  # 6: the unlabeled pool
    for rel in manifest["path"]:
        assert (root / rel).is_file(), rel
    assert sorted(p.name for p in (root / "videos").iterdir()) == sorted(manifest["path"].str[len("videos/") :])


def test_tiny_preset_is_small_and_quick(generated: dict) -> None:
    plans = generated["plans"].values()
    assert sum(p.duration_s for p in plans if p.split != "unlabeled") < 400
    assert sum(p.duration_s for p in plans if p.split == "unlabeled") < 80  # 6 pool videos
    assert generated["cpu_seconds"] < 60  # about 12 s


def test_videos_decode_with_expected_fps_and_length(generated: dict) -> None:
    plans, root = generated["plans"], generated["root"]
    for video_id, plan in plans.items():
        reader = decord.VideoReader(str(root / "videos" / f"{video_id}.mp4"))
        assert len(reader) == plan.n_frames, video_id
        assert reader.get_avg_fps() == pytest.approx(plan.fps, abs=0.01), video_id
        assert reader[0].shape == (120, 160, 3)
    assert len({p.n_frames for p in plans.values()}) > 10  # chunk sequences of different lengths
    assert len({p.fps for p in plans.values()}) > 3
    assert all(2.0 <= p.duration_s <= 6.5 for p in plans.values() if not CLASS_BY_NAME[p.label].group)
    # structure videos are stretched where the tiny range is too short to hold their inserts
    assert all(2.0 <= p.duration_s <= 11.0 for p in plans.values())


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    first, second = plan_demo_videos(TINY), plan_demo_videos(TINY)
    assert manifest_table(first).to_csv() == manifest_table(second).to_csv()
    assert qa_table(first).to_json(orient="records") == qa_table(second).to_json(orient="records")
    assert all(np.array_equal(a.render(), b.render()) for a, b in zip(first[::4], second[::4], strict=True))
    decoded = []
    for run, plans in enumerate((first, second)):
        path = tmp_path / f"run{run}.mp4"
        data = encode_video(plans[4])
        path.write_bytes(data)
        decoded.append((data, decord.VideoReader(str(path))[0].asnumpy().astype(np.int16)))
    assert decoded[0][0] == decoded[1][0]  # single-threaded x264 without lookahead is byte-exact
    source = first[4].render()[0].astype(np.int16)
    assert np.abs(decoded[0][1] - source).mean() < 6.0
    other = manifest_table(plan_demo_videos(DemoDataConfig(size="tiny", seed=8)))
    assert other["caption"].tolist() != manifest_table(first)["caption"].tolist()


def test_classes_and_order_pairs_recorded(generated: dict) -> None:
    doc, manifest = generated["classes"], generated["manifest"]
    labelled = manifest[manifest["split"] != "unlabeled"]
    assert len(doc["classes"]) >= 8 and set(labelled["label"]) == set(doc["classes"])
    assert len(doc["order_pairs"]) >= 3
    for a, b in doc["order_pairs"]:
        assert doc["classes"][a]["order_dependent"] and doc["classes"][b]["order_dependent"]
    assert sorted(doc["structure_groups"]) == ["arrow_of_time", "insert_count", "insert_order", "parts_order"]
    for group, names in doc["structure_groups"].items():
        assert all(doc["classes"][n]["order_dependent"] and doc["classes"][n]["group"] == group for n in names)
    flags = labelled.groupby("label")["order_dependent"].first()
    assert all(flags[name] == info["order_dependent"] for name, info in doc["classes"].items())


def test_splits_are_stratified(generated: dict) -> None:
    manifest = generated["manifest"]
    labelled = manifest[manifest["split"] != "unlabeled"]
    assert labelled["label"].notna().all() and manifest.loc[manifest["split"] == "unlabeled", "label"].isna().all()
    table = pd.crosstab(labelled["label"], labelled["split"])
    assert set(table.columns) == {"train", "val", "test"}
    assert (table > 0).all().all()
    assert split_counts(24, (0.6, 0.2, 0.2)) == (14, 5, 5)


def test_qa_answers_follow_from_the_plan(generated: dict) -> None:
    qa, plans = generated["qa"], generated["plans"]
    assert set(qa["type"]) <= set(QA_TYPES) and "structure" in set(qa["type"])
    assert qa.groupby("video_id").size().le(3).all() and set(qa["video_id"]) <= set(plans)
    for row in qa.itertuples():
        assert row.answer in row.choices and 2 <= len(row.choices) <= 4 and len(set(row.choices)) == len(row.choices)
        if row.type == "count":
            assert int(row.answer) == plans[row.video_id].cuts
    directions = qa[qa["type"] == "direction"].merge(generated["manifest"], on="video_id")
    assert (directions["answer"] == directions["label"].map(
        {"ball_left_to_right": "from left to right", "ball_right_to_left": "from right to left"})).all()


@pytest.mark.parametrize(
    ("forward", "backward"),
    [(shape_recipes.ball(False), shape_recipes.ball(True)), (shape_recipes.square(False), shape_recipes.square(True))],
)
def test_backward_class_is_the_forward_drawing_reversed(forward, backward) -> None:
    fwd = forward(np.random.default_rng(3), CANVAS)
    bwd = backward(np.random.default_rng(3), CANVAS)
    a = render_frames(fwd.parts, 96, 64, reverse=fwd.reverse)
    b = render_frames(bwd.parts, 96, 64, reverse=bwd.reverse)
    assert np.array_equal(a, b[::-1])
    assert _frame_hashes(a) == _frame_hashes(b)
    assert not np.array_equal(a, b)


def test_scene_order_pair_has_the_same_frames_in_another_order() -> None:
    ab = footage_recipes.scene_pair("bunny")(np.random.default_rng(5), CANVAS)
    ba = footage_recipes.scene_pair("bikes")(np.random.default_rng(5), CANVAS)
    assert ab.parts == ba.parts[::-1] and count_cuts(ab.parts) == count_cuts(ba.parts)
    a, b = render_frames(ab.parts, 96, 64), render_frames(ba.parts, 96, 64)
    assert _frame_hashes(a) == _frame_hashes(b) and not np.array_equal(a, b)


def test_rapid_cuts_count_is_the_number_of_shots_minus_one() -> None:
    for seed in range(5):
        sketch = footage_recipes.rapid_cuts(np.random.default_rng(seed), CANVAS)
        assert count_cuts(sketch.parts) == len(sketch.parts) - 1 >= 2


def test_bad_parameter_key_fails_validation() -> None:
    with pytest.raises(ValidationError, match="sedd"):
        DemoDataConfig.model_validate({"size": "tiny", "sedd": 3})
    with pytest.raises(ValidationError, match="size"):
        DemoDataConfig(size="huge")
    with pytest.raises(ParameterValidationError, match="sedd"):
        ParameterValidator({"demo_data": create_pipeline()}).validate_raw_params({"demo_data": {"sedd": 3}})


def test_shipped_config_is_valid() -> None:
    params = yaml.safe_load((CONF / "parameters_demo_data.yml").read_text())["demo_data"]
    assert DemoDataConfig.model_validate(params).resolved_videos_per_class == 8
    catalog = DataCatalog.from_config(yaml.safe_load((CONF / "catalog_demo_data.yml").read_text()))
    assert {"demo_videos", "demo_manifest", "demo_qa", "demo_classes"} <= set(catalog.keys())
    assert set(create_pipeline().outputs()) == {"demo_videos", "demo_manifest", "demo_qa", "demo_classes"}


def test_unlabeled_pool_hides_the_class_and_leaves_the_labelled_videos_alone(generated: dict) -> None:
    manifest, qa, doc = generated["manifest"], generated["qa"], generated["classes"]
    pool = manifest[manifest["split"] == "unlabeled"].fillna("")
    assert len(pool) == 6 == doc["unlabeled_videos"] and pool["video_id"].str.fullmatch(r"unlabeled_\d{4}").all()
    assert (pool["label"] == "").all() and (pool["caption"] == "").all()
    assert not set(qa["video_id"]) & set(pool["video_id"])
    plans = generated["plans"]
    assert len({plans[v].label for v in pool["video_id"]}) == 6  # the classes in turn
    without = manifest_table(plan_demo_videos(DemoDataConfig(size="tiny", seed=7, unlabeled_videos=0)))
    assert without.to_csv() == manifest[manifest["split"] != "unlabeled"].to_csv()
