"""Every environment's parameter files (conf/<env>/, merged over conf/base/ the way Kedro merges them here:
key by key) validate against the config classes, so `kedro run --env=<env>` cannot fail on a misspelt key."""

from __future__ import annotations

import pytest
import yaml
from pydantic import BaseModel

from nlv_kedro.config import deep_merge
from tests.conftest import PROJECT_ROOT
from tests.test_config_defaults import SECTIONS
from tests.test_config_defaults_data import CONFIGS

CONF = PROJECT_ROOT / "conf"
SCHEMAS: dict[str, type[BaseModel]] = {**dict(SECTIONS), **CONFIGS}
ENV_FILES = sorted(p for p in CONF.glob("*/parameters_*.yml") if p.parent.name not in ("base", "local", "mydata"))


def _sections(path) -> dict:  # noqa: ANN001
    return yaml.safe_load(path.read_text()) or {}


@pytest.mark.parametrize("path", ENV_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_environment_overrides_validate(path) -> None:  # noqa: ANN001
    base = _sections(CONF / "base" / path.name)
    for name, overrides in _sections(path).items():
        assert name in SCHEMAS, f"{path}: unknown parameter section {name!r}"
        merged = deep_merge(base.get(name, {}), overrides)
        SCHEMAS[name].model_validate(merged)
