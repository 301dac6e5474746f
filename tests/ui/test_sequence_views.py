"""The HMM's views in the main window (`SequenceDocks`): the posterior strip
and the transition matrix are offered only for an algorithm whose registry
entry models the order, follow stepping and stepping back, and the strip's
time cursor is linked to the canvas both ways."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from clusterviz.data import builtin_dataset
from clusterviz.model import registry
from clusterviz.ui.panels.sequence_docks import SequenceDocks
from ui_helpers import viewport_pos

SEQUENCE_MODEL = next(entry.name for entry in registry.ALGORITHMS.values() if entry.supports_sequences)
IID_MODELS = [entry.name for entry in registry.ALGORITHMS.values() if not entry.supports_sequences]


def attach(window) -> SequenceDocks:
    """The window's SequenceDocks (made here if the window does not make its own)."""
    if getattr(window, "sequence_docks", None) is None:
        window.sequence_docks = SequenceDocks(window)
    return window.sequence_docks


@pytest.fixture
def sequence_window(make_window):
    """A shown 1280 x 800 main window on Old Faithful with its SequenceDocks (as the app wires them)."""
    def make(algorithm=SEQUENCE_MODEL, **kwargs):
        window = make_window(builtin_dataset("old_faithful"), show=True, algorithm=algorithm, n_clusters=2,
                             init="k-means++", **kwargs)
        window.resize(1280, 800)
        attach(window)
        return window

    return make


def _really_visible(widget: QWidget) -> bool:
    """Shown and not covered: for a plot (a scroll area), its viewport is what shows."""
    shown = widget.viewport() if hasattr(widget, "viewport") else widget
    return widget.isVisible() and not shown.visibleRegion().isEmpty()


def _views(window):
    """The posterior strip and the transition view (the strip is built on first use, see
    `SequenceDocks.posterior`: a K-Means window starts without it)."""
    window.sequence_docks.posterior  # noqa: B018 (builds it)
    return [window.findChild(QWidget, name) for name in ("posteriorPlot", "transitionView")]


@pytest.mark.parametrize("algorithm", IID_MODELS)
def test_views_are_hidden_for_iid_algorithms_and_shown_for_a_sequence_model(sequence_window, qtbot, algorithm):
    window = sequence_window(algorithm)
    assert window.findChild(QWidget, "posteriorPlot") is None  # not built for an i.i.d. algorithm
    posterior, transitions = _views(window)
    assert posterior is not None and transitions is not None
    qtbot.waitUntil(lambda: not posterior.isVisible() and not transitions.isVisible())
    docks = window.sequence_docks
    assert not any(action.isVisible() for action in docks.actions)  # nor offered in the View menu
    window.controls.algorithm_combo.setCurrentIndex(window.controls.algorithm_combo.findData(SEQUENCE_MODEL))
    assert window.session.algorithm == SEQUENCE_MODEL
    qtbot.waitUntil(lambda: _really_visible(posterior) and _really_visible(transitions))
    assert posterior.height() >= 100 and transitions.width() >= 200
    assert all(action.isVisible() for action in docks.actions)
    window.controller.set_algorithm(algorithm)
    qtbot.waitUntil(lambda: not posterior.isVisible() and not transitions.isVisible())
    assert not docks.path_layer.joined.isVisible()  # nor the sequence on the canvas


def test_transition_heat_map_shows_the_shown_states_numbers_and_steps_back(sequence_window, qtbot):
    window = sequence_window()
    view = window.sequence_docks.transitions
    c = window.controller

    def shown() -> list[list[str]]:
        return [[view.cell_text(j, k) for k in range(2)] for j in range(2)]

    def expected() -> list[list[str]]:
        A = window.session.entry.transmat
        return [[view_text(A[j, k]) for k in range(2)] for j in range(2)]

    from clusterviz.ui.panels.sequence_transitions import probability_text as view_text

    assert shown() == expected() == [["0.50", "0.50"], ["0.50", "0.50"]]  # the uniform start
    for _ in range(8):
        c.step()
    after_eight = shown()
    assert after_eight == expected() and after_eight != [["0.50", "0.50"], ["0.50", "0.50"]]
    starts = [view.start_text(k) for k in range(2)]
    assert starts == [view_text(p) for p in window.session.entry.startprob]
    c.step_back()
    c.step_back()
    assert shown() == expected() and shown() != after_eight  # stepping back shows that step's matrix
    c.seek(8)
    assert shown() == after_eight


def test_posterior_strip_follows_the_shown_step(sequence_window):
    window = sequence_window()
    plot = window.sequence_docks.posterior
    assert plot.n_steps == 0 and plot.placeholder.isVisible()  # the start: no γ yet
    c = window.controller
    for _ in range(3):
        c.step()
    assert plot.n_steps == window.session.n_points == 272
    assert plot.path_label == "Viterbi"  # the model decodes the shown parameters
    third = plot.stack.image.copy()
    c.step()
    assert not np.array_equal(plot.stack.image, third)
    c.step_back()
    np.testing.assert_array_equal(plot.stack.image, third)
    c.seek(0)
    assert plot.n_steps == 0


