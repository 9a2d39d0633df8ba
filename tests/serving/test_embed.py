"""``python -m nlv_kedro.embed``: a tiny generated video through ingest -> plan -> encode and a tiny registered
model to a safetensors file; a missing video, an unknown model and a missing champion are one line, exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from safetensors import safe_open

from nlv_kedro import embed
from nlv_kedro.serving.registry import log_and_register
from tests.conftest import PROJECT_ROOT, encode_mp4, moving_square
from tests.serving.test_registry import tiny_artifact

ENCODER_DIM = 1280  # efficientnet_lite0, the project's default frame encoder


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def test_embeds_a_folder_of_videos_with_the_champion(tmp_path: Path, registry: str, capsys) -> None:
    videos = tmp_path / "videos" / "sub"
    videos.mkdir(parents=True)
    (videos / "clip.mp4").write_bytes(encode_mp4(moving_square(30), fps=10))
    (videos.parent / "notes.txt").write_text("not a video")
    log_and_register(tiny_artifact(ENCODER_DIM), "nextlevel-video", "val/cos_pred", 0.5)
    out = tmp_path / "vectors.safetensors"
    code = embed.run([str(tmp_path / "videos"), "--out", str(out), "--project", str(PROJECT_ROOT)])
    printed = [line for line in capsys.readouterr().out.splitlines() if "\t" in line]  # not the log lines
    assert code == 0 and len(printed) == 1 and printed[0].startswith("sub__clip\t")
    with safe_open(str(out), "np") as f:
        assert set(f.keys()) == {"sub__clip/contextual", "sub__clip/pooled", "sub__clip/times"}
        contextual, pooled = f.get_tensor("sub__clip/contextual"), f.get_tensor("sub__clip/pooled")
        assert contextual.shape[1] == 16 and pooled.shape == (16 * 4,)  # 4 temporal segments
        assert len(f.get_tensor("sub__clip/times")) == len(contextual)
        assert json.loads(f.metadata()["videos"])["sub__clip"].endswith("clip.mp4")
        assert f.metadata()["model_uri"] == "models:/nextlevel-video@champion"


def test_unknown_model_and_missing_champion_are_one_line(tmp_path: Path, registry: str, capsys,
                                                         good_video: Path) -> None:
    args = [str(good_video), "--out", str(tmp_path / "v.safetensors"), "--project", str(PROJECT_ROOT)]
    assert embed.run([*args, "--model", "models:/no-such-model@champion"]) == 1
    assert "cannot load model models:/no-such-model@champion" in capsys.readouterr().err
    log_and_register(tiny_artifact(ENCODER_DIM), "nlv-nochamp", "val/cos_pred", 0.5)
    MlflowClient().delete_registered_model_alias("nlv-nochamp", "champion")
    capsys.readouterr()  # the registration's own output
    assert embed.run([*args, "--model", "models:/nlv-nochamp@champion"]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("error: cannot load model models:/nlv-nochamp@champion")
    assert not (tmp_path / "v.safetensors").exists()


def test_command_line_without_video_exits_1_with_one_line(tmp_path: Path, registry: str) -> None:
    (tmp_path / "empty").mkdir()
    result = subprocess.run([sys.executable, "-m", "nlv_kedro.embed", str(tmp_path / "empty"), "--project",
                             str(PROJECT_ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip().startswith(f"error: no video found in {tmp_path / 'empty'}")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert mlflow.get_tracking_uri() == registry
