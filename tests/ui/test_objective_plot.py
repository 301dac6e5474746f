"""The objective plot while k-means++ picks are shown: readable axes, and a
note that never covers the curve."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from clusterviz.data import builtin_dataset
from clusterviz.session import Session
from clusterviz.ui.panels.objective_plot import ObjectivePlot, objective_range
from ui_helpers import drawn_ticks


def test_a_single_value_gets_a_readable_range():
    lo, hi = objective_range(np.array([494.53]))
    assert lo < 494.53 < hi
    assert hi - lo >= 0.05 * 494.53  # tick labels a reader can tell apart, not 494.50-494.56
    assert objective_range(np.array([0.0])) == (-1.0, 1.0)
    lo, hi = objective_range(np.array([300.0, 320.0]))  # a real curve keeps its close fit
    assert hi - lo == pytest.approx(20.0 * 1.24)


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm"])
def test_seed_note_never_covers_the_curve(qtbot, algorithm):
    s = Session(builtin_dataset("three_blobs"), algorithm=algorithm, show_seeding=True)
    s.run_to_convergence()
    s.seek(0)  # a reopened session at the first pick, with the whole fit after it
    plot = ObjectivePlot()
    qtbot.addWidget(plot)
    plot.resize(400, 220)
    plot.show()
    qtbot.waitExposed(plot)
    plot.show_session(s)
    assert plot.seed_note.isVisible()
    vb = plot.getPlotItem().getViewBox()

    def note_at_top_left() -> bool:  # the note follows the view once its transform is updated
        note, view = plot.seed_note.sceneBoundingRect(), vb.sceneBoundingRect()
        return abs(note.left() - view.left()) < 1 and abs(note.top() - view.top()) < 1

    qtbot.waitUntil(note_at_top_left)
    note = plot.seed_note.sceneBoundingRect()
    for x, y in zip(plot.curve.xData, plot.curve.yData):
        assert not note.contains(vb.mapViewToScene(QPointF(float(x), float(y))))


def test_tens_of_millions_read_as_millions_without_exponents(qtbot):
    plot = ObjectivePlot()
    qtbot.addWidget(plot)
    plot.resize(400, 260)
    plot.show()
    values = np.array([3.95e7, 3.84e7, 3.81e7, 3.8012e7])
    plot.show_objectives(values, 3, "Distortion J")
    labels = drawn_ticks(plot)
    assert labels and not any("e+" in t or "e-" in t for t in labels)
    assert all(37.0 <= float(t.replace(",", "")) <= 41.0 for t in labels), labels
    assert plot.getPlotItem().getAxis("left").labelText == "Distortion J (millions)"
    # a thousand-scale objective is written in full, with a thousands separator
    plot.show_objectives(np.array([-1130.25, -1010.5]), 1, "Log-likelihood ℓ")
    labels = drawn_ticks(plot)
    assert labels and all(t.startswith("-1,") for t in labels), labels
    assert plot.getPlotItem().getAxis("left").labelText == "Log-likelihood ℓ"


@pytest.mark.parametrize("algorithm, symbol", [("kmeans", "J ="), ("gmm", "ℓ =")])
def test_the_formula_of_the_objective_is_above_the_plot(qtbot, algorithm, symbol):
    plot = ObjectivePlot()
    qtbot.addWidget(plot)
    plot.show_session(Session(builtin_dataset("three_blobs"), algorithm=algorithm))
    formula = plot.formula_text()
    assert formula.startswith(symbol) and "Σ" in formula and "PRML" in formula


def test_an_empty_plot_says_what_will_appear_instead_of_made_up_ticks(qtbot):
    plot = ObjectivePlot()
    qtbot.addWidget(plot)
    plot.resize(400, 260)
    plot.show()
    plot.show_session(Session(builtin_dataset("empty")))
    assert plot.empty_note.isVisible() and "appears here" in plot.empty_note.toPlainText()
    assert drawn_ticks(plot) == []
    plot.show_session(Session(builtin_dataset("three_blobs"), algorithm="gmm"))  # ℓ from the start
    assert not plot.empty_note.isVisible() and drawn_ticks(plot)


def _plot(qtbot) -> ObjectivePlot:
    plot = ObjectivePlot()
    qtbot.addWidget(plot)
    plot.resize(400, 240)
    return plot


def test_k_means_start_has_no_distortion_point_and_half_steps_sit_between_iterations(qtbot):
    s = Session(builtin_dataset("three_blobs"), algorithm="kmeans", seed=42)
    plot = _plot(qtbot)
    plot.show_session(s)
    assert plot.curve.xData is None or len(plot.curve.xData) == 0  # no J before any assignment
    assert len(plot.marker.data) == 0
    s.half_step()  # E of iteration 1
    s.half_step()  # M of iteration 1
    s.step()  # iteration 2
    plot.show_session(s)
    assert plot.curve.xData.tolist() == [0.5, 1.0, 2.0]
    assert plot.getPlotItem().getAxis("bottom").labelText == "Iteration"
    assert plot.marker.data["x"].tolist() == [2.0]


def test_a_mixture_start_has_its_log_likelihood_and_a_click_finds_the_nearest_entry(qtbot):
    s = Session(builtin_dataset("three_blobs"), algorithm="gmm", seed=1)
    s.half_step()
    s.half_step()
    plot = _plot(qtbot)
    plot.show()
    qtbot.waitExposed(plot)
    plot.show_session(s)
    assert plot.curve.xData.tolist() == [0.0, 0.5, 1.0]
    vb = plot.getPlotItem().getViewBox()
    y = float(plot.curve.yData[1])
    pos = vb.mapViewToScene(QPointF(0.55, y)).toPoint()
    with qtbot.waitSignal(plot.step_clicked) as blocker:
        qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.mapFromScene(pos))
    assert blocker.args == [1]  # the E half-step's entry
