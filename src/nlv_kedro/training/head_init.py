"""LP-FT's first step: start a fine-tuned model's linear head as a logistic-regression probe of the pretrained
features (Kumar et al. 2022), so the first gradients of a random head do not distort the pretrained weights."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

PROBE_C = 1.0  # the probe's inverse L2 strength on standardized features (sklearn's default)


def probe_head(features: np.ndarray, labels: np.ndarray, n_classes: int, seed: int = 0,
               ) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) pooled train vectors and their class indices -> (n_classes, D) weight and (n_classes,) bias of a
    linear head on the *raw* vectors that computes the probe's logits (the standardization is folded in).
    Classes absent from ``labels`` get zero weights and the lowest bias."""
    if len(np.unique(labels)) < 2:
        raise ValueError("a probe head needs labelled train videos of at least two classes")
    scaler = StandardScaler().fit(features)
    probe = LogisticRegression(C=PROBE_C, max_iter=2000, random_state=seed)
    probe.fit(scaler.transform(features), labels)
    coef, intercept = probe.coef_, probe.intercept_
    if len(probe.classes_) == 2:  # sklearn keeps one row for two classes: logit(class 1) - logit(class 0)
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.concatenate([-intercept / 2, intercept / 2])
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    weight = np.zeros((n_classes, features.shape[1]), np.float32)
    bias = np.full(n_classes, float(intercept.min()) - 10.0, np.float32)
    weight[probe.classes_] = coef / scale
    bias[probe.classes_] = intercept - (coef / scale) @ scaler.mean_
    return weight, bias
