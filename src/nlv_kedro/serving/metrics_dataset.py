"""An MLflow metrics dataset whose ``prefix`` is a namespace, not a second prefix.

kedro-mlflow's ``MlflowMetricsHistoryDataset`` prepends ``prefix`` (by default the dataset's catalog name) to
every key, so keys a library already namespaced read ``downstream_mlflow_metrics.downstream.mean_pool...``.
Here a key that already starts with ``<prefix>.`` is logged as it is: ``downstream.mean_pool.probe.full.top1``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from kedro_mlflow.io.metrics import MlflowMetricsHistoryDataset


class NamespacedMetricsHistoryDataset(MlflowMetricsHistoryDataset):
    """``prefix`` is required: it names the metrics' namespace in the run (and what ``load`` reads back)."""

    def __init__(self, prefix: str, run_id: str | None = None, metadata: dict[str, Any] | None = None) -> None:
        if not prefix:
            raise ValueError("NamespacedMetricsHistoryDataset needs a prefix (e.g. 'downstream')")
        super().__init__(run_id=run_id, prefix=prefix, metadata=metadata)

    def _build_args_list_from_metric_item(self, key: str, value: Any) -> Generator[tuple, None, None]:
        if key.startswith(f"{self._prefix}."):
            key = key[len(self._prefix) + 1:]
        return super()._build_args_list_from_metric_item(key, value)

    def _is_dataset_metric(self, key: str) -> bool:
        return key.startswith(f"{self._prefix}.")
