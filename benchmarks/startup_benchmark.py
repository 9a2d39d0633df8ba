"""Start-up benchmark: how long a Kedro command takes before it does any work.

Each command runs in a fresh subprocess (nothing cached in memory), three times; the median is printed.
Goal: `kedro registry list` in <= 5 s, which needs pipeline registration to skip torch, Lightning,
transformers, MLflow's model code, scikit-learn and Optuna (node modules import them inside the nodes).
Run from the repository root:  .venv/bin/python benchmarks/startup_benchmark.py
Exits 0 when the goal is missed: it is a report.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 5.0
COMMANDS: dict[str, list[str]] = {
    "kedro registry list": [sys.executable, "-m", "kedro", "registry", "list"],
    "import nlv_kedro.pipeline_registry": [sys.executable, "-c", "import nlv_kedro.pipeline_registry"],
    "register every pipeline": [sys.executable, "-c", "from kedro.framework.project import configure_project; "
                                "configure_project('nlv_kedro'); from nlv_kedro.pipeline_registry import "
                                "register_pipelines; register_pipelines()"],
}


def time_command(argv: list[str], repeats: int) -> float:
    """Median wall time of ``argv`` over ``repeats`` fresh subprocesses, in seconds."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for name, argv in COMMANDS.items():
        seconds = time_command(argv, args.repeats)
        goal = f"  (goal <= {GOAL_S:.0f} s: {'met' if seconds <= GOAL_S else 'MISSED'})" if "kedro" in argv else ""
        print(f"{name:<36} median of {args.repeats}: {seconds:6.2f} s{goal}")


if __name__ == "__main__":
    main()
