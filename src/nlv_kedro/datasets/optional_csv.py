"""A pandas CSV table that may not exist yet: `unlabeled_index` in a data folder ingested before the pool existed."""

from __future__ import annotations

import pandas as pd
from kedro.io.core import get_filepath_str
from kedro_datasets.pandas import CSVDataset


class OptionalCSVDataset(CSVDataset):
    """``pandas.CSVDataset`` whose missing file loads as ``None`` (readers treat it as an empty table)."""

    def load(self) -> pd.DataFrame | None:
        path = get_filepath_str(self._get_load_path(), self._protocol)
        if not self._fs.exists(path):
            return None
        return super().load()

    def _exists(self) -> bool:
        return True  # always loadable: a missing file is the documented value None
