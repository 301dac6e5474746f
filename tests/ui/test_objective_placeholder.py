"""The objective plot at K-Means' start says when J appears instead of
showing made-up ticks; the plot appears with the first value. A mixture's
and the HMM's start have ℓ, so they plot from iteration 0."""
from __future__ import annotations

import pytest
from ui_helpers import drawn_ticks


def _points(plot) -> int:
    return 0 if plot.curve.xData is None else len(plot.curve.xData)


def test_k_means_start_says_when_j_appears_and_the_plot_appears_after_a_step(make_window, qtbot):
    window = make_window(show=True)
    plot = window.objective_plot
    note = plot.empty_note
    symbol = window.session.algorithm_entry.objective_symbol
    assert note.isVisible() and note.toPlainText().startswith(f"{symbol} appears after")
    assert "press Step" in note.toPlainText()
    assert drawn_ticks(plot) == [] and _points(plot) == 0
    window.controller.step()
    qtbot.waitUntil(lambda: not note.isVisible(), timeout=3000)
    assert _points(plot) == 1 and drawn_ticks(plot)
    window.controller.reset_fit()  # back at the start: no J again
    qtbot.waitUntil(note.isVisible, timeout=3000)
    assert drawn_ticks(plot) == []


def test_the_first_half_step_already_gives_j(make_window):
    window = make_window()
    window.controls.half_step_check.setChecked(True)
    window.controller.advance()  # the assignment: J is defined
    assert window.session.entry.phase == "E"
    assert not window.objective_plot.empty_note.isVisible() and _points(window.objective_plot) == 1


@pytest.mark.parametrize("algorithm", ["gmm", "hmm", "soft-kmeans"])
def test_a_likelihood_plots_from_iteration_zero(make_window, algorithm):
    window = make_window(algorithm=algorithm)
    plot = window.objective_plot
    assert not plot.empty_note.isVisible()
    assert _points(plot) == 1 and plot.curve.xData.tolist() == [0.0] and drawn_ticks(plot)
