"""`kedro run` (nlv_kedro.cli): user errors end in one readable line, the traceback only with --verbose."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kedro.io import DatasetError
from kedro.validation import ParameterValidationError

from nlv_kedro.cli import one_line, verbose_requested
from nlv_kedro.training.config import PretrainParams
from tests.conftest import copy_project

KEDRO_MESSAGE = """Parameter validation failed:
- Parameter 'pretrain': Failed to instantiate PretrainParams for parameter 'pretrain': 1 validation error for \
PretrainParams
model.d_modle
  Extra inputs are not permitted [type=extra_forbidden, input_value=3, input_type=int]
    For further information visit https://errors.pydantic.dev/2.14/v/extra_forbidden"""


def test_a_parameter_error_names_the_full_key_and_the_value() -> None:
    message, hint = one_line(ParameterValidationError(KEDRO_MESSAGE))
    assert message == "bad parameter pretrain.model.d_modle: Extra inputs are not permitted (got 3)"
    assert "parameters_" in hint and "--verbose" in hint


def test_a_pydantic_error_is_one_line() -> None:
    with pytest.raises(ValueError) as info:
        PretrainParams.model_validate({"optim": {"lr": -1}})
    message, _ = one_line(info.value)
    assert "\n" not in message and message.startswith("bad parameter optim.lr:") and "(got -1)" in message


def test_a_wrapped_dataset_error_keeps_only_its_cause() -> None:
    error = DatasetError("Failed while loading data from dataset TopModelDataset(path=x).\n"
                         "no top model in x: run `kedro run --pipelines=pretrain` first")
    assert one_line(error)[0] == "no top model in x: run `kedro run --pipelines=pretrain` first"


def test_verbose_comes_from_the_flag_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NLV_VERBOSE", raising=False)
    assert not verbose_requested(False) and verbose_requested(True)
    monkeypatch.setenv("NLV_VERBOSE", "1")
    assert verbose_requested(False)


def test_kedro_run_with_a_misspelt_parameter_prints_one_line(tmp_path: Path) -> None:
    copy_project(tmp_path)
    result = subprocess.run([sys.executable, "-m", "kedro", "run", "--params=pretrain.model.d_modle=3",
                             "--pipelines=pretrain"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) <= 5, result.stderr
    assert "pretrain.model.d_modle" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "ERROR" not in result.stdout  # Kedro's own multi-line log of the same failure is not repeated


def test_a_missing_data_file_hints_at_the_pipeline_that_writes_it() -> None:
    error = FileNotFoundError(2, "No such file or directory", "/p/data/02_intermediate/video_index.csv")
    message, hint = one_line(error)
    assert message == "[Errno 2] No such file or directory: '/p/data/02_intermediate/video_index.csv'"
    assert "has not run yet" in hint
