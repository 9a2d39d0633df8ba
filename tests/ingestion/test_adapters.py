"""Dataset adapters: tiny fixtures in each official annotation format, parsed into the common tables."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.framework.cli.utils import _split_params
from omegaconf import OmegaConf
from pydantic import ValidationError

from nlv_kedro.ingestion.adapters import (
    CAPTION_COLUMNS,
    QA_COLUMNS,
    AnnotationError,
    ManifestSource,
    read_manifest_source,
    read_source,
)
from nlv_kedro.ingestion.sources import CANDIDATE_COLUMNS, QUARANTINE_COLUMNS
from nlv_kedro.pipelines.ingest import create_pipeline
from nlv_kedro.ingestion.config import IngestConfig
from nlv_kedro.video.writer import encode_mp4
from tests.conftest import PROJECT_ROOT, moving_square, run_slice

EXTENSIONS = [".mp4", ".avi", ".mkv", ".webm"]
PARAMS_FILE = PROJECT_ROOT / "conf" / "base" / "parameters_ingest.yml"


@pytest.fixture(scope="module")
def mp4() -> bytes:
    """One tiny real H.264 clip (2 s at 10 fps); every fixture video is a copy of it."""
    return encode_mp4(moving_square(20), fps=10)


def _write(root: Path, relative: str, content: bytes | str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return path


def _read(root: Path, **source: object):
    return read_source(root, IngestConfig(root=str(root), source=source).source, EXTENSIONS)


def _splits(table: pd.DataFrame) -> dict[str, str]:
    return dict(zip(table["video_id"], table["split"]))


def _ucf101(root: Path, mp4: bytes, classes=("ApplyEyeMakeup", "Archery"), groups=5, missing=()) -> Path:
    """UCF-101/<class>/v_<class>_gGG_cCC.avi, 2 clips per group; split N tests group N, trains the rest."""
    _write(root, "ucfTrainTestlist/classInd.txt", "".join(f"{i} {c}\r\n" for i, c in enumerate(classes, 1)))
    for n in (1, 2, 3):
        train, test = [], []
        for index, name in enumerate(classes, 1):
            for g in range(1, groups + 1):
                for c in (1, 2):
                    relative = f"{name}/v_{name}_g{g:02d}_c{c:02d}.avi"
                    (test if g == n else train).append(relative)
                    if n == 1 and Path(relative).stem not in missing:
                        _write(root, f"UCF-101/{relative}", mp4)
        train_lines = [f"{r} {classes.index(r.split('/')[0]) + 1}" for r in train]
        _write(root, f"ucfTrainTestlist/trainlist0{n}.txt", "\r\n".join(train_lines) + "\r\n")
        _write(root, f"ucfTrainTestlist/testlist0{n}.txt", "\r\n".join(test) + "\r\n")
    return root


def test_ucf101_official_lists_split_and_group_val(tmp_path: Path, mp4: bytes) -> None:
    root = _ucf101(tmp_path, mp4, missing=("v_Archery_g05_c02",))
    tables = _read(root, format="ucf101", split=1, val_fraction=0.25, seed=3)
    found = tables.candidates
    assert list(found.columns) == CANDIDATE_COLUMNS
    assert sorted(found.loc[found["split"] == "test", "video_id"]) == [
        f"v_{c}_g01_c0{i}" for c in ("ApplyEyeMakeup", "Archery") for i in (1, 2)]
    assert set(found["label"]) == {"ApplyEyeMakeup", "Archery"}
    assert found["path"].iloc[0].startswith("UCF-101/") and found["caption"].eq("").all()
    groups = found.assign(group=found["video_id"].str.extract(r"_(g\d+)_")[0])
    assert groups.groupby(["label", "group"])["split"].nunique().eq(1).all()  # no group straddles train and val
    assert groups[groups["split"] == "val"].groupby("label")["group"].nunique().eq(1).all()  # 25% of 4 groups
    assert tables.rejected["video_id"].tolist() == ["v_Archery_g05_c02"]
    reason = tables.rejected["reason"].iloc[0]
    assert "UCF-101/Archery/v_Archery_g05_c02.avi" in reason and "trainlist01.txt" in reason
    assert list(tables.rejected.columns) == QUARANTINE_COLUMNS and tables.qa.empty and tables.captions.empty
    assert _splits(_read(root, format="ucf101", split=1, val_fraction=0.25, seed=3).candidates) == _splits(found)
    second = _read(root, format="ucf101", split=2, val_fraction=0.0).candidates
    assert set(second.loc[second["split"] == "test", "video_id"].str.extract(r"_(g\d+)_")[0]) == {"g02"}


def test_ucf101_unsafe_entries_and_annotation_paths(tmp_path: Path, mp4: bytes) -> None:
    root = _ucf101(tmp_path / "ucf", mp4, groups=2)
    with (root / "ucfTrainTestlist/trainlist01.txt").open("a") as listing:
        listing.write("../../../etc/passwd 1\r\n")
    tables = _read(root, format="ucf101", val_fraction=0.0)
    assert "escapes the data root" in tables.rejected.set_index("video_id").loc["passwd", "reason"]
    with pytest.raises(AnnotationError, match=r"ingest.source.splits_dir '\.\./outside'.*escapes"):
        _read(root, format="ucf101", splits_dir="../outside")
    with pytest.raises(AnnotationError, match="ingest.source.splits_dir: folder 'lists' not found"):
        _read(root, format="ucf101", splits_dir="lists")
    with pytest.raises(AnnotationError, match="ingest.source.videos_dir: folder 'videos' not found"):
        _read(root, format="ucf101", videos_dir="videos")


def test_hmdb51_split_codes(tmp_path: Path, mp4: bytes) -> None:
    codes = {  # video -> code in split 1, code in split 2
        "brush_hair": {"April_09_brush_hair_u_nm_np1_ba_goo_0": "12", "April_09_brush_hair_u_nm_np1_ba_goo_1": "12",
                       "Blonde_brush_hair_f_nm_np2_le_goo_0": "21", "Trim_brush_hair_h_nm_np1_fr_med_0": "10"},
        "cartwheel": {"Bodenturnen_cartwheel_f_cm_np1_le_med_0": "11", "Cartwheel_cartwheel_f_cm_np1_ri_bad_0": "21",
                      "Gym_cartwheel_f_cm_np1_fr_med_0": "02"},
    }
    for label, videos in codes.items():
        for n in (1, 2):
            lines = "".join(f"{v}.avi {c[n - 1]} \n" for v, c in videos.items())
            _write(tmp_path, f"testTrainMulti_7030_splits/{label}_test_split{n}.txt", lines)
        for video in videos:
            if video != "Gym_cartwheel_f_cm_np1_fr_med_0":
                _write(tmp_path, f"hmdb51_org/{label}/{video}.avi", mp4)
    tables = _read(tmp_path, format="hmdb51", split=1, val_fraction=0.0)
    assert _splits(tables.candidates) == {
        "April_09_brush_hair_u_nm_np1_ba_goo_0": "train", "April_09_brush_hair_u_nm_np1_ba_goo_1": "train",
        "Blonde_brush_hair_f_nm_np2_le_goo_0": "test", "Trim_brush_hair_h_nm_np1_fr_med_0": "train",
        "Bodenturnen_cartwheel_f_cm_np1_le_med_0": "train", "Cartwheel_cartwheel_f_cm_np1_ri_bad_0": "test"}
    assert tables.rejected.empty  # the missing Gym video is coded 0 (unused) in split 1
    second = _read(tmp_path, format="hmdb51", split=2, val_fraction=0.0)
    assert "Trim_brush_hair_h_nm_np1_fr_med_0" not in set(second.candidates["video_id"])
    assert "Gym_cartwheel_f_cm_np1_fr_med_0.avi" in second.rejected["reason"].iloc[0]
    assert "cartwheel_test_split2.txt" in second.rejected["reason"].iloc[0]
    carved = _read(tmp_path, format="hmdb51", split=1, val_fraction=0.5).candidates.set_index("video_id")["split"]
    # brush_hair: 1 of its 2 train movies, with all its clips; cartwheel: its single train movie stays in train
    assert set(carved[carved == "val"].index) in (
        {"April_09_brush_hair_u_nm_np1_ba_goo_0", "April_09_brush_hair_u_nm_np1_ba_goo_1"},
        {"Trim_brush_hair_h_nm_np1_fr_med_0"})


def test_kinetics_csv_and_file_naming(tmp_path: Path, mp4: bytes) -> None:
    header = "label,youtube_id,time_start,time_end,split,is_cc\n"
    _write(tmp_path, "annotations/train.csv", header + "abseiling,0347ZoDXyP0,95,105,train,0\n"
           "playing guitar,--33Lscn6sk,4,14,train,0\n" "abseiling,missingAAAA,0,10,train,0\n"
           "abseiling,badtime,x,10,train,0\n")
    _write(tmp_path, "annotations/validate.csv", header + "abseiling,3caPS4FHFF8,36,46,validate,0\n")
    _write(tmp_path, "train/abseiling/0347ZoDXyP0_000095_000105.mp4", mp4)
    _write(tmp_path, "train/playing guitar/--33Lscn6sk_000004_000014.mp4", mp4)
    _write(tmp_path, "val/abseiling/3caPS4FHFF8_000036_000046.mp4", mp4)
    tables = _read(tmp_path, format="kinetics", val_file="annotations/validate.csv", test_file=None)
    found = tables.candidates.set_index("video_id")
    assert found["split"].to_dict() == {"0347ZoDXyP0_000095_000105": "train", "--33Lscn6sk_000004_000014": "train",
                                        "3caPS4FHFF8_000036_000046": "val"}
    assert found.loc["--33Lscn6sk_000004_000014", "label"] == "playing guitar"
    reasons = tables.rejected.set_index("video_id")["reason"]
    assert "train/abseiling/missingAAAA_000000_000010.mp4" in reasons["missingAAAA_000000_000010"]
    assert "time_start/time_end not numbers" in reasons["badtime"] and "train.csv" in reasons["badtime"]
    flat = "{split}/{youtube_id}_{time_start:06d}_{time_end:06d}.mp4"  # cvdfoundation/kinetics-dataset layout
    _write(tmp_path, "train/0347ZoDXyP0_000095_000105.mp4", mp4)
    again = _read(tmp_path, format="kinetics", val_file=None, test_file=None, path_template=flat)
    assert again.candidates["path"].tolist() == ["train/0347ZoDXyP0_000095_000105.mp4"]
    with pytest.raises(ValidationError, match=r"unknown placeholders \['start'\]"):
        IngestConfig(root=".", source={"format": "kinetics", "path_template": "{youtube_id}_{start}.mp4"})
    with pytest.raises(AnnotationError, match="ingest.source.train_file '../x.csv'.*escapes"):
        _read(tmp_path, format="kinetics", train_file="../x.csv")


def test_activitynet_captions_paragraphs_and_segments(tmp_path: Path, mp4: bytes) -> None:
    train = {
        "v_QOlSCBRmfWY": {"duration": 82.73, "timestamps": [[0.83, 19.86], [17.37, 60.81], [56.26, 90.0]],
                          "sentences": ["A woman is standing in a room.", " She starts to dance.", "She bows."]},
        "v_ehGHCYKzyZ8": {"duration": 61.72, "timestamps": [[30.0, 10.0]], "sentences": ["Two men play ball."]},
        "v_missing0000": {"duration": 10.0, "timestamps": [[0, 5]], "sentences": ["Gone."]},
        "v_broken00000": {"duration": 10.0, "timestamps": [[0, 5], [5, 9]], "sentences": ["One only."]},
    }
    _write(tmp_path, "captions/train.json", json.dumps(train))
    _write(tmp_path, "captions/val_1.json", json.dumps(
        {"v_uqiMw7tQ1Cc": {"duration": 55.15, "timestamps": [[0.28, 55.15]], "sentences": ["A man lifts weights."]}}))
    for name in ("v_QOlSCBRmfWY.mp4", "v_ehGHCYKzyZ8.webm", "v_uqiMw7tQ1Cc.mkv"):
        _write(tmp_path, f"videos/{name}", mp4)
    tables = _read(tmp_path, format="activitynet_captions", val_fraction=0.0)
    found = tables.candidates.set_index("video_id")
    assert found["split"].to_dict() == {"v_QOlSCBRmfWY": "train", "v_ehGHCYKzyZ8": "train", "v_uqiMw7tQ1Cc": "test"}
    assert found.loc["v_QOlSCBRmfWY", "caption"] == "A woman is standing in a room. She starts to dance. She bows."
    assert found.loc["v_uqiMw7tQ1Cc", "path"] == "videos/v_uqiMw7tQ1Cc.mkv" and found["label"].eq("").all()
    captions = tables.captions
    assert list(captions.columns) == CAPTION_COLUMNS and len(captions) == 5
    segments = captions[captions["video_id"] == "v_QOlSCBRmfWY"]
    assert segments["caption_id"].tolist() == [0, 1, 2] and segments["end_s"].tolist() == [19.86, 60.81, 82.73]
    assert captions.set_index("video_id").loc["v_ehGHCYKzyZ8", ["start_s", "end_s"]].tolist() == [10.0, 30.0]
    reasons = tables.rejected.set_index("video_id")["reason"]
    assert "videos/v_missing0000.mp4" in reasons["v_missing0000"] and "train.json" in reasons["v_missing0000"]
    assert "2 timestamps but 1 sentences" in reasons["v_broken00000"]
    source = {"format": "activitynet_captions"}
    assert IngestConfig(root=".", source=source).rules().require_labels is False
    assert IngestConfig(root=".", source=source, require_labels=True).rules().require_labels is True


def test_msrvtt_videos_sentences_and_splits(tmp_path: Path, mp4: bytes) -> None:
    videos = [{"category": 9, "url": "u", "video_id": "video0", "start time": 137.72, "end time": 149.44,
               "split": "train", "id": 0},
              {"category": 16, "video_id": "video1", "split": "validate", "id": 1},
              {"category": 3, "video_id": "video2", "split": "train", "id": 2}]
    sentences = [{"caption": "a cartoon plays", "video_id": "video0", "sen_id": 3},
                 {"caption": "a man talks about a car", "video_id": "video1", "sen_id": 2},
                 {"caption": "a cartoon character runs", "video_id": "video0", "sen_id": 1},
                 {"caption": "lost words", "video_id": "video2", "sen_id": 4}]
    _write(tmp_path, "train_val_videodatainfo.json", json.dumps({"info": {}, "videos": videos, "sentences": sentences}))
    _write(tmp_path, "test_videodatainfo.json", json.dumps({"videos": [{"category": 0, "video_id": "video7010",
           "split": "test"}], "sentences": [{"caption": "a woman sings", "video_id": "video7010", "sen_id": 0}]}))
    for name in ("TrainValVideo/video0.mp4", "TrainValVideo/video1.mp4", "TestVideo/video7010.mp4"):
        _write(tmp_path, name, mp4)
    tables = _read(tmp_path, format="msrvtt")
    found = tables.candidates.set_index("video_id")
    assert found[["label", "split"]].to_dict("index") == {
        "video0": {"label": "9", "split": "train"}, "video1": {"label": "16", "split": "val"},
        "video7010": {"label": "0", "split": "test"}}
    assert found.loc["video0", "caption"] == "a cartoon character runs"  # lowest sen_id
    assert found.loc["video7010", "path"] == "TestVideo/video7010.mp4"
    assert tables.captions["video_id"].tolist() == ["video0", "video0", "video1", "video7010"]
    assert tables.captions["start_s"].isna().all()
    assert "TrainValVideo/video2.mp4" in tables.rejected["reason"].iloc[0]
    merged = _read(tmp_path, format="msrvtt", annotations="test_videodatainfo.json", videos_dirs="TestVideo")
    assert merged.candidates["video_id"].tolist() == ["video7010"]


def test_nextqa_multiple_choice_rows(tmp_path: Path, mp4: bytes) -> None:
    header = "video,frame_count,width,height,qid,type,question,answer,a0,a1,a2,a3,a4\n"
    _write(tmp_path, "nextqa/train.csv", header
           + "4010069381,1612,640,480,6,CW,why did the boy pick up the ball,2,to eat,to sleep,to throw it,to hide,"
             "to sit\n"
           + "4010069381,1612,640,480,7,DC,how many children are there,0,two,three,four,five,six\n"
           + "7777777777,300,640,480,1,TN,what happens next,1,a,b,c,d,e\n"
           + "4010069381,1612,640,480,8,TP,broken answer,9,a,b,c,d,e\n")
    _write(tmp_path, "nextqa/val.csv", header + "2440175990,900,640,360,0,DL,where is this,4,park,beach,room,car,lab\n")
    _write(tmp_path, "NExTVideo/1025/4010069381.mp4", mp4)
    _write(tmp_path, "NExTVideo/0000/2440175990.mp4", mp4)
    tables = _read(tmp_path, format="nextqa", test_file=None)
    assert _splits(tables.candidates) == {"4010069381": "train", "2440175990": "val"}
    assert tables.candidates.set_index("video_id").loc["4010069381", "path"] == "NExTVideo/1025/4010069381.mp4"
    qa = tables.qa
    assert list(qa.columns) == QA_COLUMNS and len(qa) == 3  # missing video's and broken answer's rows dropped
    first = qa.iloc[0].to_dict()
    assert first == {"video_id": "4010069381", "question": "why did the boy pick up the ball",
                     "choices": ["to eat", "to sleep", "to throw it", "to hide", "to sit"],
                     "answer": "to throw it", "type": "CW"}
    assert qa["answer"].tolist()[1:] == ["two", "lab"] and (qa["answer"].isin(sum(qa["choices"], []))).all()
    assert "NExTVideo/7777777777.mp4" in tables.rejected["reason"].iloc[0]


def test_manifest_source_reads_demo_qa_and_captions(tmp_path: Path) -> None:
    _write(tmp_path, "manifest.csv", "video_id,path,label,split,caption\na,videos/a.mp4,x,train,a red square\n"
           "b,videos/b.mp4,y,test,\n")
    _write(tmp_path, "qa.jsonl", json.dumps({"video_id": "a", "question": "What?", "choices": ["p", "q"],
                                             "answer": "p", "type": "content"}) + "\n")
    tables = read_manifest_source(tmp_path, ManifestSource(), tmp_path / "manifest.csv", EXTENSIONS)
    assert tables.captions[["video_id", "caption_id", "caption"]].values.tolist() == [["a", 0, "a red square"]]
    assert tables.qa.to_dict("records")[0]["choices"] == ["p", "q"]
    assert read_manifest_source(tmp_path, ManifestSource(qa_file=None), None, EXTENSIONS).qa.empty
    with pytest.raises(AnnotationError, match="ingest.source.qa_file"):
        read_manifest_source(tmp_path, ManifestSource(qa_file="../../qa.jsonl"), None, EXTENSIONS)


def test_source_parameter_errors_name_key_and_allowed_values() -> None:
    with pytest.raises(ValidationError, match="format 'ucf' is not supported; allowed values: manifest, ucf101"):
        IngestConfig(root=".", source={"format": "ucf"})
    with pytest.raises(ValidationError, match=r"ingest.source.fold: not a key of format 'ucf101'.*allowed keys: "
                                              r"format, split, val_fraction, seed, videos_dir, splits_dir"):
        IngestConfig(root=".", source={"format": "ucf101", "fold": 2})
    with pytest.raises(ValidationError, match="the data root is ingest.root"):
        IngestConfig(root=".", source={"format": "hmdb51", "root": "/data/HMDB51"})
    with pytest.raises(ValidationError, match=r"source.ucf101.split"):
        IngestConfig(root=".", source={"format": "ucf101", "split": 4})
    assert IngestConfig(root=".").source == ManifestSource()


def test_documented_cli_params_merge_into_base_parameters() -> None:
    """What docs/datasets.md promises: `kedro run --params=...` with dotted keys reaches IngestConfig."""
    cli = "ingest.root=/data/UCF101,ingest.source.format=ucf101,ingest.source.split=2,ingest.source.val_fraction=0"
    base = OmegaConf.create(yaml.safe_load(PARAMS_FILE.read_text()))
    merged = OmegaConf.to_container(OmegaConf.unsafe_merge(base, _split_params(None, None, cli)))
    params = IngestConfig.model_validate(merged["ingest"])
    assert params.root == "/data/UCF101" and params.source.split == 2 and params.source.val_fraction == 0
    assert IngestConfig.model_validate(yaml.safe_load(PARAMS_FILE.read_text())["ingest"]).source == ManifestSource()


def _run(root: Path, **overrides: object) -> dict:
    catalog = run_slice(create_pipeline(), {"params:ingest": IngestConfig(root=str(root), **overrides)})
    names = ("video_index", "quarantine", "video_captions", "video_qa_pairs", "ingest_summary")
    return {name: catalog[name].load() for name in names}


def test_ucf101_end_to_end_slice(tmp_path: Path, mp4: bytes) -> None:
    root = _ucf101(tmp_path, mp4, groups=3, missing=("v_Archery_g03_c01",))
    out = _run(root, source={"format": "ucf101", "split": 1, "val_fraction": 0.5})
    index = out["video_index"]
    assert len(index) == 11 and set(index["split"]) == {"train", "val", "test"}
    assert index["duration_s"].eq(2.0).all() and index["label"].ne("").all()
    quarantined = out["quarantine"][["stage", "path"]].values.tolist()
    assert quarantined == [["discover", "UCF-101/Archery/v_Archery_g03_c01.avi"]]
    assert out["video_captions"].empty and out["video_qa_pairs"].empty
    assert out["ingest_summary"]["rejected_by_stage"] == {"discover": 1}


def test_nextqa_end_to_end_slice_without_labels(tmp_path: Path, mp4: bytes) -> None:
    header = "video,qid,type,question,answer,a0,a1,a2,a3,a4\n"
    for split, videos in (("train", ["1001", "1002"]), ("val", ["2001"]), ("test", ["3001", "3002"])):
        rows = "".join(f"{v},0,CW,why,1,a,b,c,d,e\n" for v in videos)
        _write(tmp_path, f"nextqa/{split}.csv", header + rows)
        for video in videos[: 1 if split == "test" else None]:
            _write(tmp_path, f"NExTVideo/0/{video}.mp4", mp4)
    out = _run(tmp_path, source={"format": "nextqa"})
    assert _splits(out["video_index"]) == {"1001": "train", "1002": "train", "2001": "val", "3001": "test"}
    assert sorted(out["video_qa_pairs"]["video_id"]) == ["1001", "1002", "2001", "3001"]
    assert out["video_qa_pairs"]["answer"].eq("b").all()
    assert out["quarantine"]["video_id"].tolist() == ["3002"]
