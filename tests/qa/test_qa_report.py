"""The report's QA section and summary: every method with mean ± std over seeds, NextLevel minus each control
with its CI, and the goals with their intervals."""

from __future__ import annotations

from nlv_kedro.reporting.render import render_markdown
from nlv_kedro.reporting.sections import qa_section
from nlv_kedro.reporting.summary import qa_summary


def _ci(points: float, lo: float, hi: float) -> dict:
    return {"points": points, "lo": lo, "hi": hi, "n": 100, "beats": lo > 0}


METRICS = {
    "accuracy": {
        "nextlevel": {"overall": 61.0, "order": 56.1, "n": 100, "n_order": 41, "std": {"overall": 2.0, "order": 3.5},
                      "seeds": 3},
        "blind_shuffled": {"overall": 52.0, "order": 48.0, "n": 100, "n_order": 41,
                           "std": {"overall": 1.0, "order": 1.5}, "seeds": 3},
        "answer_prior": {"overall": 59.0, "order": 51.2, "n": 100, "n_order": 41, "std": {"overall": 0.0, "order": 0.0},
                         "seeds": 1},
    },
    "comparisons": {"nextlevel_minus_blind_shuffled": {"overall": _ci(9.0, 2.5, 15.0), "order": _ci(8.1, -3.0, 19.0)},
                    "nextlevel_minus_answer_prior": {"overall": _ci(2.0, -5.0, 9.0), "order": _ci(4.9, -6.0, 15.0)}},
    "goals": {"nextlevel_minus_best_blind_overall": {"control": "blind_shuffled", "points": 9.0, "lo": 2.5,
                                                     "hi": 15.0, "target": 15.0, "met": False}},
    "settings": {"llm": "smollm2", "projector": {"kind": "mlp"}, "seeds": [0, 1, 2]},
}


def test_qa_section_shows_mean_and_std_per_method_and_nextlevel_minus_each_control_with_ci() -> None:
    markdown = render_markdown("r", [], [qa_section(METRICS)], {})
    assert "| nextlevel | 61.0 ± 2.0 | 56.1 ± 3.5 | 3 | 100 |" in markdown
    assert "| answer_prior | 59.0 | 51.2 | 1 | 100 |" in markdown  # one run: no spread to show
    assert "| blind_shuffled | +9.0 [+2.5, +15.0] | +8.1 [-3.0, +19.0] |" in markdown
    assert "`nextlevel_minus_best_blind_overall`: 9.0 points, CI [2.5, 15.0]" in markdown and "not met" in markdown


def test_qa_summary_keeps_means_and_the_goals_with_their_intervals() -> None:
    summary = qa_summary(METRICS)
    assert summary["accuracy"] == {"nextlevel": 61.0, "blind_shuffled": 52.0, "answer_prior": 59.0}
    assert summary["accuracy_by_type"]["nextlevel"] == {"order": 56.1}
    assert summary["goals"]["nextlevel_minus_best_blind_overall"]["lo"] == 2.5


def test_qa_section_names_the_position_embedding_only_when_it_was_on() -> None:
    assert "position embedding" not in render_markdown("r", [], [qa_section(METRICS)], {})
    on = {**METRICS, "settings": {**METRICS["settings"], "projector": {"kind": "mlp", "position_embedding": True}}}
    assert "projector `mlp` + position embedding" in render_markdown("r", [], [qa_section(on)], {})


def test_qa_section_names_the_choice_objective_only_when_it_was_used() -> None:
    assert "choices' likelihoods" not in render_markdown("r", [], [qa_section(METRICS)], {})
    on = {**METRICS, "settings": {**METRICS["settings"], "objective": "choices"}}
    assert "trained on the choices' likelihoods" in render_markdown("r", [], [qa_section(on)], {})
