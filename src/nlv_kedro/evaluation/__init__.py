"""Downstream evaluation of frozen embeddings: linear probe, text-video retrieval, clustering.

Pure numpy / scikit-learn / torch; no Kedro, no I/O.
"""

from nlv_kedro.evaluation.clustering import cluster_metrics, purity
from nlv_kedro.evaluation.probe import evaluate_probe, few_shot_indices, fit_probe, probe_curve, topk_accuracy
from nlv_kedro.evaluation.retrieval import retrieval_metrics, text_video_retrieval, train_projection

__all__ = [
    "cluster_metrics",
    "evaluate_probe",
    "few_shot_indices",
    "fit_probe",
    "probe_curve",
    "purity",
    "retrieval_metrics",
    "text_video_retrieval",
    "topk_accuracy",
    "train_projection",
]
