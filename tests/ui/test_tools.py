"""The canvas tools (Add, Brush, Erase, Move, Blob, Centroid, Clear all), the
class palette and the adjusted Rand index on the info line.

Most tests drive a tool through its data-coordinate handlers (`press`,
`move`, `release`); a few use real mouse events on the canvas.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox
from sklearn.metrics import adjusted_rand_score

from clusterviz.data import Dataset, builtin_dataset
from ui_helpers import viewport_pos


def stroke(tools, points, modifiers=Qt.KeyboardModifier.NoModifier):
    """Press at the first point, move through the others, release at the last."""
    (x0, y0), *rest = points
    tools.press(x0, y0, modifiers)
    for x, y in rest:
        tools.move(x, y)
    x1, y1 = points[-1]
    tools.release(x1, y1)


def corner(window, fx=0.9, fy=0.1):
    (x0, x1), (y0, y1) = window.canvas.view_box.viewRange()
    return x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)


def screen_distance(tools, P, centre):
    d = (np.asarray(P) - np.asarray(centre)) / tools.pixel_size()
    return np.hypot(d[:, 0], d[:, 1])


# ----------------------------------------------------------------- toolbar
def test_toolbar_has_exclusive_tools_with_tooltips_and_shortcuts(make_window):
    window = make_window()
    names = {"toolAdd": "P", "toolBrush": "B", "toolErase": "E", "toolMove": "M", "toolBlob": "G",
             "toolCentroid": "C"}
    actions = {name: window.findChild(QAction, name) for name in names}
    for name, action in actions.items():
        assert action is not None, name
        assert action.isCheckable() and action.toolTip()
        assert action.shortcut().toString() == names[name]
    assert actions["toolAdd"].isChecked() and window.tools.tool == "add"
    actions["toolBrush"].trigger()
    assert window.tools.tool == "brush"
    assert [n for n, a in actions.items() if a.isChecked()] == ["toolBrush"]
    clear = window.findChild(QAction, "toolClear")
    assert clear is not None and clear.toolTip()
    for name in ("radiusSpin", "densitySpin", "blobSpin"):
        assert window.findChild(QSpinBox, name).toolTip()
    assert window.findChild(QComboBox, "classCombo").toolTip()


def test_tool_shortcuts_do_not_clash(make_window):
    window = make_window()
    seen = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            text = key.toString()
            if text and action.isEnabled() and text in seen and seen[text] is not action:
                pytest.fail(f"{text} is the shortcut of {seen[text].objectName()} and {action.objectName()}")
            seen[text] = action


def test_shortcut_key_picks_a_tool(make_window, qtbot):
    window = make_window(show=True)
    QTest.keyClick(window, Qt.Key.Key_B)
    assert window.tools.tool == "brush"
    QTest.keyClick(window, Qt.Key.Key_G)
    assert window.tools.tool == "blob"


# --------------------------------------------------------------------- Add
def test_click_adds_one_point_and_undo_removes_it(make_window, qtbot):
    window = make_window(show=True)
    canvas = window.canvas
    before = window.session.X.copy()
    target = corner(window)
    view_before = canvas.view_box.viewRange()
    with qtbot.waitSignal(window.controller.data_changed, timeout=2000):
        QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         viewport_pos(canvas, *target))
    X = window.session.X
    assert X.shape[0] == before.shape[0] + 1
    assert np.all(screen_distance(window.tools, X[-1:], target) <= 1.5)
    np.testing.assert_allclose(canvas.view_box.viewRange(), view_before)  # the view did not jump
    assert window.tools.undo_stack.count() == 1
    window.tools.undo_action.trigger()
    np.testing.assert_array_equal(window.session.X, before)
    window.tools.redo_action.trigger()
    np.testing.assert_array_equal(window.session.X, X)


def test_left_drag_with_add_pans_and_adds_nothing(make_window):
    window = make_window()
    tools = window.tools
    n = window.session.n_points
    (x0, x1), _ = window.canvas.view_box.viewRange()
    a, b = corner(window, 0.8, 0.1), corner(window, 0.6, 0.1)
    stroke(tools, [a, b])
    assert window.session.n_points == n
    (nx0, nx1), _ = window.canvas.view_box.viewRange()
    assert nx0 == pytest.approx(x0 + (a[0] - b[0]))


# ------------------------------------------------------------------- Brush
def test_brush_stroke_is_one_undo_step(make_window):
    window = make_window()
    tools = window.tools
    tools.set_tool("brush")
    tools.radius_spin.setValue(20)
    tools.density_spin.setValue(5)
    before = window.session.X.copy()
    a, b = corner(window, 0.6, 0.2), corner(window, 0.9, 0.2)
    path = [a] + [(a[0] + t * (b[0] - a[0]), a[1]) for t in np.linspace(0.1, 1.0, 10)]
    stroke(tools, path)
    X = window.session.X.copy()
    added = X[before.shape[0]:]
    assert added.shape[0] >= 5 * 3 and added.shape[0] % 5 == 0
    np.testing.assert_array_equal(X[:before.shape[0]], before)
    # every new point lies within the brush radius of the stroke's line
    sx, sy = tools.pixel_size()
    assert np.all(np.abs(added[:, 1] - a[1]) / sy <= 20 + 1e-9)
    assert tools.undo_stack.count() == 1
    tools.undo_stack.undo()
    np.testing.assert_array_equal(window.session.X, before)
    tools.undo_stack.redo()
    np.testing.assert_array_equal(window.session.X, X)


def test_brush_is_reproducible_with_a_seeded_generator(make_window):
    results = []
    for _ in range(2):
        window = make_window()
        window.tools.rng = np.random.default_rng(5)
        window.tools.set_tool("brush")
        stroke(window.tools, [corner(window, 0.7, 0.3)])
        results.append(window.session.X.copy())
    np.testing.assert_array_equal(results[0], results[1])


def test_brush_mid_run_keeps_the_parameters_and_truncates(make_window):
    window = make_window()
    c = window.controller
    for _ in range(3):
        c.step()
    c.step_back()
    means = window.session.state.means.copy()
    window.tools.set_tool("brush")
    stroke(window.tools, [corner(window, 0.7, 0.3)])
    s = window.session
    assert len(s.timeline) == 1 and s.cursor == 0 and s.state.phase == "init"
    np.testing.assert_array_equal(s.state.means, means)


def test_brush_on_four_column_data_says_why_once(make_window):
    X4 = np.random.default_rng(0).normal(size=(30, 4))
    window = make_window(Dataset("four", X4, ("a", "b", "c", "d")))
    X = window.session.X.copy()
    window.tools.set_tool("brush")
    errors = []
    window.controller.failed.connect(errors.append)
    stroke(window.tools, [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0)])
    assert len(errors) == 1 and "2-D" in errors[0]
    np.testing.assert_array_equal(window.session.X, X)
    assert window.tools.undo_stack.count() == 0


def test_real_mouse_brush_drag(make_window, qtbot):
    window = make_window(show=True)
    canvas = window.canvas
    window.tools.set_tool("brush")
    n = window.session.n_points
    view = canvas.view_box.viewRange()
    vp = canvas.viewport()
    a, b = viewport_pos(canvas, *corner(window, 0.6, 0.2)), viewport_pos(canvas, *corner(window, 0.9, 0.2))
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for t in np.linspace(0.1, 1.0, 8):
        QTest.mouseMove(vp, QPoint(int(a.x() + t * (b.x() - a.x())), a.y()))
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)
    assert window.session.n_points > n + window.tools.density_spin.value()
    assert window.tools.undo_stack.count() == 1
    np.testing.assert_allclose(canvas.view_box.viewRange(), view)  # no pan while brushing


def test_right_drag_pans_in_every_tool(make_window, qtbot):
    window = make_window(show=True)
    canvas = window.canvas
    window.tools.set_tool("erase")
    n = window.session.n_points
    (x0, x1), _ = canvas.view_box.viewRange()
    vp = canvas.viewport()
    a = viewport_pos(canvas, *corner(window, 0.5, 0.5))
    QTest.mousePress(vp, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, a)
    QTest.mouseMove(vp, QPoint(a.x() + 60, a.y()))
    QTest.mouseRelease(vp, Qt.MouseButton.RightButton, Qt.KeyboardModifier.NoModifier, QPoint(a.x() + 60, a.y()))
    (nx0, nx1), _ = canvas.view_box.viewRange()
    assert nx0 < x0 and nx1 - nx0 == pytest.approx(x1 - x0)
    assert window.session.n_points == n


# ------------------------------------------------------------------- Erase
def test_erase_removes_only_the_points_under_the_circle(make_window):
    window = make_window()
    tools = window.tools
    tools.set_tool("erase")
    tools.radius_spin.setValue(25)
    X = window.session.X.copy()
    centre = X[3]
    inside = screen_distance(tools, X, centre) <= 25
    assert 1 <= inside.sum() < X.shape[0]
    stroke(tools, [tuple(centre)])
    np.testing.assert_array_equal(window.session.X, X[~inside])
    tools.undo_stack.undo()
    np.testing.assert_array_equal(window.session.X, X)


def test_erase_drag_keeps_true_classes_of_the_rest(make_window):
    ds = builtin_dataset("three_blobs")
    window = make_window(ds)
    tools = window.tools
    tools.set_tool("erase")
    X = window.session.X.copy()
    path = [tuple(X[0]), tuple(X[1]), tuple(X[2])]
    hit = np.zeros(X.shape[0], dtype=bool)
    for p in path:
        hit |= screen_distance(tools, X, p) <= tools.radius_spin.value()
    stroke(tools, path)
    np.testing.assert_array_equal(window.session.X, X[~hit])
    np.testing.assert_array_equal(window.session.dataset.labels, ds.labels[~hit])
    assert tools.undo_stack.count() == 1
    tools.undo_stack.undo()
    np.testing.assert_array_equal(window.session.dataset.labels, ds.labels)


# -------------------------------------------------------------------- Move
def test_move_drags_one_point(make_window):
    window = make_window()
    tools = window.tools
    tools.set_tool("move")
    X = window.session.X.copy()
    target = corner(window, 0.85, 0.85)
    middle = ((X[5, 0] + target[0]) / 2, (X[5, 1] + target[1]) / 2)
    stroke(tools, [tuple(X[5]), middle, target])
    after = window.session.X
    np.testing.assert_allclose(after[5], target)
    np.testing.assert_array_equal(np.delete(after, 5, axis=0), np.delete(X, 5, axis=0))
    assert tools.undo_stack.count() == 1
    tools.undo_stack.undo()
    np.testing.assert_array_equal(window.session.X, X)


def test_move_on_empty_space_moves_nothing(make_window):
    window = make_window()
    window.tools.set_tool("move")
    X = window.session.X.copy()
    stroke(window.tools, [corner(window, 0.95, 0.05), corner(window, 0.5, 0.5)])
    np.testing.assert_array_equal(window.session.X, X)
    assert window.tools.undo_stack.count() == 0


# -------------------------------------------------------------------- Blob
def test_blob_adds_n_points_with_the_dragged_spread(make_window):
    window = make_window()
    tools = window.tools
    tools.set_tool("blob")
    tools.blob_spin.setValue(2000)
    n = window.session.n_points
    start = corner(window, 0.5, 0.5)
    sx, sy = tools.pixel_size()
    end = (start[0] + 80 * sx, start[1])  # an 80-pixel drag to the right
    tools.press(*start)
    tools.move((start[0] + end[0]) / 2, start[1])
    assert tools.blob_outline.isVisible()  # previewed while dragging
    tools.move(*end)
    tools.release(*end)
    assert not tools.blob_outline.isVisible()
    P = window.session.X[n:]
    assert P.shape[0] == 2000
    np.testing.assert_allclose(P.mean(axis=0), start, atol=3 * sx + 3 * sy)
    # the drag is 2 sigma along x; across it the spread is half
    np.testing.assert_allclose(P.std(axis=0) / [sx, sy], [40.0, 20.0], rtol=0.08)
    assert tools.undo_stack.count() == 1
    tools.undo_stack.undo()
    assert window.session.n_points == n


# ---------------------------------------------------------------- Centroid
def test_centroid_clicks_place_initial_means_and_set_k(make_window):
    window = make_window()
    tools = window.tools
    tools.set_tool("centroid")
    spots = [corner(window, 0.9, 0.9), corner(window, 0.1, 0.9)]
    for p in spots:
        stroke(tools, [p])
    s = window.session
    np.testing.assert_allclose(s.initial_means, spots)
    assert s.n_clusters == 2 and window.controls.k_spin.value() == 2
    np.testing.assert_allclose(s.state.means, spots)
    # usable for the GMM too: its means start there
    window.controller.set_algorithm("gmm")
    np.testing.assert_allclose(window.session.state.means, spots)
    assert tools.undo_stack.count() == 2
    tools.undo_stack.undo()
    np.testing.assert_allclose(window.session.initial_means, spots[:1])
    tools.undo_stack.undo()
    assert window.session.initial_means is None and window.session.n_clusters == 3


def test_centroid_drag_moves_it_and_shift_click_removes_it(make_window):
    window = make_window()
    tools = window.tools
    tools.set_tool("centroid")
    spots = [corner(window, 0.9, 0.9), corner(window, 0.1, 0.9), corner(window, 0.5, 0.1)]
    for p in spots:
        stroke(tools, [p])
    target = corner(window, 0.5, 0.5)
    stroke(tools, [spots[1], corner(window, 0.3, 0.7), target])
    np.testing.assert_allclose(window.session.initial_means, [spots[0], target, spots[2]])
    assert tools.undo_stack.count() == 4  # the drag is one step
    stroke(tools, [spots[0]], Qt.KeyboardModifier.ShiftModifier)
    np.testing.assert_allclose(window.session.initial_means, [target, spots[2]])
    assert window.session.n_clusters == 2
    tools.undo_stack.undo()
    tools.undo_stack.undo()
    np.testing.assert_allclose(window.session.initial_means, spots)


def test_dragging_a_kmeans_plus_plus_centroid_starts_from_the_shown_ones(make_window):
    window = make_window()
    shown = window.session.state.means.copy()
    tools = window.tools
    tools.set_tool("centroid")
    target = corner(window, 0.95, 0.95)
    stroke(tools, [tuple(shown[0]), corner(window, 0.9, 0.9), target])
    expected = shown.copy()
    expected[0] = target
    np.testing.assert_allclose(window.session.initial_means, expected)
    assert window.session.n_clusters == 3


def test_dragging_a_kmeans_plus_plus_pick_keeps_k(make_window):
    window = make_window(builtin_dataset("three_blobs"))
    window.controller.set_show_seeding(True)
    s = window.session
    start = s.timeline[s.n_seed_entries].means.copy()  # the fit's start: all three picks
    assert s.entry.phase == "seed" and len(s.entry.means) == 1  # pick 1 of 3 shown
    tools = window.tools
    tools.set_tool("centroid")
    target = corner(window, 0.95, 0.95)
    stroke(tools, [tuple(s.entry.means[0]), corner(window, 0.9, 0.9), target])
    expected = start.copy()
    expected[0] = target
    assert window.session.n_clusters == 3
    np.testing.assert_allclose(window.session.initial_means, expected)


# --------------------------------------------------------------- Clear all
def test_clear_all_is_undoable(make_window):
    window = make_window()
    X = window.session.X.copy()
    window.findChild(QAction, "toolClear").trigger()
    assert window.session.n_points == 0 and window.session.state is None
    window.tools.undo_action.trigger()
    np.testing.assert_array_equal(window.session.X, X)
    assert window.session.state is not None


def test_edit_menu_lists_undo_redo_and_clear(make_window):
    window = make_window()
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Edit")
    names = [a.objectName() for a in menu.actions()]
    assert {"undoAction", "redoAction", "toolClear"} <= set(names)
    assert window.tools.undo_action.shortcut().toString() == "Ctrl+Z"
    assert window.tools.redo_action.shortcut().toString() == "Ctrl+Shift+Z"


def test_ctrl_z_and_ctrl_shift_z(make_window, qtbot):
    window = make_window(show=True)
    X = window.session.X.copy()
    window.tools.set_tool("brush")
    stroke(window.tools, [corner(window, 0.7, 0.2)])
    after = window.session.X.copy()
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(window.session.X, X)
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    np.testing.assert_array_equal(window.session.X, after)


def test_loading_a_data_set_clears_the_undo_history(make_window):
    window = make_window()
    window.tools.set_tool("brush")
    stroke(window.tools, [corner(window, 0.7, 0.2)])
    assert window.tools.undo_action.isEnabled()
    window.controller.load_builtin("three_blobs")
    assert window.tools.undo_stack.count() == 0 and not window.tools.undo_action.isEnabled()


# ---------------------------------------------------------- true classes
def test_painting_classes_on_unclassified_data(make_window):
    window = make_window()
    combo = window.findChild(QComboBox, "classCombo")
    assert combo.currentText() == "No class"
    assert [combo.itemText(i) for i in range(combo.count())] == ["No class", "Class 1", "Class 2", "Class 3",
                                                                  "Class 4"]
    n = window.session.n_points
    combo.setCurrentIndex(combo.findText("Class 3"))
    stroke(window.tools, [corner(window, 0.9, 0.1)])
    labels = window.session.dataset.labels
    np.testing.assert_array_equal(labels, [0] * n + [2])
    assert window.canvas.points.data["symbol"][-1] == "t" and window.canvas.points.data["symbol"][0] == "o"
    # the palette now lists the classes in use plus one new one
    assert combo.currentText() == "Class 3"
    assert [combo.itemText(i) for i in range(combo.count())][-1] == "Class 4"
    window.tools.undo_stack.undo()
    assert window.session.dataset.labels is None


def test_brush_uses_the_current_class_and_markers_show_it(make_window):
    ds = builtin_dataset("three_blobs")
    window = make_window(ds)
    combo = window.findChild(QComboBox, "classCombo")
    assert [combo.itemText(i) for i in range(combo.count())] == ["blob 1", "blob 2", "blob 3", "Class 4"]
    combo.setCurrentIndex(1)
    window.tools.set_tool("brush")
    stroke(window.tools, [corner(window, 0.9, 0.1)])
    labels = window.session.dataset.labels
    new = labels[ds.n_samples:]
    assert new.size == window.tools.density_spin.value() and np.all(new == 1)
    symbols = window.canvas.points.data["symbol"]
    assert list(symbols[ds.n_samples:]) == ["s"] * new.size
    assert set(symbols[:100]) == {"o"} and set(symbols[200:300]) == {"t"}


def test_info_line_shows_ari_at_every_step(make_window):
    ds = builtin_dataset("anisotropic")
    window = make_window(ds, algorithm="gmm", seed=3)
    label = window.findChild(QLabel, "infoLabel")
    for _ in range(4):
        window.controller.step()
        R = window.session.state.responsibilities
        expected = adjusted_rand_score(ds.labels, np.argmax(R, axis=1))
        assert f"ARI vs true classes = {expected:.3f}" in label.text()


def test_no_ari_without_classes(make_window):
    window = make_window()
    window.controller.step()
    assert "ARI" not in window.findChild(QLabel, "infoLabel").text()


def test_csv_categorical_column_becomes_the_classes(make_window, tmp_path):
    from clusterviz.data import load_csv

    path = tmp_path / "pets.csv"
    rows = ["x,y,kind"] + [f"{i % 5},{(i * 7) % 5},{'cat' if i % 2 else 'dog'}" for i in range(20)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ds = load_csv(path)
    assert ds.class_names == ("dog", "cat")  # the text column became the classes
    window = make_window(ds, n_clusters=2)
    combo = window.findChild(QComboBox, "classCombo")
    assert combo.itemText(0) in ds.class_names
    window.controller.step()  # the ARI compares assignments: there are some after the first step
    assert "ARI vs true classes" in window.findChild(QLabel, "infoLabel").text()


def test_centroids_placed_before_there_are_enough_points_are_drawn(make_window):
    window = make_window(builtin_dataset("empty"))
    tools = window.tools
    tools.set_tool("centroid")
    spots = [corner(window, 0.2, 0.2), corner(window, 0.8, 0.8)]
    for p in spots:
        stroke(tools, [p])
    assert window.session.state is None and window.session.n_clusters == 2
    np.testing.assert_allclose(np.c_[tools.placed_means.data["x"], tools.placed_means.data["y"]], spots)
    tools.set_tool("add")
    for p in (corner(window, 0.3, 0.3), corner(window, 0.7, 0.7)):
        stroke(tools, [p])
    assert window.session.state is not None
    np.testing.assert_allclose(window.session.state.means, spots)
    assert len(tools.placed_means.data) == 0  # the fit draws them now


def test_tools_that_need_data_coordinates_refuse_a_projected_view(make_window):
    window = make_window()
    window.session.set_view_projection(np.array([[0.6, 0.8], [-0.8, 0.6]]))
    window.controller.view_changed.emit()
    errors = []
    window.controller.failed.connect(errors.append)
    X = window.session.X.copy()
    for name in ("brush", "move", "blob", "centroid", "add"):
        window.tools.set_tool(name)
        stroke(window.tools, [tuple(window.tools.shown_points()[0]), corner(window, 0.9, 0.9)]
               if name == "move" else [corner(window, 0.9, 0.1)])
    assert len(errors) == 5 and all("projection" in e for e in errors)
    np.testing.assert_array_equal(window.session.X, X)
    window.tools.set_tool("erase")  # erasing works on what is shown
    stroke(window.tools, [tuple(window.tools.shown_points()[0])])
    assert window.session.n_points < X.shape[0]


def test_undo_in_the_middle_of_a_stroke_ends_it_cleanly(make_window):
    window = make_window()
    tools = window.tools
    tools.set_tool("brush")
    X = window.session.X.copy()
    stroke(tools, [corner(window, 0.7, 0.2)])
    after_first = window.session.X.copy()
    tools.press(*corner(window, 0.2, 0.8))
    tools.undo_stack.undo()  # Ctrl+Z while the button is still down
    np.testing.assert_array_equal(window.session.X, X)
    tools.move(*corner(window, 0.3, 0.8))
    tools.release(*corner(window, 0.3, 0.8))
    np.testing.assert_array_equal(window.session.X, X)
    assert tools.undo_stack.count() == 1
    tools.undo_stack.redo()
    np.testing.assert_array_equal(window.session.X, after_first)
