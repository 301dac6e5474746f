"""Steps on large data run on a worker thread; results are applied on the GUI
thread, and stale ones are dropped."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton


@pytest.fixture
def window(make_window):
    w = make_window()
    w.controller.background_points = 0  # treat the small data set as large
    return w


def test_step_runs_on_worker_and_updates(window, qtbot):
    c = window.controller
    assert c.uses_worker()
    with qtbot.waitSignal(c.stepped, timeout=5000):
        assert c.step()
        assert c.busy
    assert not c.busy
    assert window.session.cursor == 1
    # every entry but K-Means' start (no assignment yet, so no J) is on the curve
    assert window.objective_plot.curve.xData.shape[0] == len(window.session.timeline) - 1


def test_stale_result_is_dropped(window, qtbot):
    c = window.controller
    c.step()
    c.set_n_clusters(4)  # the session changes before the result is applied
    qtbot.waitUntil(lambda: not c.busy, timeout=5000)
    assert len(window.session.timeline) == 1 and window.session.cursor == 0
    assert window.session.n_clusters == 4
    assert window.last_error is None


def test_play_and_run_to_convergence_on_worker(window, qtbot):
    c = window.controller
    play = window.findChild(QAbstractButton, "playButton")
    qtbot.mouseClick(window.findChild(QAbstractButton, "convergeButton"), Qt.MouseButton.LeftButton)
    assert c.playing and play.isChecked()
    qtbot.waitUntil(lambda: window.session.converged, timeout=10000)
    qtbot.waitUntil(lambda: not c.playing and not c.busy, timeout=5000)
    assert not play.isChecked()
    assert c._timer.interval() > 0  # the play speed is restored


def test_model_error_on_worker_is_shown(window, qtbot, monkeypatch):
    from clusterviz.model import ModelError

    def fail(half=False):
        raise ModelError("covariance 1 became singular.")

    monkeypatch.setattr(window.session, "prepare_step", fail)
    with qtbot.waitSignal(window.controller.failed, timeout=5000):
        window.controller.step()
    assert window.last_error[1] == "covariance 1 became singular."
    assert window.session.cursor == 0


def test_a_step_in_flight_never_lands_on_an_adopted_session(window, qtbot):
    from clusterviz.session import Session

    c = window.controller
    old = window.session
    new = Session(old.dataset, n_clusters=3, seed=old.seed)
    new.step()  # the new session's version may well equal the old one's: identity decides
    assert c.step() and c.busy
    assert c.adopt(new)
    assert not c.busy and window.session is new and c.session is new
    assert new.cursor == 1 and len(new.timeline) == 2 and old.cursor == 0
    with qtbot.waitSignal(c.stepped, timeout=5000):  # the adopted session steps on the worker as usual
        assert c.step()
    assert new.cursor == 2 and old.cursor == 0


def test_a_step_asked_before_another_data_set_never_lands_on_it(window, qtbot, monkeypatch):
    """The worker is held before it reads anything until moons have replaced
    the points, so the step it then computes carries the session's current
    version: only the version taken when the step was asked drops it."""
    import threading

    from PySide6.QtCore import QCoreApplication

    c, s = window.controller, window.session
    started, release, returned = threading.Event(), threading.Event(), threading.Event()
    prepare = s.prepare_step
    computed = []

    def held(half=False):
        started.set()
        assert release.wait(10)
        pending = prepare(half)  # reads the version, model and data only now
        computed.append(pending)
        returned.set()
        return pending

    monkeypatch.setattr(s, "prepare_step", held)
    assert c.step() and c.busy
    qtbot.waitUntil(started.is_set, timeout=5000)
    assert c.load_builtin("moons")
    release.set()
    assert returned.wait(10)
    QCoreApplication.processEvents()  # deliver whatever the worker posted
    assert s.is_current(computed[0])  # computed on moons, at moons' version ...
    assert window.session is s and s.dataset.name == "moons"
    assert len(s.timeline) == 1 and s.cursor == 0  # ... yet not asked for on them: dropped
    assert not c.busy
    with qtbot.waitSignal(c.stepped, timeout=5000):  # a step asked on moons lands
        assert c.step()
    assert s.cursor == 1 and len(s.timeline) == 2


def test_a_data_request_is_stale_once_other_data_are_chosen(window):
    c = window.controller
    csv_data = window.session.dataset
    ticket = c.request_data()
    assert c.is_latest_request(ticket)
    assert c.load_builtin("moons")
    assert not c.is_latest_request(ticket)
    assert not c.load_dataset(csv_data, request=ticket)  # dropped: moons stay
    assert window.session.dataset.name == "moons"
    ticket = c.request_data()
    assert c.load_dataset(csv_data, request=ticket)  # nothing chosen since: loaded
    assert window.session.dataset.name == csv_data.name
    ticket = c.request_data()
    c.adopt(type(window.session)(csv_data, n_clusters=2))  # an opened session is a choice too
    assert not c.is_latest_request(ticket)
