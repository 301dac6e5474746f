"""At 1280 x 720 the formula panel shows the applied half-step, its equations
and a pinned point's numbers without scrolling, and leaves the objective plot
at least 200 px; in presenter mode, where not all of it fits, it still starts
with the heading and the plot keeps its 200 px."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QAction

from clusterviz.data import builtin_dataset
from clusterviz.session.text import iteration_number
from clusterviz.ui.settings import AppSettings

PINNED = 187  # a point of three_blobs between two clusters


def _settle(window, qtbot, size=(1280, 720)) -> None:
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=3000)
    qtbot.waitUntil(lambda: not window.formula_panel.visibleRegion().isEmpty(), timeout=3000)


def _fits(panel) -> bool:
    """The whole text is in view: no scrolling, nothing cut at the bottom."""
    bar = panel.verticalScrollBar()
    return bar.maximum() == 0 and panel.document().size().height() <= panel.viewport().height() + 0.5


@pytest.fixture
def presenter_off():
    """The remembered presenter choice is left off, zoom 1."""
    yield
    AppSettings().save_presenter_mode(False, 1.0)


@pytest.mark.parametrize("inspect", [False, True])
@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "hmm"])
def test_each_half_step_and_a_pinned_points_numbers_fit_at_720(make_window, qtbot, algorithm, inspect):
    window = make_window(builtin_dataset("three_blobs"), show=True, algorithm=algorithm)
    _settle(window, qtbot)
    if inspect:  # the inspector's bars take room above the plot
        window.controls.tabs.setCurrentWidget(window.inspector)
    panel, plot = window.formula_panel, window.objective_plot
    window.controls.half_step_check.setChecked(True)
    for phase in ("E", "M", "E", "M"):
        window.controller.advance()
        assert window.session.entry.phase == phase
        if not window.inspector.pinned:
            window.teaching.toggle_pin(PINNED)
        assert f"point n = {PINNED}" in panel.toPlainText()
        qtbot.waitUntil(lambda: _fits(panel), timeout=3000)
        assert plot.height() >= 200, (phase, plot.height())
        assert panel.toPlainText().strip().startswith(f"Iteration {iteration_number(window.session.entry)} · ")


def test_presenter_mode_keeps_the_plot_and_puts_the_applied_half_step_first(make_window, qtbot, presenter_off):
    window = make_window(builtin_dataset("three_blobs"), show=True, algorithm="gmm")
    _settle(window, qtbot)
    window.findChild(QAction, "presenterAction").trigger()
    panel, plot = window.formula_panel, window.objective_plot
    window.controller.step()
    window.teaching.toggle_pin(PINNED)
    qtbot.waitUntil(lambda: plot.height() >= 200 and panel.height() >= panel.minimumHeight(), timeout=3000)
    assert panel.verticalScrollBar().value() == 0
    lines = [line for line in panel.toPlainText().splitlines() if line.strip()]
    heading, *equations = lines
    assert heading.startswith("Iteration 1 · M-step") and "(applied)" in heading
    numbers = next(i for i, line in enumerate(equations) if line.startswith(f"point n = {PINNED}"))
    other = next(i for i, line in enumerate(equations) if line.startswith("E-step"))
    assert numbers < other  # the applied half-step and the pinned point before the other half-step


def test_the_panel_grows_with_its_text_but_never_takes_the_plots_200_px(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True, algorithm="hmm")
    _settle(window, qtbot)
    panel, plot = window.formula_panel, window.objective_plot
    window.controller.step()
    qtbot.waitUntil(lambda: _fits(panel), timeout=3000)
    short = panel.height()
    window.teaching.toggle_pin(PINNED)
    qtbot.waitUntil(lambda: _fits(panel) and panel.height() > short, timeout=3000)
    _settle(window, qtbot, (1280, 640))  # too short for all of it: the text scrolls, the plot does not shrink
    qtbot.waitUntil(lambda: plot.height() >= 200 and panel.verticalScrollBar().maximum() > 0, timeout=3000)


def test_stepping_through_half_steps_does_not_resize_the_plot(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True, algorithm="gmm")
    _settle(window, qtbot)
    panel, plot = window.formula_panel, window.objective_plot
    window.controls.half_step_check.setChecked(True)
    window.teaching.toggle_pin(PINNED)
    heights = []
    for phase in ("E", "M", "E", "M", "E"):
        window.controller.advance()
        assert window.session.entry.phase == phase
        qtbot.waitUntil(lambda: _fits(panel) and panel.minimumHeight() <= panel.height() <= panel.maximumHeight(),
                        timeout=3000)
        heights.append(plot.height())
    assert len(set(heights[1:])) == 1, heights  # after the first M-step's longer text, no jumps
