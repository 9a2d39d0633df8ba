"""Unit tests for the top model, masking, losses and diagnostics (tiny configs, CPU, seconds)."""

from __future__ import annotations

import math

import pytest
import torch

from nlv_kedro.models import (
    LOSSES,
    NextLevelConfig,
    NextLevelModel,
    apply_masks,
    bert_corruption,
    combined_loss,
    copy_neighbour_cosine,
    effective_rank,
    iid_mask,
    masked_cosine,
    masked_prediction_loss,
    mean_baseline_cosine,
    per_dim_std,
    span_mask,
)
from nlv_kedro.models.order import reversal_accuracy, reversal_info_nce, reverse_sequences


def tiny_config(**overrides) -> NextLevelConfig:
    base = dict(input_dim=16, d_model=32, n_layers=2, n_heads=4, head_hidden=32, max_chunks=64, dropout=0.0,
                pooling="mean", head_skip="none")
    return NextLevelConfig(**{**base, **overrides})


def padding_from(lengths: torch.Tensor, T: int | None = None) -> torch.Tensor:
    T = int(lengths.max()) if T is None else T
    return torch.arange(T).unsqueeze(0) >= lengths.unsqueeze(1)  # (B, T)


def n_runs(mask: torch.Tensor) -> int:
    """Number of contiguous True runs over all rows."""
    starts = mask & ~torch.nn.functional.pad(mask, (1, 0))[:, :-1]
    return int(starts.sum())


# ---------------------------------------------------------------- masking


@pytest.mark.parametrize("masker", [span_mask, iid_mask])
def test_mask_invariants(masker) -> None:
    g = torch.Generator().manual_seed(0)
    lengths = torch.tensor([1, 2, 3, 10, 40, 0, 25])
    total, expected = 0, 0
    for _ in range(200):
        m = masker(lengths, 0.3, generator=g)
        assert m.shape == (7, 40) and m.dtype == torch.bool
        assert not (m & padding_from(lengths, 40)).any(), "padding masked"
        counts = m.sum(1)
        assert counts[0] == 0 and counts[5] == 0, "length 0/1 videos must have nothing masked"
        long = lengths >= 2
        assert (counts[long] >= 1).all() and (counts[long] < lengths[long]).all()
        total += int(counts[3:5].sum())
        expected += round(0.3 * 10) + round(0.3 * 40)
    assert abs(total / expected - 1.0) < 0.05


def test_span_mask_is_contiguous_and_reproducible() -> None:
    lengths = torch.full((64,), 60)
    span = span_mask(lengths, 0.3, mean_span=4.0, generator=torch.Generator().manual_seed(1))
    iid = iid_mask(lengths, 0.3, generator=torch.Generator().manual_seed(1))
    assert span.sum() == iid.sum()
    assert n_runs(span) < 0.6 * n_runs(iid)
    again = span_mask(lengths, 0.3, mean_span=4.0, generator=torch.Generator().manual_seed(1))
    assert torch.equal(span, again)
    assert torch.equal(iid, iid_mask(lengths, 0.3, generator=torch.Generator().manual_seed(1)))


def test_mask_rejects_bad_ratio() -> None:
    with pytest.raises(ValueError, match="ratio"):
        iid_mask(torch.tensor([5]), 1.0)
    with pytest.raises(ValueError, match="mean_span"):
        span_mask(torch.tensor([5]), 0.5, mean_span=0.5)


def test_bert_corruption_proportions_and_sources() -> None:
    g = torch.Generator().manual_seed(0)
    B, T, D = 4, 50, 8
    lengths = torch.tensor([50, 30, 20, 10])
    # Each video's vectors carry its own id in every dim, so the source video of any vector is readable.
    x = torch.arange(B).float().view(B, 1, 1).expand(B, T, D).clone() + 0.001 * torch.randn(B, T, D)
    n_mask = n_random = n_keep = 0
    for _ in range(100):
        mask = iid_mask(lengths, 0.5, generator=g)
        xc, mpos = bert_corruption(x, mask, lengths, generator=g)
        assert not (mpos & ~mask).any()
        changed = (xc != x).any(-1)  # (B, T)
        assert not (changed & ~mask).any() and not (changed & mpos).any()
        source = xc[changed][:, 0].round().long()
        assert (source != changed.nonzero()[:, 0]).all(), "random replacement came from the same video"
        n_mask += int(mpos.sum())
        n_random += int(changed.sum())
        n_keep += int((mask & ~mpos & ~changed).sum())
    total = n_mask + n_random + n_keep
    assert abs(n_mask / total - 0.8) < 0.02
    assert abs(n_random / total - 0.1) < 0.02
    assert abs(n_keep / total - 0.1) < 0.02


