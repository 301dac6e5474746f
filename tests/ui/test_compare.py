"""The compare view: K-Means beside EM, same start, stepped together."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from clusterviz.ui.canvas import ClusterCanvas
from clusterviz.ui.compare import LESSON_TITLE, CompareView


@pytest.fixture
def compare(make_window, qtbot):
    def open_(**kwargs):
        window = make_window(show=True, **kwargs)
        window.findChild(QAction, "compareAction").trigger()
        view = window.findChild(QWidget, "compareView")
        assert view is window.compare_view
        qtbot.waitExposed(view)
        return window, view

    return open_


def _button(view, name) -> QPushButton:
    return view.findChild(QPushButton, name)


def _alphas(canvas: ClusterCanvas) -> np.ndarray:
    return np.array([b.color().alpha() for b in canvas.points.data["brush"]])


def test_view_menu_opens_two_canvases_with_the_lesson(compare):
    window, view = compare()
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert window.compare_action in menus["View"].actions()
    assert isinstance(view, CompareView) and view.isVisible()
    assert view.findChild(ClusterCanvas, "compareKMeansCanvas") is view.canvases["kmeans"]
    assert view.findChild(ClusterCanvas, "compareEMCanvas") is view.canvases["gmm"]
    left, right = view.canvases["kmeans"], view.canvases["gmm"]
    assert left.mapTo(view, left.rect().topLeft()).x() < right.mapTo(view, right.rect().topLeft()).x()
    assert LESSON_TITLE == "K-Means is EM with hard 0/1 responsibilities"
    assert LESSON_TITLE in view.findChild(QLabel, "compareLessonTitle").text()
    assert view.sessions["kmeans"].algorithm == "kmeans"
    assert view.sessions["gmm"].algorithm == "gmm" and view.sessions["gmm"].covariance_type == "full"


def test_both_sides_start_from_the_main_kmeans_start(compare):
    window, view = compare(algorithm="kmeans")
    start = window.session.timeline[0].means
    for s in view.sessions.values():
        np.testing.assert_array_equal(s.entry.means, start)
        assert s.n_points == window.session.n_points and s.n_clusters == window.session.n_clusters


@pytest.mark.parametrize("algorithm", ["gmm", "soft-kmeans"])
def test_both_sides_start_from_the_same_seeds(compare, algorithm):
    from clusterviz.session import Session

    window, view = compare(algorithm=algorithm, init="random", seed=4)
    seeds = Session(window.session.dataset, algorithm="kmeans", n_clusters=3, init="random", seed=4).entry.means
    np.testing.assert_array_equal(view.sessions["kmeans"].entry.means, seeds)
    np.testing.assert_array_equal(view.sessions["gmm"].entry.means, seeds)


def test_hand_placed_initial_means_are_shared(make_window):
    window = make_window()
    means = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    window.session.set_initial_means(means)
    view = window.open_compare()
    for s in view.sessions.values():
        np.testing.assert_array_equal(s.entry.means, means)
    view.close()


def test_one_step_button_steps_both_sides_together(compare, qtbot):
    _, view = compare()
    km, em = view.sessions["kmeans"], view.sessions["gmm"]
    for expected in (1, 2):
        with qtbot.waitSignal(view.stepped, timeout=2000):
            qtbot.mouseClick(_button(view, "compareStepButton"), Qt.MouseButton.LeftButton)
        assert km.entry.iteration == em.entry.iteration == expected
        assert view.step_index == expected
    # each side has its own objective curve and readout
    assert len(view.plots["kmeans"].curve.xData) == len(view.plots["gmm"].curve.xData) == 3
    assert "J =" in view.readouts["kmeans"].text() and "ℓ =" in view.readouts["gmm"].text()
    qtbot.mouseClick(_button(view, "compareStepBackButton"), Qt.MouseButton.LeftButton)
    assert km.cursor == em.cursor == 1
    qtbot.mouseClick(_button(view, "compareResetButton"), Qt.MouseButton.LeftButton)
    assert km.cursor == em.cursor == 0 and len(km.timeline) == len(em.timeline) == 1
    assert not _button(view, "compareStepBackButton").isEnabled()


def _overlapping():
    from clusterviz.data import Dataset

    rng = np.random.default_rng(5)
    centres = np.array([[0.0, 0.0], [2.0, 0.5], [1.0, 2.0]])
    X = np.vstack([c + 0.8 * rng.standard_normal((25, 2)) for c in centres])
    return Dataset(name="overlapping", X=X, columns=("x", "y"), labels=None, class_names=None)


def test_kmeans_side_is_hard_and_em_side_soft(compare):
    _, view = compare(dataset=_overlapping())
    view.step()
    view.step()
    R_km = view.sessions["kmeans"].state.responsibilities
    R_em = view.sessions["gmm"].state.responsibilities
    assert set(np.unique(R_km)) <= {0.0, 1.0}
    assert np.any((R_em > 0.01) & (R_em < 0.99))
    # what a student sees: all K-Means points solid, some EM points faint
    assert np.all(_alphas(view.canvases["kmeans"]) == 255)
    assert np.any(_alphas(view.canvases["gmm"]) < 255)
    # inspecting a point shows a 0/1 vector on the left and a soft one on the right
    i = int(np.argmax(1.0 - R_em.max(axis=1)))
    view.inspect(i)
    r = view.responsibilities_of(i)
    assert sorted(r["kmeans"]) == [0.0, 0.0, 1.0]
    assert r["gmm"].max() < 1.0 and r["gmm"].sum() == pytest.approx(1.0)
    text = view.findChild(QLabel, "compareInspectorLabel").text()
    assert f"Point {i}" in text and "K-Means" in text and "EM" in text


def test_clicking_a_point_inspects_it_in_both_canvases(compare, qtbot):
    window, view = compare()
    view.step()
    canvas = view.canvases["gmm"]
    x, y = window.session.X[4]
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.data_to_viewport(x, y))
    assert view.inspected == 4
    for ring in view._rings.values():
        assert ring.data["x"][0] == pytest.approx(x) and ring.data["y"][0] == pytest.approx(y)
    assert window.session.n_points == view.sessions["kmeans"].n_points  # no point was added


def test_play_runs_both_to_convergence_then_stops(compare, qtbot):
    _, view = compare()
    qtbot.mouseClick(_button(view, "comparePlayButton"), Qt.MouseButton.LeftButton)
    assert view.playing
    qtbot.waitUntil(lambda: not view.playing, timeout=20000)
    km, em = view.sessions["kmeans"], view.sessions["gmm"]
    assert km.converged and em.converged
    assert not _button(view, "compareStepButton").isEnabled()
    assert _button(view, "comparePlayButton").text() == "Play"
    # stepping back from the end keeps the sides aligned
    view.seek(1)
    assert km.cursor == em.cursor == 1


def test_regions_on_both_sides(compare):
    _, view = compare()
    view.step()
    view.regions_check.setChecked(True)
    for side in ("kmeans", "gmm"):
        layers = view.layers[side]
        assert layers.regions_image.isVisible()
        for k, (x, y) in enumerate(view.sessions[side].entry.means):
            assert layers.color_at(x, y) == tuple(int(v) for v in layers._colors[k])


def test_close_and_reopen(compare, qtbot):
    window, view = compare()
    view.play()
    view.close()
    assert not view.isVisible() and not view.playing
    window.compare_action.trigger()
    again = window.compare_view
    assert again is not view and again.isVisible()
    again.step()
    assert again.step_index == 1
    again.close()
    window.open_compare().close()


def test_compare_with_too_few_points_says_why(make_window, qtbot):
    from clusterviz.data import Dataset

    window = make_window(dataset=Dataset("two", np.array([[0.0, 0.0], [1.0, 1.0]]), ("x", "y")), n_clusters=3)
    view = window.open_compare()
    assert "Add at least" in view.readouts["kmeans"].text()
    assert not _button(view, "compareStepButton").isEnabled()
    assert not _button(view, "comparePlayButton").isEnabled()
    view.step()  # harmless
    view.close()


def test_the_view_pans_both_canvases_together(compare):
    _, view = compare()
    left, right = view.canvases["kmeans"].view_box, view.canvases["gmm"].view_box
    left.translateBy(x=1.5)
    assert right.viewRange()[0] == pytest.approx(left.viewRange()[0])


def test_keys_step_and_toggle_regions_in_the_compare_window(compare, qtbot):
    _, view = compare()
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=5000)
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.step_index == 1
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert view.step_index == 0
    qtbot.keyClick(view, Qt.Key.Key_V)
    assert view.regions_check.isChecked()


def test_a_pca_view_of_wide_data_is_drawn_the_same_way(make_window):
    from clusterviz.data import Dataset
    from clusterviz.data.transform import pca_projection, project_points

    rng = np.random.default_rng(3)
    X = np.vstack([c + rng.standard_normal((20, 4)) for c in ([0, 0, 0, 0], [4, 1, 2, 0], [1, 5, -2, 3])])
    window = make_window(dataset=Dataset("wide", X, ("a", "b", "c", "d")))
    W, center = pca_projection(X)[:2]
    window.session.set_view_projection(W, center)
    view = window.open_compare()
    shown = project_points(X, W, center)
    np.testing.assert_allclose(view.canvases["gmm"].points.data["x"], shown[:, 0])
    assert not view.regions_check.isEnabled() and "2-D" in view.regions_check.toolTip()
    view.step()
    view.inspect(3)
    assert view._rings["kmeans"].data["x"][0] == pytest.approx(shown[3, 0])
    view.close()
