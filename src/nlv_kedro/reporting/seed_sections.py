"""Report section and summary of the seed study (`seed_study`: schema in :mod:`nlv_kedro.studies.seeds`)."""

from __future__ import annotations

from nlv_kedro.evaluation.stats import format_ci
from nlv_kedro.reporting.figures import label
from nlv_kedro.reporting.render import Section, Table

_NOT_RUN = "**Not run**: `kedro run --pipelines=seeds` writes it (one pretraining per extra seed)."
_CONTROLS = (("untrained", "untrained (same architecture)"), ("meanpool_contextual", "contextual mean-pooled"),
             ("mean_pool", "mean-pool (frozen)"), ("best_frozen_baseline", "best frozen pooling"))


def _spread(row: dict | None) -> str:
    return "–" if not row else f"{100 * row['mean']:.1f} ± {100 * row['std']:.1f}"


def seed_study_section(result: dict | None) -> Section:
    """Per-method test top-1 (mean ± std over seeds) and NextLevel minus each control with its 95% CI."""
    title = "Pretraining seeds against their controls (test split)"
    if not result or result.get("disabled"):
        return Section("seed-study", title, [_NOT_RUN])
    subsets = ["overall", *result["subset_sizes"]]
    rows = [[label(m), *(_spread(s.get(k)) for k in subsets)] for m, s in result["methods"].items()]
    diffs = []
    for subset in subsets:
        row = result["comparisons"].get(subset, {})
        cells = [format_ci(row[key]) if key in row else "–" for key, _ in _CONTROLS]
        best = row.get("best_frozen_baseline", {}).get("name")
        diffs.append([subset, *cells, label(best) if best else "–"])
    goal_rows = [[name, f"{g['points']:+.1f}", f"[{g['ci'][0]:+.1f}, {g['ci'][1]:+.1f}]", f"{g['target']:+.1f}",
                  "met" if g["met"] else "not met"] for name, g in result["goals"].items()]
    sizes = ", ".join(f"{k} {v}" for k, v in result["subset_sizes"].items())
    return Section("seed-study", title, [
        f"The pretraining recipe with seeds {result['seeds']}, each probed (C chosen on val) on "
        f"{len(result['test_video_ids'])} test videos ({sizes}). The untrained control is the same architecture "
        "with the same seed's random init and the same pooling; frozen baselines have no seed. Differences are "
        "NextLevel minus the control in points, with paired bootstrap 95% CIs over test videos (seeds averaged "
        "per video); a difference counts only when its CI excludes 0.",
        Table(["method", *subsets], rows, "Test top-1 %, mean ± std over seeds"),
        Table(["classes", *(name for _, name in _CONTROLS), "best frozen pooling is"], diffs,
              "NextLevel minus control, points [95% CI]"),
        Table(["goal", "points", "95% CI", "target", ""], goal_rows, "Goals (met only when the CI excludes 0)"),
    ])


def seeds_summary(result: dict | None) -> dict:
    """``report_summary.seeds``: ran, seeds, top1 {method: {mean, std}}, goals."""
    if not result or result.get("disabled"):
        return {"ran": False, "seeds": None, "top1": None, "goals": None}
    top1 = {m: {"mean": s["overall"]["mean"], "std": s["overall"]["std"]} for m, s in result["methods"].items()}
    return {"ran": True, "seeds": result["seeds"], "top1": top1, "goals": result["goals"]}
