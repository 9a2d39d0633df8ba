"""MLflow pyfunc wrapper of the top model: chunk-embedding sequences in, contextual and pooled vectors out.

Logged as "model from code" (``pyfunc_entry.py``), so MLflow stores this package's code path and the
safetensors/JSON artifact, never a pickle of Python objects. Load it in any process that has
``nlv_kedro`` installed, without a Kedro session::

    model = mlflow.pyfunc.load_model("models:/nextlevel-video@champion")
    out = model.predict({"embeddings": [video1_chunks, video2_chunks]})   # each (T_i, input_dim)
    out["pooled"]        # (2, pooled_dim): d_model, or d_model * pool_segments for temporal pooling
    out["contextual"]    # list of (T_i, d_model)

``embeddings`` may also be one padded array (B, T, D) with ``lengths`` (B,); optional ``times`` gives
each chunk's (start, end) seconds, shaped like the embeddings' first two axes plus 2.
"""

from __future__ import annotations

from typing import Any

import mlflow
import numpy as np

from nlv_kedro.training.artifact import TopModelArtifact

ARTIFACT_KEY = "top_model"


class NextLevelPyfunc(mlflow.pyfunc.PythonModel):
    def load_context(self, context: Any) -> None:
        self.artifact = TopModelArtifact.load(context.artifacts[ARTIFACT_KEY])
        self.model = self.artifact.build()

    def predict(self, context, model_input, params=None):  # noqa: ANN001, ANN201 - MLflow rejects non-list type hints here
        vectors, times = _sequences(model_input)
        contextual, pooled = self.artifact.embed(vectors, times, model=self.model)
        return {"contextual": contextual, "pooled": pooled}


def _sequences(model_input: Any) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    if not isinstance(model_input, dict) or "embeddings" not in model_input:
        raise ValueError("input must be a dict with 'embeddings': a list of (T_i, D) arrays or a (B, T, D) array")
    embeddings = model_input["embeddings"]
    times = model_input.get("times")
    if isinstance(embeddings, np.ndarray) and embeddings.ndim == 3:
        lengths = np.asarray(model_input.get("lengths", [embeddings.shape[1]] * len(embeddings)), dtype=int)
        vectors = [embeddings[i, : n] for i, n in enumerate(lengths)]
        times = [np.asarray(times)[i, : n] for i, n in enumerate(lengths)] if times is not None else None
        return vectors, times
    vectors = [np.asarray(v, np.float32) for v in embeddings]
    if any(v.ndim != 2 for v in vectors):
        raise ValueError("each video's embeddings must be 2-D (T_i, D)")
    return vectors, [np.asarray(t, np.float32) for t in times] if times is not None else None
