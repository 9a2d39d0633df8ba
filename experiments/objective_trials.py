"""Pretraining-objective trials on the val split (docs/pretraining_objective.md): does an objective learn more
than interpolation, and does it give better video vectors than the untrained model?

Each trial is a JSON object of `pretrain` overrides merged over conf/base (plus --epochs). Only the train and
val splits are read. Printed per trial (one JSON line, also appended to --out):

- the trial's own val diagnostics (its own masks): model cosine, every baseline, the per-video bootstrap interval
  of (model - shrunk interpolation), and the cosines by span length / proxy cut;
- the same on the DEFAULT val masks (span 0.4, mean span 3, seed 0), so trials with different masks compare on
  one task (``common``);
- the val linear probe (C = 1) of the pooled vectors, trained vs the untrained model with the same pooling, on
  all classes and the order-dependent ones, with a paired bootstrap over val videos of the per-video
  correctness difference.

    PYTHONPATH=src .venv/bin/python experiments/objective_trials.py --data /work/main/data --epochs 10 \
        '{"default": {}, "blocks": {"objective": {"masking": "blocks"}}}'
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

os.environ.setdefault("TQDM_DISABLE", "1")
# ruff: noqa: E402

import lightning as L
import numpy as np
import pandas as pd
import torch
import yaml

from nlv_kedro.config import deep_merge
from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.evaluation.probe import fit_probe
from nlv_kedro.evaluation.stats import paired_bootstrap
from nlv_kedro.studies.pretraining import short_pretraining, untrained_model
from nlv_kedro.training.artifact import TopModelArtifact, pooled_vectors
from nlv_kedro.training.data import SequenceDataModule, Sequences, Standardizer, load_sequences
from nlv_kedro.training.module import MaskedEmbeddingModule
from nlv_kedro.training.objective import ObjectiveConfig, OptimConfig
from nlv_kedro.training.recipe import PretrainParams

KEYS = ("val/cos_pred", "val/cos_mean_baseline", "val/cos_copy_neighbour", "val/cos_interpolate_neighbours",
        "val/cos_interpolate_shrunk", "val/interpolate_shrink_factor", "val/cos_gain_over_best_baseline",
        "val/gain_over_shrunk_interpolation", "val/gain_over_shrunk_interpolation_lo",
        "val/gain_over_shrunk_interpolation_hi", "val/cos_pred_standardized",
        "val/cos_interpolate_neighbours_standardized", "val/gain_over_interpolation_standardized_lo",
        "val/gain_over_interpolation_standardized_hi", "val/cos_pred_span4plus", "val/cos_interpolate_span4plus",
        "val/cos_pred_cut", "val/cos_interpolate_cut", "val/effective_rank")


def validate_on(artifact: TopModelArtifact, train: Sequences, val: Sequences, objective: ObjectiveConfig) -> dict:
    """The val diagnostics of a trained model on the masks ``objective`` draws (seed 0, fixed per batch)."""
    fitted = Standardizer.fit(train)
    module = MaskedEmbeddingModule(artifact.build(), objective, OptimConfig(), torch.from_numpy(artifact.mean),
                                   torch.from_numpy(artifact.std), torch.from_numpy(fitted.mean))
    data = SequenceDataModule(train, val, Standardizer(artifact.mean, artifact.std), 32, 64, objective=objective)
    trainer = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    return trainer.validate(module, data.val_dataloader(), verbose=False)[0]


def probe_correct(x: np.ndarray, videos: pd.DataFrame) -> np.ndarray:
    """Per val video 0/1 correctness of the linear probe (C = 1) fitted on the train rows."""
    split, y = videos["split"].to_numpy(), videos["label"].to_numpy()
    model, _ = fit_probe(x[split == "train"], y[split == "train"], None, None, [1.0])
    return (model.predict(x[split == "val"]) == y[split == "val"]).astype(float)


def probe_row(trained: np.ndarray, untrained: np.ndarray, videos: pd.DataFrame) -> dict:
    order = videos.loc[videos["split"] == "val", "order_dependent"].to_numpy(bool)
    a, b = probe_correct(trained, videos), probe_correct(untrained, videos)
    ci, ci_order = paired_bootstrap(a, b), paired_bootstrap(a[order], b[order])
    return {"probe_top1": a.mean(), "probe_untrained_top1": b.mean(), "probe_gain_ci": [ci["lo"], ci["hi"]],
            "probe_order_top1": a[order].mean(), "probe_untrained_order_top1": b[order].mean(),
            "probe_order_gain_ci": [ci_order["lo"], ci_order["hi"]]}


def pick(metrics: dict) -> dict:
    return {k.removeprefix("val/"): round(float(metrics[k]), 4) for k in KEYS if k in metrics}


def run_trials(variants: dict[str, dict], data_root: str, epochs: int, out: str) -> None:
    index = pd.read_csv(f"{data_root}/02_intermediate/video_index.csv").astype({"video_id": str})
    videos = pd.concat([index[index["split"] == s] for s in ("train", "val")], ignore_index=True)
    videos["order_dependent"] = videos["order_dependent"].astype(bool)
    store = EmbeddingStore(f"{data_root}/04_feature/chunk_embeddings")
    train, val = (load_sequences(store, videos.loc[videos["split"] == s, "video_id"].tolist())
                  for s in ("train", "val"))
    with open("conf/base/parameters_pretrain.yml") as f:
        base = yaml.safe_load(f)["pretrain"]
    for name, overrides in variants.items():
        merged = deep_merge(deep_merge(base, {"trainer": {"max_epochs": epochs}}), overrides)
        params = PretrainParams.model_validate(merged)
        artifact, history, seconds = short_pretraining(train, val, params)
        both = Sequences(train.ids + val.ids, train.vectors + val.vectors, train.times + val.times)
        untrained = untrained_model(params, train)
        row = {"trial": name, "overrides": overrides, "epochs": epochs, "seconds": round(seconds, 1),
               "own": pick(history["final"]), "common": pick(validate_on(artifact, train, val, ObjectiveConfig())),
               **probe_row(pooled_vectors(artifact, both), pooled_vectors(untrained, both), videos)}
        line = json.dumps(row, default=float)
        print(line, flush=True)
        with open(out, "a") as f:
            f.write(line + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("variants", help='JSON: {"name": {pretrain overrides}, ...}')
    parser.add_argument("--data", default="data", help="a data folder with a finished encode run (read only)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default="objective_trials.jsonl")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    run_trials(json.loads(args.variants), args.data, args.epochs, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
