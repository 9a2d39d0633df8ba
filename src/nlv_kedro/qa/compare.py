"""The video-QA comparison: train one projector per compared method into a frozen LLM, score them on the same
test questions.

`qa_metrics` schema (accuracies in percent on the test split's multiple-choice questions, a choice picked by its
log-likelihood, see qa/scoring.py; trained methods run once per seed of ``video_qa.seeds``)::

    {"accuracy": {method: {"overall", "<type>", "n", "n_<type>", "std": {"overall", "<type>"}, "seeds"}},
     "comparisons": {"nextlevel_minus_<method>": {"overall" | "<type>": {"points", "lo", "hi", "n", "beats"}}},
     "goals": {name: {"control", "points", "lo", "hi", "target", "met"}},
     "per_question": {"question_ids", "types", "seeds", "correct": {method: [[0/1 per question] per seed]}},
     "training": {method: [{"seed", "epochs": [{"epoch", "train_loss", "val_loss"}]}]}, "settings": {...}}

Means and stds are over seeds; the CIs are paired bootstraps over test questions (seeds averaged per question).
"""

from __future__ import annotations

import json
import logging
import time

import numpy as np
import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.qa.artifact import load_bridge
from nlv_kedro.qa.config import VideoQAConfig
from nlv_kedro.qa.controls import BLIND_METHODS, answer_prior_predictions, blind_vectors
from nlv_kedro.qa.examples import VIDEO_SOURCE, choice_questions, method_vectors
from nlv_kedro.qa.llm import LoadedLLM, load_llm
from nlv_kedro.qa.projectors import fit_method
from nlv_kedro.qa.results import accuracy_over_seeds, comparisons, qa_goals, question_ids
from nlv_kedro.qa.scoring import Question, choice_scores, score_choices

logger = logging.getLogger(__name__)


QA_COLUMNS = ["video_id", "question", "choices", "answer", "type"]
NO_QA = "the dataset has no QA pairs (video_qa_pairs is empty)"
ANSWER_PRIOR = "answer_prior"  # the blind control in qa_metrics: most frequent train answer per question text
TEXT_REDUCTION = {"text_only": "sum", "text_only_normalized": "mean"}  # the untrained LLM, no video


def prepare_qa_pairs(qa_pairs: pd.DataFrame | None, video_index: pd.DataFrame, params: VideoQAConfig) -> pd.DataFrame:
    """QA rows with their video's split; rows whose video is not indexed are dropped (and counted in the log).

    No QA pairs at all (an empty or missing table) is not an error: video_qa is skipped, logged here once, and
    the later nodes write empty-but-valid outputs (``qa_metrics["skipped"]`` says why)."""
    if qa_pairs is None or qa_pairs.empty:
        logger.warning("video_qa: skipped, %s; ingest publishes QA pairs for datasets that have them", NO_QA)
        return pd.DataFrame(columns=[*QA_COLUMNS, "split"])
    missing = set(QA_COLUMNS) - set(qa_pairs.columns)
    if missing:
        raise ValueError(f"qa_pairs lacks columns {sorted(missing)}: expected the QA rows ingest publishes (video_qa_pairs)")
    splits = video_index[["video_id", "split"]].astype(str)
    table = qa_pairs.astype({"video_id": str}).merge(splits, on="video_id", how="inner")
    if len(table) < len(qa_pairs):
        logger.warning("video_qa: %d QA pairs name videos missing from video_index; skipped", len(qa_pairs) - len(table))
    bad = [i for i, row in table.iterrows() if row["answer"] not in list(row["choices"])]
    if bad:
        raise ValueError(f"qa_pairs rows {bad[:5]} have an answer that is not among their choices")
    if params.max_questions_per_split:
        table = table.groupby("split", sort=False).head(params.max_questions_per_split)
    return table.reset_index(drop=True)


