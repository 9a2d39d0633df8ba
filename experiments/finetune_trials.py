"""Few-label fine-tuning trials, scored on the **val** split only (the test split is never read).

Trains the label-efficiency pair (NextLevel fine-tuned from the pretrained top model, the same architecture from
scratch) on k labelled train videos per class with settings overridden per trial, and prints each run's best val
top-1 (the epoch early stopping keeps). Reads a project's catalog (run after `pretrain`), e.g. the study data:

    PYTHONPATH=src python experiments/finetune_trials.py /path/to/project --env study --shots 1 2 4 --draws 0 1 \\
        '[{"name": "ft lr x0.1", "method": "nextlevel_finetuned", "supervised": {"pretrained_lr_scale": 0.1}}]'

Every trial also needs its own from-scratch reference: add {"name": "scratch", "method": "transformer_scratch"}.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

import numpy as np

from nlv_kedro.evaluation.probe import few_shot_indices
from nlv_kedro.evaluation.stats import paired_bootstrap
from nlv_kedro.training.classify import classifier_outputs
from nlv_kedro.training.downstream import DownstreamConfig, _LabelledVideos, _train_head, video_table
from nlv_kedro.training.data import load_sequences


def load_project(project: Path, env: str) -> tuple[_LabelledVideos, object, DownstreamConfig]:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    os.chdir(project)
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=env) as session:
        context = session.load_context()
        catalog = context.catalog
        index, chunks = catalog.load("video_index"), catalog.load("chunk_embeddings")
        table = video_table(index, chunks, catalog.load("contextual_embeddings"))
        top_model = catalog.load("top_model")
        config = DownstreamConfig.model_validate(context.params["downstream"])
    sequences = load_sequences(chunks, table["video_id"].tolist())
    return _LabelledVideos.of(table, sequences, top_model), top_model, config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("trials", help="JSON list of {name, method, supervised: {ClassifierConfig overrides}}")
    parser.add_argument("--env", default="base")
    parser.add_argument("--shots", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--draws", type=int, nargs="+", default=[0])
    parser.add_argument("--out", type=Path, default=None, help="append one JSON line per trial")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    videos, top_model, config = load_project(args.project.resolve(), args.env)
    train, val = videos.parts["train"], videos.parts["val"]
    print(f"{len(train)} train / {len(val)} val videos; shots {args.shots}, draws {args.draws} (val top-1 %)")
    results = {}
    for trial in json.loads(args.trials):
        supervised = config.supervised.model_copy(update=trial.get("supervised", {}))
        start, row = time.perf_counter(), {}
        for k in args.shots:
            correct = []
            for draw in args.draws:
                rows = train[few_shot_indices(videos.y[train], k, draw)]
                module, _, _ = _train_head(videos, trial["method"], rows, top_model, supervised, config.seed,
                                           f"trial_{trial['name']}_{k}_{draw}".replace(" ", "_"))
                logits = classifier_outputs(module, videos.standardizer, videos.subset(val))[1]
                correct.append((logits.argmax(1) == videos.y[val]).astype(int).tolist())
            row[str(k)] = correct
        results[trial["name"]] = row
        means = {k: round(100 * float(np.mean(c)), 1) for k, c in row.items()}
        print(f"{trial['name']:<32} {means}  ({time.perf_counter() - start:.0f} s)", flush=True)
        if args.out:
            with args.out.open("a") as f:
                f.write(json.dumps({"name": trial["name"], "trial": trial, "val_correct": row}) + "\n")
    names = list(results)
    for name in names[1:]:  # each trial against the first (the reference, e.g. scratch)
        for k in map(str, args.shots):
            diff = paired_bootstrap(results[name][k], results[names[0]][k], seed=0)
            print(f"{name} - {names[0]} at {k} labels: {100 * diff['diff']:+.1f} "
                  f"[{100 * diff['lo']:+.1f}, {100 * diff['hi']:+.1f}]")


if __name__ == "__main__":
    main()
