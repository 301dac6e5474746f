"""The compare view: K-Means beside EM, same start, stepped together."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from clusterviz.model import ModelError
from clusterviz.ui.canvas.cluster_canvas import ClusterCanvas
from clusterviz.ui.windows.compare import LESSON_TITLE, CompareView
from ui_helpers import regions_rgba_at, viewport_pos


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
    assert len(view.plots["gmm"].curve.xData) == 3  # the start's ℓ and two steps
    assert len(view.plots["kmeans"].curve.xData) == 2  # no J before the first assignment
    assert "J =" in view.readouts["kmeans"].full_text() and "ℓ =" in view.readouts["gmm"].full_text()
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
    view.resize(1280, 860)  # the window opens within the (800 x 800) test screen, where point 4 is 4 px from 1
    qtbot.waitUntil(lambda: view.canvases["gmm"].width() > 500)
    view.step()
    canvas = view.canvases["gmm"]
    x, y = window.session.X[4]
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=viewport_pos(canvas, x, y))
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
            assert regions_rgba_at(layers, x, y) == tuple(int(v) for v in layers._colours[k])


def test_close_and_reopen(compare, qtbot):
    window, view = compare()
    view.play()
    view.close()
    assert not view.isVisible() and not view.playing
    assert not view.controller.playing and not view.controller.busy
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
    assert "Add at least" in view.readouts["kmeans"].full_text()
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


# ---------------------------------------------------------------- controllers, readouts, layout
def _readout(view, side) -> str:
    return view.readouts[side].full_text()


def test_compare_plays_through_the_one_controller(compare, qtbot):
    from clusterviz.session import SessionPair
    from clusterviz.ui.controller import SessionController

    _, view = compare(dataset=_overlapping())
    c = view.controller
    assert isinstance(c, SessionController) and isinstance(c.session, SessionPair) and c.session is view.pair
    assert view.findChildren(SessionController) == [c]  # no second play loop, no controller per side
    km, em = view.sessions["kmeans"], view.sessions["gmm"]
    c.step()  # the controller steps both sides, and the view follows its signals
    assert km.cursor == em.cursor == view.step_index == 1
    assert "Iteration 1" in _readout(view, "kmeans") and "Iteration 1" in _readout(view, "gmm")
    c.play()
    assert view.playing and _button(view, "comparePlayButton").text() == "Pause"
    qtbot.waitUntil(lambda: not c.playing, timeout=20000)
    assert km.converged and em.converged and _button(view, "comparePlayButton").text() == "Play"
    c.seek(1)
    assert km.cursor == em.cursor == 1 and _button(view, "compareStepButton").isEnabled()


def test_titles_come_from_the_registry(compare):
    from clusterviz.model.registry import get_algorithm

    _, view = compare()
    for side, name in (("kmeans", "KMeans"), ("gmm", "EM")):
        entry = get_algorithm(side)
        title = view.findChild(QLabel, f"compare{name}Title").full_text()
        assert title.startswith(entry.label) and entry.objective_name.lower() in title.lower()
        assert view.findChild(QWidget, f"compare{name}Objective") is view.plots[side]
    assert "full covariance" in view.findChild(QLabel, "compareEMTitle").full_text()


@pytest.mark.parametrize("init, words", [("random", "random data points"), ("k-means++", "k-means++ seeding")])
def test_readouts_say_plainly_where_both_start(compare, init, words):
    window, view = compare(init=init, seed=2)
    np.testing.assert_array_equal(view.sessions["kmeans"].entry.means, view.sessions["gmm"].entry.means)
    start = f"Both start from the same 3 means ({words}, seed 2)."
    for _ in range(4):
        for side in ("kmeans", "gmm"):
            text = _readout(view, side)
            assert start in text
            for wrong in ("placed by hand", "means_init", "init_params", "given", "k-means run", "reg_covar",
                          "max_iter", "nan"):
                assert wrong not in text.lower()
        view.step()
    assert "nearest mean" in _readout(view, "kmeans") or "changed cluster" in _readout(view, "kmeans") \
        or "Converged" in _readout(view, "kmeans")


def test_readout_of_a_converged_side_says_it_waits(compare):
    _, view = compare(dataset=_overlapping())
    km, em = view.sessions["kmeans"], view.sessions["gmm"]
    while km.can_step:
        view.step()
    assert km.converged
    if em.can_step:  # EM is usually slower: K-Means waits at its last step
        assert "waits here while EM goes on" in _readout(view, "kmeans")
        cursor = km.cursor
        view.step()
        assert km.cursor == cursor and em.cursor == cursor + 1 and view.step_index == cursor + 1
        view.step_back()
        assert km.cursor == em.cursor == cursor


def test_hand_placed_means_are_named_as_such(make_window):
    window = make_window()
    window.session.set_initial_means(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    view = window.open_compare()
    for side in ("kmeans", "gmm"):
        assert "the ones you placed in the main window" in _readout(view, side)
    view.close()


def test_both_canvases_have_the_same_size_and_ranges(compare, qtbot):
    _, view = compare()
    left, right = view.canvases["kmeans"], view.canvases["gmm"]
    for _ in range(3):
        assert left.size() == right.size()
        assert view.readouts["kmeans"].height() == view.readouts["gmm"].height()
        for a, b in zip(left.view_box.viewRange(), right.view_box.viewRange()):
            assert a == pytest.approx(b)
        view.step()
    view.resize(900, 700)
    qtbot.waitUntil(lambda: left.width() < 500)
    assert left.size() == right.size()
    # a readout too wide for its side is cut with "…", never wrapped into the canvas' room
    assert view.readouts["gmm"].height() == view.readouts["kmeans"].height()


def test_em_ellipses_stand_out_from_their_points(compare):
    from clusterviz.ui.canvas.palette import cluster_colour

    _, view = compare()
    view.step()
    for k in range(3):
        solid, dashed = view.canvases["gmm"].ellipses[k]
        assert solid.zValue() > view.canvases["gmm"].points.zValue()
        assert len(solid.xData) > 0
        assert solid.opts["pen"].color().lightness() < cluster_colour(k).lightness()


def test_play_and_pause_stop_both_sides(compare, qtbot):
    _, view = compare(dataset=_overlapping())
    km, em = view.sessions["kmeans"], view.sessions["gmm"]
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=5000)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert view.playing and _button(view, "comparePlayButton").text() == "Pause"
    qtbot.waitUntil(lambda: view.step_index >= 2, timeout=5000)
    qtbot.mouseClick(_button(view, "comparePlayButton"), Qt.MouseButton.LeftButton)
    assert not view.playing and not view.controller.playing
    assert _button(view, "comparePlayButton").text() == "Play"
    # Nothing can step any more: no play timer runs, and the step in flight (if any) lands.
    qtbot.waitUntil(lambda: not view.busy, timeout=5000)
    cursors = (km.cursor, em.cursor)
    assert not view.controller.findChild(QTimer, "playTimer").isActive()
    view.step_back()  # the shown step still answers to the controls
    assert view.step_index == max(cursors) - 1 and not view.playing


@pytest.mark.slow
def test_big_data_steps_both_sides_on_workers_in_lockstep(compare, qtbot):
    _, view = compare(dataset=_overlapping())
    km, em = view.sessions["kmeans"], view.sessions["gmm"]
    view.controller.background_points = 0  # every step on the worker thread, as for a large data set
    assert view.controller.uses_worker()
    assert view.step()
    assert view.busy and not _button(view, "compareStepButton").isEnabled()
    qtbot.waitUntil(lambda: not view.busy and km.cursor == em.cursor == 1, timeout=5000)

    seen = []
    view.stepped.connect(lambda: seen.append((km.cursor, em.cursor, km.can_step, em.can_step, view.busy)))
    view.play()
    qtbot.waitUntil(lambda: not view.playing and not view.busy, timeout=20000)
    assert km.converged and em.converged
    for k_cursor, e_cursor, k_can, e_can, busy in seen:
        if not busy:  # between steps the sides agree, unless one has converged and waits
            assert k_cursor == e_cursor or (k_cursor < e_cursor and not k_can) or (e_cursor < k_cursor and not e_can)
    view.close()
    assert not view.controller.busy and not view.controller.playing


def test_pause_while_a_worker_step_is_in_flight(compare, qtbot):
    _, view = compare(dataset=_overlapping())
    view.controller.background_points = 0
    view.play()
    qtbot.waitUntil(lambda: view.busy, timeout=5000)
    before = view.step_index
    view.pause()
    assert not view.playing
    qtbot.waitUntil(lambda: not view.busy, timeout=5000)  # the step in flight lands...
    t = view.step_index
    assert t <= before + 1
    # ...and no other follows: no play timer runs and no step is in flight.
    assert not view.controller.findChild(QTimer, "playTimer").isActive() and not view.busy
    assert view.step_index == t


def test_closing_the_main_window_closes_the_compare_view(compare):
    window, view = compare()
    view.play()
    window.close()
    assert not view.isVisible() and not view.playing
    assert not view.controller.playing and not view.controller.busy


def test_a_side_that_cannot_step_says_why_and_play_stops(compare, qtbot, monkeypatch):
    _, view = compare(dataset=_overlapping())
    em = view.sessions["gmm"]

    def refuse(half=False):
        raise ModelError("component 2 collapsed onto one point")

    monkeypatch.setattr(em, "prepare_step", refuse)
    view.play()
    qtbot.waitUntil(lambda: not view.playing, timeout=5000)
    assert "Could not step: component 2 collapsed onto one point" in _readout(view, "gmm")
    assert em.cursor == 0 and view.sessions["kmeans"].cursor >= 1
