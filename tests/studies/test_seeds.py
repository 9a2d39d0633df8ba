"""The seed study: every seed trained and probed on test, controls side by side, CIs, goals only with CIs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nlv_kedro.studies.seeds as seeds
from nlv_kedro.datasets.embedding_store import EmbeddingStore
from nlv_kedro.studies.params import SeedStudyParams
from nlv_kedro.studies.seeds import goals, run_seed_study
from tests.conftest import tiny_pretrain_params

DIM = 12
GROUPS = {"structure": ["ab", "ba"]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, EmbeddingStore, Path]:
    """Classes `ab` and `ba` hold the same two contents in opposite order (order-blind pooling is at chance);
    `c` and `d` differ in content (order-independent)."""
    root = tmp_path_factory.mktemp("seeds")
    rng = np.random.default_rng(0)
    store, rows = EmbeddingStore(root / "store"), []
    a, b, c, d = rng.normal(size=(4, DIM)) * 2
    content = {"ab": (a, b), "ba": (b, a), "c": (c, c), "d": (d, d)}
    for i in range(64):
        label = ["ab", "ba", "c", "d"][i % 4]
        n = int(rng.integers(6, 10))
        half = n // 2
        first, second = content[label]
        vectors = np.concatenate([np.tile(first, (half, 1)), np.tile(second, (n - half, 1))])
        vectors = vectors + rng.normal(size=(n, DIM)) * 0.3
        starts = np.arange(n, dtype=np.float32)
        store.write(f"v{i}", {"embeddings": vectors.astype(np.float32), "chunk_start_s": starts,
                              "chunk_end_s": starts + 1}, {"fingerprint": "x", "encoder_fingerprint": "enc"})
        rows.append({"video_id": f"v{i}", "label": label, "split": ["train", "train", "val", "test"][(i // 4) % 4],
                     "order_dependent": label in ("ab", "ba")})
    return pd.DataFrame(rows), store, root


@pytest.fixture(scope="module")
def result(corpus: tuple) -> dict:
    index, store, root = corpus
    pretrain = tiny_pretrain_params(root, n_layers=1, top={"registry": {"enabled": False}}, max_epochs=1)
    params = SeedStudyParams(seeds=[0, 1], c_grid=[1.0], bootstrap_resamples=200)
    return run_seed_study(index, store, pretrain, None, params, GROUPS)


def test_every_seed_is_scored_per_test_video_with_its_controls(result: dict) -> None:
    n_test = len(result["test_video_ids"])
    assert n_test == 16 and result["seeds"] == [0, 1]
    assert set(result["methods"]) == {"nextlevel", "nextlevel_untrained", "nextlevel_meanpool", "mean_pool",
                                      "temporal_pool_2", "temporal_pool_4"}
    assert np.shape(result["methods"]["nextlevel"]["correct"]) == (2, n_test)
    assert np.shape(result["methods"]["mean_pool"]["correct"]) == (1, n_test)  # seed-free baseline
    assert result["subset_sizes"] == {"order_dependent": 8, "other": 8, "structure": 8}
    spread = result["methods"]["nextlevel"]["overall"]
    assert spread["seeds"] == 2 and spread["min"] <= spread["mean"] <= spread["max"]


def test_the_baselines_behave_as_built(result: dict) -> None:
    """Order-blind mean pooling cannot separate ab from ba; per-half means can."""
    methods = result["methods"]
    assert methods["mean_pool"]["structure"]["mean"] <= 0.75
    assert methods["temporal_pool_2"]["structure"]["mean"] == 1.0
    assert methods["mean_pool"]["other"]["mean"] == 1.0


def test_comparisons_carry_cis_and_name_the_strictest_baseline(result: dict) -> None:
    structure = result["comparisons"]["structure"]
    assert structure["best_frozen_baseline"]["name"] in ("temporal_pool_2", "temporal_pool_4")
    for row in (structure["untrained"], structure["mean_pool"], result["comparisons"]["overall"]["untrained"]):
        assert row["lo"] <= row["diff"] <= row["hi"] and row["beats"] == (row["lo"] > 0)
    assert set(result["goals"]) == {"pretrained_vs_untrained", "structure_vs_best_pooling",
                                    "order_independent_vs_mean_pool"}


def test_the_main_model_stands_in_for_its_own_seed(corpus: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    index, store, root = corpus
    pretrain = tiny_pretrain_params(root, n_layers=1, top={"registry": {"enabled": False}}, max_epochs=1)
    trained = []
    real = seeds.short_pretraining
    monkeypatch.setattr(seeds, "short_pretraining", lambda *a, **k: trained.append(k["run_name"]) or real(*a, **k))
    main = seeds.untrained_model(pretrain, seeds.load_sequences(store, index["video_id"].tolist()))
    run_seed_study(index, store, pretrain, main, SeedStudyParams(seeds=[0, 3], c_grid=[1.0],
                                                                 bootstrap_resamples=100), GROUPS)
    assert trained == ["seed study, seed 3"]  # seed 0 is the main run's model (recipe unchanged)


def test_goals_need_the_ci_and_the_points() -> None:
    row = lambda diff, lo, hi: {"diff": diff, "lo": lo, "hi": hi, "beats": lo > 0}  # noqa: E731
    comparisons = {"overall": {"untrained": row(0.15, 0.05, 0.25)},
                   "structure": {"best_frozen_baseline": row(0.12, -0.01, 0.25)},
                   "other": {"mean_pool": row(-0.01, -0.05, 0.03)}}
    result = goals(comparisons, points=10.0, tolerance=2.0)
    assert result["pretrained_vs_untrained"]["met"]
    assert not result["structure_vs_best_pooling"]["met"]  # +12 points but the CI reaches below 0
    assert result["order_independent_vs_mean_pool"]["met"]
    assert not goals({"overall": {"untrained": row(0.05, 0.01, 0.09)}}, 10.0, 2.0)["pretrained_vs_untrained"]["met"]


def test_a_missing_split_and_bad_parameters_fail_clearly(corpus: tuple) -> None:
    index, store, root = corpus
    with pytest.raises(ValueError, match="none in \\['test'\\]"):
        seeds.study_table(index[index["split"] != "test"], store)
    with pytest.raises(ValueError, match="no_such"):
        SeedStudyParams(pretrain={"no_such": 1})
    with pytest.raises(ValueError, match="temporal_segments"):
        SeedStudyParams(temporal_segments=[0])
