"""In the window: Step stays enabled after convergence and goes on with the
run; Play and Run to convergence stop at the tolerance (on the GUI thread and
on the worker); the run settings (tol, max_iter, n_init) reach the session."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QSlider, QWidget

from clusterviz.data import builtin_dataset
from clusterviz.ui.panels.run_settings import RunSettings


def find(window, name, cls=QAbstractButton):
    widget = window.findChild(cls, name)
    assert widget is not None, name
    return widget


@pytest.fixture
def em_window(make_window):
    """EM on anisotropic with the app's defaults: it meets its tolerance long before it wins."""
    return make_window(builtin_dataset("anisotropic"), algorithm="gmm", init="random", seed=0)


@pytest.mark.parametrize("background", [False, True])
def test_play_stops_at_the_tolerance_and_step_stays_enabled(em_window, qtbot, background):
    window = em_window
    if background:
        window.controller.background_points = 0  # every step on the worker thread
    find(window, "speedSlider", QSlider).setValue(30)
    play = find(window, "playButton")
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.controller.playing and not window.controller.busy, timeout=20000)
    s = window.session
    assert s.met_tolerance and s.at_end
    assert all(not entry.converged for entry in s.timeline[:-1])  # Play stopped at the first one
    step = find(window, "stepButton")
    assert step.isEnabled() and play.isEnabled()
    assert "Play stops here, Step continues the run" in find(window, "infoLabel", QLabel).text()
    n = len(s.timeline)
    qtbot.mouseClick(step, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.session.timeline) == n + 1, timeout=10000)
    assert window.session.cursor == n and step.isEnabled()


def test_stepping_on_after_run_to_convergence_wins_in_the_window(em_window, qtbot):
    window = em_window
    qtbot.mouseClick(find(window, "convergeButton"), Qt.MouseButton.LeftButton)
    s = window.session
    assert s.met_tolerance and s.adjusted_rand < 0.6
    step = find(window, "stepButton")
    for _ in range(300):
        if s.adjusted_rand >= 0.95:
            break
        assert step.isEnabled()
        qtbot.mouseClick(step, Qt.MouseButton.LeftButton)
    assert s.adjusted_rand >= 0.95
    assert "ARI vs true classes = 0.9" in find(window, "infoLabel", QLabel).text()


def test_play_from_a_converged_entry_goes_on_to_max_iter(em_window, qtbot):
    window = em_window
    c = window.controller
    c.run_to_convergence()
    limit = window.session.entry.iteration + 6
    c.set_max_iter(limit)
    find(window, "speedSlider", QSlider).setValue(30)
    qtbot.mouseClick(find(window, "playButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not c.playing, timeout=10000)
    assert window.session.entry.iteration == limit and window.session.reached_max_iter
    assert not find(window, "stepButton").isEnabled()
    assert "raise max_iter to go on" in find(window, "infoLabel", QLabel).text()


def test_k_means_at_its_fixed_point_disables_step(make_window, qtbot):
    window = make_window()
    qtbot.mouseClick(find(window, "convergeButton"), Qt.MouseButton.LeftButton)
    assert window.session.met_tolerance
    assert not find(window, "stepButton").isEnabled()


# --------------------------------------------------------------- run settings
@pytest.fixture
def settings_group(em_window, qtbot):
    group = em_window.run_settings  # the window's Run tab
    assert isinstance(group, RunSettings)
    return em_window, group


def test_run_settings_show_the_session_and_write_to_it(settings_group, qtbot):
    window, group = settings_group
    s = window.session
    tol, max_iter, n_init = (group.findChild(QWidget, name) for name in
                             ("tolSpin", "maxIterSpin", "nInitSpin"))
    assert tol is group.tol_spin and max_iter is group.max_iter_spin and n_init is group.n_init_spin
    assert tol.text() == "0.001" and max_iter.value() == s.max_iter and n_init.value() == 1
    assert not group.tol_default_button.isEnabled()
    for widget in (tol, max_iter, n_init):
        assert widget.toolTip()

    tol.stepBy(-2)  # the arrows go by factors of 10
    assert s.tol == pytest.approx(1e-5) and s.settings.tol == pytest.approx(1e-5)
    assert tol.text() == "1e-05" and group.tol_default_button.isEnabled()
    qtbot.mouseClick(group.tol_default_button, Qt.MouseButton.LeftButton)
    assert s.settings.tol is None and tol.text() == "0.001"

    max_iter.setValue(40)
    assert s.max_iter == 40
    n_init.setValue(4)
    assert s.n_init == 4 and 0 <= s.start_seed <= 3 and len(s.timeline) == 1


def test_run_settings_follow_the_algorithm_and_a_new_session(settings_group):
    window, group = settings_group
    window.controller.set_algorithm("kmeans")
    assert group.tol_spin.text() == "0.0001"  # K-Means' own default
    from clusterviz.session import Session

    window.controller.adopt(Session(builtin_dataset("three_blobs"), max_iter=17, n_init=3))
    assert group.max_iter_spin.value() == 17 and group.n_init_spin.value() == 3


def test_typing_a_tolerance_is_one_change(settings_group, qtbot):
    window, group = settings_group
    versions = []
    window.controller.stepped.connect(lambda: versions.append(window.session.version))
    group.tol_spin.lineEdit().selectAll()
    qtbot.keyClicks(group.tol_spin.lineEdit(), "2.5e-7")
    assert versions == []  # nothing yet while typing
    qtbot.keyClick(group.tol_spin.lineEdit(), Qt.Key.Key_Return)
    assert window.session.tol == pytest.approx(2.5e-7) and len(versions) == 1


def test_a_long_run_to_convergence_goes_on_as_play_and_can_be_paused(em_window, qtbot):
    """tol = 0 never counts as converged: Run to convergence goes on to
    max_iter, but as Play at full speed after the first steps, so the window
    keeps answering and Pause stops it."""
    from clusterviz.ui.controller import SYNC_STEPS

    window = em_window
    c = window.controller
    c.set_tol(0.0)
    c.set_max_iter(SYNC_STEPS + 400)
    qtbot.mouseClick(find(window, "convergeButton"), Qt.MouseButton.LeftButton)
    assert c.playing and window.session.entry.iteration == SYNC_STEPS
    qtbot.waitUntil(lambda: window.session.entry.iteration >= SYNC_STEPS + 3, timeout=10000)
    c.pause()
    stopped = window.session.entry.iteration
    assert stopped < SYNC_STEPS + 400 and not c.playing
    c.run_to_convergence()
    qtbot.waitUntil(lambda: not c.playing, timeout=60000)
    assert window.session.reached_max_iter and window.session.entry.iteration == SYNC_STEPS + 400
