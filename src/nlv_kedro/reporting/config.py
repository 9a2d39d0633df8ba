"""The report settings (the schema of ``parameters_report.yml``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nlv_kedro.config import Strict


class ReportConfig(Strict):
    """How the report is drawn; what it says comes from the persisted results only."""

    title: str = "NextLevelVideo: research report"
    embedding_map_split: Literal["all", "train", "val", "test"] = "all"
    collapse_min_pred_std: float = Field(0.05, ge=0, description="val prediction std below this = collapse suspected")
    collapse_min_effective_rank: float = Field(2.0, ge=1, description="effective rank below this = collapse suspected")
    max_table_rows: int = Field(25, ge=1, description="longest quarantine / node-timing table")
    markdown_plot_dir: str = Field("plots", description="plot folder relative to report.md (as in catalog_report.yml)")
