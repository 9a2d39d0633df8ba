"""End to end: `kedro run` as a user types it, in a copy of the project on the tiny demo data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import copy_project



def kedro(project: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "kedro", *args], cwd=project, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"kedro {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of conf/ and pyproject.toml with an empty data/ tree, so the run never touches ours."""
    root = copy_project(tmp_path_factory.mktemp("project") / "p", ("01_raw", "02_intermediate", "03_primary",
                        "04_feature", "06_models", "07_model_output", "08_reporting"))
    kedro(root, "run", "--pipelines=demo_data", "--params=demo_data.size=tiny")
    return root


@pytest.mark.slow
def test_default_run_on_tiny_demo_data(project: Path) -> None:
    # the whole main job, with training budgets cut to what 30 tiny videos need
    kedro(project, "run", "--params=" + ",".join([
        "pretrain.trainer.max_epochs=2", "downstream.supervised.max_epochs=2", "downstream.retrieval.epochs=10",
        "downstream.probe.seeds=[0]", "video_qa.llm.name=tinycoder", "video_qa.training.max_epochs=1",
    ]))
    index = pd.read_csv(project / "data/02_intermediate/video_index.csv")
    pool = pd.read_csv(project / "data/02_intermediate/unlabeled_index.csv")
    manifest = pd.read_csv(project / "data/01_raw/demo/manifest.csv")
    assert sorted(index["video_id"]) == sorted(manifest.loc[manifest["split"] != "unlabeled", "video_id"])
    assert sorted(pool["video_id"]) == sorted(manifest.loc[manifest["split"] == "unlabeled", "video_id"])
    assert (index["decoder"] == "decord").all() and (index["codec"] == "h264").all()
    assert index["fps"].nunique() > 1 and index["duration_s"].nunique() > 1
    summary = json.loads((project / "data/08_reporting/ingest_summary.json").read_text())
    assert summary["rejected"] == 0
    assert (project / "data/08_reporting/ingest_validation.md").read_text().startswith("# Ingest validation")
    assert (project / "data/mlflow.db").is_file()
    plan_stats = json.loads((project / "data/08_reporting/chunk_plan_stats.json").read_text())
    assert plan_stats["failures"] == [] and 0 < plan_stats["overall"]["kept_ratio"] < 1
    stored = sorted(p.stem for p in (project / "data/04_feature/chunk_embeddings").glob("*.safetensors"))
    assert stored == sorted([*index["video_id"], *pool["video_id"]])
    report = json.loads((project / "data/08_reporting/encode_report.json").read_text())
    assert report["videos_encoded"] == len(index) + len(pool) and report["dim"] == 1280
    assert (project / "data/04_feature/text_embeddings.safetensors").is_file()
    history = json.loads((project / "data/08_reporting/pretrain_history.json").read_text())
    assert len(history["epochs"]) == 2 and np.isfinite(history["final"]["val/cos_pred"])
    assert history["unlabeled_videos"] == len(pool) == 6
    assert (project / "data/06_models/top_model/model.safetensors").is_file()
    registration = json.loads((project / "data/08_reporting/top_model_registration.json").read_text())
    assert registration["version"] == "1" and registration["champion_moved"] is True
    metrics = json.loads((project / "data/08_reporting/downstream_metrics.json").read_text())
    assert {"mean_pool", "nextlevel_frozen", "nextlevel_finetuned"} <= set(metrics)
    qa = json.loads((project / "data/08_reporting/qa_metrics.json").read_text())
    assert set(qa["accuracy"]) == {"text_only", "text_only_normalized", "mean_pool", "frozen_chunks", "nextlevel",
                                   "blind_shuffled", "answer_prior"}
    assert (project / "data/06_models/qa_projector.safetensors").is_file()
    assert json.loads((project / "data/08_reporting/report_summary.json").read_text())["video_qa"]["ran"] is True
    # a second run finds every video current and encodes nothing
    kedro(project, "run", "--pipelines=encode")
    assert json.loads((project / "data/08_reporting/encode_report.json").read_text())["videos_encoded"] == 0


@pytest.mark.slow
def test_ingest_quarantines_a_broken_file_added_to_the_demo(project: Path) -> None:
    raw = project / "data/01_raw/demo"
    broken = raw / "videos" / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated garbage")
    manifest = pd.read_csv(raw / "manifest.csv")
    extra = pd.DataFrame([{"video_id": "broken", "path": "videos/broken.mp4", "label": manifest["label"][0],
                           "split": "train", "caption": ""},
                          {"video_id": "escape", "path": "../../../../etc/passwd", "label": manifest["label"][0],
                           "split": "train", "caption": ""}])
    pd.concat([manifest, extra]).to_csv(raw / "manifest_with_bad.csv", index=False)
    kedro(project, "run", "--pipelines=ingest",
          f"--params=ingest.root={raw},ingest.manifest={raw / 'manifest_with_bad.csv'}")
    quarantine = pd.read_csv(project / "data/02_intermediate/quarantine.csv")
    assert set(quarantine["video_id"]) == {"broken", "escape"}
    assert len(pd.read_csv(project / "data/02_intermediate/video_index.csv")) == (manifest["split"] != "unlabeled").sum()
