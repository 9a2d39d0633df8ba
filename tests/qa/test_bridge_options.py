"""The bridge's options: the shipped video_qa YAML equals the code defaults, bad values fail naming the key, and
the learned position embedding (order encoding) of the soft tokens trains, saves and reloads."""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from pydantic import ValidationError

from nlv_kedro.config import deep_merge
from nlv_kedro.qa.artifact import projector_from_artifact, to_artifact
from nlv_kedro.qa.bridge import Projector, ProjectorConfig
from nlv_kedro.qa.config import VideoQAConfig
from nlv_kedro.qa.module import QAItem, TrainConfig, fit_bridge, soft_tokens, trainable_state
from tests.conftest import PROJECT_ROOT
from tests.qa.test_video_qa import IN_DIM, _items, llm, tiny_llm_dir  # noqa: F401


def _shipped(env: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / "conf" / env / "parameters_video_qa.yml").read_text())["video_qa"]


def test_shipped_base_yaml_equals_the_code_defaults() -> None:
    assert VideoQAConfig.model_validate(_shipped("base")).model_dump() == VideoQAConfig().model_dump()


def test_study_yaml_turns_the_position_embedding_on_and_keeps_the_rest_of_the_projector() -> None:
    study = VideoQAConfig.model_validate(deep_merge(_shipped("base"), _shipped("study")))
    assert study.projector.position_embedding is True
    assert study.projector.model_copy(update={"position_embedding": False}) == VideoQAConfig().projector


@pytest.mark.parametrize(("section", "key", "value"), [("projector", "position_embedding", "sometimes"),
                                                       ("projector", "max_tokens", 0),
                                                       ("training", "lr", -1.0)])
def test_a_bad_bridge_option_fails_naming_the_key(section: str, key: str, value: object) -> None:
    with pytest.raises(ValidationError, match=key):
        VideoQAConfig.model_validate({section: {key: value}})


def _projector(position_embedding: bool, max_tokens: int = 3) -> Projector:
    torch.manual_seed(0)
    return Projector(ProjectorConfig(in_dim=IN_DIM, llm_dim=8, kind="linear", max_tokens=max_tokens,
                                     position_embedding=position_embedding))


def test_position_embedding_tells_the_slots_of_identical_chunks_apart() -> None:
    same = torch.ones(3, IN_DIM)  # three identical chunk vectors
    item = QAItem(None, same, [])  # type: ignore[arg-type]
    plain, = soft_tokens(_projector(False), [item])
    assert torch.allclose(plain[0], plain[2])
    ordered, = soft_tokens(_projector(True), [item])
    assert not torch.allclose(ordered[0], ordered[2])
    assert "position" not in dict(_projector(False).named_parameters())


def test_more_tokens_than_slots_is_refused() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        _projector(True, max_tokens=2).add_positions(torch.zeros(3, 8))


def test_position_embedding_saves_and_reloads_and_older_artifacts_still_load() -> None:
    projector = _projector(True)
    artifact = to_artifact({f"projector.{k}": v for k, v in projector.state_dict().items()}, projector.config, {})
    reloaded = projector_from_artifact(artifact)
    assert torch.equal(reloaded.position, projector.position)
    old_config = {k: v for k, v in projector.config.to_dict().items() if k != "position_embedding"}
    old = _projector(False)
    old_artifact = to_artifact({f"projector.{k}": v for k, v in old.state_dict().items()}, old.config, {})
    old_artifact["metadata"]["projector_config"] = json.dumps(old_config)  # saved before the option existed
    assert projector_from_artifact(old_artifact).config.position_embedding is False


def test_the_position_embedding_trains_with_the_projector(llm, tmp_path) -> None:  # noqa: F811
    torch.manual_seed(0)
    projector = Projector(ProjectorConfig(in_dim=IN_DIM, llm_dim=llm.embed_dim, kind="mlp", hidden_dim=16,
                                          max_tokens=4, embed_std=0.02, position_embedding=True))
    before = projector.position.detach().clone()
    items = _items(llm)
    config = TrainConfig(lr=1e-2, max_epochs=1, batch_size=4, checkpoint_dir=str(tmp_path / "ckpt"))
    fit_bridge(projector, llm.model, llm.tokenizer.pad_token_id, items, items[:2], config)
    assert not torch.equal(projector.position, before)

    class Holder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.projector = projector

    assert "projector.position" in trainable_state(Holder())
