"""Video-QA trials on the VAL split: is the answer in the vectors (probe), and which bridge gets it out (trials).

Nothing here reads test accuracy: every number is trained on train questions and scored on val questions, so
a setting chosen from these numbers never saw the test split. The library does the work (qa.compare, qa.examples,
qa.projectors, qa.scoring, evaluation.stats); this script only picks variants and prints one JSON line each.

    # 1. diagnosis, no LLM (~1 min): a logistic-regression probe from a video's tokens to the answer, per kind
    python experiments/qa_trials.py probe --data /tmp/lead/study/data
    # 2. bridge variants through the frozen LLM (minutes each on one core): overrides over conf/base + conf/study
    python experiments/qa_trials.py bridge --data /tmp/lead/study/data --llm-cache /work/main/data/06_models/llm_cache \
        --methods nextlevel,blind_shuffled --seeds 0 '{"base": {}, "pos": {"projector": {"position_embedding": true}}}'
    # 3. the gap between two saved runs (a method and a control trained in separate processes)
    python experiments/qa_trials.py gap ep4:nextlevel ep4_blind:blind_shuffled

Run from the repository root with PYTHONPATH=src. Results of the runs behind docs/video_qa_trials.md are there.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time

os.environ.setdefault("TQDM_DISABLE", "1")
# ruff: noqa: E402

import numpy as np
import pandas as pd
import torch
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from nlv_kedro.config import deep_merge
from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.evaluation.stats import paired_bootstrap
from nlv_kedro.qa.artifact import load_bridge
from nlv_kedro.qa.compare import collect_video_vectors, prepare_qa_pairs
from nlv_kedro.qa.config import VideoQAConfig
from nlv_kedro.qa.controls import answer_prior_predictions
from nlv_kedro.qa.examples import choice_questions, video_tokens_input
from nlv_kedro.qa.projectors import fit_method
from nlv_kedro.qa.llm import load_llm
from nlv_kedro.qa.scoring import score_choices

QA_PAIRS, INDEX = "02_intermediate/qa_pairs.jsonl", "02_intermediate/video_index.csv"
CHUNKS, CONTEXTUAL = "04_feature/chunk_embeddings", "07_model_output/contextual_embeddings"
PROBED = ["mean_pool", "frozen_chunks", "nextlevel", "blind_shuffled"]


def study_params(overrides: dict) -> VideoQAConfig:
    """conf/base, then conf/study, then ``overrides`` (as ``kedro run --env=study --params`` would merge them)."""
    merged: dict = {}
    for env in ("base", "study"):
        with open(f"conf/{env}/parameters_video_qa.yml") as f:
            merged = deep_merge(merged, yaml.safe_load(f)["video_qa"])
    return VideoQAConfig.model_validate(deep_merge(merged, overrides))


def load_table(data: str, params: VideoQAConfig) -> tuple[pd.DataFrame, dict[str, dict[str, np.ndarray]]]:
    """Train and val QA rows only (test rows are dropped here) and every method's vectors for them."""
    table = prepare_qa_pairs(pd.read_json(f"{data}/{QA_PAIRS}", lines=True), pd.read_csv(f"{data}/{INDEX}"), params)
    table = table[table["split"].isin(["train", "val"])].reset_index(drop=True)
    stores = EmbeddingStore(f"{data}/{CHUNKS}"), EmbeddingStore(f"{data}/{CONTEXTUAL}")
    return table, collect_video_vectors(table, *stores, params)


def ci(a: np.ndarray, b: np.ndarray | None = None) -> dict:
    """Points of accuracy (a) or of the gap a - b, with the paired bootstrap's 95% interval over val questions."""
    r = paired_bootstrap(a, np.zeros_like(a) if b is None else b)
    return {"points": round(100 * r["diff"], 1), "lo": round(100 * r["lo"], 1), "hi": round(100 * r["hi"], 1)}


