"""Report figures of a study (matplotlib, saved by the catalog as PNG files)."""

from __future__ import annotations

import logging
import warnings

import optuna
import optuna.visualization.matplotlib as ov
from matplotlib.figure import Figure
from optuna.trial import TrialState

logger = logging.getLogger(__name__)


def study_figures(study: optuna.Study) -> dict[str, Figure]:
    """``{file name: figure}``: optimization history, intermediate values (what the pruner saw) and
    parallel coordinates always; parameter importances once at least 2 trials completed."""
    n_complete = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
    plots = {
        "optimization_history.png": ov.plot_optimization_history,
        "intermediate_values.png": ov.plot_intermediate_values,
        "parallel_coordinate.png": ov.plot_parallel_coordinate,
    }
    if n_complete >= 2:
        plots["param_importances.png"] = ov.plot_param_importances
    figures: dict[str, Figure] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        for name, plot in plots.items():
            try:
                axes = plot(study)
            except (ValueError, RuntimeError) as exc:  # e.g. importances when no parameter ever varied
                logger.warning("tune: skipping %s: %s", name, exc)
                continue
            figure = axes.figure if not isinstance(axes, Figure) else axes
            figure.set_size_inches(10, 6)
            figure.tight_layout()
            figures[name] = figure
    return figures
