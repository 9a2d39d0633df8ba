"""A ``MatplotlibDataset`` that can also be loaded: it saves a figure as PNG and loads that PNG's bytes.

Kedro-Viz previews it like any ``matplotlib.MatplotlibDataset`` (the preview is inherited), and the report
node embeds the very file a plot node saved, so the HTML report never redraws a figure. Saving also accepts
PNG bytes, so a plot can be copied from one catalog entry to another.
"""

from __future__ import annotations

import io

from kedro.io import DatasetError
from kedro_datasets.matplotlib import MatplotlibDataset
from kedro.io.core import get_filepath_str
from matplotlib.figure import Figure


class PlotDataset(MatplotlibDataset):
    """Save: a matplotlib ``Figure`` (or PNG bytes). Load: the saved PNG as ``bytes``."""

    def __init__(self, *, filepath: str, save_args: dict | None = None, **kwargs) -> None:  # noqa: ANN003
        super().__init__(filepath=filepath, save_args={"format": "png", "dpi": 110, "bbox_inches": "tight",
                                                       **(save_args or {})}, **kwargs)

    def load(self) -> bytes:  # type: ignore[override]
        path = get_filepath_str(self._get_load_path(), self._protocol)
        if not self._fs.exists(path):
            raise DatasetError(f"no plot at {path}: run `kedro run --pipelines=report` to draw it")
        with self._fs.open(path, mode="rb") as handle:
            return handle.read()

    def save(self, data: Figure | bytes) -> None:  # type: ignore[override]
        if isinstance(data, bytes | bytearray):
            with self._fs.open(get_filepath_str(self._get_save_path(), self._protocol), mode="wb") as handle:
                handle.write(bytes(data))
            self._invalidate_cache()
            return
        super().save(data)


def figure_png(figure: Figure | bytes, dpi: int = 110) -> bytes:
    """PNG bytes of ``figure`` (bytes pass through): what the report embeds."""
    if isinstance(figure, bytes | bytearray):
        return bytes(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()
