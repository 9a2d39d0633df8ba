"""Rows of the downstream tables and the headline comparisons, from ``downstream_metrics`` (its methods and its
``comparisons`` block of paired bootstrap CIs; schema in :mod:`nlv_kedro.evaluation.comparisons`)."""

from __future__ import annotations

from nlv_kedro.evaluation.comparisons import method_results
from nlv_kedro.evaluation.stats import format_ci
from nlv_kedro.reporting.figures import label
from nlv_kedro.reporting.render import pct

REFERENCES = (("vs_best_baseline", "best baseline"), ("vs_untrained", "untrained control"))


def probe_subsets(downstream: dict) -> list[str]:
    """The class subsets scored by the full probe (``top1_<subset>`` keys), in the order they first appear."""
    names: list[str] = []
    for tasks in method_results(downstream).values():
        for key in tasks.get("probe", {}).get("full", {}):
            if key.startswith("top1_") and key[5:] not in names:
                names.append(key[5:])
    return names


def probe_rows(downstream: dict, subsets: list[str]) -> list[list]:
    """One row per method: full-probe test top-1, top-5 and top-1 per subset (percent)."""
    return [[label(m), *(pct(t["probe"]["full"].get(k)) for k in ("top1", "top5", *(f"top1_{s}" for s in subsets)))]
            for m, t in method_results(downstream).items() if "full" in t.get("probe", {})]


def _ci(result: dict | None) -> tuple[str, str]:
    if result is None:
        return "–", "–"
    return f"{format_ci(result)} (n={result['n']})", "yes" if result["beats"] else "no"


def comparison_rows(downstream: dict) -> list[list]:
    """NextLevel probe rows against the best baseline and the untrained control: difference in top-1 points
    with its 95% CI and whether the CI excludes 0, overall and per subset."""
    probe = downstream.get("comparisons", {}).get("probe", {})
    rows = []
    for method, against in probe.items():
        subsets = list(dict.fromkeys(s for ref in against.values() for s in ref if s != "against"))
        for subset in subsets:
            cells = [c for key, _ in REFERENCES for c in _ci(against.get(key, {}).get(subset))]
            rows.append([label(method), subset.replace("_", "-"), *cells])
    return rows


def finetune_rows(downstream: dict) -> list[list]:
    """The fine-tuned NextLevel head against the same architecture trained from scratch (head test top-1)."""
    head = downstream.get("comparisons", {}).get("finetune_head", {}).get("nextlevel_finetuned", {}).get("vs_scratch")
    if not head:
        return []
    return [[subset.replace("_", "-"), *_ci(result)] for subset, result in head.items() if subset != "against"]


def headline_comparisons(downstream: dict) -> dict:
    """``report_summary.downstream`` keys of the comparisons: the best baseline, overall CIs per NextLevel method
    (diff, lo, hi, beats) and the beats maps (true only when the CI's lower bound is above 0)."""
    block = downstream.get("comparisons", {})
    overall = {m: {key: {k: r["overall"][k] for k in ("diff", "lo", "hi", "beats")} for key, r in refs.items()}
               for m, refs in block.get("probe", {}).items()}
    head = block.get("finetune_head", {}).get("nextlevel_finetuned", {}).get("vs_scratch")
    return {
        "best_baseline_method": block.get("best_baseline"),
        "comparisons": overall,
        "beats_baselines": {m: r["vs_best_baseline"]["beats"] for m, r in overall.items() if "vs_best_baseline" in r},
        "beats_untrained": {m: r["vs_untrained"]["beats"] for m, r in overall.items() if "vs_untrained" in r},
        "finetune_head_vs_scratch": None if not head else {k: head["overall"][k]
                                                           for k in ("diff", "lo", "hi", "beats")},
    }


def label_efficiency_rows(downstream: dict) -> list[list]:
    """Head test top-1 with k labels per class: from scratch, fine-tuned, and their difference with its CI."""
    return [[k, pct(row["transformer_scratch"]["head_top1"]), pct(row["nextlevel_finetuned"]["head_top1"]),
             *_ci(row["vs_scratch"])] for k, row in downstream.get("label_efficiency", {}).items()]


def curve_rows(downstream: dict) -> list[list]:
    """Few-shot probe points: NextLevel minus its references at each shot count both ran (draws averaged)."""
    rows = []
    for method, against in downstream.get("comparisons", {}).get("curve", {}).items():
        for key, title in REFERENCES:
            block = against.get(key, {})
            for k, result in ((k, r) for k, r in block.items() if k != "against"):
                rows.append([label(method), f"{title} ({label(block['against'])})", k, *_ci(result)])
    return rows
