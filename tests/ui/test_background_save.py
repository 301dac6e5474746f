"""Saving a session runs on a worker: the window keeps answering, a progress
bar with Cancel appears for a slow save, and closing the window waits for the
file to be written."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressBar, QToolButton, QWidget

from clusterviz.data import Dataset, load_session_file
from clusterviz.ui import file_actions, session_saver


def scattered(n: int) -> Dataset:
    X = np.random.default_rng(3).normal(size=(n, 2)) * [3.0, 1.0 / 3.0]
    labels = np.arange(n) % 3
    return Dataset(name=f"scattered {n}", X=X, columns=("x", "y"), labels=labels, class_names=("a", "b", "c"))


def shown(window, kind, name: str) -> bool:
    widget = window.findChild(kind, name)
    return widget is not None and widget.isVisibleTo(window)


@pytest.fixture
def held_save(monkeypatch):
    """Saves wait at their start until ``release`` is set (at most 10 s, so
    code that saves on the GUI thread fails instead of hanging)."""
    release, started = threading.Event(), threading.Event()
    threads = []
    real = session_saver.save_session_file

    def held(*args, **kwargs):
        threads.append(threading.current_thread())
        started.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(session_saver, "save_session_file", held)
    return release, started, threads


def test_a_big_save_leaves_the_window_answering_and_comes_back_bit_exact(make_window, qtbot, tmp_path,
                                                                         held_save):
    release, started, threads = held_save
    window = make_window(scattered(200_000), n_clusters=3)
    path = tmp_path / "big.clusterviz"
    ticks = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(started.is_set() and not release.is_set()))
    timer.start()
    assert file_actions.save_session(window, path, wait=False)
    qtbot.waitUntil(lambda: sum(ticks) >= 3, timeout=5000)  # the timer fires while the save runs
    assert threads and threads[0] is not threading.main_thread()
    # A save longer than 300 ms shows its progress.
    qtbot.waitUntil(lambda: shown(window, QProgressBar, "saveProgress"), timeout=3000)
    bar = window.findChild(QProgressBar, "saveProgress")
    with qtbot.waitSignal(window.file_actions.saver.saved, timeout=20_000):
        release.set()
    timer.stop()
    assert not bar.isVisible()
    back = load_session_file(path)["dataset"]
    assert back["X"].tobytes() == window.session.X.tobytes()
    assert back["labels"].tolist() == window.session.dataset.labels.tolist()
    assert "Session saved" in window.statusBar().currentMessage()


def test_cancel_leaves_the_file_as_it_was(make_window, qtbot, tmp_path, held_save):
    release, started, _ = held_save
    window = make_window(scattered(50_000))
    path = tmp_path / "keep.clusterviz"
    path.write_text("the old contents", encoding="utf-8")
    assert file_actions.save_session(window, path, wait=False)
    qtbot.waitUntil(lambda: shown(window, QToolButton, "cancelSaveButton"), timeout=5000)
    saver = window.file_actions.saver
    with qtbot.waitSignal(saver.cancelled, timeout=10_000):
        window.findChild(QToolButton, "cancelSaveButton").click()
        release.set()
    assert path.read_text(encoding="utf-8") == "the old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.clusterviz"]
    assert "Save cancelled" in window.statusBar().currentMessage()


def test_closing_the_window_during_a_save_waits_for_the_file(make_window, qtbot, tmp_path, held_save):
    release, started, _ = held_save
    window = make_window(scattered(100_000))
    window.show()
    path = tmp_path / "closing.clusterviz"
    assert file_actions.save_session(window, path, wait=False)
    qtbot.waitUntil(started.is_set, timeout=5000)
    QTimer.singleShot(0, release.set)  # runs in the loop the close waits in
    assert window.close()
    assert not window.file_actions.saver.busy  # the close returned after the save ended
    assert load_session_file(path)["dataset"]["X"].tobytes() == window.session.X.tobytes()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_points_edited_during_a_save_stay_unsaved(make_window, qtbot, tmp_path, held_save):
    release, started, _ = held_save
    window = make_window()
    manager = window.start_crash_recovery(tmp_path / "recovery", delay_ms=60_000)
    manager.ask = lambda question, text: pytest.fail(f"asked {question!r}")
    try:
        window.controller.add_point(9.0, 9.0)
        assert manager.has_unsaved_points
        assert file_actions.save_session(window, tmp_path / "s.clusterviz", wait=False)
        qtbot.waitUntil(started.is_set, timeout=5000)
        window.controller.add_point(8.0, 8.0)  # after the snapshot: not in the file
        with qtbot.waitSignal(window.file_actions.saver.saved, timeout=10_000):
            release.set()
        assert manager.has_unsaved_points, "the point added during the save is not in the file"
        assert load_session_file(tmp_path / "s.clusterviz")["dataset"]["X"].shape[0] == window.session.n_points - 1
    finally:
        manager.finish()
        window.recovery = None


def test_the_snapshot_is_what_to_payload_says_with_the_arrays_by_reference(make_window):
    window = make_window(scattered(500), algorithm="gmm")
    window.controller.step()
    window.controller.half_step()
    s = window.session
    snapshot, payload = session_saver.session_snapshot(s), s.to_payload()
    assert snapshot["dataset"]["X"] is s.dataset.X and not snapshot["dataset"]["X"].flags.writeable
    assert snapshot["dataset"]["labels"] is s.dataset.labels
    for key in ("X", "labels"):
        assert snapshot["dataset"].pop(key).tolist() == payload["dataset"].pop(key)
    assert snapshot == payload


def test_a_quick_save_shows_no_progress(make_window, qtbot, tmp_path):
    window = make_window()
    shows = []
    saver = window.file_actions.saver
    saver._show_timer.timeout.connect(lambda: shows.append(saver.busy))
    for i in range(3):
        assert file_actions.save_session(window, tmp_path / f"quick{i}.clusterviz")
    assert not saver.busy and True not in shows
    box = window.findChild(QWidget, "saveProgressBox")
    assert box is None or not box.isVisibleTo(window)


def test_a_save_ending_after_other_data_were_opened_leaves_them_clean(make_window, qtbot, tmp_path, held_save):
    release, started, _ = held_save
    window = make_window()
    manager = window.start_crash_recovery(tmp_path / "recovery", delay_ms=60_000)
    manager.ask = lambda question, text: pytest.fail(f"asked {question!r}")
    try:
        assert file_actions.save_session(window, tmp_path / "s.clusterviz", wait=False)
        qtbot.waitUntil(started.is_set, timeout=5000)
        panel = window.lessons_dock.panel
        assert panel.open_chapter(8)  # other data (anisotropic) while the save runs
        assert window.session.dataset.name != "three_blobs" and not manager.has_unsaved_points
        with qtbot.waitSignal(window.file_actions.saver.saved, timeout=10_000):
            release.set()
        assert not manager.has_unsaved_points, "the save of the old points said nothing about the new ones"
    finally:
        manager.finish()
        window.recovery = None