def collect_video_vectors(qa_table: pd.DataFrame, chunk_embeddings: EmbeddingStore,
                          contextual_embeddings: EmbeddingStore, params: VideoQAConfig) -> dict[str, dict[str, np.ndarray]]:
    """{method: {video_id: (T, d) vectors}} for every video-based method (blind controls included) and every video
    a question asks about."""
    stores = {"chunks": chunk_embeddings, "contextual": contextual_embeddings}
    needed = {VIDEO_SOURCE[m] for m in params.methods} - {None}
    vectors: dict[str, dict[str, np.ndarray]] = {m: {} for m in params.methods if VIDEO_SOURCE[m]}
    for video_id in qa_table["video_id"].unique():
        tensors = {name: stores[name].read(video_id)[0] for name in needed}
        for method in vectors:
            vectors[method][video_id] = method_vectors(method, tensors.get("chunks"), tensors.get("contextual"))
    splits = dict(zip(qa_table["video_id"], qa_table["split"]))
    for method in set(vectors) & set(BLIND_METHODS):
        vectors[method] = blind_vectors(method, vectors[method], splits, params.projector.max_tokens)
    return vectors


def train_qa_projectors(qa_table: pd.DataFrame, video_vectors: dict[str, dict[str, np.ndarray]],
                        params: VideoQAConfig) -> dict[str, list[dict]]:
    """{method: [{"seed", "artifact": safetensors dict, "history": epochs}, one per seed]} for each method with
    video tokens."""
    out: dict[str, list[dict]] = {}
    if qa_table.empty:
        return out
    if not video_vectors:
        raise ValueError("video_qa trains no projector: add a video method (nextlevel) to video_qa.methods")
    for method, vectors in video_vectors.items():
        out[method] = []
        for seed in params.seeds:
            start = time.perf_counter()
            artifact, history = fit_method(method, qa_table, vectors, _llm(params), params, seed)
            out[method].append({"seed": seed, "artifact": artifact, "history": history})
            logger.info("video_qa: trained the %s projector (seed %d) in %.0f s", method, seed,
                        time.perf_counter() - start)
    return out


def evaluate_video_qa(qa_table: pd.DataFrame, video_vectors: dict[str, dict[str, np.ndarray]],
                      qa_projectors: dict[str, list[dict]], params: VideoQAConfig) -> tuple[dict, dict]:
    """Test accuracy of every method (mean ± std over seeds, overall and per question type), NextLevel's paired
    CIs against every other method and the goals -> (`qa_metrics`, flat MLflow metrics)."""
    if qa_table.empty:
        return {"skipped": NO_QA, "accuracy": {}, "comparisons": {}, "goals": {}, "per_question": {},
                "training": {}, "settings": {}}, {}
    test = qa_table[qa_table["split"] == "test"]
    if test.empty:
        raise ValueError("video_qa: no QA pairs on test videos; check the split column of video_index")
    types = test["type"].tolist()
    correct = correctness_by_method(test, video_vectors, qa_projectors, params)
    correct[ANSWER_PRIOR] = _answer_prior_correct(qa_table[qa_table["split"] == "train"], test)
    accuracy = {m: accuracy_over_seeds(c, types) for m, c in correct.items()}
    for method, acc in accuracy.items():
        logger.info("video_qa %-20s test accuracy %s", method, {k: v for k, v in acc.items() if k != "std"})
    compared = comparisons(correct, types, params.bootstrap_resamples)
    metrics = {"accuracy": accuracy, "comparisons": compared, "goals": qa_goals(accuracy, compared, params.goals),
               "per_question": {"question_ids": question_ids(test["video_id"].tolist()), "types": types,
                                "seeds": {m: [r["seed"] for r in runs] for m, runs in qa_projectors.items()},
                                "correct": {m: np.atleast_2d(c).astype(int).tolist() for m, c in correct.items()}},
               "training": {m: [{"seed": r["seed"], "epochs": r["history"]} for r in runs]
                            for m, runs in qa_projectors.items()},
               "settings": _settings(params)}
    return metrics, _flat_metrics(accuracy, compared)


