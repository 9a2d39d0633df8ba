"""`python -m nlv_kedro.mydata`: one command writes a Kedro environment that every later run reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from kedro.config import OmegaConfigLoader

from nlv_kedro.ingestion.config import IngestConfig
from nlv_kedro.mydata import main
from nlv_kedro.settings import CONFIG_LOADER_ARGS
from tests.conftest import PROJECT_ROOT


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT_ROOT / "conf" / "base", tmp_path / "conf" / "base")
    return tmp_path / "conf"


def _loader(conf: Path, env: str) -> OmegaConfigLoader:
    return OmegaConfigLoader(conf_source=str(conf), env=env, **CONFIG_LOADER_ARGS)


def test_folders_setup_persists_for_every_later_run(tmp_path: Path, conf: Path, good_video: Path, capsys) -> None:
    (tmp_path / "videos" / "left").mkdir(parents=True)
    shutil.copy(good_video, tmp_path / "videos" / "left" / "a b.mp4")
    assert main(["--root", str(tmp_path / "videos"), "--folders", "--conf-dir", str(conf)]) == 0
    assert ".venv/bin/kedro run --env=mydata" in capsys.readouterr().out
    written = (conf / "mydata" / "parameters_ingest.yml").read_text()
    assert "min_width" not in written  # only the overridden keys
    loader = _loader(conf, "mydata")
    ingest = IngestConfig.model_validate(loader["parameters"]["ingest"])
    assert ingest.root == str((tmp_path / "videos").resolve()) and ingest.manifest is None
    assert ingest.min_width == IngestConfig().min_width
    base = yaml.safe_load((conf / "base" / "parameters_preprocess.yml").read_text())
    assert loader["parameters"]["preprocess"] == base["preprocess"]  # the other parameters come from conf/base
    assert loader["mlflow"]["server"]["mlflow_tracking_uri"]  # kedro-mlflow's settings come from conf/base


def test_manifest_setup_writes_an_absolute_manifest(tmp_path: Path, conf: Path, good_video: Path) -> None:
    (tmp_path / "videos").mkdir()
    shutil.copy(good_video, tmp_path / "videos" / "a.mp4")
    (tmp_path / "videos" / "list.csv").write_text("path,label\na.mp4,k\n")
    assert main(["--root", str(tmp_path / "videos"), "--manifest", "list.csv", "--env", "mine",
                 "--conf-dir", str(conf)]) == 0
    ingest = IngestConfig.model_validate(_loader(conf, "mine")["parameters"]["ingest"])
    assert ingest.manifest == str((tmp_path / "videos" / "list.csv").resolve())


@pytest.mark.parametrize("case, words", [
    ("missing", "is not a folder"), ("empty", "no video found"), ("manifest", "ingest.manifest 'nope.csv' not found"),
    ("env", "--env 'base'"),
])
def test_bad_setup_is_one_line_and_writes_nothing(tmp_path: Path, conf: Path, capsys, case: str, words: str) -> None:
    (tmp_path / "empty").mkdir()
    args = {"missing": ["--root", str(tmp_path / "absent")], "empty": ["--root", str(tmp_path / "empty")],
            "manifest": ["--root", str(tmp_path / "empty"), "--manifest", "nope.csv"],
            "env": ["--root", str(tmp_path / "empty"), "--env", "base"]}[case]
    assert main([*args, "--conf-dir", str(conf)]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err
    assert sorted(p.name for p in conf.iterdir()) == ["base"]
