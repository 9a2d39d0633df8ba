"""The seed study: the pretraining recipe run with several seeds, each scored against its controls on test.

For every seed the recipe is pretrained (the main run's ``top_model`` stands in for its own seed when the recipe
is unchanged), and the *same* architecture with that seed's random init is the untrained control. Every method
is a linear probe (C chosen on val) on pooled video vectors; each test video is right or wrong per seed.

Methods: ``nextlevel`` (trained, its own pooling), ``nextlevel_untrained`` (same architecture and pooling, never
trained), ``nextlevel_meanpool`` (trained contextual vectors, order-blind mean), and the seed-free frozen
baselines ``mean_pool`` and ``temporal_pool_<k>`` (per-segment means of the frozen chunk vectors).

Result (``seed_study``): ``seeds``; ``test_video_ids``; ``methods`` {name: {overall and per class group:
seed_spread of top-1}, ``correct``: seeds x test videos 0/1}; ``comparisons`` {name: paired bootstrap over test
videos of nextlevel minus a control, seeds averaged per video}; ``goals``. The test split is read here and in
the downstream evaluation only: no choice is made on it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.evaluation.probe import full_probe
from nlv_kedro.evaluation.stats import paired_bootstrap, seed_spread
from nlv_kedro.studies.params import SeedStudyParams
from nlv_kedro.studies.pretraining import short_pretraining, untrained_model
from nlv_kedro.studies.probe import mean_pool_vectors, temporal_pool_vectors
from nlv_kedro.training.artifact import TopModelArtifact
from nlv_kedro.training.data import Sequences, load_sequences
from nlv_kedro.training.recipe import PretrainParams, pretraining_ids

logger = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")


def study_table(video_index: pd.DataFrame, store: EmbeddingStore) -> pd.DataFrame:
    """Encoded train/val/test videos: video_id, label, split, order_dependent (bool)."""
    table = video_index[video_index["split"].isin(SPLITS)].copy()
    table["video_id"] = table["video_id"].astype(str)
    table = table[table["video_id"].map(lambda v: v in store)].reset_index(drop=True)
    missing = [s for s in SPLITS if not (table["split"] == s).any()]
    if missing:
        raise ValueError(f"the seed study needs encoded videos in every split; none in {missing}")
    table["order_dependent"] = table["order_dependent"].astype(bool)
    return table


def class_subsets(table: pd.DataFrame, class_groups: Mapping[str, Sequence[str]]) -> dict[str, np.ndarray]:
    """Boolean masks over the *test* rows: order_dependent, other, and every class group with test videos."""
    test = table[table["split"] == "test"]
    order = test["order_dependent"].to_numpy(bool)
    subsets = {"order_dependent": order, "other": ~order}
    for name, labels in class_groups.items():
        subsets[name] = test["label"].isin(list(labels)).to_numpy()
    return {name: mask for name, mask in subsets.items() if mask.any()}


def probe_correct(x: np.ndarray, table: pd.DataFrame, c_grid: Sequence[float]) -> np.ndarray:
    """The downstream full probe (fitted on train, C chosen on val) -> 0/1 correctness of each test video."""
    split, y = table["split"].to_numpy(), table["label"].to_numpy()
    tr, va, te = (split == s for s in SPLITS)
    metrics, _ = full_probe(x[tr], y[tr], x[va], y[va], x[te], y[te], c_grid=c_grid)
    return np.asarray(metrics["correct"], dtype=np.int8)


def _seed_vectors(artifact: TopModelArtifact, untrained: TopModelArtifact, sequences: Sequences,
                  ) -> dict[str, np.ndarray]:
    contextual, pooled = artifact.embed_sequences(sequences)
    return {"nextlevel": pooled, "nextlevel_untrained": untrained.embed_sequences(sequences)[1],
            "nextlevel_meanpool": np.stack([c.mean(0) for c in contextual])}


def _train_seed(seed: int, recipe: PretrainParams, train: Sequences, val: Sequences,
                reuse: TopModelArtifact | None) -> tuple[TopModelArtifact, TopModelArtifact]:
    params = recipe.model_copy(update={"trainer": recipe.trainer.model_copy(update={"seed": seed})})
    if reuse is not None:
        logger.info("seed study: seed %d is the main run's top model (same recipe and seed)", seed)
        trained = reuse
    else:
        trained, _, seconds = short_pretraining(train, val, params, run_name=f"seed study, seed {seed}")
        logger.info("seed study: seed %d pretrained in %.0f s", seed, seconds)
    return trained, untrained_model(params, train)


def run_seed_study(video_index: pd.DataFrame, store: EmbeddingStore, pretrain: PretrainParams,
                   top_model: TopModelArtifact | None, params: SeedStudyParams,
                   class_groups: Mapping[str, Sequence[str]], unlabeled_index: pd.DataFrame | None = None) -> dict:
    """Pretrain every seed (on the recipe's videos: train split and unlabeled pool), probe every method on
    test, and compare NextLevel with its controls."""
    table = study_table(video_index, store)
    sequences = load_sequences(store, table["video_id"].tolist())
    recipe = params.recipe(pretrain)
    train_ids, val_ids, _ = pretraining_ids(video_index, unlabeled_index, store, recipe)
    train, val = load_sequences(store, train_ids), load_sequences(store, val_ids)
    reuse_main = top_model is not None and not pretrain.use_best_params and recipe == pretrain
    correct: dict[str, list[np.ndarray]] = {}
    for seed in params.seeds:
        main = top_model if reuse_main and seed == pretrain.trainer.seed else None
        trained, untrained = _train_seed(seed, recipe, train, val, main)
        for name, x in _seed_vectors(trained, untrained, sequences).items():
            correct.setdefault(name, []).append(probe_correct(x, table, params.c_grid))
    frozen = {"mean_pool": mean_pool_vectors(sequences),
              **{f"temporal_pool_{k}": temporal_pool_vectors(sequences, k) for k in params.temporal_segments}}
    for name, x in frozen.items():
        correct[name] = [probe_correct(x, table, params.c_grid)]  # no seed: the same for every seed
    subsets = class_subsets(table, class_groups)
    result = {"seeds": list(params.seeds), "recipe": recipe.model_dump(mode="json"),
              "test_video_ids": table.loc[table["split"] == "test", "video_id"].tolist(),
              "subset_sizes": {k: int(v.sum()) for k, v in subsets.items()},
              "methods": {name: _method_summary(runs, subsets) for name, runs in correct.items()}}
    result["comparisons"] = compare(correct, subsets, list(frozen), params)
    result["goals"] = goals(result["comparisons"], params.goal_points, params.tolerance_points)
    return result


def _method_summary(runs: list[np.ndarray], subsets: Mapping[str, np.ndarray]) -> dict:
    matrix = np.stack(runs)
    summary = {"overall": seed_spread(matrix.mean(1))}
    summary.update({name: seed_spread(matrix[:, mask].mean(1)) for name, mask in subsets.items()})
    return {**summary, "correct": matrix.astype(int).tolist()}


def _versus(a: list[np.ndarray], b: list[np.ndarray], mask: np.ndarray | None, params: SeedStudyParams) -> dict:
    x, y = np.stack(a).mean(0), np.stack(b).mean(0)
    if mask is not None:
        x, y = x[mask], y[mask]
    return paired_bootstrap(x, y, resamples=params.bootstrap_resamples, seed=params.bootstrap_seed)


def compare(correct: Mapping[str, list[np.ndarray]], subsets: Mapping[str, np.ndarray], baselines: Sequence[str],
            params: SeedStudyParams) -> dict:
    """NextLevel minus the untrained control, the mean-pooled contextual vectors and the best frozen baseline
    (best by mean test top-1 on the same subset: the strictest bar), overall and per subset."""
    out: dict[str, dict] = {}
    for subset, mask in {"overall": None, **subsets}.items():
        score = lambda name: float(np.stack(correct[name]).mean(0)[mask if mask is not None else slice(None)]  # noqa: E731
                                   .mean())
        best = max(baselines, key=score)
        out[subset] = {
            "untrained": _versus(correct["nextlevel"], correct["nextlevel_untrained"], mask, params),
            "meanpool_contextual": _versus(correct["nextlevel"], correct["nextlevel_meanpool"], mask, params),
            "best_frozen_baseline": {"name": best, **_versus(correct["nextlevel"], correct[best], mask, params)},
            "mean_pool": _versus(correct["nextlevel"], correct["mean_pool"], mask, params),
        }
    return out


def goals(comparisons: Mapping[str, dict], points: float, tolerance: float) -> dict:
    """The study's goals: each ``met`` only when the point difference clears the target and the CI excludes 0."""
    def gain(row: dict) -> dict:
        return {"points": round(100 * row["diff"], 2), "ci": [round(100 * row["lo"], 2), round(100 * row["hi"], 2)],
                "target": points, "met": bool(row["beats"] and 100 * row["diff"] >= points)}

    out = {"pretrained_vs_untrained": gain(comparisons["overall"]["untrained"])}
    if "structure" in comparisons:
        out["structure_vs_best_pooling"] = gain(comparisons["structure"]["best_frozen_baseline"])
    if "other" in comparisons:
        row = comparisons["other"]["mean_pool"]
        out["order_independent_vs_mean_pool"] = {
            "points": round(100 * row["diff"], 2), "ci": [round(100 * row["lo"], 2), round(100 * row["hi"], 2)],
            "target": -tolerance, "met": bool(100 * row["diff"] >= -tolerance)}
    return out
