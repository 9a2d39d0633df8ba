"""kedro-datasets' ``YAMLDataset`` whose absence is a value: loading a missing file returns ``None``.

Used for `best_params`, the output of the optional `tune` pipeline that `pretrain` reads: pretraining
must keep working when no study has run. Reads use ``yaml.safe_load`` (the library's), writes
``yaml.safe_dump`` (plain data only), atomically.
"""

from __future__ import annotations

from typing import Any

import yaml
from kedro_datasets.yaml import YAMLDataset

from nlv_kedro.datasets.optional import OptionalFileMixin


class OptionalYAMLDataset(OptionalFileMixin, YAMLDataset):
    """YAML file <-> plain Python data; a missing file loads as ``None`` instead of failing the run."""

    FORMAT = "YAML"
    DEFAULT_SAVE_ARGS: dict[str, Any] = {"default_flow_style": False, "sort_keys": True}

    def _dump(self, data: Any) -> bytes:
        return yaml.safe_dump(data, **self._save_args).encode("utf-8")
