"""notebooks/explore.ipynb runs top to bottom (nbclient) on a tiny project whose catalog it loads through Kedro."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbclient import NotebookClient

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from tests.conftest import PROJECT_ROOT, copy_project

NOTEBOOK = PROJECT_ROOT / "notebooks" / "explore.ipynb"


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    """conf/ and pyproject.toml of this project, and a data/ tree holding tiny persisted results."""
    root = copy_project(tmp_path / "project")
    (root / "notebooks").mkdir()
    rng = np.random.default_rng(0)
    index = pd.DataFrame([{"video_id": f"{c}{i}", "path": f"{c}{i}.mp4", "label": c, "split": "train",
                           "order_dependent": False} for c in ("a", "b", "c") for i in range(4)])
    (root / "data" / "02_intermediate").mkdir(parents=True)
    index.to_csv(root / "data" / "02_intermediate" / "video_index.csv", index=False)
    chunks = EmbeddingStore(root / "data" / "04_feature" / "chunk_embeddings")
    contextual = EmbeddingStore(root / "data" / "07_model_output" / "contextual_embeddings")
    for vid in index["video_id"]:
        starts = np.arange(3, dtype=np.float32) * 2
        chunks.write(vid, {"embeddings": rng.normal(size=(3, 8)).astype(np.float32), "chunk_start_s": starts,
                           "chunk_end_s": starts + 2}, {})
        contextual.write(vid, {"pooled": rng.normal(size=4).astype(np.float32)}, {})
    reporting = root / "data" / "08_reporting"
    reporting.mkdir(parents=True)
    epoch = {"epoch": 0, "val/cos_pred": 0.6, "val/cos_copy_neighbour": 0.7, "val/cos_mean_baseline": 0.5,
             "val/pred_std": 0.3}
    (reporting / "pretrain_history.json").write_text(json.dumps({"epochs": [epoch], "final": epoch}))
    method = {"probe": {"full": {"top1": 0.5, "top1_order_dependent": None}}, "clustering": {"nmi": 0.4},
              "retrieval": {"t2v": {"R@1": 20.0}}}
    reserved = {"test_video_ids": ["v0"], "test_subsets": {}, "comparisons": {"probe": {}, "finetune_head": {}}}
    (reporting / "downstream_metrics.json").write_text(json.dumps({"mean_pool": method, "nextlevel_frozen": method,
                                                                   **reserved}))
    return root


def test_explore_notebook_runs_on_tiny_data(tiny_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NLV_PROJECT_PATH", str(tiny_project))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(tiny_project / "notebooks")}}).execute()
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", []))
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)  # Kedro's rich console colours printed values
    assert str(tiny_project) in text  # the notebook used the project named by the env var
    assert "12 videos" in text and "1-NN same class" in text
    assert "no report yet" in text  # report_summary is optional
    assert not any(o.get("output_type") == "error" for cell in notebook.cells for o in cell.get("outputs", []))