def test_bert_corruption_single_video_falls_back_to_mask() -> None:
    x = torch.randn(1, 20, 4)
    mask = torch.zeros(1, 20, dtype=torch.bool)
    mask[0, :10] = True
    xc, mpos = bert_corruption(x, mask, torch.tensor([20]), p_mask=0.0, p_random=1.0)
    assert torch.equal(xc, x) and torch.equal(mpos, mask)


def test_apply_masks_shape_and_order() -> None:
    x = torch.arange(2 * 3).float().view(2, 3, 1).expand(2, 3, 5)
    mask = torch.tensor([[True, False, True], [False, True, False]])
    out = apply_masks(x, mask)
    assert out.shape == (3, 5)
    assert out[:, 0].tolist() == [0.0, 2.0, 4.0]


# ---------------------------------------------------------------- losses


def test_regression_losses_on_known_diffs() -> None:
    target = torch.zeros(1, 3, 2)
    pred = torch.tensor([[[0.5, -0.5], [2.0, 2.0], [100.0, 100.0]]])
    mask = torch.tensor([[True, True, False]])  # the huge error is not masked and must not count
    assert masked_prediction_loss(pred, target, mask, "smooth_l1").item() == pytest.approx((0.125 * 2 + 1.5 * 2) / 4)
    assert masked_prediction_loss(pred, target, mask, "l1").item() == pytest.approx((0.5 * 2 + 2 * 2) / 4)
    assert masked_prediction_loss(pred, target, mask, "mse").item() == pytest.approx((0.25 * 2 + 4 * 2) / 4)


def test_cosine_loss_identical_and_opposite() -> None:
    t = torch.randn(2, 4, 8)
    mask = torch.ones(2, 4, dtype=torch.bool)
    assert masked_prediction_loss(t, t, mask, "cosine").item() == pytest.approx(0.0, abs=1e-6)
    assert masked_prediction_loss(-t, t, mask, "cosine").item() == pytest.approx(2.0, abs=1e-6)


def test_infonce_prefers_match_and_ignores_same_video() -> None:
    torch.manual_seed(0)
    target = torch.randn(4, 6, 16)
    mask = torch.zeros(4, 6, dtype=torch.bool)
    mask[:, 1:4] = True
    perfect = masked_prediction_loss(target, target, mask, "infonce")
    shuffled = masked_prediction_loss(target.roll(1, dims=0), target, mask, "infonce")
    assert perfect < shuffled
    # Same-video chunks are not negatives: with three identical chunks per video, counting them as
    # negatives would put the loss above log(3); here only the other videos compete.
    dup = target.clone()
    dup[:, 1:4] = target[:, 2:3]
    assert masked_prediction_loss(dup, dup, mask, "infonce").item() < 0.1 < math.log(3)
    # And it equals the hand-written InfoNCE over other-video negatives.
    p = torch.nn.functional.normalize(apply_masks(target.roll(1, dims=0), mask), dim=-1)
    t = torch.nn.functional.normalize(apply_masks(target, mask), dim=-1)
    vid = torch.arange(4).repeat_interleave(3)
    expected = 0.0
    for i in range(12):
        keep = (vid != vid[i]) | (torch.arange(12) == i)
        logits = (p[i] @ t[keep].T) / 0.1
        expected += (torch.logsumexp(logits, 0) - (p[i] @ t[i]) / 0.1).item() / 12
    assert shuffled.item() == pytest.approx(expected, rel=1e-4)
    # One video only: no negatives -> zero that keeps the graph.
    pred = torch.randn(1, 6, 16, requires_grad=True)
    zero = masked_prediction_loss(pred, target[:1], mask[:1], "infonce")
    assert zero.item() == 0.0 and zero.requires_grad
    # video_ids saying all rows are one video is the same as a single video.
    assert masked_prediction_loss(target, target, mask, "infonce", video_ids=torch.zeros(4)).item() == 0.0


