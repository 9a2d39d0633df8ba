"""Training one projector for one compared method and one seed: the same questions, budget and recipe for all."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from nlv_kedro.qa.artifact import to_artifact
from nlv_kedro.qa.bridge import Projector, ProjectorConfig
from nlv_kedro.qa.config import VideoQAConfig
from nlv_kedro.qa.examples import training_items
from nlv_kedro.qa.llm import LoadedLLM, apply_lora
from nlv_kedro.qa.module import fit_bridge, trainable_state


def budget_rows(table: pd.DataFrame, split: str, cap: int | None) -> pd.DataFrame:
    """The rows of ``split``, or a fixed random sample of ``cap`` of them (seed 0, table order kept): every
    method and seed learns from the same questions, so capping for time never favours one method."""
    rows = table[table["split"] == split]
    if cap is None or len(rows) <= cap:
        return rows
    return rows.sample(n=cap, random_state=0).sort_index()


def fit_method(method: str, table: pd.DataFrame, vectors: dict[str, np.ndarray], llm: LoadedLLM,
               params: VideoQAConfig, seed: int) -> tuple[dict, list[dict]]:
    """-> (safetensors artifact, history); checkpoints under ``<checkpoint_dir>/<method>/seed<seed>``."""
    torch.manual_seed(seed)
    train = budget_rows(table, "train", params.max_train_questions)
    val = budget_rows(table, "val", params.max_val_questions)
    train_x = np.concatenate([vectors[v] for v in train["video_id"].unique()])  # (N chunks, d)
    p = params.projector
    embed_std = float(llm.model.get_input_embeddings().weight.std())
    config = ProjectorConfig(in_dim=train_x.shape[1], llm_dim=llm.embed_dim, kind=p.kind, hidden_dim=p.hidden_dim,
                             max_tokens=p.max_tokens, embed_std=embed_std, dropout=p.dropout,
                             position_embedding=p.position_embedding)
    projector = Projector(config)
    projector.set_input_stats(torch.from_numpy(train_x.mean(0)), torch.from_numpy(train_x.std(0)))
    lora = params.lora.peft_kwargs()
    if lora:
        llm.model = apply_lora(llm.model, lora)
    items = [training_items(part, vectors, llm, p.max_tokens, params.llm.system_prompt) for part in (train, val)]
    history = fit_bridge(projector, llm.model, llm.tokenizer.pad_token_id, items[0], items[1], params.training,
                         seed, bool(lora), f"{method}/seed{seed}")
    state = trainable_state(_Holder(projector, llm.model))
    settings = {"method": method, "seed": seed, "llm": params.llm.name, "system_prompt": params.llm.system_prompt,
                "lora": lora, "score_reduction": params.score_reduction}
    return to_artifact(state, config, settings), history


class _Holder(torch.nn.Module):
    """Names the trainable weights as the LightningModule does (``projector.*``, ``llm.*``)."""

    def __init__(self, projector: Projector, llm: torch.nn.Module) -> None:
        super().__init__()
        self.projector, self.llm = projector, llm
