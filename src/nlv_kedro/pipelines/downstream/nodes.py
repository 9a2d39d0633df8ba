"""Downstream nodes: the library's vector building and evaluation, typed with `params:downstream`.

`downstream_metrics` schema: see :mod:`nlv_kedro.evaluation.downstream`.
"""

from nlv_kedro.evaluation.downstream import (
    evaluate_action_recognition,
    evaluate_clustering,
    evaluate_retrieval,
    summarize_downstream,
)
from nlv_kedro.training.downstream import build_video_vectors

__all__ = ["build_video_vectors", "evaluate_action_recognition", "evaluate_clustering", "evaluate_retrieval",
           "summarize_downstream"]