def by_kind(correct: np.ndarray, kinds: np.ndarray, control: np.ndarray | None = None) -> dict:
    """{"overall" | kind: ci} over val questions; ``correct`` is (questions,) or (seeds, questions)."""
    correct = np.atleast_2d(correct)
    control = None if control is None else np.atleast_2d(control)
    out = {"overall": ci(correct, control)}
    for kind in sorted(set(kinds)):
        sel = kinds == kind
        out[kind] = ci(correct[:, sel], None if control is None else control[:, sel])
    return out


# --- 1. the probe ---------------------------------------------------------------------------------------------

def token_features(vectors: dict[str, np.ndarray], video_ids: list[str], max_tokens: int) -> np.ndarray:
    """Each video's tokens as the bridge sees them (adjacent chunks pooled to ``max_tokens``), zero-padded, flat."""
    rows = []
    for video_id in video_ids:
        x = video_tokens_input(vectors[video_id], max_tokens).numpy()  # (n <= max_tokens, d)
        rows.append(np.concatenate([x, np.zeros((max_tokens - len(x), x.shape[1]), np.float32)]).ravel())
    return np.stack(rows)


def probe_correct(table: pd.DataFrame, features: np.ndarray, c: float) -> np.ndarray:
    """Per kind, logistic regression train -> val from the video features to the answer text; the prediction is
    the most probable answer among the question's offered choices. -> (val questions,) 0/1."""
    train, val = (table["split"] == "train").to_numpy(), (table["split"] == "val").to_numpy()
    hits = np.zeros(int(val.sum()), int)
    val_rows = np.flatnonzero(val)
    for kind in table["type"].unique():
        tr = train & (table["type"] == kind).to_numpy()
        va = val & (table["type"] == kind).to_numpy()
        scaler = StandardScaler().fit(features[tr])
        model = LogisticRegression(C=c, max_iter=2000).fit(scaler.transform(features[tr]), table["answer"][tr])
        proba = model.predict_proba(scaler.transform(features[va]))
        classes = {a: i for i, a in enumerate(model.classes_)}
        for row, p in zip(np.flatnonzero(va), proba):
            choices = list(table.at[row, "choices"])
            scores = [p[classes[ch]] if ch in classes else -1.0 for ch in choices]
            hits[np.searchsorted(val_rows, row)] = int(choices[int(np.argmax(scores))] == table.at[row, "answer"])
    return hits


def run_probe(data: str, token_counts: list[int], c: float) -> None:
    for max_tokens in token_counts:
        params = study_params({"methods": PROBED, "projector": {"max_tokens": max_tokens}})
        table, vectors = load_table(data, params)
        val = table[table["split"] == "val"]
        kinds = val["type"].to_numpy()
        answers = [list(ch).index(a) for ch, a in zip(val["choices"], val["answer"])]
        prior = np.array([int(p == a) for p, a in zip(answer_prior_predictions(table[table["split"] == "train"], val),
                                                      answers)])
        if max_tokens == token_counts[0]:
            print(json.dumps({"probe": "answer_prior", "val": by_kind(prior, kinds)}), flush=True)
        for method in PROBED:
            ids = table["video_id"].tolist()
            hits = probe_correct(table, token_features(vectors[method], ids, max_tokens), c)
            print(json.dumps({"probe": method, "max_tokens": max_tokens, "C": c, "val": by_kind(hits, kinds),
                              "minus_prior": by_kind(hits, kinds, prior)["overall"]}), flush=True)


# --- 2. bridge trials -----------------------------------------------------------------------------------------

def val_correct(method: str, table: pd.DataFrame, vectors: dict[str, np.ndarray], params: VideoQAConfig,
                seed: int) -> tuple[list[int], list[float]]:
    """Train one projector (train questions; early stopping on val loss) and score the val questions -> (0/1 per
    val question, val loss per epoch)."""
    artifact, history = fit_method(method, table, vectors, load_llm(params.llm.name, params.llm.cache_dir),
                                   params, seed)
    llm, projector = load_bridge(artifact, params.llm.cache_dir)
    val = table[table["split"] == "val"]
    questions, correct = choice_questions(val, vectors, llm, params.projector.max_tokens, params.llm.system_prompt)
    scores = score_choices(llm, projector, questions, params.score_reduction, params.score_batch_size)
    return [int(int(np.argmax(s)) == c) for s, c in zip(scores, correct)], [round(h["val_loss"], 3) for h in history]


