"""Markdown table of the JSON lines experiments/objective_trials.py wrote (docs/pretraining_objective.md).

    python experiments/objective_table.py objective_trials.jsonl
"""

from __future__ import annotations

import json
import sys

HEADER = ("| trial | s | own masks: model / shrunk interp. | own: model − shrunk [95% CI] | default masks: model / "
          "shrunk interp. | default: model − shrunk [95% CI] | default, standardized: model / interp. "
          "[CI of diff] | probe trained / untrained [CI of diff] | order-dep. trained / untrained |")


def _ci(d: dict, key: str) -> str:
    return f"{d[key]:+.4f} [{d[key + '_lo']:+.4f}, {d[key + '_hi']:+.4f}]"


def row(r: dict) -> str:
    own, common = r["own"], r["common"]
    z = (f"{common['cos_pred_standardized']:.4f} / {common['cos_interpolate_neighbours_standardized']:.4f} "
         f"[{common['gain_over_interpolation_standardized_lo']:+.4f}, "
         f"{common['gain_over_interpolation_standardized_hi']:+.4f}]")
    lo, hi = r["probe_gain_ci"]
    return (f"| {r['trial']} | {r['seconds']:.0f} | {own['cos_pred']:.4f} / {own['cos_interpolate_shrunk']:.4f} | "
            f"{_ci(own, 'gain_over_shrunk_interpolation')} | {common['cos_pred']:.4f} / "
            f"{common['cos_interpolate_shrunk']:.4f} | {_ci(common, 'gain_over_shrunk_interpolation')} | {z} | "
            f"{100 * r['probe_top1']:.1f} / {100 * r['probe_untrained_top1']:.1f} [{100 * lo:+.1f}, {100 * hi:+.1f}] | "
            f"{100 * r['probe_order_top1']:.1f} / {100 * r['probe_untrained_order_top1']:.1f} |")


def main(path: str) -> int:
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    with open(path) as f:
        for line in f:
            print(row(json.loads(line)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
