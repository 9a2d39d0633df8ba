"""The pretraining section's tables: the model against every shortcut baseline, and by kind of masked span."""

from __future__ import annotations

from nlv_kedro.reporting.render import Table, fmt, pct

BUCKETS = (("span1", "1 chunk"), ("span2_3", "2–3 chunks"), ("span4plus", "4+ chunks"),
           ("cut", "span crosses a proxy cut"), ("nocut", "span within one shot"))


def baselines_table(final: dict) -> Table:
    """Model vs every baseline, in the encoder's space and in the standardized space the model trains in."""
    factor = final.get("val/interpolate_shrink_factor")
    rows = [[name, final.get(key), final.get(key_z) if key_z else None] for name, key, key_z in (
        ("NextLevel prediction", "val/cos_pred", "val/cos_pred_standardized"),
        ("predict the train mean vector", "val/cos_mean_baseline", None),
        ("copy the nearest visible chunk", "val/cos_copy_neighbour", "val/cos_copy_neighbour_standardized"),
        ("interpolate the visible chunks around it", "val/cos_interpolate_neighbours",
         "val/cos_interpolate_neighbours_standardized"),
        (f"interpolation shrunk toward the train mean (factor {fmt(factor, 1)}, best on val)",
         "val/cos_interpolate_shrunk", "val/cos_interpolate_neighbours_standardized"),
        ("gain over the best baseline", "val/cos_gain_over_best_baseline",
         "val/cos_gain_over_best_baseline_standardized"))]
    return Table(["predictor", "cosine, encoder space", "cosine, standardized space"], rows,
                 "Masked positions of the val split, last epoch. Shrinking toward the mean is a rescaling in the "
                 "standardized space (mean ~0), where a cosine does not move, so it equals plain interpolation there")


def buckets_table(final: dict) -> Table:
    """Cosines by span length and by whether the masked span crosses a proxy cut (consecutive chunks whose
    encoder cosine is below 0.6; the chunk plans record no scene cuts)."""
    rows = [[name, pct(final.get(f"val/share_{key}")), final.get(f"val/cos_pred_{key}"),
             final.get(f"val/cos_interpolate_shrunk_{key}"), final.get(f"val/cos_pred_{key}_standardized"),
             final.get(f"val/cos_interpolate_{key}_standardized")] for key, name in BUCKETS]
    return Table(["masked span", "share of masked chunks %", "model (encoder)", "shrunk interp. (encoder)",
                  "model (standardized)", "interp. (standardized)"], rows,
                 "Where the model gains or loses against interpolation (val, last epoch)")


def gain_interval_text(final: dict) -> str:
    """The per-video paired bootstrap intervals of the model's gain over interpolation, in words."""
    parts = []
    for key, what in (("val/gain_over_shrunk_interpolation", "over shrunk interpolation (encoder space)"),
                      ("val/gain_over_interpolation_standardized", "over interpolation (standardized space)")):
        if final.get(key) is None:
            continue
        lo, hi = final.get(f"{key}_lo"), final.get(f"{key}_hi")
        verdict = "beats it" if lo is not None and lo > 0 else "loses" if hi is not None and hi < 0 else "no clear win"
        parts.append(f"{what} {final[key]:+.4f} [{fmt(lo, 4)}, {fmt(hi, 4)}]: {verdict}")
    if not parts:
        return "No per-video interval of the gain over interpolation in this history."
    return "Per-video gain of the model, 95% paired bootstrap over val videos: " + "; ".join(parts) + "."
