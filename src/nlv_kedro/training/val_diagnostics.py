"""The validation table of masked positions and what is read off it at the end of an epoch: the interpolation
baselines in both spaces, the shrunk interpolation (its factor picked on val, so the baseline is the strongest
of the grid, never weaker than plain interpolation), the cosines by span length and by whether a span crosses a
(proxy) cut, and a paired bootstrap interval over val videos of the model's gain over the interpolation.

One row per masked position of the val split; the columns are :data:`COLUMNS` then one shrunk-interpolation
cosine per factor of :data:`~nlv_kedro.models.diagnostics.SHRINK_FACTORS`. Rows are concatenated over batches
(and ranks, by the caller's CatMetric), so every number below is a mean over masked chunks, and the interval
resamples videos.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from nlv_kedro.evaluation.stats import paired_bootstrap
from nlv_kedro.models.diagnostics import (
    SHRINK_FACTORS,
    SPAN_BUCKETS,
    interpolate_neighbours,
    position_cosines,
    proxy_cuts,
    shrunk_interpolation_cosines,
    span_bucket,
    span_lengths,
    spans_crossing_cut,
)

COLUMNS = ("video", "bucket", "cut", "pred", "pred_z", "interp", "interp_z")


@torch.no_grad()
def masked_rows(pred_raw: Tensor, target_raw: Tensor, pred_z: Tensor, target_z: Tensor, mask: Tensor,
                padding_mask: Tensor, video: Tensor, mean_raw: Tensor) -> Tensor:
    """(N_masked, len(COLUMNS) + len(SHRINK_FACTORS)) float64 rows of one batch; ``video`` (B,) item ids.

    Interpolation cosines are NaN where a masked chunk has no visible neighbour (a video with nothing visible).
    """
    B, T = mask.shape
    interp_raw, usable = interpolate_neighbours(target_raw, mask, padding_mask)
    interp_z, _ = interpolate_neighbours(target_z, mask, padding_mask)
    shrunk, _ = shrunk_interpolation_cosines(target_raw, mask, padding_mask, mean_raw)  # (F, B, T)
    nan = torch.tensor(float("nan"), device=mask.device)
    gate = lambda cos: torch.where(usable, cos, nan)  # noqa: E731
    cuts = spans_crossing_cut(mask, proxy_cuts(target_raw, padding_mask))
    columns = [video.to(mask.device).reshape(B, 1).expand(B, T).float(), span_bucket(span_lengths(mask)).float(),
               cuts.float(), position_cosines(pred_raw, target_raw), position_cosines(pred_z, target_z),
               gate(position_cosines(interp_raw, target_raw)), gate(position_cosines(interp_z, target_z)),
               *(gate(c) for c in shrunk)]
    return torch.stack(columns, dim=-1)[mask].double()  # (N, C)


def _mean(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else float("nan")


def _bucket_metrics(rows: dict[str, np.ndarray], shrunk: np.ndarray) -> dict[str, float]:
    """Model and interpolation cosines (both spaces, and the shrunk interpolation) by span length and cut."""
    groups = {name: rows["bucket"] == i for i, (_, _, name) in enumerate(SPAN_BUCKETS)}
    groups.update({"cut": rows["cut"] > 0, "nocut": rows["cut"] == 0})
    out: dict[str, float] = {}
    for name, keep in groups.items():
        out[f"val/share_{name}"] = float(keep.mean()) if keep.size else float("nan")
        out[f"val/cos_pred_{name}"] = _mean(rows["pred"][keep])
        out[f"val/cos_interpolate_{name}"] = _mean(rows["interp"][keep])
        out[f"val/cos_interpolate_shrunk_{name}"] = _mean(shrunk[keep])
        out[f"val/cos_pred_{name}_standardized"] = _mean(rows["pred_z"][keep])
        out[f"val/cos_interpolate_{name}_standardized"] = _mean(rows["interp_z"][keep])
    return out


def _per_video_gain(video: np.ndarray, model: np.ndarray, baseline: np.ndarray, prefix: str) -> dict[str, float]:
    """Paired bootstrap over videos of mean(model - baseline) per video -> ``<prefix>``, ``_lo``, ``_hi``."""
    keep = np.isfinite(model) & np.isfinite(baseline)
    ids = np.unique(video[keep])
    if ids.size == 0:
        return {prefix: float("nan"), f"{prefix}_lo": float("nan"), f"{prefix}_hi": float("nan")}
    a = np.array([model[keep & (video == v)].mean() for v in ids])
    b = np.array([baseline[keep & (video == v)].mean() for v in ids])
    ci = paired_bootstrap(a, b)
    return {prefix: ci["diff"], f"{prefix}_lo": ci["lo"], f"{prefix}_hi": ci["hi"]}


def summarize(table: Tensor) -> dict[str, float]:
    """Epoch metrics from the concatenated rows of :func:`masked_rows` (see the module docstring); metrics
    without a value (no rows in a bucket) are left out."""
    data = table.double().cpu().numpy().reshape(-1, len(COLUMNS) + len(SHRINK_FACTORS))
    rows = {name: data[:, i] for i, name in enumerate(COLUMNS)}
    shrunk_all = data[:, len(COLUMNS):]  # (N, F)
    means = [_mean(shrunk_all[:, f]) for f in range(len(SHRINK_FACTORS))]
    best = int(np.nanargmax(means)) if np.isfinite(means).any() else len(SHRINK_FACTORS) - 1
    shrunk = shrunk_all[:, best]
    metrics = {
        "val/cos_interpolate_shrunk": means[best], "val/interpolate_shrink_factor": float(SHRINK_FACTORS[best]),
        "val/cos_interpolate_neighbours_standardized": _mean(rows["interp_z"]),
        **_bucket_metrics(rows, shrunk),
        **_per_video_gain(rows["video"], rows["pred"], shrunk, "val/gain_over_shrunk_interpolation"),
        **_per_video_gain(rows["video"], rows["pred_z"], rows["interp_z"],
                          "val/gain_over_interpolation_standardized"),
    }
    # an empty bucket (e.g. no span of 4+ chunks) has no mean: leave it out rather than log NaN, which also keeps
    # a resumed run's history equal to the saved one (NaN != NaN)
    return {key: value for key, value in metrics.items() if np.isfinite(value)}
