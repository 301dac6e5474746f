"""Crash recovery: autosave after edits, the offer to restore after
an abnormal exit, the question on quit with unsaved points, and the whole
flow in real processes: paint, SIGKILL, relaunch, restore."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from clusterviz.data.session_file import load_session_file
from clusterviz.ui.recovery import ENV_VAR, RecoveryManager, recovery_dir

Yes, No = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
Save, Discard, Cancel = (QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Discard,
                         QMessageBox.StandardButton.Cancel)
CHILD = Path(__file__).resolve().parents[1] / "stress" / "recovery_child.py"


def no_questions(question, text):
    """Tests answer every question themselves; closing at teardown discards."""
    if question == "quit":
        return Discard
    pytest.fail(f"unexpected question {question}: {text}")


def install(window, directory, delay_ms: int = 1000) -> RecoveryManager:
    manager = window.start_crash_recovery(directory, delay_ms=delay_ms)
    manager.ask = no_questions
    return manager


@pytest.fixture
def recovering(make_window, tmp_path, qtbot):
    """A window with crash recovery in ``tmp_path`` (50 ms autosave delay)."""
    window = make_window()
    manager = install(window, tmp_path, delay_ms=50)
    yield window, manager
    manager.ask = no_questions
    manager.finish()


def add_points(window, points):
    tools = window.tools
    tools.set_tool("add")
    for x, y in points:
        tools.press(x, y)
        tools.release(x, y)


def test_the_recovery_folder_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "here"))
    assert recovery_dir() == tmp_path / "here"
    assert recovery_dir(tmp_path / "given") == tmp_path / "given"


def test_a_bare_window_writes_no_recovery_file(make_window):
    window = make_window()
    assert getattr(window, "recovery", None) is None


def test_edits_are_autosaved_once_after_a_pause(recovering, qtbot):
    window, manager = recovering
    assert manager.lock_path.exists(), "the running marker"
    saves = []
    manager.timer.timeout.connect(lambda: saves.append(window.session.n_points))
    add_points(window, [(20.0, 20.0), (21.0, 25.0), (22.0, 19.0)])
    assert manager.timer.isActive() and manager.timer.isSingleShot()
    qtbot.waitUntil(lambda: manager.path.exists(), timeout=3000)
    assert saves == [24], "three edits, one autosave (debounced)"
    payload = load_session_file(manager.path)
    assert len(payload["dataset"]["X"]) == 24
    np.testing.assert_array_equal(np.array(payload["dataset"]["X"]), window.session.X)


def test_a_normal_quit_removes_the_file_and_the_marker(recovering, qtbot):
    window, manager = recovering
    add_points(window, [(20.0, 20.0)])
    qtbot.waitUntil(lambda: manager.path.exists(), timeout=3000)
    manager.ask = lambda question, text: Discard
    assert window.close()
    assert not manager.path.exists() and not manager.lock_path.exists()


def abandoned_file(directory: Path, window, n_extra: int = 2) -> Path:
    """The recovery file a crashed instance (no lock left) would leave: the window's data plus points."""
    from clusterviz.data.session_file import save_session_file
    from clusterviz.session import Session

    other = Session(window.session.dataset, n_clusters=2, seed=3)
    other.add_points(np.arange(2 * n_extra, dtype=float).reshape(n_extra, 2) + 30.0)
    other.step()
    path = directory / "recovery-999999.clusterviz"
    save_session_file(path, other.to_payload())
    return path


def test_after_an_abnormal_exit_the_offer_restores_the_points(make_window, tmp_path, qtbot):
    first = make_window()
    path = abandoned_file(tmp_path, first)
    window = make_window()
    manager = install(window, tmp_path, delay_ms=50)
    assert manager.found == path
    asked = []
    manager.ask = lambda question, text: asked.append(text) or Yes
    before = window.session
    assert manager.offer_recovery()
    assert "23 points" in asked[0]
    assert window.session is window.controller.session and window.session is not before  # a new session
    assert window.session.n_points == 23 and window.session.n_clusters == 2 and window.session.cursor == 1
    assert window.windowTitle().endswith(window.session.dataset.name)
    assert not path.exists(), "offered once"
    assert manager.path.exists(), "and saved again as this instance's recovery file"
    assert manager.has_unsaved_points
    manager.finish()


