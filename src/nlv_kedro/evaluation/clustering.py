"""Unsupervised view of embedding quality: k-means against known labels (NMI, ARI, purity)."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix


def purity(labels_true: np.ndarray, labels_pred: np.ndarray) -> float:
    """Share of points whose cluster's majority true label is their own label (1.0 = every cluster pure).

    Invariant to renaming clusters; note it rewards over-clustering, hence reported alongside NMI/ARI.
    """
    labels_true, labels_pred = np.asarray(labels_true), np.asarray(labels_pred)
    if labels_true.shape != labels_pred.shape or labels_true.ndim != 1:
        raise ValueError(f"labels must be 1-D and aligned; got {labels_true.shape} and {labels_pred.shape}")
    if labels_true.size == 0:
        raise ValueError("purity of an empty labelling is undefined")
    contingency = contingency_matrix(labels_true, labels_pred)  # (classes, clusters)
    return float(contingency.max(axis=0).sum() / labels_true.size)


def cluster_metrics(x: np.ndarray, labels: np.ndarray, seed: int = 0, n_init: int = 10) -> dict[str, float]:
    """k-means with k = number of distinct labels; returns ``nmi``, ``ari`` and ``purity``.

    Features are standardized per dimension (removing the common offset that embedding spaces often have)
    then L2-normalized, so Euclidean k-means acts on cosine geometry.
    """
    x, labels = np.asarray(x, dtype=np.float64), np.asarray(labels)
    if x.ndim != 2 or len(x) != len(labels):
        raise ValueError(f"x must be (N, D) aligned with labels; got {x.shape} and {labels.shape}")
    k = int(np.unique(labels).size)
    if not 2 <= k <= len(x):
        raise ValueError(f"need between 2 and N={len(x)} distinct labels to cluster, got {k}")
    z = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-12)
    z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    pred = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(z)
    return {
        "nmi": float(normalized_mutual_info_score(labels, pred)),
        "ari": float(adjusted_rand_score(labels, pred)),
        "purity": purity(labels, pred),
    }
