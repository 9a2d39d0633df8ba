"""Great Expectations validation of the probed video table.

The suite is built in code from the ingest parameters. Row-level expectations run with
``result_format="COMPLETE"`` so every failing row is known by index: those rows go to quarantine
with the expectation's meaning as the reason, and the run continues with the rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ValidationRules:
    min_duration_s: float
    max_duration_s: float | None
    min_width: int
    min_height: int
    min_fps: float
    max_fps: float
    allowed_splits: tuple[str, ...]
    require_labels: bool
    unlabeled_splits: tuple[str, ...] = ()  # rows in these splits need no label


def build_expectations(rules: ValidationRules) -> list[tuple[Any, str]]:
    """Each expectation with the quarantine reason for a row that fails it."""
    import great_expectations as gx  # slow to import (seconds): only ingest's validation needs it
    e = gx.expectations
    between = f"between {rules.min_duration_s} s and {rules.max_duration_s} s"
    items: list[tuple[Any, str]] = [
        (e.ExpectColumnValuesToNotBeNull(column="video_id"), "missing video_id"),
        (e.ExpectColumnValuesToBeUnique(column="video_id"), "duplicate video_id"),
        (
            e.ExpectColumnValuesToBeBetween(
                column="duration_s", min_value=rules.min_duration_s, max_value=rules.max_duration_s
            ),
            f"duration outside the allowed range ({between})",
        ),
        (
            e.ExpectColumnValuesToBeBetween(column="width", min_value=rules.min_width),
            f"width below the minimum of {rules.min_width} px",
        ),
        (
            e.ExpectColumnValuesToBeBetween(column="height", min_value=rules.min_height),
            f"height below the minimum of {rules.min_height} px",
        ),
        (
            e.ExpectColumnValuesToBeBetween(column="fps", min_value=rules.min_fps, max_value=rules.max_fps),
            f"frame rate outside {rules.min_fps}-{rules.max_fps} fps",
        ),
        (
            e.ExpectColumnValuesToBeInSet(column="split", value_set=list(rules.allowed_splits)),
            f"split not one of {list(rules.allowed_splits)}",
        ),
    ]
    if rules.require_labels and rules.unlabeled_splits:
        items.append((e.ExpectColumnValuesToNotBeNull(
            column="label", row_condition=f"split not in {list(rules.unlabeled_splits)}", condition_parser="pandas"),
            f"label missing (labels are required outside the unlabeled splits {list(rules.unlabeled_splits)})"))
    elif rules.require_labels:
        items.append((e.ExpectColumnValuesToNotBeNull(column="label"), "label missing (labels are required)"))
    return items


def validate_table(table: pd.DataFrame, rules: ValidationRules) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Split ``table`` into (accepted, rejected rows with reasons) and return the GX result as a dict."""
    import great_expectations as gx
    table = table.reset_index(drop=True)
    checked = table.copy()
    # GX treats NaN/None as null; empty strings from CSVs mean "not given".
    for column in ("video_id", "label", "split"):
        checked[column] = checked[column].replace("", None)
    expectations = build_expectations(rules)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("ingest")
        .add_dataframe_asset("video_table")
        .add_batch_definition_whole_dataframe("all_rows")
    )
    suite = gx.ExpectationSuite(name="video_index")
    for expectation, _ in expectations:
        suite.add_expectation(expectation)
    suite = context.suites.add(suite)
    result = batch_definition.get_batch(batch_parameters={"dataframe": checked}).validate(
        suite, result_format="COMPLETE"
    )
    reasons: dict[int, list[str]] = {}
    for outcome, (_, reason) in zip(result.results, expectations):
        for index in outcome.result.get("unexpected_index_list") or []:
            reasons.setdefault(int(index), []).append(reason)
    _keep_first_duplicate(checked, reasons)
    bad = sorted(reasons)
    rejected = table.loc[bad, ["video_id", "path"]].copy()
    rejected["stage"] = "validate"
    rejected["reason"] = ["; ".join(reasons[i]) for i in bad]
    accepted = table.drop(index=bad).reset_index(drop=True)
    return accepted, rejected.reset_index(drop=True), result.to_json_dict()


def _keep_first_duplicate(table: pd.DataFrame, reasons: dict[int, list[str]]) -> None:
    """GX flags every copy of a duplicated id; keep the first copy unless it fails for another reason."""
    first_copies = table.index[table["video_id"].notna() & ~table.duplicated("video_id", keep="first")]
    for index in first_copies:
        if reasons.get(index) == ["duplicate video_id"]:
            del reasons[index]
