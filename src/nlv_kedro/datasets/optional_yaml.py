"""A YAML dataset whose absence is a value: loading a missing file returns ``None``.

Used for `best_params`, the output of the optional `tune` pipeline that `pretrain` reads: pretraining
must keep working when no study has run. Reads use ``yaml.safe_load`` (plain data only); writes are atomic.
"""

from __future__ import annotations

from typing import Any

import yaml

from nlv_kedro.datasets.optional_json import OptionalFileDataset


class OptionalYAMLDataset(OptionalFileDataset):
    """YAML file <-> plain Python data; a missing file loads as ``None`` instead of failing the run."""

    FORMAT = "YAML"

    def _parse(self, text: str) -> Any:
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(str(exc)) from exc

    def _dump(self, data: Any) -> str:
        return yaml.safe_dump(data, sort_keys=True, default_flow_style=False)
