"""The saved bridge: projector weights (+ LoRA adapters) as safetensors tensors, and the settings to rebuild it.

The same ``{"tensors", "metadata"}`` dict is what :class:`SafetensorsDataset` writes, so the file is the
artifact: no pickle, and the metadata header alone says which LLM, prompt and video vectors it expects.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import torch
from torch import nn

from nlv_kedro.qa.bridge import Projector, ProjectorConfig
from nlv_kedro.qa.llm import LoadedLLM, apply_lora, load_llm

PROJECTOR_PREFIX = "projector."


def to_artifact(trainable: dict[str, torch.Tensor], config: ProjectorConfig, settings: dict[str, Any]) -> dict:
    """``trainable``: :func:`nlv_kedro.qa.module.trainable_state` (keys ``projector.*`` and LoRA's ``llm.*``)."""
    tensors = {k: v.detach().cpu().float().numpy() for k, v in trainable.items()}
    metadata = {"projector_config": json.dumps(config.to_dict()), "settings": json.dumps(settings)}
    return {"tensors": tensors, "metadata": metadata}


def settings_of(artifact: dict) -> dict[str, Any]:
    return json.loads(artifact["metadata"]["settings"])


def projector_from_artifact(artifact: dict) -> Projector:
    """The projector, weights loaded, in eval mode."""
    config = ProjectorConfig(**json.loads(artifact["metadata"]["projector_config"]))
    projector = Projector(config)
    state = {k[len(PROJECTOR_PREFIX):]: torch.as_tensor(np.asarray(v)) for k, v in artifact["tensors"].items()
             if k.startswith(PROJECTOR_PREFIX)}
    projector.load_state_dict(state)
    return projector.eval()


def load_adapters(llm: nn.Module, artifact: dict) -> None:
    """Copy saved LoRA weights (``llm.*``) into an LLM already wrapped with the same LoRA config."""
    state = {k[len("llm."):]: torch.as_tensor(np.asarray(v)) for k, v in artifact["tensors"].items()
             if k.startswith("llm.")}
    if state:
        missing = set(state) - set(dict(llm.named_parameters()))
        if missing:
            raise KeyError(f"saved LoRA weights do not fit this LLM ({sorted(missing)[:3]}...): rerun video_qa")
        llm.load_state_dict(state, strict=False)


def load_bridge(artifact: dict, cache_dir: str, trust_remote_code: bool = False) -> tuple[LoadedLLM, Projector]:
    """The frozen LLM named in the artifact (with its LoRA adapters, if it was trained with them) and the projector."""
    settings = settings_of(artifact)
    llm = load_llm(settings["llm"], cache_dir, trust_remote_code)
    if settings.get("lora"):
        llm.model = apply_lora(llm.model, settings["lora"])
        load_adapters(llm.model, artifact)
        llm.model.eval()
    return llm, projector_from_artifact(artifact)
