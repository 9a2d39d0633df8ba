"""The video-QA comparison: train one projector per compared method into a frozen LLM, score them on the same
test questions.

`qa_metrics` schema: ``{"accuracy": {method: {"overall", "<type>", "n", "n_<type>"}}, "goals": {...},
"training": {method: [{"epoch", "train_loss", "val_loss"}]}, "settings": {...}}``; accuracies in percent
on the test split's multiple-choice questions, a choice picked by its log-likelihood (see qa/scoring.py).
"""

from __future__ import annotations

import json
import logging
import time

import numpy as np
import pandas as pd
import torch

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.qa.artifact import load_bridge, to_artifact
from nlv_kedro.qa.bridge import Projector, ProjectorConfig
from nlv_kedro.qa.config import VideoQAConfig
from nlv_kedro.qa.controls import answer_prior_predictions
from nlv_kedro.qa.examples import VIDEO_SOURCE, choice_questions, method_vectors, training_items
from nlv_kedro.qa.llm import LoadedLLM, apply_lora, load_llm
from nlv_kedro.qa.module import fit_bridge, trainable_state
from nlv_kedro.qa.scoring import accuracy_by_type, score_choices

logger = logging.getLogger(__name__)
QA_TYPES = ("order", "direction", "count", "content")


QA_COLUMNS = ["video_id", "question", "choices", "answer", "type"]
NO_QA = "the dataset has no QA pairs (video_qa_pairs is empty)"
ANSWER_PRIOR = "answer_prior"  # the blind control in qa_metrics: most frequent train answer per question text


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
    """{method: {video_id: (T, d) vectors}} for every video-based method and every video a question asks about."""
    stores = {"chunks": chunk_embeddings, "contextual": contextual_embeddings}
    needed = {VIDEO_SOURCE[m] for m in params.methods} - {None}
    vectors: dict[str, dict[str, np.ndarray]] = {m: {} for m in params.methods if VIDEO_SOURCE[m]}
    for video_id in qa_table["video_id"].unique():
        tensors = {name: stores[name].read(video_id)[0] for name in needed}
        for method in vectors:
            vectors[method][video_id] = method_vectors(method, tensors.get("chunks"), tensors.get("contextual"))
    return vectors


def train_qa_projectors(qa_table: pd.DataFrame, video_vectors: dict[str, dict[str, np.ndarray]],
                        params: VideoQAConfig) -> dict[str, dict]:
    """{method: {"artifact": safetensors dict, "history": epochs}} for each method that has video tokens."""
    out: dict[str, dict] = {}
    if qa_table.empty:
        return out
    if not video_vectors:
        raise ValueError("video_qa trains no projector: add a video method (nextlevel) to video_qa.methods")
    for method, vectors in video_vectors.items():
        start = time.perf_counter()
        llm = _llm(params)
        artifact, history = _fit_method(method, qa_table, vectors, llm, params)
        out[method] = {"artifact": artifact, "history": history}
        logger.info("video_qa: trained the %s projector in %.0f s", method, time.perf_counter() - start)
    return out


def evaluate_video_qa(qa_table: pd.DataFrame, video_vectors: dict[str, dict[str, np.ndarray]],
                      qa_projectors: dict[str, dict], params: VideoQAConfig) -> tuple[dict, dict]:
    """Test accuracy of every method (overall and per question type) -> (`qa_metrics`, flat MLflow metrics)."""
    if qa_table.empty:
        return {"skipped": NO_QA, "accuracy": {}, "goals": {}, "training": {}, "settings": {}}, {}
    test = qa_table[qa_table["split"] == "test"]
    if test.empty:
        raise ValueError("video_qa: no QA pairs on test videos; check the split column of video_index")
    accuracy = {}
    for method in params.methods:
        if method in qa_projectors:
            llm, projector = load_bridge(qa_projectors[method]["artifact"], params.llm.cache_dir)
        else:
            llm, projector = _llm(params), None
        questions, correct = choice_questions(test, video_vectors.get(method), llm, params.projector.max_tokens,
                                              params.llm.system_prompt)
        scores = score_choices(llm, projector, questions, params.score_reduction, params.score_batch_size, progress=True)
        accuracy[method] = accuracy_by_type([int(np.argmax(s)) for s in scores], correct, test["type"].tolist())
        logger.info("video_qa %-14s test accuracy %s", method, accuracy[method])
    accuracy[ANSWER_PRIOR] = _answer_prior_accuracy(qa_table[qa_table["split"] == "train"], test)
    logger.info("video_qa %-14s test accuracy %s", ANSWER_PRIOR, accuracy[ANSWER_PRIOR])
    metrics = {"accuracy": accuracy, "goals": qa_goals(accuracy, params.goal_points),
               "training": {m: p["history"] for m, p in qa_projectors.items()},
               "settings": {"llm": params.llm.name, "score_reduction": params.score_reduction,
                            "projector": params.projector.model_dump(), "lora": params.lora.enabled}}
    flat = {f"video_qa.{m}.{k}": {"value": float(v), "step": 0}
            for m, acc in accuracy.items() for k, v in acc.items() if not k.startswith("n") and np.isfinite(v)}
    return metrics, flat


