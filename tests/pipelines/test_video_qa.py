"""video_qa node functions on hand-made inputs (no LLM): the projector export and the empty-table path."""

from __future__ import annotations

import pandas as pd

from nlv_kedro.pipelines.video_qa.nodes import evaluate_video_qa, export_qa_projector, train_qa_projectors
from nlv_kedro.qa.config import VideoQAConfig


def _run(method: str, seed: int) -> dict:
    metadata = {"projector_config": '{"in_dim": 4}', "settings": f'{{"method": "{method}", "seed": {seed}}}'}
    return {"seed": seed, "artifact": {"tensors": {}, "metadata": metadata}, "history": [{"epoch": seed}]}


def test_export_saves_the_first_seed_of_the_nextlevel_projector() -> None:
    trained = {"blind_shuffled": [_run("blind_shuffled", 0)], "nextlevel": [_run("nextlevel", 4), _run("nextlevel", 5)]}
    artifact, config = export_qa_projector(trained)
    assert artifact is trained["nextlevel"][0]["artifact"]
    assert config == {"projector_config": {"in_dim": 4}, "settings": {"method": "nextlevel", "seed": 4},
                      "history": [{"epoch": 4}]}


def test_no_qa_rows_train_nothing_and_write_an_empty_valid_metrics_file() -> None:
    empty, params = pd.DataFrame(columns=["video_id", "split"]), VideoQAConfig()
    assert train_qa_projectors(empty, {}, params) == {}
    metrics, flat = evaluate_video_qa(empty, {}, {}, params)
    assert metrics["skipped"] and metrics["accuracy"] == metrics["comparisons"] == metrics["per_question"] == {}
    assert flat == {}
