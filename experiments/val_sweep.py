"""Val-split sweeps behind the README's "tried on val" lists: pretraining variants and video-QA variants.

Each variant is a JSON object of parameter overrides, merged over conf/base like `--params` would be. Only
the train and val splits are read, so choosing a setting from these numbers never touches the test split.
Run from the repository root after `make run` (it reads data/02_intermediate, data/04_feature and, for QA,
data/07_model_output), e.g.:

    .venv/bin/python experiments/val_sweep.py pretrain \
        '{"skip": {"model": {"head_skip": "neighbours"}}, "no_skip": {"model": {"head_skip": "none"}}}'
    .venv/bin/python experiments/val_sweep.py video_qa \
        '{"b4": {"methods": ["nextlevel"]}, "b8": {"methods": ["nextlevel"], "training": {"batch_size": 8}}}'

pretrain: about 1 min per variant on 2 cores; prints the val diagnostics and a train->val linear probe
(C = 1) of the pooled vectors. video_qa: about 2-4 min per trained method; prints val accuracy by
question type and the val answer loss per epoch. The `video_qa` sweep uses the contextual vectors the last
`pretrain` run exported. Prints one JSON line per variant (and method).
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
import yaml

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.config import deep_merge
from nlv_kedro.training.recipe import PretrainParams
from nlv_kedro.qa.compare import collect_video_vectors, prepare_qa_pairs, train_qa_projectors
from nlv_kedro.qa.config import VideoQAConfig
from nlv_kedro.qa.artifact import load_bridge
from nlv_kedro.qa.examples import choice_questions
from nlv_kedro.qa.scoring import accuracy_by_type, score_choices
from nlv_kedro.studies.pretraining import diagnostics, short_pretraining
from nlv_kedro.studies.probe import probe_on_val
from nlv_kedro.training.artifact import pooled_vectors
from nlv_kedro.training.data import load_sequences

INDEX = "data/02_intermediate/video_index.csv"
CHUNKS = "data/04_feature/chunk_embeddings"
CONTEXTUAL = "data/07_model_output/contextual_embeddings"
QA_PAIRS = "data/02_intermediate/qa_pairs.jsonl"


def base_params(name: str) -> dict:
    with open(f"conf/base/parameters_{name}.yml") as f:
        return yaml.safe_load(f)[name]


def sweep_pretrain(variants: dict[str, dict]) -> None:
    index = pd.read_csv(INDEX).astype({"video_id": str})
    videos = pd.concat([index[index["split"] == s] for s in ("train", "val")], ignore_index=True)  # rows = x rows
    store = EmbeddingStore(CHUNKS)
    train, val = (load_sequences(store, videos.loc[videos["split"] == s, "video_id"].tolist())
                  for s in ("train", "val"))
    for name, overrides in variants.items():
        params = PretrainParams.model_validate(deep_merge(base_params("pretrain"), overrides))
        artifact, history, seconds = short_pretraining(train, val, params, name)
        pooled = np.concatenate([pooled_vectors(artifact, train), pooled_vectors(artifact, val)])
        print(json.dumps({"variant": name, "seconds": round(seconds, 1), **diagnostics(history["final"]),
                          "val_probe": probe_on_val(pooled, videos, c=1.0)}), flush=True)


def sweep_video_qa(variants: dict[str, dict]) -> None:
    qa_pairs = pd.read_json(QA_PAIRS, lines=True)
    index = pd.read_csv(INDEX)
    chunks, contextual = EmbeddingStore(CHUNKS), EmbeddingStore(CONTEXTUAL)
    for name, overrides in variants.items():
        params = VideoQAConfig.model_validate(deep_merge(base_params("video_qa"), overrides))
        table = prepare_qa_pairs(qa_pairs, index, params)
        vectors = collect_video_vectors(table, chunks, contextual, params)
        val = table[table["split"] == "val"]
        for method, trained in train_qa_projectors(table, vectors, params).items():
            llm, projector = load_bridge(trained["artifact"], params.llm.cache_dir)
            questions, correct = choice_questions(val, vectors[method], llm, params.projector.max_tokens,
                                                  params.llm.system_prompt)
            scores = score_choices(llm, projector, questions, params.score_reduction, params.score_batch_size)
            accuracy = accuracy_by_type([int(np.argmax(s)) for s in scores], correct, val["type"].tolist())
            print(json.dumps({"variant": name, "method": method, "val_accuracy": accuracy,
                              "val_loss": [round(h["val_loss"], 3) for h in trained["history"]]}), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pipeline", choices=["pretrain", "video_qa"])
    parser.add_argument("variants", help='JSON: {"name": {parameter overrides}, ...}')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    variants = json.loads(args.variants)
    if not isinstance(variants, dict) or not all(isinstance(v, dict) for v in variants.values()):
        parser.error('variants must be a JSON object of objects: {"name": {"model": {...}}, ...}')
    (sweep_pretrain if args.pipeline == "pretrain" else sweep_video_qa)(variants)
    return 0


if __name__ == "__main__":
    sys.exit(main())