def test_losses_reject_unknown_kind_and_combine() -> None:
    t = torch.randn(2, 5, 4)
    mask = torch.ones(2, 5, dtype=torch.bool)
    with pytest.raises(ValueError, match="smooth_l1"):
        masked_prediction_loss(t, t, mask, "huber")
    total, parts = combined_loss(t + 1.0, t, mask, {"l1": 1.0, "mse": 0.5})
    assert set(parts) == {"l1", "mse"}
    assert total.item() == pytest.approx(1.0 + 0.5 * 1.0, rel=1e-5)
    for kind in LOSSES:
        empty = masked_prediction_loss(t.requires_grad_(), t, torch.zeros_like(mask), kind)
        assert empty.item() == 0.0


# ---------------------------------------------------------------- model


def make_batch(B: int = 3, T: int = 12, D: int = 16, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([T, T // 2, 3][:B])
    x = torch.randn(B, T, D, generator=g)
    starts = torch.arange(T).float().expand(B, T) * 2.0
    times = torch.stack([starts, starts + 2.0], dim=-1)  # (B, T, 2)
    return x, padding_from(lengths, T), times, lengths


@pytest.mark.parametrize("pooling", ["mean", "cls", "max"])
@pytest.mark.parametrize("train", [True, False])
def test_model_shapes_and_padding_invariance(pooling: str, train: bool) -> None:
    torch.manual_seed(0)
    model = NextLevelModel(tiny_config(pooling=pooling)).train(train)
    x, pad, times, _ = make_batch()
    out = model(x, pad, times)
    assert out.contextual.shape == (3, 12, 32)
    assert out.predictions.shape == (3, 12, 16)
    assert out.pooled.shape == (3, 32)
    x2, times2 = x.clone(), times.clone()
    x2[pad] = torch.randn(int(pad.sum()), 16) * 100
    x2[1, -1] = float("nan")  # even NaN padding must not leak
    times2[pad] = 1e6
    out2 = model(x2, pad, times2)
    real = ~pad
    assert torch.allclose(out.contextual[real], out2.contextual[real], atol=1e-5)
    assert torch.allclose(out.predictions[real], out2.predictions[real], atol=1e-5)
    assert torch.allclose(out.pooled, out2.pooled, atol=1e-5)


def test_mean_pooling_is_mean_of_real_chunks() -> None:
    model = NextLevelModel(tiny_config()).eval()
    x, pad, times, lengths = make_batch()
    out = model(x, pad, times)
    assert torch.allclose(out.pooled[1], out.contextual[1, : lengths[1]].mean(0), atol=1e-6)


def test_mask_positions_act_only_through_mask_token() -> None:
    torch.manual_seed(0)
    model = NextLevelModel(tiny_config()).eval()
    x, pad, times, lengths = make_batch()
    mpos = iid_mask(lengths, 0.3, generator=torch.Generator().manual_seed(0))
    masked = model(x, pad, times, mask_positions=mpos)
    assert not torch.allclose(masked.contextual, model(x, pad, times).contextual)
    x2 = x.clone()
    x2[mpos] = torch.randn(int(mpos.sum()), 16)  # the hidden content is invisible to the model
    assert torch.allclose(masked.predictions, model(x2, pad, times, mask_positions=mpos).predictions, atol=1e-6)
    with torch.no_grad():
        model.mask_embedding.add_(1.0)
    assert not torch.allclose(masked.predictions, model(x, pad, times, mask_positions=mpos).predictions)


def test_time_embedding_is_used_and_optional() -> None:
    model = NextLevelModel(tiny_config()).eval()
    x, pad, times, _ = make_batch()
    assert not torch.allclose(model(x, pad, times).contextual, model(x, pad, times * 3).contextual)
    assert model(x, pad).contextual.shape == (3, 12, 32)
    no_time = NextLevelModel(tiny_config(use_time=False))
    assert no_time.time_embedding is None


def test_config_validation_and_length_limit() -> None:
    with pytest.raises(ValueError, match="n_heads"):
        tiny_config(n_heads=5)
    with pytest.raises(ValueError, match="pooling"):
        tiny_config(pooling="attention")
    with pytest.raises(ValueError, match="d_model"):
        tiny_config(d_model=0)
    model = NextLevelModel(tiny_config(max_chunks=8))
    x, pad, _, _ = make_batch(T=12)
    with pytest.raises(ValueError, match="max_chunks"):
        model(x, pad)
    with pytest.raises(ValueError, match="at least one real"):
        model(x[:, :8], torch.ones(3, 8, dtype=torch.bool))


def test_default_config_is_under_10m_parameters() -> None:
    n = NextLevelModel(NextLevelConfig()).num_trainable_parameters()
    print(f"default NextLevelModel trainable parameters: {n:,}")
    assert 5_000_000 < n <= 10_000_000


# ---------------------------------------------------------------- diagnostics


def test_diagnostics_on_hand_made_inputs() -> None:
    const = torch.ones(2, 6, 4)
    mask = torch.zeros(2, 6, dtype=torch.bool)
    mask[:, 2:4] = True
    pad = torch.zeros(2, 6, dtype=torch.bool)
    assert copy_neighbour_cosine(const, mask, pad) == pytest.approx(1.0)
    assert masked_cosine(const, const, mask) == pytest.approx(1.0)
    assert mean_baseline_cosine(const, mask, -torch.ones(4)) == pytest.approx(-1.0)
    assert per_dim_std(const, mask) == pytest.approx(0.0)
    assert per_dim_std(torch.randn(2, 6, 4), mask) > 0.1
    assert effective_rank(torch.eye(8)) == pytest.approx(8.0, rel=1e-4)
    assert effective_rank(torch.randn(20, 1) @ torch.randn(1, 8)) == pytest.approx(1.0, abs=1e-3)


def test_copy_neighbour_picks_nearest_visible_earlier_on_ties() -> None:
    # one-hot chunks: chunk t is e_t, so the cosine is 1 only when the copied chunk is the right one
    target = torch.eye(6).unsqueeze(0)  # (1, 6, 6)
    target[0, 3] = target[0, 1]  # masked chunk 3 equals chunk 1 (its earlier tie neighbour at distance 2)
    mask = torch.tensor([[False, False, True, True, True, False]])
    pad = torch.zeros(1, 6, dtype=torch.bool)
    # 2 <- 1 (cos 0 vs e2), 3 <- 1 (tie 1 vs 5: earlier wins -> cos 1), 4 <- 5 (cos 0)
    assert copy_neighbour_cosine(target, mask, pad) == pytest.approx(1.0 / 3.0)
    pad[0, 5] = True  # padding is not a visible chunk: 4 now copies 1 too
    assert copy_neighbour_cosine(target, mask, pad) == pytest.approx(1.0 / 3.0)
    assert math.isnan(copy_neighbour_cosine(target, torch.ones(1, 6, dtype=torch.bool), pad))


# ---------------------------------------------------------------- training


def test_tiny_training_reduces_masked_loss() -> None:
    """Each video is one random vector plus small per-chunk noise, so a masked chunk is predictable
    from its visible neighbours (and not from anything the model could memorise across videos)."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    B, T, D = 32, 24, 16
    model = NextLevelModel(tiny_config(d_model=64, head_hidden=64))  # width 32 learns too slowly from 0.02 init
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    lengths = torch.full((B,), T)
    pad = padding_from(lengths)
    losses = []
    for _ in range(50):
        x = torch.randn(B, 1, D, generator=g) + 0.1 * torch.randn(B, T, D, generator=g)  # (B, T, D)
        mask = span_mask(lengths, 0.25, mean_span=2.0, generator=g)
        xc, mpos = bert_corruption(x, mask, lengths, generator=g)
        loss = masked_prediction_loss(model(xc, pad, mask_positions=mpos).predictions, x, mask)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.5 * first, (first, last)


# ---------------------------------------------------------------- time-reversal contrast


def test_reverse_sequences_mirrors_real_chunks_and_times() -> None:
    x = torch.arange(1, 9, dtype=torch.float32).view(2, 4, 1)
    times = torch.tensor([[[0, 1], [1, 3], [3, 4], [4, 6]], [[0, 2], [2, 3], [0, 0], [0, 0]]], dtype=torch.float32)
    lengths = torch.tensor([4, 2])
    x_rev, t_rev = reverse_sequences(x, times, lengths)
    assert x_rev.squeeze(-1).tolist() == [[4, 3, 2, 1], [6, 5, 0, 0]]  # padding stays at the end, zero
    # durations are kept in reversed order and the video still spans [0, end of last chunk]
    assert t_rev.tolist() == [[[0, 2], [2, 3], [3, 5], [5, 6]], [[0, 1], [1, 3], [0, 0], [0, 0]]]
    x_back, t_back = reverse_sequences(x_rev, t_rev, lengths)
    assert torch.equal(x_back, x * (torch.arange(4) < lengths[:, None])[..., None])
    assert torch.equal(t_back, times)


def test_reversal_info_nce_rewards_telling_a_video_from_its_reversal() -> None:
    e = torch.eye(4)
    anchor, positive = e[:2], e[:2]
    good = reversal_info_nce(anchor, positive, e[2:], temperature=0.1)  # reversal orthogonal: easy
    bad = reversal_info_nce(anchor, positive, anchor.clone(), temperature=0.1)  # reversal = same vector
    assert good < 0.01 < bad
    assert reversal_accuracy(anchor, positive, e[2:]) == 1.0
    assert reversal_accuracy(anchor, positive, anchor.clone()) == 0.0


def test_module_with_order_term_trains_the_projector() -> None:
    from nlv_kedro.training.module import MaskedEmbeddingModule
    from nlv_kedro.training.objective import ObjectiveConfig, OptimConfig

    torch.manual_seed(0)
    d = 8
    module = MaskedEmbeddingModule(NextLevelModel(tiny_config(input_dim=d)), ObjectiveConfig(order_weight=0.5),
                                   OptimConfig(), torch.zeros(d), torch.ones(d), torch.zeros(d))
    lengths = torch.tensor([6, 4, 5])
    batch = {"x": torch.randn(3, 6, d), "times": torch.arange(6.0).repeat(3, 1)[..., None].repeat(1, 1, 2),
             "padding_mask": padding_from(lengths), "lengths": lengths}
    g = torch.Generator().manual_seed(0)  # the masks a MaskCollator would add: the main view and two order views
    batch["mask"] = span_mask(lengths, 0.4, generator=g)
    batch["order_masks"] = torch.stack([span_mask(lengths, 0.4, generator=g) for _ in range(2)])
    loss, parts, _, _ = module.model_step(batch)
    assert {"order", "order_acc"} <= set(parts) and torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None for p in module.order_projector.parameters())
    with pytest.raises(ValueError, match="order_weight"):
        ObjectiveConfig(order_weight=-1.0)


# ---------------------------------------------------------------- temporal pooling


def test_temporal_pool_is_order_aware_and_handles_short_and_padded_videos() -> None:
    from nlv_kedro.models.pooling import temporal_mean_pool, temporal_mean_pool_array

    h = torch.tensor([[[1.0], [2.0], [3.0], [4.0]], [[5.0], [7.0], [0.0], [0.0]], [[9.0], [0.0], [0.0], [0.0]]])
    pad = padding_from(torch.tensor([4, 2, 1]), 4)
    pooled = temporal_mean_pool(h, pad, segments=2)
    assert pooled.tolist() == [[1.5, 3.5], [5.0, 7.0], [9.0, 9.0]]  # a 1-chunk video fills both halves
    reversed_ = temporal_mean_pool(h[:1].flip(1), pad[:1], segments=2)
    assert reversed_.tolist() == [[3.5, 1.5]]  # unlike the mean, the pooled vector tells the order apart
    assert temporal_mean_pool(h, pad, segments=1).tolist() == [[2.5], [6.0], [9.0]]  # 1 segment = the mean
    assert temporal_mean_pool_array(h[0].numpy(), 2).tolist() == [1.5, 3.5]
    with pytest.raises(ValueError, match="segments"):
        temporal_mean_pool(h, pad, segments=0)


def test_model_with_temporal_pooling_widens_the_pooled_vector() -> None:
    config = tiny_config(pooling="temporal", pool_segments=3)
    assert config.pooled_dim == 3 * config.d_model
    out = NextLevelModel(config).eval()(torch.randn(2, 5, 16), padding_from(torch.tensor([5, 2]), 5))
    assert out.pooled.shape == (2, config.pooled_dim)
