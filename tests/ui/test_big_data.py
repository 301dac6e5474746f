"""Big data stays smooth: a million points load, draw as a raster
and step on the worker; the worker delivers states in order, one at a time,
and Pause stops it; the shown state is computed once per step; big CSV files
are read off the GUI thread."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from clusterviz.data import Dataset
from ui_helpers import viewport_pos


def uniform(n: int, seed: int = 0) -> Dataset:
    X = np.random.default_rng(seed).random((n, 2)) * [4.0, 3.0]
    return Dataset(name=f"uniform {n}", X=X, columns=("x", "y"), labels=None, class_names=None)


def test_a_million_points_load_draw_step_and_hover(make_window, qtbot):
    window = make_window(uniform(1_000_000), show=True, n_clusters=5)
    canvas, c = window.canvas, window.controller
    assert canvas.raster.active and len(canvas.points.data) == 0  # an image, not 10**6 scatter spots
    assert c.uses_worker()
    with qtbot.waitSignal(c.stepped, timeout=20_000):
        assert c.step()
        assert c.busy  # computed on the worker: the GUI thread is free
    assert window.session.cursor == 1 and window.session.state.labels.shape == (1_000_000,)
    qtbot.waitUntil(lambda: canvas.raster.idle, timeout=10_000)  # rasterised on its worker thread
    image = canvas.raster.item.image
    width, height = canvas.raster.view_size()
    assert image.shape == (height, width, 4)
    assert image[..., 3].mean() > 100  # the view is covered by coloured points
    # Hovering finds the point under the mouse: the topmost within the hit radius.
    X = window.session.X
    scene = canvas.mapToScene(viewport_pos(canvas, *X[123_456]))
    index = canvas.point_at(scene)
    assert index >= 123_456
    pixel = np.array(canvas.raster.view_box.viewPixelSize())
    assert (np.abs(X[index] - X[123_456]) <= 2 * canvas.raster.hit_radius * pixel).all()


@pytest.fixture
def big_window(make_window):
    """20,000 points: the worker path (BACKGROUND_POINTS) and the raster path."""
    window = make_window(uniform(20_000, seed=1), n_clusters=8, algorithm="gmm")
    assert window.controller.uses_worker() and window.canvas.raster.active
    return window


def test_worker_delivers_states_in_order_one_at_a_time_and_pause_stops_it(big_window, qtbot):
    c, s = big_window.controller, big_window.session
    in_flight, most = [0], [0]
    lock = threading.Lock()
    prepare = s.prepare_step

    def counted(half=False):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            return prepare(half)
        finally:
            with lock:
                in_flight[0] -= 1

    s.prepare_step = counted
    cursors = []
    c.stepped.connect(lambda: cursors.append(s.cursor))
    big_window.controls.speed_slider.setValue(big_window.controls.speed_slider.maximum())
    with qtbot.waitSignal(c.playing_changed, timeout=2000):
        c.play()
    qtbot.waitUntil(lambda: len(cursors) >= 4, timeout=30_000)
    with qtbot.waitSignal(c.playing_changed, timeout=100) as blocker:  # Pause answers at once
        c.pause()
    assert blocker.args == [False] and not c.playing
    qtbot.waitUntil(lambda: not c.busy, timeout=10_000)  # the step in flight is settled
    settled = len(cursors)
    turned = []
    QTimer.singleShot(0, lambda: turned.append(True))  # runs after every event already queued
    qtbot.waitUntil(lambda: bool(turned))
    # nothing starts after it: the play timer (the only source of steps) is stopped
    assert len(cursors) == settled and not c.playing and not c.busy
    assert cursors == list(range(1, len(cursors) + 1))  # in order, none skipped or repeated
    assert most[0] == 1  # never two steps in flight


def test_the_shown_state_is_computed_once_per_step(big_window, qtbot):
    c, s = big_window.controller, big_window.session
    model = s.model
    calls = []
    e_step = model.e_step

    def counted(X, state):
        if X.shape[0] == s.n_points:
            calls.append(threading.current_thread() is threading.main_thread())
        return e_step(X, state)

    model.e_step = counted
    for expected_cursor in (1, 2):
        with qtbot.waitSignal(c.stepped, timeout=20_000):
            c.step()
        assert s.cursor == expected_cursor
        # Everything that shows the state uses it now: canvas, inspector, layers.
        big_window.teaching.hovered = 7
        big_window._on_stepped()
    assert calls == [False, False]  # one E-step per step, on the worker; none per widget
    assert all(entry.responsibilities is None for entry in s.timeline)  # no N x K arrays kept


def test_big_csv_is_read_on_a_worker_with_a_cancellable_progress_dialog(make_window, qtbot, tmp_path,
                                                                         monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QProgressDialog, QPushButton

    from clusterviz.ui import main_window as main_window_module

    path = tmp_path / "big.csv"
    X = np.random.default_rng(2).random((60_000, 2))
    np.savetxt(path, X, delimiter=",", header="a,b", comments="", fmt="%.6f")
    monkeypatch.setattr(main_window_module, "CSV_BACKGROUND_BYTES", 1000)
    monkeypatch.setattr(main_window_module, "CSV_PROGRESS_DELAY_MS", 0)
    window = make_window(show=True)
    before = window.session.n_points

    # Cancel: the data stay as they were.
    assert window.open_csv(path, ask_columns=False)
    dialog = window.findChild(QProgressDialog, "csvProgressDialog")
    assert dialog is not None and window.session.n_points == before  # not read on the GUI thread
    qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)  # Cancel
    qtbot.waitUntil(lambda: not window._csv_job.is_running(), timeout=20_000)
    assert window.session.n_points == before and window.last_error is None

    # Let it finish: the new data set is loaded.
    with qtbot.waitSignal(window.controller.dataset_loaded, timeout=20_000):
        assert window.open_csv(path, ask_columns=False)
    assert window.session.n_points == 60_000
    np.testing.assert_allclose(window.session.X, X, atol=1e-6)
    assert window.canvas.raster.active


def test_a_broken_big_csv_says_what_is_wrong(make_window, qtbot, tmp_path, monkeypatch):
    from clusterviz.ui import main_window as main_window_module

    path = tmp_path / "broken.csv"
    path.write_text("a,b\n" + "1,2\n" * 500 + "3,oops\n")
    monkeypatch.setattr(main_window_module, "CSV_BACKGROUND_BYTES", 100)
    window = make_window()
    before = window.session.n_points
    assert window.open_csv(path, ask_columns=False)
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=20_000)
    assert "oops" in window.last_error[1] and "502" in window.last_error[1]
    assert window.session.n_points == before


class HeldRead:
    """Stands in for the window's ``load_csv``: the real read, held before it
    starts until `release` (at most 10 s)."""

    def __init__(self, monkeypatch):
        from clusterviz.ui import main_window as main_window_module

        self.real = main_window_module.load_csv
        self.started, self.released = threading.Event(), threading.Event()
        self.thread = None
        self.looks = []  # (released in time, cancelled) of the held look
        monkeypatch.setattr(main_window_module, "load_csv", self)
        monkeypatch.setattr(main_window_module, "CSV_BACKGROUND_BYTES", 1000)

    def __call__(self, path, **cancel):
        self.thread = threading.current_thread()
        self.started.set()
        in_time = self.released.wait(10)
        self.looks.append((in_time, bool(cancel) and cancel["is_cancelled"]()))
        return self.real(path, **cancel)

    def release(self):
        self.released.set()


def write_big_csv(tmp_path):
    path = tmp_path / "big.csv"
    np.savetxt(path, np.random.default_rng(3).random((20_000, 2)), delimiter=",", header="a,b", comments="",
               fmt="%.6f")
    return path


def test_closing_the_window_during_a_csv_read_does_not_wait_for_it(make_window, qtbot, tmp_path, monkeypatch):
    read = HeldRead(monkeypatch)
    window = make_window()
    assert window.open_csv(write_big_csv(tmp_path), ask_columns=False)
    qtbot.waitUntil(read.started.is_set, timeout=10_000)
    window.close()  # the read is held: a close that waited for it would return only after 10 s
    assert read.thread.is_alive() and not read.released.is_set()
    read.release()
    read.thread.join(10)
    assert not read.thread.is_alive()
    assert read.looks == [(True, True)]  # released by the test, and told to stop by the close
    assert window.session.dataset.name == "tiny"


def test_a_csv_read_that_ends_after_another_data_set_was_chosen_is_dropped(make_window, qtbot, tmp_path,
                                                                          monkeypatch):
    from PySide6.QtCore import QCoreApplication

    read = HeldRead(monkeypatch)
    window = make_window()
    assert window.open_csv(write_big_csv(tmp_path), ask_columns=False)
    qtbot.waitUntil(read.started.is_set, timeout=10_000)
    assert window.controller.load_builtin("moons")  # chosen while the file is read
    read.release()
    read.thread.join(10)
    assert not read.thread.is_alive()
    qtbot.waitUntil(lambda: not window._csv_job.is_running(), timeout=10_000)
    QCoreApplication.processEvents()  # deliver whatever the reader posted
    assert window.session.dataset.name == "moons" and window.session.n_points == 300
    assert window.last_error is None
    assert read.looks == [(True, True)]  # the stale read was also told to stop


def test_raster_worker_shows_the_latest_request_and_never_old_points(qtbot):
    """Off the GUI thread (forced here on a small set): requests made while one
    raster runs collapse into the latest, and points replaced meanwhile never
    show up."""
    from clusterviz.ui.canvas.cluster_canvas import ClusterCanvas
    from clusterviz.ui.canvas.rasterize import RasterGeometry

    canvas = ClusterCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(400, 300)
    canvas.show()
    qtbot.waitExposed(canvas)
    raster = canvas.raster
    raster.async_points = 0
    rng = np.random.default_rng(8)
    old, new = rng.random((5000, 2)), rng.random((3000, 2)) + [0.0, 0.0]
    raster.set_points(old[:, 0], old[:, 1], np.array([255, 0, 0, 255], np.uint8), active=True)
    canvas.view_box.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
    colours = [rng.integers(0, 256, (3000, 4)).astype(np.uint8) for _ in range(3)]
    raster.set_points(new[:, 0], new[:, 1], colours[0])
    for rgba in colours[1:]:
        raster.set_colours(rgba)
    assert not raster.idle
    qtbot.waitUntil(lambda: raster.idle, timeout=10_000)
    (x0, x1), (y0, y1) = canvas.view_box.viewRange()
    width, height = raster.view_size()
    expected = RasterGeometry(new[:, 0], new[:, 1], (x0, x1), (y0, y1), width, height, raster.radius).draw(colours[-1])
    np.testing.assert_array_equal(raster.item.image, expected[::-1])


def test_command_line_steps_a_big_csv_on_the_worker(tmp_path):
    """``--dataset FILE.csv --steps N`` on data big enough for the worker path:
    every step is waited for (it used to report "step failed")."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).parents[2]
    data = tmp_path / "big.csv"
    np.savetxt(data, np.random.default_rng(9).random((30_000, 2)), delimiter=",", header="a,b", comments="",
               fmt="%.5f")
    out = tmp_path / "big.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-m", "clusterviz", "--dataset", str(data), "--k", "4", "--steps", "3",
                             "--screenshot", str(out)], cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
