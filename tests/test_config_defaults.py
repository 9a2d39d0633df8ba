"""Every shipped parameter file equals its config class's code defaults, and unknown keys fail naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel
from nlv_kedro.studies.params import AblationParams, SeedStudyParams
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.recipe import PretrainParams
from nlv_kedro.tuning.params import TuneParams
from tests.conftest import PROJECT_ROOT

CONF = PROJECT_ROOT / "conf" / "base"
SECTIONS = [("pretrain", PretrainParams), ("tune", TuneParams), ("ablations", AblationParams),
            ("seeds", SeedStudyParams)]


def shipped(name: str) -> dict:
    return yaml.safe_load((CONF / f"parameters_{name}.yml").read_text())[name]


@pytest.mark.parametrize(("name", "config"), SECTIONS)
def test_shipped_yaml_equals_the_code_defaults(name: str, config: type[BaseModel]) -> None:
    assert config.model_validate(shipped(name)).model_dump() == config().model_dump()


@pytest.mark.parametrize(("name", "config"), SECTIONS)
def test_an_unknown_key_fails_naming_it(name: str, config: type[BaseModel]) -> None:
    with pytest.raises(ValidationError, match="no_such_key"):
        config.model_validate({**shipped(name), "no_such_key": 1})


@pytest.mark.parametrize(("name", "section", "error"), [
    ("pretrain", "model", ValidationError), ("pretrain", "objective", ValidationError),
    ("pretrain", "optim", ValidationError), ("pretrain", "trainer", ValidationError),
    ("pretrain", "registry", ValidationError), ("tune", "trial_overrides", ValueError),
    ("ablations", "pretrain", ValueError),
])
def test_an_unknown_nested_key_fails_naming_it(name: str, section: str, error: type[Exception]) -> None:
    params = shipped(name)
    params[section] = {**params[section], "mask_ratoi": 0.3}
    with pytest.raises(error, match="mask_ratoi"):
        dict(SECTIONS)[name].model_validate(params)


def test_old_top_model_without_pooling_keys_loads_with_their_old_meaning(tmp_path: Path) -> None:
    """config.json written before `pooling` and `head_skip` existed meant mean pooling and no skip."""
    config = NextLevelConfig(input_dim=8, d_model=16, n_layers=1, n_heads=2, head_hidden=16, max_chunks=8,
                             pooling="mean", head_skip="none")
    artifact = TopModelArtifact(config, NextLevelModel(config).state_dict(), [0.0] * 8, [1.0] * 8)
    artifact.save(tmp_path)
    meta = json.loads((tmp_path / "config.json").read_text())
    for key in ("pooling", "head_skip", "pool_segments"):
        del meta["config"][key]
    (tmp_path / "config.json").write_text(json.dumps(meta))
    loaded = TopModelArtifact.load(tmp_path)
    assert (loaded.config.pooling, loaded.config.head_skip) == ("mean", "none")
    loaded.build()  # the weights fit the config