def test_hovering_a_time_rings_its_point_and_hovering_a_point_moves_the_cursor(sequence_window, qtbot):
    window = sequence_window()
    c = window.controller
    for _ in range(5):
        c.step()
    docks = window.sequence_docks
    plot, layer = docks.posterior, docks.path_layer
    qtbot.waitUntil(lambda: _really_visible(plot))
    # the strip -> the canvas
    scene_pos = plot.view_box.mapViewToScene(QPointF(57, 0.5))
    with qtbot.waitSignal(plot.time_hovered):
        plot.scene().sigMouseMoved.emit(scene_pos)
    assert plot.cursor_time == 57 and layer.highlighted == 57
    X = window.session.shown_points()
    assert list(layer.highlight.data["x"]) == [X[57, 0]]
    assert window.teaching.hovered == 57  # the inspector shows that point
    click_at = plot.mapFromScene(plot.view_box.mapViewToScene(QPointF(80, 0.5)))
    QTest.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, click_at)
    qtbot.waitUntil(lambda: window.teaching.pinned == 80)  # a click pins that time's point
    # the canvas -> the strip: hover the point of time 130
    canvas = window.canvas
    target = viewport_pos(canvas, *X[130])
    with qtbot.waitSignal(canvas.point_hovered) as hovered:
        canvas.scene().sigMouseMoved.emit(canvas.mapToScene(target))
    t = hovered.args[0]
    assert np.allclose(X[t], X[130])  # the point under the mouse (a duplicate of it, if any)
    assert plot.cursor_time == t and plot.cursor.value() == t


def test_sequence_on_the_canvas_joins_points_in_order_and_decodes_on_demand(sequence_window):
    window = sequence_window()
    docks = window.sequence_docks
    layer = docks.path_layer
    window.controller.step()
    X = window.session.shown_points()
    assert layer.joined.isVisible()
    np.testing.assert_array_equal(layer.joined.xData, X[:, 0])
    assert layer.joined.zValue() < window.canvas.points.zValue()
    assert not layer.decoded_drawn
    window.findChild(QAction, "decodedPathAction").trigger()
    assert docks.decoded_check.isChecked() and layer.decoded_drawn
    drawn = sum(0 if item.xData is None or not item.isVisible() else len(item.xData)
                for item in layer.stays + [layer.switches])
    assert drawn == 2 * (X.shape[0] - 1)  # every step t -> t+1 once, as a stay or a switch
    docks.joined_check.setChecked(False)
    assert not layer.joined.isVisible()


def test_a_long_sequence_is_decoded_off_the_gui_thread(make_window, qtbot):
    from clusterviz.data import Dataset
    from clusterviz.ui.panels.sequence_docks import CANVAS_PATH_LIMIT, VITERBI_BACKGROUND_STEPS

    rng = np.random.default_rng(1)
    T = VITERBI_BACKGROUND_STEPS + 5000
    regime = np.repeat(rng.integers(0, 2, T // 50), 50)[:T]  # long stays in one of two places
    X = rng.normal(size=(T, 2)) + 4.0 * regime[:, None]
    window = make_window(Dataset(name="walk", X=X, columns=("x", "y")), algorithm=SEQUENCE_MODEL, n_clusters=2)
    docks = attach(window)
    with qtbot.waitSignal(window.controller.stepped, timeout=60000):
        window.controller.step()
    plot = docks.posterior
    assert plot.n_steps == T
    assert plot.path_label == "argmax γ"  # shown at once, honestly labelled, while the worker decodes
    qtbot.waitUntil(lambda: plot.path_label == "Viterbi", timeout=60000)
    assert "Viterbi path" in docks.caption.full_text()
    # a path through every point would hide them and slow every frame: the canvas keeps to the points
    assert T > CANVAS_PATH_LIMIT
    assert not docks.joined_check.isEnabled() and not docks.path_layer.joined.isVisible()
    assert str(CANVAS_PATH_LIMIT) in docks.joined_check.toolTip()


def test_the_docks_sit_under_the_canvas_and_leave_the_side_column_its_height(sequence_window, qtbot):
    window = sequence_window()
    window.resize(1280, 720)
    docks = window.sequence_docks
    side = window.findChild(QWidget, "sideColumn")
    qtbot.waitUntil(lambda: _really_visible(docks.posterior) and _really_visible(docks.transitions))

    def left(widget) -> int:
        return widget.mapTo(window, widget.rect().topLeft()).x()

    def right(widget) -> int:
        return widget.mapTo(window, widget.rect().topRight()).x()

    for dock in (docks.posterior_dock, docks.transition_dock):
        assert right(dock) < left(side)  # under the canvas, not under the side column
    assert left(docks.posterior_dock) <= left(window.canvas) + 2
    canvas_bottom = window.canvas.mapTo(window, window.canvas.rect().bottomLeft()).y()
    assert side.mapTo(window, side.rect().bottomLeft()).y() > canvas_bottom + 100  # the column runs on down
    assert window.canvas.height() >= 300 and docks.posterior.height() >= 80
