"""Downstream evaluation of frozen embeddings: linear probe, text-video retrieval, clustering.

Pure numpy / scikit-learn / torch; no Kedro, no I/O.
"""

from nlv_kedro.lazy import lazy_exports

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

# name -> submodule; imported on first use, so importing the package stays torch-free
_EXPORTS = {
    "cluster_metrics": "clustering",
    "purity": "clustering",
    "evaluate_probe": "probe",
    "few_shot_indices": "probe",
    "fit_probe": "probe",
    "probe_curve": "probe",
    "topk_accuracy": "probe",
    "retrieval_metrics": "retrieval",
    "text_video_retrieval": "retrieval",
    "train_projection": "retrieval",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