def test_declining_keeps_the_data_shown_and_asks_only_once(make_window, tmp_path):
    window = make_window()
    path = abandoned_file(tmp_path, window)
    X = window.session.X.copy()
    manager = install(window, tmp_path)
    manager.ask = lambda question, text: No
    assert not manager.offer_recovery()
    np.testing.assert_array_equal(window.session.X, X)
    assert not path.exists() and path.with_suffix(".declined").exists()
    again = RecoveryManager(window, tmp_path)
    assert again.start() is None
    manager.finish()


def test_nothing_to_offer_after_a_normal_quit(make_window, tmp_path, qtbot):
    window = make_window()
    manager = install(window, tmp_path, delay_ms=10)
    add_points(window, [(20.0, 20.0)])
    qtbot.waitUntil(lambda: manager.path.exists(), timeout=3000)
    manager.finish()
    later = install(make_window(), tmp_path)
    assert later.found is None and not later.offer_recovery()
    later.finish()


def test_a_damaged_recovery_file_shows_an_error_and_keeps_the_data(make_window, tmp_path):
    window = make_window()
    path = tmp_path / "recovery-999999.clusterviz"
    path.write_text('{"clusterviz_session": 1, "dataset": {"X": [[1, 2], [3', encoding="utf-8")
    X = window.session.X.copy()
    manager = install(window, tmp_path)
    assert manager.found == path
    manager.ask = lambda question, text: Yes
    assert not manager.offer_recovery()
    assert window.last_error is not None and "recovery-999999" in window.last_error[1]
    np.testing.assert_array_equal(window.session.X, X)
    manager.finish()


def test_quit_asks_only_with_unsaved_points(recovering, tmp_path, monkeypatch):
    window, manager = recovering
    assert manager.confirm_close(), "nothing edited: no question"
    add_points(window, [(20.0, 20.0)])
    assert manager.has_unsaved_points
    asked = []
    manager.ask = lambda question, text: asked.append(question) or Cancel
    assert not window.close(), "Cancel keeps the window"
    assert asked == ["quit"] and window.session.n_points == 22
    # Undoing the edit brings back the loaded points: nothing to save.
    window.tools.undo_action.trigger()
    assert not manager.has_unsaved_points and manager.confirm_close()
    window.tools.redo_action.trigger()
    # Save: the session file dialog, then quit.
    from clusterviz.ui import file_actions as export

    target = tmp_path / "kept.clusterviz"
    monkeypatch.setattr(export.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(target), export.SESSION_FILTER)))
    manager.ask = lambda question, text: Save
    assert window.close()
    assert len(load_session_file(target)["dataset"]["X"]) == 22


def test_saving_a_session_counts_as_saved(recovering, tmp_path):
    from clusterviz.ui.file_actions import save_session

    window, manager = recovering
    add_points(window, [(20.0, 20.0)])
    assert manager.has_unsaved_points
    assert save_session(window, tmp_path / "s.clusterviz")
    assert not manager.has_unsaved_points


