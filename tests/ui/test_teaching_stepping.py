"""Teaching views: half-step mode, timeline slider, centroid trails,
changed-points count, colour modes, point inspector with pinning, ambiguity."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QSlider, QWidget
from ui_helpers import trail_lengths, viewport_pos


def blobs():
    from clusterviz.data import builtin_dataset

    return builtin_dataset("three_blobs")


def find(window, name: str, kind=QWidget):
    widget = window.findChild(kind, name)
    assert widget is not None, f"no widget named {name!r}"
    return widget


NEW_CONTROLS = ("halfStepCheck", "timelineSlider", "trailsCheck", "colourModeCombo", "ambiguityCheck",
                "inspectorPanel")


def test_new_controls_have_names_and_one_line_tooltips(make_window):
    window = make_window()
    for name in NEW_CONTROLS:
        tip = find(window, name).toolTip()
        assert tip and "\n" not in tip, name
    combo = find(window, "colourModeCombo", QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == ["hard", "opacity", "blend"]
    assert combo.currentText() == "opacity"


# ---------------------------------------------------------------- stepping
@pytest.mark.parametrize("algorithm, e_text, m_text", [
    ("kmeans", "Assign points", "Move centroids"),
    ("soft-kmeans", "Assign points", "Move centroids"),
    ("gmm", "E-step: responsibilities", "M-step: parameters"),
])
def test_half_step_mode_alternates_e_and_m_and_names_the_next_half(make_window, qtbot, algorithm, e_text, m_text):
    window = make_window(blobs(), algorithm=algorithm, seed=1, init="random")
    step = find(window, "stepButton")
    check = find(window, "halfStepCheck", QCheckBox)
    assert step.text() == "Step ▶"
    check.setChecked(True)
    assert step.text().startswith(e_text)
    assert not find(window, "halfStepButton").isVisibleTo(window)  # Step itself goes by halves now
    phases = []
    for _ in range(4):
        expected = e_text if len(phases) % 2 == 0 else m_text
        assert step.text().startswith(expected)
        with qtbot.waitSignal(window.controller.stepped, timeout=2000):
            qtbot.mouseClick(step, Qt.MouseButton.LeftButton)
        phases.append(window.session.phases[window.session.cursor])
    assert phases == ["E", "M", "E", "M"]
    # the objective plot has a point after every half-step: 2 per iteration (+ the start, whose J
    # K-Means cannot have: no point is assigned yet)
    assert len(window.objective_plot.curve.xData) == 5 - window.session.algorithm_entry.hard
    check.setChecked(False)
    assert step.text() == "Step ▶"
    assert find(window, "halfStepButton").isVisibleTo(window)
    window.controller.seek(1)  # back on an E entry: a full Step replays its M half
    qtbot.mouseClick(step, Qt.MouseButton.LeftButton)
    assert window.session.cursor == 2 and window.session.phases[2] == "M"


def test_half_step_mode_play_goes_by_halves(make_window, qtbot):
    window = make_window()
    find(window, "halfStepCheck", QCheckBox).setChecked(True)
    find(window, "speedSlider", QSlider).setValue(30)
    window.controller.play()
    qtbot.waitUntil(lambda: not window.controller.playing, timeout=10000)
    phases = window.session.phases
    assert phases[0] == "init" and set(phases[1::2]) == {"E"} and set(phases[2::2]) == {"M"}


def test_timeline_slider_scrubs_and_canvas_info_marker_follow(make_window, qtbot):
    window = make_window(blobs(), algorithm="gmm", seed=1, init="random")
    s = window.session
    window.controller.run_to_convergence()
    slider = find(window, "timelineSlider", QSlider)
    n = len(s.timeline)
    assert n > 3
    assert (slider.minimum(), slider.maximum(), slider.value()) == (0, n - 1, n - 1)
    info = find(window, "infoLabel", QLabel)
    end_text = info.text()
    with qtbot.waitSignal(window.controller.stepped, timeout=2000):
        slider.setValue(1)
    assert s.cursor == 1
    np.testing.assert_allclose(window.canvas.centroids.data["x"], s.timeline[1].means[:, 0])
    assert info.text() != end_text and info.text().startswith("Iteration 1")
    assert window.objective_plot.marker.data["x"][0] == 1.0
    # stepping back moves the slider (no echo: the cursor stays where Back put it)
    window.controller.step_back()
    assert slider.value() == 0 and s.cursor == 0
    # a new run shrinks the range
    window.controller.reset_fit()
    assert slider.maximum() == 0 and not slider.isEnabled()


def test_replay_after_scrubbing_gives_the_same_states(make_window):
    window = make_window(algorithm="gmm")
    s = window.session
    find(window, "halfStepCheck", QCheckBox).setChecked(True)
    for _ in range(7):
        window.controller.advance()
    recorded = []
    for i in range(len(s.timeline)):
        window.controller.seek(i)
        recorded.append((s.state.means.copy(), float(s.state.objective), s.state.responsibilities))
    find(window, "timelineSlider", QSlider).setValue(2)
    assert s.cursor == 2
    while not s.at_end:
        window.controller.advance()
        m, obj, R = recorded[s.cursor]
        np.testing.assert_array_equal(s.state.means, m)
        assert s.state.objective == obj
        if R is not None:
            np.testing.assert_array_equal(s.state.responsibilities, R)
    assert len(s.timeline) == len(recorded)


def test_info_line_counts_points_that_changed_cluster(make_window):
    window = make_window(seed=3, init="random")
    info = find(window, "infoLabel", QLabel)
    window.controller.step()
    window.controller.step()
    n = window.session.n_changed
    assert n is not None
    assert f"{n} of {window.session.n_points} points changed cluster" in info.text()
    window.controller.seek(0)
    assert "changed cluster" not in info.text()


def test_trails_have_one_vertex_per_step_up_to_the_cursor(make_window):
    window = make_window(seed=2, init="random")
    trails = window.canvas.trails
    check = find(window, "trailsCheck", QCheckBox)
    window.controller.step()
    assert not any(item.isVisible() for item in trails.items)
    check.setChecked(True)
    for _ in range(3):
        window.controller.step()
    s = window.session
    assert trail_lengths(trails, s.n_clusters) == [s.cursor + 1] * s.n_clusters
    visible = [item.isVisible() for item in trails.items]
    assert visible[: s.n_clusters] == [True] * s.n_clusters and not any(visible[s.n_clusters:])
    # the trail of cluster 0 ends at its shown mean
    item = trails.items[0]
    np.testing.assert_allclose([item.xData[-1], item.yData[-1]], s.state.means[0, :2])
    window.controller.seek(1)
    assert trail_lengths(trails, s.n_clusters) == [2] * s.n_clusters
    check.setChecked(False)
    assert not any(item.isVisible() for item in trails.items)


# ---------------------------------------------------------------- colours
def _brush_rgba(window) -> np.ndarray:
    brushes = window.canvas.points.data["brush"]
    return np.array([[b.color().red(), b.color().green(), b.color().blue(), b.color().alpha()] for b in brushes])


def test_blend_colours_are_the_responsibility_mix(make_window):
    from clusterviz.ui.canvas.palette import CLUSTER_COLOURS
    from PySide6.QtGui import QColor

    window = make_window(blobs(), algorithm="gmm", seed=1, init="random")
    window.controller.step()
    window.controller.step()  # after the first E-step from random points every r is 0 or 1
    find(window, "colourModeCombo", QComboBox).setCurrentText("blend")
    assert window.canvas.colour_mode == "blend"
    R = window.session.state.responsibilities
    colours = np.array([[QColor(c).red(), QColor(c).green(), QColor(c).blue()] for c in CLUSTER_COLOURS[:3]])
    expected = R @ colours
    got = _brush_rgba(window)
    np.testing.assert_allclose(got[:, :3], expected, atol=255 / 31 / 2 + 1)  # quantised to 32 levels
    assert np.all(got[:, 3] == 255)
    # the most mixed point really is a mix, not its argmax colour
    i = int(np.argmin(R.max(axis=1)))
    assert not np.allclose(got[i, :3], colours[int(np.argmax(R[i]))], atol=10)


def test_hard_and_opacity_modes(make_window):
    window = make_window(algorithm="gmm", seed=1, init="random")
    window.controller.step()
    combo = find(window, "colourModeCombo", QComboBox)
    combo.setCurrentText("hard")
    assert np.all(_brush_rgba(window)[:, 3] == 255)
    combo.setCurrentText("opacity")
    alpha = _brush_rgba(window)[:, 3] / 255.0
    strength = window.session.state.responsibilities.max(axis=1)
    assert np.all(np.abs(alpha - (0.12 + 0.88 * strength)) < 0.05)


# --------------------------------------------------------------- inspector
def test_inspector_shows_hard_vector_for_kmeans_and_soft_for_gmm(make_window):
    window = make_window()
    window.controller.step()
    window.teaching.hover(4)
    panel = find(window, "inspectorPanel")
    assert panel.index == 4
    r = panel.responsibilities
    assert set(np.unique(r)) <= {0.0, 1.0} and r.sum() == 1.0
    assert find(window, "inspectorCaption", QLabel).text() == "K-Means: hard 0/1 responsibilities"
    d = panel.distances
    assert d.shape == (3,) and int(np.argmin(d)) == int(np.argmax(r))
    np.testing.assert_allclose(d, np.linalg.norm(window.session.state.means - window.session.X[4], axis=1))

    window.controller.set_algorithm("gmm")
    window.controller.step()
    window.teaching.hover(4)
    r = panel.responsibilities
    assert r.sum() == pytest.approx(1.0)
    assert np.all((r >= 0) & (r <= 1))
    assert "soft" in find(window, "inspectorCaption", QLabel).text()


def test_inspector_before_any_e_step_says_not_assigned(make_window):
    window = make_window(algorithm="gmm")
    window.teaching.hover(0)
    panel = find(window, "inspectorPanel")
    assert panel.responsibilities is None and panel.distances is not None
    assert "not assigned yet" in panel.label.text()


def _hover_until(window, qtbot, index: int) -> None:
    x, y = window.session.X[index]
    jiggle = [0]

    def hovered() -> bool:
        # pyqtgraph drops move events that come too fast, and a move to where
        # the mouse already is sends none: alternate between two nearby pixels
        # (looked up anew each time: the canvas's first paint may resize its axes).
        jiggle[0] ^= 1
        QTest.mouseMove(window.canvas.viewport(), viewport_pos(window.canvas, x, y) + QPoint(jiggle[0], 0))
        return window.teaching.hovered == index

    qtbot.waitUntil(hovered, timeout=3000)


def test_click_on_a_point_pins_it_and_esc_or_a_click_elsewhere_unpins(make_window, qtbot):
    window = make_window(show=True, algorithm="gmm")
    window.controller.step()
    s = window.session
    n = s.n_points
    panel = find(window, "inspectorPanel")
    # two points with no other point near them, so the mouse finds exactly them
    gaps = np.linalg.norm(s.X[:, None] - s.X[None], axis=2) + np.eye(n) * 1e9
    a, b = (int(i) for i in np.argsort(gaps.min(axis=1))[-2:])
    _hover_until(window, qtbot, a)
    pos = viewport_pos(window.canvas, *s.X[a])
    QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    assert s.n_points == n  # a click on a point adds nothing
    assert panel.pinned and panel.index == a
    assert "Pinned" in panel.label.text()
    np.testing.assert_allclose(window.pin_marker.item.data["x"], [s.X[a, 0]])
    # hovering another point keeps the pinned one
    _hover_until(window, qtbot, b)
    assert panel.index == a and panel.pinned
    # Esc unpins; the inspector follows the mouse again
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert not panel.pinned and panel.index == b
    assert len(window.pin_marker.item.data) == 0
    # pin again, then a click on empty canvas only unpins (adds no point) ...
    window.teaching.toggle_pin(a)
    assert panel.pinned
    (x0, x1), (y0, y1) = window.canvas.view_box.viewRange()
    empty = viewport_pos(window.canvas, x0 + 0.02 * (x1 - x0), y0 + 0.98 * (y1 - y0))
    QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, empty)
    assert not panel.pinned and s.n_points == n
    # ... and the next one adds a point as before
    QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, empty)
    assert s.n_points == n + 1


def test_pinned_point_follows_scrubbing(make_window):
    window = make_window(algorithm="gmm")
    window.controller.run_to_convergence()
    window.teaching.toggle_pin(3)
    panel = find(window, "inspectorPanel")
    at_end = panel.responsibilities.copy()
    find(window, "timelineSlider", QSlider).setValue(1)
    assert panel.pinned and panel.index == 3
    np.testing.assert_array_equal(panel.responsibilities, window.session.state.responsibilities[3])
    assert not np.array_equal(panel.responsibilities, at_end) or window.session.cursor == 1
    window.teaching.toggle_pin(3)  # a second click on the pinned point unpins it
    assert not panel.pinned


# --------------------------------------------------------------- ambiguity
@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "soft-kmeans"])
def test_ambiguity_layer_colours_points_by_values_in_unit_interval(make_window, algorithm):
    window = make_window(blobs(), algorithm=algorithm, seed=1, init="random")
    window.controller.step()
    window.controller.step()
    before = _brush_rgba(window)
    check = find(window, "ambiguityCheck", QCheckBox)
    check.setChecked(True)
    a = window.canvas.ambiguity
    assert a is not None and a.shape == (window.session.n_points,)
    assert np.all(np.isfinite(a)) and a.min() >= 0.0 and a.max() <= 1.0
    assert find(window, "ambiguityLegend").isVisibleTo(window)
    # every point keeps its cluster's colour; a halo behind it shows the ambiguity
    np.testing.assert_array_equal(_brush_rgba(window), before)
    halos = np.array([b.color().alpha() for b in window.canvas.halos.scatter.data["brush"]])
    assert halos[int(np.argmax(a))] > halos[int(np.argmin(a))]
    check.setChecked(False)
    assert len(window.canvas.halos.scatter.data) == 0
    assert window.canvas.ambiguity is None
    np.testing.assert_array_equal(_brush_rgba(window), before)


def test_kmeans_ambiguity_is_d1_over_d2(make_window):
    from clusterviz.model.ambiguity import centroid_distances

    window = make_window()
    window.controller.step()
    find(window, "ambiguityCheck", QCheckBox).setChecked(True)
    s = window.session
    D = np.sort(centroid_distances(s.X, s.state.means), axis=1)
    np.testing.assert_allclose(window.canvas.ambiguity, D[:, 0] / D[:, 1])


def test_keyboard_shortcuts_toggle_the_new_controls(make_window, qtbot):
    window = make_window(show=True)
    for key, name in ((Qt.Key.Key_H, "halfStepCheck"), (Qt.Key.Key_T, "trailsCheck"),
                      (Qt.Key.Key_A, "ambiguityCheck")):
        check = find(window, name, QCheckBox)
        assert not check.isChecked()
        QTest.keyClick(window, key)
        qtbot.waitUntil(check.isChecked, timeout=2000)
    assert window.controller.half_steps
    QTest.keyClick(window, Qt.Key.Key_Right)  # Right follows the mode: one half-step
    assert window.session.phases[window.session.cursor] == "E"


def test_click_on_a_point_of_a_big_raster_data_set_pins_it(make_window, qtbot):
    from clusterviz.data import Dataset
    from clusterviz.ui.canvas.cluster_canvas import RASTER_THRESHOLD

    rng = np.random.default_rng(0)
    X = rng.standard_normal((RASTER_THRESHOLD + 10, 2))
    X[0] = [6.0, 6.0]  # far from every other point
    window = make_window(Dataset("big", X, ("x", "y")), show=True)
    assert window.canvas.raster.active
    window.canvas.fit_view(X)
    pos = viewport_pos(window.canvas, 6.0, 6.0)
    QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    assert window.teaching.pinned == 0
    assert window.session.n_points == X.shape[0]


def test_rgba_brush_cache_reuses_brushes_across_frames(qapp):
    from clusterviz.ui.canvas.point_colours import QUANT_LEVELS, RgbaBrushCache, point_rgba

    rng = np.random.default_rng(1)
    R = rng.dirichlet(np.ones(3), size=500)
    cache = RgbaBrushCache()
    a = cache.brushes(point_rgba(R, "blend"))
    b = cache.brushes(point_rgba(R, "blend"))
    assert all(x is y for x, y in zip(a, b))  # no new brush on the second frame
    assert len(cache) == len({id(x) for x in a}) <= QUANT_LEVELS ** 3
    # one-hot rows blend to the pure cluster colours
    pure = point_rgba(np.eye(3), "blend")
    np.testing.assert_array_equal(pure, point_rgba(np.eye(3), "hard"))
