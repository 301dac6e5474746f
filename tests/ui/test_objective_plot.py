"""The objective plot while k-means++ picks are shown: readable axes, and a
note that never covers the curve."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF

from clusterviz.data import builtin_dataset
from clusterviz.session import Session
from clusterviz.ui.panels.objective_plot import ObjectivePlot, objective_range


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
