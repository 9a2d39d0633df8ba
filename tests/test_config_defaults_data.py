"""Each shipped parameter file of the data, downstream, QA and report side is its config class's defaults.

A default is written once, in code; the YAML repeats it so that users see it. This test keeps the two equal and
checks that a misspelt key fails fast with a message that names it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from nlv_kedro.demo.config import DemoDataConfig
from nlv_kedro.encoders.config import EncodeConfig
from nlv_kedro.ingestion.config import IngestConfig
from nlv_kedro.qa.config import VideoQAConfig
from nlv_kedro.reporting.config import ReportConfig
from nlv_kedro.training.downstream import DownstreamConfig
from nlv_kedro.video.plan import PlanConfig
from tests.conftest import PROJECT_ROOT

CONF = PROJECT_ROOT / "conf" / "base"
CONFIGS: dict[str, type[BaseModel]] = {
    "ingest": IngestConfig,
    "preprocess": PlanConfig,
    "encode": EncodeConfig,
    "downstream": DownstreamConfig,
    "video_qa": VideoQAConfig,
    "report": ReportConfig,
    "demo_data": DemoDataConfig,
}


def _section(name: str) -> dict:
    return yaml.safe_load((CONF / f"parameters_{name}.yml").read_text())[name]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_shipped_yaml_equals_code_defaults(name: str) -> None:
    assert CONFIGS[name].model_validate(_section(name)) == CONFIGS[name]()


@pytest.mark.parametrize("name", list(CONFIGS))
def test_shipped_yaml_sets_every_field(name: str) -> None:
    """The YAML documents every top-level setting, so no default hides in code only."""
    assert set(_section(name)) == set(CONFIGS[name].model_fields)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_unknown_key_fails_naming_it(name: str) -> None:
    with pytest.raises(ValidationError, match="not_a_setting"):
        CONFIGS[name].model_validate({**_section(name), "not_a_setting": 1})


@pytest.mark.parametrize(("name", "section"), [("downstream", "supervised"), ("downstream", "probe"),
                                               ("video_qa", "training"), ("video_qa", "lora"), ("video_qa", "llm")])
def test_unknown_nested_key_fails_naming_it(name: str, section: str) -> None:
    values = _section(name)
    with pytest.raises(ValidationError, match=f"{section}.not_a_setting"):
        CONFIGS[name].model_validate({**values, section: {**values[section], "not_a_setting": 1}})