def correctness_by_method(test: pd.DataFrame, video_vectors: dict[str, dict[str, np.ndarray]],
                          qa_projectors: dict[str, list[dict]], params: VideoQAConfig) -> dict[str, np.ndarray]:
    """{method: (seeds, questions) 0/1}: every trained projector, and the untrained LLM without video (one pass
    scores both of its reductions)."""
    answers = [list(choices).index(answer) for choices, answer in zip(test["choices"], test["answer"])]
    correct: dict[str, np.ndarray] = {}
    text_scores = None
    for method in params.methods:
        if method in qa_projectors:
            rows = []
            for run in qa_projectors[method]:
                llm, projector = load_bridge(run["artifact"], params.llm.cache_dir, params.llm.trust_remote_code)
                questions = _questions(test, video_vectors.get(method), llm, params)
                scores = score_choices(llm, projector, questions, params.score_reduction, params.score_batch_size,
                                       progress=True)
                rows.append(_hits(scores, answers))
            correct[method] = np.array(rows)
        elif method in TEXT_REDUCTION:
            if text_scores is None:
                llm = _llm(params)
                text_scores = choice_scores(llm, None, _questions(test, None, llm, params), params.score_batch_size,
                                            progress=True)
            correct[method] = np.array([_hits(text_scores[TEXT_REDUCTION[method]], answers)])
    return correct


def export_qa_projector(qa_projectors: dict[str, list[dict]]) -> tuple[dict, dict]:
    """The NextLevel projector of the first seed (else the first trained one) -> (safetensors dict, JSON config)
    for the CLI.

    None trained (no QA pairs; :func:`train_qa_projectors` refuses a run without a video method): a projector
    file with no tensors, whose metadata says why, which ``qa.ask`` reports in one line."""
    if not qa_projectors:
        return {"tensors": {}, "metadata": {"skipped": NO_QA}}, {"skipped": NO_QA}
    method = "nextlevel" if "nextlevel" in qa_projectors else next(iter(qa_projectors))
    run = qa_projectors[method][0]
    config = {k: json.loads(v) for k, v in run["artifact"]["metadata"].items()}
    return run["artifact"], {**config, "history": run["history"]}


def _llm(params: VideoQAConfig) -> LoadedLLM:
    return load_llm(params.llm.name, params.llm.cache_dir, params.llm.trust_remote_code)


def _questions(test: pd.DataFrame, vectors: dict[str, np.ndarray] | None, llm: LoadedLLM,
               params: VideoQAConfig) -> list[Question]:
    return choice_questions(test, vectors, llm, params.projector.max_tokens, params.llm.system_prompt)[0]


def _hits(scores: list[np.ndarray], answers: list[int]) -> list[int]:
    return [int(int(np.argmax(s)) == a) for s, a in zip(scores, answers)]


def _answer_prior_correct(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """The blind control: the most frequent train answer to the same question text, as one row of 0/1."""
    answers = [list(choices).index(answer) for choices, answer in zip(test["choices"], test["answer"])]
    return np.array([[int(p == a) for p, a in zip(answer_prior_predictions(train, test), answers)]])


def _settings(params: VideoQAConfig) -> dict:
    return {"llm": params.llm.name, "score_reduction": params.score_reduction, "seeds": list(params.seeds),
            "projector": params.projector.model_dump(), "lora": params.lora.enabled,
            "max_train_questions": params.max_train_questions, "max_val_questions": params.max_val_questions,
            "max_epochs": params.training.max_epochs, "objective": params.training.objective,
            "bootstrap_resamples": params.bootstrap_resamples}


def _flat_metrics(accuracy: dict[str, dict], compared: dict[str, dict]) -> dict:
    flat = {f"video_qa.{m}.{k}": {"value": float(v), "step": 0} for m, acc in accuracy.items()
            for k, v in acc.items() if not k.startswith("n") and k not in ("std", "seeds") and np.isfinite(v)}
    flat.update({f"video_qa.{name}.{kind}": {"value": float(ci["points"]), "step": 0}
                 for name, kinds in compared.items() for kind, ci in kinds.items()})
    return flat