def export_qa_projector(qa_projectors: dict[str, dict]) -> tuple[dict, dict]:
    """The NextLevel projector (else the first trained one) -> (safetensors dict, JSON config) for the CLI.

    None trained (no QA pairs; :func:`train_qa_projectors` refuses a run without a video method): a projector
    file with no tensors, whose metadata says why, which ``qa.ask`` reports in one line."""
    if not qa_projectors:
        return {"tensors": {}, "metadata": {"skipped": NO_QA}}, {"skipped": NO_QA}
    method = "nextlevel" if "nextlevel" in qa_projectors else next(iter(qa_projectors))
    artifact = qa_projectors[method]["artifact"]
    config = {k: json.loads(v) for k, v in artifact["metadata"].items()}
    return artifact, {**config, "history": qa_projectors[method]["history"]}


def _llm(params: VideoQAConfig) -> LoadedLLM:
    return load_llm(params.llm.name, params.llm.cache_dir, params.llm.trust_remote_code)


def _fit_method(method: str, table: pd.DataFrame, vectors: dict[str, np.ndarray], llm: LoadedLLM,
                params: VideoQAConfig) -> tuple[dict, list[dict]]:
    torch.manual_seed(params.seed)
    train, val = (table[table["split"] == s] for s in ("train", "val"))
    train_x = np.concatenate([vectors[v] for v in train["video_id"].unique()])  # (N chunks, d)
    p = params.projector
    embed_std = float(llm.model.get_input_embeddings().weight.std())
    config = ProjectorConfig(in_dim=train_x.shape[1], llm_dim=llm.embed_dim, kind=p.kind, hidden_dim=p.hidden_dim,
                             max_tokens=p.max_tokens, embed_std=embed_std, dropout=p.dropout)
    projector = Projector(config)
    projector.set_input_stats(torch.from_numpy(train_x.mean(0)), torch.from_numpy(train_x.std(0)))
    lora = params.lora.peft_kwargs()
    if lora:
        llm.model = apply_lora(llm.model, lora)
    items = [training_items(part, vectors, llm, p.max_tokens, params.llm.system_prompt) for part in (train, val)]
    history = fit_bridge(projector, llm.model, llm.tokenizer.pad_token_id, items[0], items[1], params.training,
                         params.seed, bool(lora), method)
    state = trainable_state(_Holder(projector, llm.model))
    settings = {"method": method, "llm": params.llm.name, "system_prompt": params.llm.system_prompt,
                "lora": lora, "score_reduction": params.score_reduction}
    return to_artifact(state, config, settings), history


class _Holder(torch.nn.Module):
    """Names the trainable weights as the LightningModule does (``projector.*``, ``llm.*``)."""

    def __init__(self, projector: Projector, llm: torch.nn.Module) -> None:
        super().__init__()
        self.projector, self.llm = projector, llm


def _answer_prior_accuracy(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, float | int]:
    """The blind control: the most frequent train answer to the same question text, scored like a method."""
    correct = [list(choices).index(answer) for choices, answer in zip(test["choices"], test["answer"])]
    return accuracy_by_type(answer_prior_predictions(train, test), correct, test["type"].tolist())


def qa_goals(accuracy: dict[str, dict], target: float) -> dict:
    """The two goals (NextLevel ahead of text-only overall, and of the frozen baselines on order questions, by
    ``target`` points), where the compared methods ran."""
    goals: dict = {}
    nl = accuracy.get("nextlevel")
    if nl and "text_only" in accuracy:
        gap = nl["overall"] - accuracy["text_only"]["overall"]
        goals["nextlevel_minus_text_only_overall"] = {"points": round(gap, 2), "target": target, "met": gap >= target}
    for baseline in ("frozen_chunks", "mean_pool"):
        if nl and baseline in accuracy and "order" in nl and "order" in accuracy[baseline]:
            gap = nl["order"] - accuracy[baseline]["order"]
            goals[f"nextlevel_minus_{baseline}_order"] = {"points": round(gap, 2), "target": target, "met": gap >= target}
    return goals
