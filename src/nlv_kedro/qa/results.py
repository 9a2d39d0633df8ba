"""From per-question correctness to the numbers of ``qa_metrics``: mean ± std over seeds, paired bootstrap CIs of
NextLevel minus every other method, and the goals (met only when the interval clears 0 *and* the lead clears the
target). Correctness is (seeds, questions) 0/1 per method; an untrained method has one row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from nlv_kedro.evaluation.stats import paired_bootstrap, seed_spread
from nlv_kedro.qa.config import GoalConfig
from nlv_kedro.qa.controls import BLIND_METHODS
from nlv_kedro.qa.scoring import accuracy_by_type

MAIN = "nextlevel"
ORDER_KINDS = ("order", "structure")  # question kinds where the order of the chunks decides the answer


def accuracy_over_seeds(correct: np.ndarray, types: Sequence[str]) -> dict:
    """(seeds, questions) 0/1 -> ``{"overall", "<type>", "n", "n_<type>"}`` (means over seeds, percent) plus
    ``"std"`` (sample std over seeds, 0 for one seed per key) and ``"seeds"`` (how many)."""
    rows = [accuracy_by_type(row.astype(int).tolist(), [1] * len(row), types) for row in np.atleast_2d(correct)]
    keys = [k for k in rows[0] if k != "n" and not k.startswith("n_")]
    spreads = {k: seed_spread([r[k] for r in rows]) for k in keys}
    counts = {k: v for k, v in rows[0].items() if k == "n" or k.startswith("n_")}
    return {**{k: round(s["mean"], 2) for k, s in spreads.items()}, **counts,
            "std": {k: round(s["std"], 2) for k, s in spreads.items()}, "seeds": len(rows)}


def comparisons(correct: Mapping[str, np.ndarray], types: Sequence[str], resamples: int) -> dict:
    """``{"nextlevel_minus_<m>": {"overall" | <type>: {"points", "lo", "hi", "n", "beats"}}}`` in points of accuracy,
    a paired bootstrap over test questions (seeds averaged per question first)."""
    if MAIN not in correct:
        return {}
    kinds = np.asarray(types)
    out: dict = {}
    for method, other in correct.items():
        if method == MAIN:
            continue
        out[f"{MAIN}_minus_{method}"] = {
            kind: _ci(np.atleast_2d(correct[MAIN])[:, sel], np.atleast_2d(other)[:, sel], resamples)
            for kind, sel in [("overall", np.ones(len(kinds), bool)),
                              *((k, kinds == k) for k in sorted(set(kinds.tolist())))]}
    return out


def _ci(a: np.ndarray, b: np.ndarray, resamples: int) -> dict:
    result = paired_bootstrap(a, b, resamples=resamples)
    return {"points": round(100 * result["diff"], 2), "lo": round(100 * result["lo"], 2),
            "hi": round(100 * result["hi"], 2), "n": result["n"], "beats": result["beats"]}


def qa_goals(accuracy: Mapping[str, dict], compared: Mapping[str, dict], goals: GoalConfig) -> dict:
    """NextLevel ahead of the best blind projector overall, and of frozen_chunks on order (and structure)
    questions, where those methods ran. ``met``: the lead clears the target and the CI's lower bound clears 0."""
    out: dict = {}
    blinds = [m for m in BLIND_METHODS if m in accuracy and f"{MAIN}_minus_{m}" in compared]
    if blinds:
        best = max(blinds, key=lambda m: accuracy[m]["overall"])
        out["nextlevel_minus_best_blind_overall"] = _goal(compared[f"{MAIN}_minus_{best}"]["overall"],
                                                          goals.over_blind_overall, best)
    frozen = compared.get(f"{MAIN}_minus_frozen_chunks", {})
    for kind in ORDER_KINDS:
        if kind in frozen:
            out[f"nextlevel_minus_frozen_chunks_{kind}"] = _goal(frozen[kind], goals.over_frozen_chunks_order,
                                                                 "frozen_chunks")
    return out


def _goal(ci: dict, target: float, control: str) -> dict:
    return {"control": control, "points": ci["points"], "lo": ci["lo"], "hi": ci["hi"], "target": target,
            "met": bool(ci["points"] >= target and ci["lo"] > 0)}


def question_ids(video_ids: Sequence[str]) -> list[str]:
    """``<video_id>#<k>``: the k-th question about that video in table order (stable across runs)."""
    seen: dict[str, int] = {}
    ids = []
    for video_id in video_ids:
        ids.append(f"{video_id}#{seen.get(video_id, 0)}")
        seen[video_id] = seen.get(video_id, 0) + 1
    return ids