def test_an_unwritable_recovery_folder_is_reported_not_raised(make_window, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    window = make_window()
    manager = install(window, blocker / "recovery")
    assert manager.last_error is not None
    assert not manager.autosave() and manager.last_error
    manager.finish()


# ------------------------------------------------------- real processes
class Child:
    """The real app in a child process (tests/stress/recovery_child.py)."""

    def __init__(self, directory: Path, *args: str) -> None:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYQTGRAPH_QT_LIB="PySide6")
        env[ENV_VAR] = str(directory)
        self.proc = subprocess.Popen([sys.executable, str(CHILD), *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def end(self, kill: bool = False) -> int:
        """Wait for the process (SIGKILL it first with ``kill``) and close its pipe."""
        if kill:
            self.proc.send_signal(signal.SIGKILL)
        code = self.proc.wait(30)
        self.reader.join(30)
        self.proc.stdout.close()
        return code

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put("")

    def expect(self, prefix: str, timeout: float = 60.0) -> str:
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {prefix!r} within {timeout} s; saw {seen}") from None
            if line.startswith(prefix):
                return line
            if line == "" and self.proc.poll() is not None:
                raise AssertionError(f"the app ended before {prefix!r}; saw {seen}")
            seen.append(line)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
@pytest.mark.slow
def test_paint_kill_relaunch_restore_in_real_processes(tmp_path):
    painter = Child(tmp_path, "paint", "5")
    try:
        assert painter.expect("PAINTED") == "PAINTED 305"
        assert painter.expect("AUTOSAVED") == "AUTOSAVED 305"
    finally:
        painter.end(kill=True)  # SIGKILL: no cleanup, the marker and the file stay
    assert list(tmp_path.glob("running-*.lock")) and list(tmp_path.glob("recovery-*.clusterviz"))

    again = Child(tmp_path, "restore")
    try:
        assert "Restore 305 points of “three_blobs”" in again.expect("ASKED")
        assert again.expect("RESTORED") == "RESTORED 305"
        again.expect("QUIT-ASKED")  # restored points are unsaved: a normal quit asks
        assert again.proc.wait(30) == 0
    finally:
        again.end(kill=again.proc.poll() is None)
    assert list(tmp_path.iterdir()) == [], "a normal quit leaves nothing behind"


def test_big_data_are_autosaved_on_a_worker_thread(make_window, tmp_path, qtbot, monkeypatch):
    from clusterviz.ui import recovery

    monkeypatch.setattr(recovery, "SYNC_POINTS", 10)  # 21 points count as big here
    window = make_window()
    manager = install(window, tmp_path, delay_ms=10)
    add_points(window, [(20.0, 20.0)])
    qtbot.waitUntil(lambda: manager.path.exists(), timeout=5000)
    manager.finish()  # waits for the writer, then removes the file
    assert not manager.path.exists()
    monkeypatch.setattr(recovery, "MAX_AUTOSAVE_POINTS", 5)
    assert not manager.autosave() and "Autosave is off" in manager.last_error


def test_an_error_in_the_real_app_shows_the_dialog_and_the_app_goes_on(tmp_path):
    app = Child(tmp_path, "error")
    try:
        message = app.expect("DIALOG")
        assert "RuntimeError: a bug in a slot" in message and "Your points and settings are kept" in message
        assert app.expect("COPIED") == "COPIED Traceback (most recent call last):"
        assert app.expect("ALIVE") == "ALIVE 300 1", "same points, and stepping still works"
        assert app.proc.wait(30) == 0
    finally:
        app.end(kill=app.proc.poll() is None)


def test_loading_other_data_asks_before_discarding_edited_points(recovering):
    window, manager = recovering
    assert window.controller.load_builtin("moons"), "nothing edited: no question"
    add_points(window, [(20.0, 20.0)])
    n = window.session.n_points
    asked = []
    manager.ask = lambda question, text: asked.append(question) or Cancel
    assert not window.controller.load_builtin("three_blobs")
    assert asked == ["replace"] and window.session.n_points == n and window.session.dataset.name == "moons"
    assert window.controls.dataset_combo.currentData() == "moons"  # the combo shows the data that stayed
    manager.ask = lambda question, text: Discard
    assert window.controller.load_builtin("three_blobs") and window.session.dataset.name == "three_blobs"


def test_opening_a_session_file_asks_first_and_cancel_keeps_the_session(recovering, tmp_path):
    from clusterviz.ui import file_actions

    window, manager = recovering
    path = tmp_path / "other.clusterviz"
    assert file_actions.save_session(window, path)
    add_points(window, [(20.0, 20.0)])
    before, n = window.session, window.session.n_points
    manager.ask = lambda question, text: Cancel
    assert not file_actions.open_session(window, path)
    assert window.session is before and window.session.n_points == n  # Cancel: nothing replaced
    manager.ask = lambda question, text: Discard
    assert file_actions.open_session(window, path)
    assert window.session is not before and window.session.n_points == n - 1


# ------------------------------------------- instances, PIDs and special files
def leave_crashed_instance(directory: Path, window, instance: str, lock_text: str | None) -> Path:
    """What an instance named ``instance`` leaves when killed: its recovery file
    and, unless ``lock_text`` is None, its (no longer held) lock."""
    path = abandoned_file(directory, window)
    target = directory / f"recovery-{instance}.clusterviz"
    os.replace(path, target)
    if lock_text is not None:
        (directory / f"running-{instance}.lock").write_text(lock_text, encoding="utf-8")
    return target


def new_lock(pid: int, start, token: str = "0" * 16) -> str:
    import json
    import socket

    return json.dumps({"token": token, "pid": pid, "start": start, "host": socket.gethostname()})


@pytest.mark.parametrize("lock_format", ["token", "pid only"])
def test_a_dead_instance_that_had_our_pid_is_offered_and_its_file_kept(make_window, tmp_path, lock_format):
    """In a PID namespace the relaunched app can get the crashed app's PID:
    its lock (our PID, not our token) is still a dead instance's."""
    import socket

    from clusterviz.ui.recovery import process_start_time

    pid = os.getpid()
    if lock_format == "token":  # the crashed instance even started at our start time (a fake PID here)
        instance, lock = f"{pid}-{'0' * 16}", new_lock(pid, process_start_time(pid))
    else:  # a marker that names the instance by its PID alone
        instance, lock = str(pid), f"{pid}\nclusterviz\n{socket.gethostname()}\n"
    window = make_window()
    path = leave_crashed_instance(tmp_path, window, instance, lock)
    manager = install(window, tmp_path, delay_ms=50)
    assert manager.found == path, "the crashed instance's points are offered"
    assert path.exists() and manager.path != path
    manager.ask = lambda question, text: Yes
    assert manager.offer_recovery() and window.session.n_points == 23
    manager.finish()
    assert [p.name for p in tmp_path.iterdir()] == [], "restored, then a normal quit: nothing left"


def test_a_declined_file_of_an_instance_with_our_pid_is_kept(make_window, tmp_path):
    window = make_window()
    path = leave_crashed_instance(tmp_path, window, str(os.getpid()), f"{os.getpid()}\nclusterviz\n")
    manager = install(window, tmp_path)
    manager.ask = lambda question, text: No
    assert not manager.offer_recovery()
    manager.finish()
    assert path.with_suffix(".declined").exists(), "declining keeps the points, under another name"


def test_a_running_instance_is_not_offered(make_window, tmp_path, qtbot):
    from clusterviz.ui.recovery import process_start_time

    first = make_window()
    running = install(first, tmp_path, delay_ms=10)
    add_points(first, [(20.0, 20.0)])
    qtbot.waitUntil(lambda: running.path.exists(), timeout=3000)
    # A live process (our parent) with the start time it really has: running;
    # the same PID with another start time: a dead instance whose PID was reused.
    parent = os.getppid()
    start = process_start_time(parent)
    alive = leave_crashed_instance(tmp_path, first, f"{parent}-{'1' * 16}", new_lock(parent, start))
    reused = None
    if start is not None:
        reused = leave_crashed_instance(tmp_path, first, f"{parent}-{'2' * 16}", new_lock(parent, start + 1))
    second = install(make_window(), tmp_path)
    assert second.found == reused, "neither the other window's file nor the live process's is offered"
    assert alive.exists() and running.path.exists()
    second.finish()
    running.finish()


FIFO_LAUNCH = r"""
import os, sys
from pathlib import Path
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtWidgets import QApplication
from clusterviz.session import Session
from clusterviz.data import builtin_dataset
from clusterviz.ui import MainWindow
app = QApplication([])
directory = Path(sys.argv[1])
window = MainWindow(Session(builtin_dataset("three_blobs"), n_clusters=3, seed=0))
manager = window.start_crash_recovery(directory)
manager.ask = lambda question, text: 1 / 0  # no question may be asked
print("FOUND", manager.found, flush=True)
print("OFFERED", manager.offer_recovery(), flush=True)
manager.finish()
print("DONE", flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_special_files_named_like_recovery_files_are_skipped(tmp_path):
    """A FIFO named like a recovery file or a lock neither hangs the launch nor is offered."""
    directory = tmp_path / "recovery"
    directory.mkdir()
    os.mkfifo(directory / "recovery-4242.clusterviz")
    os.mkfifo(directory / "running-4243.lock")
    (directory / "recovery-4243.clusterviz").symlink_to("/dev/zero")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYQTGRAPH_QT_LIB="PySide6")
    env.pop(ENV_VAR, None)
    try:
        done = subprocess.run([sys.executable, "-c", FIFO_LAUNCH, str(directory)], capture_output=True,
                              text=True, timeout=60, env=env, cwd=Path(__file__).resolve().parents[2])
    except subprocess.TimeoutExpired:
        pytest.fail("the launch hangs on a special file in the recovery folder")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:3] == ["FOUND None", "OFFERED False", "DONE"]


def test_restore_brings_back_the_timeline_and_the_cursor(make_window, tmp_path, qtbot):
    """Paint, step 6 times, seek back to 4, crash, relaunch, restore: what the user saw."""
    from clusterviz.data import builtin_dataset

    window = make_window(builtin_dataset("three_blobs"), n_clusters=5)
    crashed = install(window, tmp_path, delay_ms=10)
    add_points(window, [(0.5, 0.5), (1.0, 1.5)])
    assert window.session.n_points > 300
    qtbot.waitUntil(lambda: crashed.path.exists(), timeout=3000)
    for _ in range(6):
        assert window.controller.step()
    assert window.controller.seek(4)
    assert len(window.session.timeline) == 7 and window.session.cursor == 4

    def on_disk():
        timeline = load_session_file(crashed.path)["timeline"]
        return len(timeline["phases"]), timeline["cursor"]

    assert crashed.timer.isActive(), "stepping schedules an autosave"
    qtbot.waitUntil(lambda: not crashed.timer.isActive(), timeout=3000)
    assert on_disk() == (7, 4)
    # The crash: the process is gone, its files stay (closing the lock file
    # releases what a dead process releases).
    crashed.timer.timeout.disconnect()
    os.close(crashed.lock)
    crashed.lock = None

    again = make_window()
    manager = install(again, tmp_path, delay_ms=50)
    assert manager.found == crashed.path
    manager.ask = lambda question, text: Yes
    assert manager.offer_recovery()
    np.testing.assert_array_equal(again.session.X, window.session.X)
    assert again.session.n_clusters == 5
    assert len(again.session.timeline) == 7 and again.session.cursor == 4
    np.testing.assert_array_equal(again.session.entry.means, window.session.entry.means)
    manager.finish()


def test_stepping_autosaves_once_after_a_pause_even_while_playing(recovering, qtbot):
    window, manager = recovering
    qtbot.waitUntil(lambda: not manager.timer.isActive(), timeout=3000)
    window.controller.step()
    assert manager.timer.isActive()
    remaining = manager.timer.remainingTime()
    window.controller.step_back()
    assert manager.timer.remainingTime() <= remaining, "a later step does not postpone the autosave"
    qtbot.waitUntil(lambda: manager.path.exists(), timeout=3000)
    assert load_session_file(manager.path)["timeline"]["cursor"] == window.session.cursor


def test_autosaves_during_a_slow_write_are_folded_into_one_with_the_newest_points(make_window, tmp_path, qtbot,
                                                                                   monkeypatch):
    import threading

    from clusterviz.ui import recovery

    monkeypatch.setattr(recovery, "SYNC_POINTS", 10)  # 21 points count as big here: written on the worker
    release, writes = threading.Event(), []
    real = recovery.save_session_file

    def held(path, payload, *args, **kwargs):
        writes.append(len(payload["dataset"]["X"]))
        release.wait(10)
        return real(path, payload, *args, **kwargs)

    monkeypatch.setattr(recovery, "save_session_file", held)
    window = make_window()
    manager = install(window, tmp_path, delay_ms=60_000)
    try:
        assert manager.autosave()
        qtbot.waitUntil(lambda: writes == [21], timeout=5000)
        for i in range(3):  # edits while the first write is held: no write queues behind it yet
            add_points(window, [(20.0 + i, 20.0)])
            assert manager.autosave()
        assert writes == [21]
        release.set()
        qtbot.waitUntil(lambda: len(writes) == 2 and not manager._worker.busy, timeout=10_000)
        assert writes == [21, 24], "one more write, with the newest points"
        qtbot.waitUntil(lambda: manager.last_error is None and manager.path.exists(), timeout=5000)
        assert len(load_session_file(manager.path)["dataset"]["X"]) == 24
    finally:
        release.set()
        manager.ask = no_questions
        manager.finish()
