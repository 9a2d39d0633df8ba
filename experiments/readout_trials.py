"""Which layer of the top transformer should the frozen probe read? Val split only.

For each pretraining seed (seed 0 = the saved top model when the recipe matches; other seeds are pretrained
again with the same recipe) and its untrained control (same architecture, that seed's random init), every
layer's output (after the encoder's final LayerNorm) is pooled like the model pools (temporal means over
``pool_segments``) and probed train -> val; the last layer is also read mean-pooled, and concatenated with its
mean. Prints one JSON line per (seed, model, readout).

    PYTHONPATH=src .venv/bin/python experiments/readout_trials.py --data data --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

os.environ.setdefault("TQDM_DISABLE", "1")
# ruff: noqa: E402

import numpy as np
import pandas as pd
import torch
import yaml

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.models.pooling import temporal_mean_pool
from nlv_kedro.studies.pretraining import short_pretraining, untrained_model
from nlv_kedro.studies.probe import val_probe
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.data import collate_sequences, load_sequences
from nlv_kedro.training.recipe import PretrainParams, pretraining_ids


def layer_readouts(artifact: TopModelArtifact, sequences) -> dict[str, np.ndarray]:
    """{"layer<k>": (N, segments * d_model)} temporal-pooled outputs of every encoder layer, final norm applied."""
    model = artifact.build()
    captured: list[torch.Tensor] = []
    hooks = [layer.register_forward_hook(lambda _m, _i, out: captured.append(out)) for layer in model.encoder.layers]
    pooled: dict[str, list[np.ndarray]] = {}
    with torch.inference_mode():
        for start in range(0, len(sequences.vectors), 32):
            part = sequences.vectors[start:start + 32]
            times = sequences.times[start:start + 32]
            batch = collate_sequences([(torch.from_numpy((np.asarray(v, np.float32) - artifact.mean) / artifact.std),
                                        torch.from_numpy(np.asarray(t, np.float32)), row)
                                       for row, (v, t) in enumerate(zip(part, times))])
            captured.clear()
            model(batch["x"], batch["padding_mask"], batch["times"] if artifact.config.use_time else None)
            pad = batch["padding_mask"]
            for k, h in enumerate(captured, start=1):
                h = model.encoder.norm(h).masked_fill(pad.unsqueeze(-1), 0.0)
                pooled.setdefault(f"layer{k}", []).append(
                    temporal_mean_pool(h, pad, artifact.config.pool_segments).numpy())
                if k == len(captured):  # the last layer also mean-pooled (one segment)
                    pooled.setdefault(f"layer{k}_mean", []).append(temporal_mean_pool(h, pad, 1).numpy())
    for hook in hooks:
        hook.remove()
    out = {name: np.concatenate(parts) for name, parts in pooled.items()}
    n = len(model.encoder.layers)
    out[f"layer{n // 2}+{n}"] = np.concatenate([out[f"layer{n // 2}"], out[f"layer{n}"]], axis=1)
    out[f"layer{n}+mean"] = np.concatenate([out[f"layer{n}"], out[f"layer{n}_mean"]], axis=1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="data")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--c", default="0.1,1,10")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    index = pd.read_csv(f"{args.data}/02_intermediate/video_index.csv").astype({"video_id": str})
    unlabeled_path = f"{args.data}/02_intermediate/unlabeled_index.csv"
    unlabeled = pd.read_csv(unlabeled_path).astype({"video_id": str}) if os.path.exists(unlabeled_path) else None
    store = EmbeddingStore(f"{args.data}/04_feature/chunk_embeddings")
    with open("conf/base/parameters_pretrain.yml") as f:
        recipe = PretrainParams.model_validate(yaml.safe_load(f)["pretrain"])
    videos = index[index["split"].isin(["train", "val"])]
    videos = videos[videos["video_id"].map(lambda v: v in store)].reset_index(drop=True)
    sequences = load_sequences(store, videos["video_id"].tolist())
    split, y = videos["split"].to_numpy(), videos["label"].to_numpy()
    tr, va = split == "train", split == "val"
    order = videos["order_dependent"].astype(bool).to_numpy()[va]
    subsets = {"order_dependent": order, "other": ~order}
    train_ids, val_ids, _ = pretraining_ids(index, unlabeled, store, recipe)
    train, val = load_sequences(store, train_ids), load_sequences(store, val_ids)
    c_grid = [float(c) for c in args.c.split(",")]
    for seed in [int(s) for s in args.seeds.split(",")]:
        params = recipe.model_copy(update={"trainer": recipe.trainer.model_copy(update={"seed": seed})})
        saved = f"{args.data}/06_models/top_model"
        if seed == recipe.trainer.seed and os.path.exists(saved):
            trained = TopModelArtifact.load(saved)
        else:
            trained = short_pretraining(train, val, params)[0]
        for kind, artifact in (("trained", trained), ("untrained", untrained_model(params, train))):
            for readout, x in layer_readouts(artifact, sequences).items():
                for c in c_grid:
                    m = val_probe(x[tr], y[tr], x[va], y[va], [c], subsets)
                    print(json.dumps({"seed": seed, "model": kind, "readout": readout, "C": c,
                                      "top1": round(m["top1"], 4), "order": round(m["top1_order_dependent"], 4),
                                      "other": round(m["top1_other"], 4)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
