"""kedro-datasets' ``JSONDataset`` whose absence is a value: loading a missing file returns ``None``.

Used for the outputs of optional pipelines (an Optuna study's summary, video QA metrics) that the report
shows when they exist. Writes are atomic, like every artifact of the project, and refuse NaN (not JSON).
"""

from __future__ import annotations

import json
from typing import Any

from kedro_datasets.json import JSONDataset

from nlv_kedro.datasets.optional import OptionalFileMixin


class OptionalJSONDataset(OptionalFileMixin, JSONDataset):
    """JSON file <-> Python object; a missing file loads as ``None``. ``save_args`` go to ``json.dumps``."""

    FORMAT = "JSON"
    DEFAULT_SAVE_ARGS: dict[str, Any] = {"indent": 2, "allow_nan": False}

    def _dump(self, data: Any) -> bytes:
        return (json.dumps(data, **self._save_args) + "\n").encode("utf-8")
