"""The NextLevel control rows of the downstream table: untrained init, shuffled chunks (tiny models, CPU)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from nlv_kedro.models.config import NextLevelConfig
from nlv_kedro.training.artifact import TopModelArtifact, pooled_vectors
from nlv_kedro.training.data import Sequences
from nlv_kedro.training.downstream import control_vectors, shuffle_chunks, untrained_network

DIM = 6


def _sequences(n: int = 5, seed: int = 0) -> Sequences:
    rng = np.random.default_rng(seed)
    lengths = [4 + i for i in range(n)]
    vectors = [rng.normal(size=(t, DIM)).astype(np.float32) for t in lengths]
    times = [np.stack([np.arange(t), np.arange(t) + 1], axis=1).astype(np.float32) for t in lengths]
    return Sequences([f"v{i}" for i in range(n)], vectors, times)


def _artifact(pooling: str = "temporal", use_time: bool = True, seed: int = 1, order_blind: bool = False,
              ) -> TopModelArtifact:
    """A 'trained' top model: a random init under another seed, so its weights differ from the control's."""
    config = NextLevelConfig(input_dim=DIM, d_model=16, n_layers=1, n_heads=2, head_hidden=16, dropout=0.0,
                             max_chunks=16, use_time=use_time, pooling=pooling, head_skip="none")
    network = untrained_network(config, seed)
    with torch.no_grad():
        network.pos_embedding.normal_()  # zero at init: make the trained model see positions
        if order_blind:
            network.pos_embedding.zero_()  # no position and no time input: a permutation-equivariant transformer
    return TopModelArtifact(config, network.state_dict(), np.zeros(DIM, np.float32), np.ones(DIM, np.float32))


def test_untrained_control_differs_from_the_trained_model_and_is_deterministic_per_seed() -> None:
    sequences, artifact = _sequences(), _artifact()
    trained = pooled_vectors(artifact, sequences)
    first, again = control_vectors(sequences, artifact, seed=0), control_vectors(sequences, artifact, seed=0)
    other = control_vectors(sequences, artifact, seed=3)
    assert first["nextlevel_untrained"].shape == trained.shape == (5, 64)  # same pooling: 4 segments x 16
    assert not np.allclose(first["nextlevel_untrained"], trained)
    np.testing.assert_array_equal(first["nextlevel_untrained"], again["nextlevel_untrained"])
    np.testing.assert_array_equal(first["nextlevel_shuffled"], again["nextlevel_shuffled"])
    assert not np.allclose(first["nextlevel_untrained"], other["nextlevel_untrained"])


def test_shuffle_permutes_chunk_vectors_and_keeps_times_in_place() -> None:
    sequences = _sequences()
    shuffled = shuffle_chunks(sequences, seed=0)
    assert shuffled.ids == sequences.ids
    for before, after, t_before, t_after in zip(sequences.vectors, shuffled.vectors, sequences.times, shuffled.times):
        np.testing.assert_array_equal(t_after, t_before)
        np.testing.assert_array_equal(np.sort(after, axis=0), np.sort(before, axis=0))
    assert any(not np.array_equal(a, b) for a, b in zip(sequences.vectors, shuffled.vectors))
    np.testing.assert_array_equal(shuffle_chunks(sequences, 0).vectors[2], shuffled.vectors[2])


def test_shuffled_inference_moves_temporal_pooling_but_not_the_mean_of_an_order_blind_model() -> None:
    sequences = _sequences()
    shuffled = shuffle_chunks(sequences, seed=0)
    blind_mean = _artifact(pooling="mean", use_time=False, order_blind=True)
    np.testing.assert_allclose(pooled_vectors(blind_mean, shuffled), pooled_vectors(blind_mean, sequences), atol=1e-5)
    blind_temporal = TopModelArtifact(blind_mean.config.model_copy(update={"pooling": "temporal"}),
                                      blind_mean.state_dict, blind_mean.mean, blind_mean.std)
    assert not np.allclose(pooled_vectors(blind_temporal, shuffled), pooled_vectors(blind_temporal, sequences),
                           atol=1e-3)
    # a model that sees positions changes even its mean-pooled vector when the chunks move
    aware = _artifact(pooling="mean", use_time=False)
    assert not np.allclose(pooled_vectors(aware, shuffled), pooled_vectors(aware, sequences), atol=1e-3)


def test_head_accuracy_reports_non_empty_class_groups_and_per_video_correctness() -> None:
    from nlv_kedro.training.downstream import _head_accuracy

    test = pd.DataFrame({"label": ["parts_abc", "parts_bca", "plain", "plain"],
                         "order_dependent": [True, True, False, False]})
    out = _head_accuracy(np.array([True, False, True, True]), test,
                         {"structure": ["parts_abc", "parts_bca", "footage_forward"], "absent": ["nothing"]})
    assert out["head_top1"] == 0.75 and out["head_top1_order_dependent"] == 0.5 and out["head_top1_other"] == 1.0
    assert out["head_top1_structure"] == 0.5 and "head_top1_absent" not in out
    assert out["correct"] == [1, 0, 1, 1]
