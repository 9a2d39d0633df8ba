"""A registered top-model version carries a signature, an input example and a description, and still takes
both input forms (ragged list, padded array) after loading."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest
import torch
from mlflow import MlflowClient

from nlv_kedro.models.nextlevel import NextLevelConfig, NextLevelModel
from nlv_kedro.serving.registry import log_and_register
from nlv_kedro.training.artifact import TopModelArtifact

INPUT_DIM = 8


def tiny_artifact(input_dim: int = INPUT_DIM) -> TopModelArtifact:
    """An untrained 16-wide top model (temporal pooling over 2 segments): shapes, not quality."""
    torch.manual_seed(0)
    config = NextLevelConfig(input_dim=input_dim, d_model=16, n_layers=1, n_heads=2, head_hidden=16, dropout=0.0)
    model = NextLevelModel(config)
    return TopModelArtifact(config, model.state_dict(), np.zeros(input_dim, np.float32),
                            np.ones(input_dim, np.float32))


def test_registered_version_has_signature_example_and_description(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  ) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    out = log_and_register(tiny_artifact(), "nlv-card", "val/cos_pred", 0.25)
    client = MlflowClient()
    version = client.get_model_version("nlv-card", out["version"])
    assert "val/cos_pred=0.2500" in version.description and f"width {INPUT_DIM}" in version.description
    assert client.get_registered_model("nlv-card").description
    info = mlflow.models.get_model_info("models:/nlv-card@champion")
    outputs = {spec.name: spec.shape for spec in info.signature.outputs.inputs}
    assert outputs == {"contextual": (-1, -1, 16), "pooled": (-1, 16 * 4)}  # 4 temporal segments
    assert info.saved_input_example_info is not None
    model = mlflow.pyfunc.load_model("models:/nlv-card@champion")
    example = mlflow.models.Model.load(info.model_uri).load_input_example(info.model_uri)
    x = np.random.default_rng(0).normal(size=(5, INPUT_DIM)).astype(np.float32)
    ragged = model.predict({"embeddings": [x, x[:3]]})
    padded = model.predict({"embeddings": np.stack([x, x]), "lengths": np.array([5, 3])})
    np.testing.assert_allclose(ragged["pooled"], padded["pooled"], atol=1e-5)
    assert model.predict(example)["pooled"].shape == (1, 16 * 4)
