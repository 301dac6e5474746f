"""The sequence views on their own: the posterior strip, the transition heat
map and the sequence layer of the canvas, fed with posteriors and parameters
built here (the docks that feed them from a session are tested in
test_sequence_views.py)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PySide6.QtCore import QPointF

from clusterviz.ui.canvas.cluster_canvas import ClusterCanvas
from clusterviz.ui.canvas.palette import cluster_colour
from clusterviz.ui.canvas.sequence_path import SequencePathLayer, joined_mask, path_segments
from clusterviz.ui.panels.sequence_posterior import PosteriorPlot, binned_posterior, stacked_states, state_lut
from clusterviz.ui.panels.sequence_transitions import TransitionView


def _gamma(T: int, K: int, seed: int = 0) -> np.ndarray:
    g = np.random.default_rng(seed).random((T, K)) + 0.05
    return g / g.sum(axis=1, keepdims=True)


def _hover(plot, x: float, y: float = 0.5) -> None:
    """Move the mouse over data point (x, y) of ``plot`` (a pyqtgraph PlotWidget)."""
    scene_pos = plot.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    plot.scene().sigMouseMoved.emit(scene_pos)


# ------------------------------------------------------------ the numbers
@settings(max_examples=40, deadline=None)
@given(T=st.integers(1, 9000), K=st.integers(1, 6), seed=st.integers(0, 10**6))
def test_binned_posterior_keeps_rows_summing_to_one(T, K, seed):
    binned = binned_posterior(_gamma(T, K, seed), max_columns=500)
    assert binned.shape == (min(T, 500), K)
    np.testing.assert_allclose(binned.sum(axis=1), 1.0)


@settings(max_examples=40, deadline=None)
@given(gamma=arrays(np.float64, st.tuples(st.integers(1, 30), st.integers(1, 5)),
                    elements=st.floats(0.0, 1.0)))
def test_the_stack_gives_each_state_its_share_of_the_column(gamma):
    gamma = gamma + 1e-3
    gamma /= gamma.sum(axis=1, keepdims=True)
    rows = 400
    image = stacked_states(gamma, rows=rows)
    assert image.shape == (rows, gamma.shape[0])
    for k in range(gamma.shape[1]):
        share = (image == k).mean(axis=0)
        # each state covers its γ of the column height, to within a row
        np.testing.assert_allclose(share, gamma[:, k], atol=1.5 / rows)
    # bottom-up in state order: no state sits below a lower-numbered one
    assert np.all(np.diff(image.astype(int), axis=0) >= 0)


def test_segments_never_cross_a_sequence_boundary():
    path = np.array([0, 0, 1, 1, 1, 0, 0])
    stays, switches = path_segments(path, [4, 3])
    assert stays[0].tolist() == [0, 5] and stays[1].tolist() == [2]
    assert switches.tolist() == [1, 4]  # t = 3 -> 4 crosses from one sequence to the next: not drawn
    assert joined_mask(7, [4, 3]).tolist() == [True, True, True, False, True, True, True]


# ------------------------------------------------------- posterior strip
def test_posterior_strip_stacks_gamma_and_labels_its_path_honestly(qtbot):
    plot = PosteriorPlot()
    qtbot.addWidget(plot)
    assert plot.objectName() == "posteriorPlot"
    assert plot.placeholder.isVisible() and plot.n_steps == 0
    gamma = np.array([[1.0, 0.0], [0.25, 0.75], [0.0, 1.0]])
    plot.show_posterior(gamma, np.argmax(gamma, axis=1), viterbi=False)
    assert not plot.placeholder.isVisible() and plot.n_steps == 3
    assert plot.path_label == "argmax γ"
    image = state_lut()[plot.stack.image]  # the colours drawn
    blue, orange = (np.array([c.red(), c.green(), c.blue()]) for c in (cluster_colour(0), cluster_colour(1)))
    assert (image[:, 0, :3] == blue).all() and (image[:, 2, :3] == orange).all()
    assert (image[:, 1, :3] == blue).all(axis=1).mean() == 0.25
    plot.show_posterior(gamma, np.array([0, 1, 1]), viterbi=True)
    assert plot.path_label == "Viterbi"
    assert "Viterbi" in [text for _, text in plot.getPlotItem().getAxis("left")._tickLevels[0]]


def test_hovering_a_time_moves_the_cursor_and_says_which(qtbot):
    plot = PosteriorPlot()
    qtbot.addWidget(plot)
    plot.resize(700, 200)
    plot.show()
    qtbot.waitExposed(plot)
    plot.show_posterior(_gamma(50, 3), None)
    with qtbot.waitSignal(plot.time_hovered) as blocker:
        _hover(plot, 17.2)
    assert blocker.args == [17]
    assert plot.cursor.isVisible() and plot.cursor.value() == 17 and plot.cursor_time == 17
    plot.set_cursor(60)  # past the end: no cursor
    assert not plot.cursor.isVisible() and plot.cursor_time == -1


def test_a_long_sequence_draws_a_bounded_image(qtbot):
    plot = PosteriorPlot()
    qtbot.addWidget(plot)
    plot.show_posterior(_gamma(200_000, 3), np.zeros(200_000, dtype=int))
    assert plot.stack.image.shape[1] <= 4000 and plot.path_band.image.shape[1] <= 4000
    assert plot.n_steps == 200_000


# -------------------------------------------------------- transition view
def test_transition_heat_map_shows_the_numbers_and_tints_by_value(qtbot):
    view = TransitionView()
    qtbot.addWidget(view)
    assert view.objectName() == "transitionView" and view.placeholder.isVisibleTo(view)
    A = np.array([[0.93, 0.07, 0.0], [0.2, 0.5, 0.3], [0.001, 0.0, 0.999]])
    view.show_parameters(np.array([0.6, 0.4, 0.0]), A)
    assert not view.placeholder.isVisibleTo(view)
    assert [[view.cell_text(j, k) for k in range(3)] for j in range(3)] == [
        ["0.93", "0.07", "0"], ["0.20", "0.50", "0.30"], ["<0.01", "0", "1.00"]]
    assert [view.start_text(k) for k in range(3)] == ["0.60", "0.40", "0"]
    table = view.transition_table
    dark, light = (table.item(0, 0).background().color(), table.item(0, 1).background().color())
    assert dark.lightness() < light.lightness()
    view.show_parameters(None, None)
    assert view.placeholder.isVisibleTo(view) and not view.transition_table.isVisibleTo(view)


# --------------------------------------------------------- canvas layer
def test_the_layer_joins_points_per_sequence_and_rings_a_time(qtbot):
    canvas = ClusterCanvas()
    qtbot.addWidget(canvas)
    layer = SequencePathLayer(canvas)
    P = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 1.0], [5.0, 5.0], [6.0, 5.0]])
    layer.set_sequence(P, [3, 2], path=np.array([0, 0, 1, 1, 1]))
    assert not layer.joined.isVisible()  # not active: the algorithm does not model order
    layer.set_active(True)
    assert layer.joined.isVisible()
    np.testing.assert_array_equal(layer.joined.xData, P[:, 0])
    assert layer.joined.opts["connect"].tolist() == [True, True, False, True, True]
    assert layer.joined.zValue() < canvas.points.zValue()  # behind the points
    assert not layer.decoded_drawn
    layer.set_decoded_visible(True)
    assert layer.decoded_drawn and layer.stays[0].isVisible() and layer.switches.isVisible()
    np.testing.assert_array_equal(layer.switches.xData, [1.0, 2.0])  # the one switch, t = 1 -> 2
    layer.highlight_time(3)
    assert layer.highlighted == 3 and list(layer.highlight.data["x"]) == [5.0]
    layer.set_active(False)
    assert not layer.joined.isVisible() and layer.highlighted == -1 and not layer.decoded_drawn


def test_presenter_scale_enlarges_the_strip_and_the_ring(qtbot):
    plot = PosteriorPlot()
    qtbot.addWidget(plot)
    canvas = ClusterCanvas()
    qtbot.addWidget(canvas)
    layer = SequencePathLayer(canvas)
    tick_size = plot.getPlotItem().getAxis("bottom").style["tickFont"]
    normal = tick_size.pointSizeF() if tick_size is not None else plot.font().pointSizeF()
    plot.set_scale(1.5)
    layer.set_scale(1.5)
    assert plot.getPlotItem().getAxis("bottom").style["tickFont"].pointSizeF() >= 1.5 * normal - 0.01
    assert plot.cursor.pen.widthF() == 1.6 * 1.5
    assert layer.highlight.opts["size"] == 24 * 1.5 and layer.joined.opts["pen"].widthF() == 1.5
