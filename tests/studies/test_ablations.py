"""A tiny `ablations` run on real (tiny) videos: every sweep, its result schema, and the frame-vector reuse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel
from nlv_kedro.pipelines.ablations import create_pipeline
from nlv_kedro.encoders.config import EncodeConfig
from nlv_kedro.encoders.index import encode_videos
from nlv_kedro.studies.encoders import chunk_frame_positions
from nlv_kedro.studies.params import AblationParams
from nlv_kedro.training.recipe import PretrainParams
from nlv_kedro.video.plan import PlanConfig, plan_videos
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.video.writer import encode_mp4
from tests.conftest import is_share_of, moving_square, run_slice

ENCODE = EncodeConfig(image_size=32, batch_size=16, num_workers=0, device="cpu")
PREPROCESS = PlanConfig(target_fps=2.0, frames_per_chunk=2, min_chunk=1)
TINY_MODEL = {"d_model": 16, "n_layers": 1, "n_heads": 2, "head_hidden": 16, "max_chunks": 16, "pooling": "mean",
              "head_skip": "none"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """9 tiny videos of 3 classes (a square moving right, the same reversed, a slower one), planned and encoded."""
    root = tmp_path_factory.mktemp("ablation_videos")
    rows = []
    for label, order in (("left_to_right", True), ("right_to_left", True), ("slow", False)):
        for i, split in enumerate(("train", "train", "val")):
            frames = moving_square(30 if label != "slow" else 40, seed=i)
            frames = frames[::-1] if label == "right_to_left" else frames
            vid = f"{label}_{i}"
            (root / f"{vid}.mp4").write_bytes(encode_mp4(np.ascontiguousarray(frames), 10))
            rows.append({"video_id": vid, "path": f"{vid}.mp4", "label": label, "split": split,
                         "order_dependent": order, "fps": 10.0, "n_frames": len(frames), "decoder": "decord", "caption": vid})
    index = pd.DataFrame(rows)
    plan, _ = plan_videos(index, str(root), PREPROCESS)
    store = EmbeddingStore(root / "store")
    report = encode_videos(index, plan, str(root), store, ENCODE)
    config = NextLevelConfig(input_dim=1280, **TINY_MODEL)
    top_model = TopModelArtifact(config, NextLevelModel(config).state_dict(), np.zeros(1280, np.float32),
                                 np.ones(1280, np.float32))
    params = AblationParams.model_validate({
        "videos": {"train_per_class": None, "val_per_class": None},
        "pretrain": {"model": TINY_MODEL, "trainer": {"max_epochs": 1, "batch_size": 4, "accelerator": "cpu",
                                                      "devices": 1}},
        "frame_sampling": {"target_fps": [1.0, 2.0], "dedup_threshold": [0.0, 0.01],
                           "chunking": ["fixed_count", "scene"]},
        "encoders": {"names": ["efficientnet_lite0", "no_such_encoder"], "frames_per_chunk": 1, "throughput_frames": 2},
        "masking": {"variants": [{"name": "span 0.4"}, {"name": "iid 0.3, cosine",
                                                        "objective": {"masking": "iid", "mask_ratio": 0.3,
                                                                      "loss": "cosine"}}]},
    })
    return {"video_index": index, "chunk_plan": plan, "chunk_embeddings": store, "top_model": top_model,
            "encode_report": report, "params:ingest.root": str(root), "params:preprocess": PREPROCESS,
            "params:encode": ENCODE, "params:pretrain": PretrainParams.model_validate({}), "params:ablations": params}


@pytest.fixture(scope="module")
def results(inputs: dict) -> dict:
    catalog = run_slice(create_pipeline(), inputs)
    return {name: catalog[name].load() for name in ("ablation_encoders", "ablation_frame_sampling", "ablation_masking")}


PROBE_KEYS = {"top1", "top1_order_dependent", "top1_other"}


def test_frame_sampling_sweep_varies_one_axis_at_a_time(results: dict) -> None:
    rq2 = results["ablation_frame_sampling"]
    rows = {r["axis"]: r for r in rq2["settings"]}
    assert [r["axis"] for r in rq2["settings"]] == ["base", "target_fps", "dedup_threshold", "chunking"]
    assert rows["target_fps"]["frames_kept"] <= rows["base"]["frames_kept"] <= rows["dedup_threshold"]["frames_kept"]
    assert rows["chunking"]["frames_kept"] == rows["base"]["frames_kept"]  # same frames, other chunks
    assert rq2["reused_chunk_embeddings"] is True and rq2["videos"] == {"train": 6, "val": 3}
    for row in rq2["settings"]:
        assert set(row["mean_pool"]) == PROBE_KEYS == set(row["temporal_pool"]) and set(row["nextlevel"]) == PROBE_KEYS
        assert is_share_of(row["mean_pool"]["top1"], 3) and 0 < row["frames_kept_pct"] <= 100  # 3 val videos


def test_encoder_sweep_reuses_stored_vectors_and_lists_unavailable_encoders(results: dict) -> None:
    lite0, missing = results["ablation_encoders"]["encoders"]
    assert lite0["encoder"] == "efficientnet_lite0" and lite0["available"] is True
    assert lite0["reused_chunk_embeddings"] is True and lite0["frames_encoded"] == 0  # the encode step's vectors
    assert lite0["flops_per_frame"] > 0 and lite0["frames_per_chunk_encoded"] == 1.0
    assert set(lite0["mean_pool"]) == PROBE_KEYS == set(lite0["nextlevel_untrained"]) == set(lite0["temporal_pool"])
    assert is_share_of(lite0["nextlevel"]["top1"], 3)
    assert missing == {"encoder": "no_such_encoder", "available": False, "error": missing["error"]}
    assert "no_such_encoder" in missing["error"]


def test_masking_sweep_reports_diagnostics_and_probe_per_variant(results: dict) -> None:
    rq4 = results["ablation_masking"]
    assert [v["name"] for v in rq4["variants"]] == ["span 0.4", "iid 0.3, cosine"]
    iid = rq4["variants"][1]
    assert (iid["masking"], iid["mask_ratio"], iid["loss"]) == ("iid", 0.3, "cosine")
    for variant in rq4["variants"]:
        assert np.isfinite(variant["cos_pred"]) and np.isfinite(variant["cos_copy_neighbour"])
        assert is_share_of(variant["nextlevel"]["top1"], 3)
        ci = variant["gain_over_shrunk_interpolation"]
        assert np.isfinite(variant["cos_interpolate_shrunk"]) and ci["lo"] <= ci["diff"] <= ci["hi"]
    assert rq4["videos"] == {"train": 6, "val": 3} and rq4["model"]["d_model"] == 16
    assert set(rq4["nextlevel_untrained"]) == PROBE_KEYS and set(rq4["mean_pool"]) == PROBE_KEYS


def test_disabled_sweeps_say_so(inputs: dict) -> None:
    off = inputs["params:ablations"].model_copy(update={
        "frame_sampling": inputs["params:ablations"].frame_sampling.model_copy(update={"enabled": False}),
        "encoders": inputs["params:ablations"].encoders.model_copy(update={"enabled": False}),
        "masking": inputs["params:ablations"].masking.model_copy(update={"enabled": False})})
    catalog = run_slice(create_pipeline(), {**inputs, "params:ablations": off})
    names = ("ablation_encoders", "ablation_frame_sampling", "ablation_masking")
    assert all(catalog[n].load() == {"disabled": True} for n in names)


def test_chunk_frame_positions_spread_frames_evenly() -> None:
    positions, bounds = chunk_frame_positions(np.array([[0, 4], [4, 5], [5, 9]]), 2)
    assert positions.tolist() == [0, 3, 4, 5, 8] and bounds.tolist() == [[0, 2], [2, 3], [3, 5]]
    every, same = chunk_frame_positions(np.array([[0, 2], [2, 5]]), None)
    assert every.tolist() == [0, 1, 2, 3, 4] and same.tolist() == [[0, 2], [2, 5]]


def test_bad_variant_keys_fail_fast() -> None:
    with pytest.raises(ValueError, match="mask_ratoi"):
        AblationParams.model_validate({"masking": {"variants": [{"name": "x", "objective": {"mask_ratoi": 0.3}}]}})
