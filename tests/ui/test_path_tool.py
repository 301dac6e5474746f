"""The Path tool (drag to draw a sequence of points, appended in drag order,
one undo step) and the tool bar showing only the option boxes of the chosen
tool."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from clusterviz.ui.tools.path_tool import path_samples


def _corner(window, fx, fy):
    (x0, x1), (y0, y1) = window.canvas.view_box.viewRange()
    return x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)


@settings(max_examples=60, deadline=None)
@given(dx=st.floats(-500, 500), dy=st.floats(-500, 500), spacing=st.floats(1, 60),
       sx=st.floats(1e-3, 10), sy=st.floats(1e-3, 10))
def test_path_samples_are_evenly_spaced_along_the_drag(dx, dy, spacing, sx, sy):
    start, end = np.array([1.0, 2.0]), np.array([1.0 + dx * sx, 2.0 + dy * sy])
    P = path_samples(start, end, spacing, (sx, sy))
    length = np.hypot(dx, dy)  # pixels; a spacing that fits exactly may lose its last ulp to rounding
    assert int(length * (1 - 1e-9) // spacing) <= P.shape[0] <= int(length * (1 + 1e-9) // spacing)
    if P.shape[0]:
        steps_px = np.hypot(*(np.diff(np.vstack([start, P]), axis=0) / (sx, sy)).T)
        np.testing.assert_allclose(steps_px, spacing, rtol=1e-6)


def test_a_drawn_path_is_appended_in_drag_order_and_undone_at_once(make_window, qtbot):
    window = make_window(show=True)
    tools, session = window.tools, window.session
    window.findChild(QAction, "toolPath").trigger()
    assert tools.tool == "path"
    n0 = session.n_points
    # a zig-zag: right along the bottom, then up and back left along the top
    stroke = [_corner(window, fx, fy) for fx, fy in
              [(0.1, 0.1), (0.3, 0.1), (0.5, 0.1), (0.7, 0.1), (0.7, 0.5), (0.7, 0.9), (0.4, 0.9), (0.1, 0.9)]]
    tools.press(*stroke[0])
    for xy in stroke[1:]:
        tools.move(*xy)
    tools.release(*stroke[-1])
    X = window.session.X
    added = X[n0:]
    assert added.shape[0] >= 20
    np.testing.assert_allclose(added[0], stroke[0])  # the press is the first point
    # the rows follow the drag: along the stroke's arc length, each point comes after the one before
    legs = np.array(stroke)
    arc = [_arc_position(legs, p) for p in added]
    assert np.all(np.diff(arc) > 0)
    assert tools.undo_stack.count() == 1 and "Draw path" in tools.undo_stack.undoText()
    tools.undo_stack.undo()
    qtbot.waitUntil(lambda: window.session.n_points == n0)
    tools.undo_stack.redo()
    qtbot.waitUntil(lambda: window.session.n_points == n0 + added.shape[0])
    np.testing.assert_array_equal(window.session.X[n0:], added)


def _arc_position(vertices: np.ndarray, p: np.ndarray) -> float:
    """Where ``p`` lies along the polyline ``vertices`` (arc length of its nearest spot)."""
    best, best_d, done = 0.0, np.inf, 0.0
    for a, b in zip(vertices[:-1], vertices[1:]):
        ab = b - a
        length = float(np.hypot(*ab))
        u = 0.0 if length == 0 else float(np.clip(np.dot(p - a, ab) / length**2, 0.0, 1.0))
        d = float(np.hypot(*(a + u * ab - p)))
        if d < best_d - 1e-12:
            best, best_d = done + u * length, d
        done += length
    return best


def _shown(window, name: str) -> bool:
    widget = window.findChild(QWidget, name)
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


@pytest.mark.parametrize("tool, shown", [
    ("add", {"classCombo"}),
    ("brush", {"radiusSpin", "densitySpin", "classCombo"}),
    ("erase", {"radiusSpin"}),
    ("move", set()),
    ("blob", {"blobSpin", "classCombo"}),
    ("centroid", set()),
    ("path", {"pathSpacingSpin", "classCombo"}),
])
def test_the_tool_bar_shows_only_the_boxes_of_the_chosen_tool(make_window, qtbot, tool, shown):
    window = make_window(show=True)
    window.tools.set_tool(tool)
    boxes = ("radiusSpin", "densitySpin", "blobSpin", "pathSpacingSpin", "classCombo")
    qtbot.waitUntil(lambda: {name for name in boxes if _shown(window, name)} == shown)