def run_bridge(data: str, variants: dict[str, dict], methods: list[str], seeds: list[int],
               llm_cache: str | None, out_dir: str = "/tmp/h5/trials") -> None:
    """Every variant x method x seed; one JSON line per method, then the variant's gaps (nextlevel minus each
    other method, seeds averaged per question). Per-question results go to ``<out_dir>/<variant>.json``."""
    os.makedirs(out_dir, exist_ok=True)
    for name, overrides in variants.items():
        run = {"methods": methods, "seeds": seeds,
               "training": {"checkpoint_dir": f"{out_dir}/checkpoints/{name}"},
               **({"llm": {"cache_dir": llm_cache}} if llm_cache else {})}
        params = study_params(deep_merge(run, overrides))
        table, vectors = load_table(data, params)
        kinds = table.loc[table["split"] == "val", "type"].to_numpy()
        correct: dict[str, np.ndarray] = {}
        for method in methods:
            start, rows, losses = time.perf_counter(), [], []
            for seed in seeds:
                hits, loss = val_correct(method, table, vectors[method], params, seed)
                rows.append(hits)
                losses.append(loss)
            correct[method] = np.array(rows)
            print(json.dumps({"variant": name, "method": method, "seeds": seeds, "val": by_kind(correct[method], kinds),
                              "val_loss": losses, "seconds": round(time.perf_counter() - start)}), flush=True)
        gaps = {f"nextlevel_minus_{m}": by_kind(correct["nextlevel"], kinds, c)
                for m, c in correct.items() if m != "nextlevel" and "nextlevel" in correct}
        print(json.dumps({"variant": name, "overrides": overrides, "gaps": gaps}), flush=True)
        with open(f"{out_dir}/{name}.json", "w") as f:
            json.dump({"overrides": overrides, "seeds": seeds, "kinds": kinds.tolist(),
                       "correct": {m: c.tolist() for m, c in correct.items()}}, f)


def run_gap(pairs: list[str], out_dir: str = "/tmp/h5/trials") -> None:
    """``variant:method variant:method``: the gap between two saved runs (e.g. a method and its blind control
    trained in separate processes), by kind, paired over the same val questions."""
    loaded = []
    for pair in pairs:
        variant, method = pair.split(":")
        with open(f"{out_dir}/{variant}.json") as f:
            saved = json.load(f)
        loaded.append((np.array(saved["correct"][method]), np.array(saved["kinds"])))
    (a, kinds), (b, _) = loaded
    print(json.dumps({"gap": f"{pairs[0]} minus {pairs[1]}", "val": by_kind(a, kinds, b)}), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["probe", "bridge", "gap"])
    parser.add_argument("variants", nargs="*", default=["{}"],
                        help='bridge: {"name": {video_qa overrides}, ...}; gap: variant:method variant:method')
    parser.add_argument("--data", default="data", help="a finished run's data/ folder (read only)")
    parser.add_argument("--llm-cache", default=None, help="video_qa.llm.cache_dir for these runs")
    parser.add_argument("--methods", default="nextlevel,blind_shuffled")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--tokens", default="4,8,16", help="probe: max_tokens values")
    parser.add_argument("--c", type=float, default=0.5, help="probe: inverse L2 strength")
    args = parser.parse_intermixed_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("nlv_kedro").setLevel(logging.INFO)  # one line per epoch and per trained projector
    torch.set_num_threads(1)
    if args.mode == "probe":
        run_probe(args.data, [int(t) for t in args.tokens.split(",")], args.c)
        return 0
    if args.mode == "gap":
        run_gap(args.variants)
        return 0
    run_bridge(args.data, json.loads(args.variants[0]), args.methods.split(","), [int(s) for s in args.seeds.split(",")],
               args.llm_cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
