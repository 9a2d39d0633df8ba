"""A readable Markdown rendering of a Great Expectations validation result."""

from __future__ import annotations

import pandas as pd


def validation_markdown(result: dict, n_rows: int, rejected: pd.DataFrame) -> str:
    """Summarise each expectation (pass/fail, failing count, examples) and the rejected rows."""
    stats = result.get("statistics", {})
    lines = [
        "# Ingest validation (Great Expectations)",
        "",
        f"Suite `{result.get('suite_name', '')}` on {n_rows} probed videos: "
        f"{stats.get('successful_expectations', 0)}/{stats.get('evaluated_expectations', 0)} expectations met.",
        "",
        "| expectation | column | success | failing rows | examples |",
        "|---|---|---|---|---|",
    ]
    for outcome in result.get("results", []):
        config = outcome.get("expectation_config", {})
        kwargs = config.get("kwargs", {})
        details = outcome.get("result", {})
        examples = ", ".join(str(v) for v in (details.get("partial_unexpected_list") or [])[:3])
        lines.append(
            f"| {config.get('type', '')} | {kwargs.get('column', '')} | {'yes' if outcome.get('success') else 'no'}"
            f" | {details.get('unexpected_count', 0)} | {examples} |"
        )
    if len(rejected):
        lines += ["", "## Rows rejected by validation", "", "| video_id | path | reason |", "|---|---|---|"]
        lines += [f"| {r.video_id} | {r.path} | {r.reason} |" for r in rejected.itertuples()]
    return "\n".join(lines) + "\n"
