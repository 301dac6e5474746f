"""Crash recovery: the session is autosaved to a recovery file a
second after every data edit or settings change; a lock file marks the app as
running and is removed on a normal quit. After an abnormal exit (a crash, a
kill) the next launch finds the stale lock and offers to restore the points.
A normal quit with unsaved painted points asks first (Save / Discard /
Cancel).

Files live in ``CLUSTERVIZ_RECOVERY_DIR`` if set (tests), else in the
application data folder (``QStandardPaths.AppDataLocation``)/recovery. Each
running instance has its own pair ``running-<pid>.lock`` (a `QLockFile`, whose
owner Qt can tell is dead) and ``recovery-<pid>.clusterviz`` (the session
file format of `clusterviz.data.session_file`).

The app's ``main`` starts it (``MainWindow.start_crash_recovery``); a bare ``MainWindow``
in a test writes nothing.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QLockFile, QObject, QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import QMessageBox
from shiboken6 import isValid

from clusterviz.data import DataError
from clusterviz.data.session_file import load_session_file, save_session_file

from .jobs import Worker
from .names import printable

__all__ = ["RecoveryManager", "recovery_dir", "ENV_VAR", "AUTOSAVE_DELAY_MS"]

#: Environment variable that overrides the recovery folder (tests set it).
ENV_VAR = "CLUSTERVIZ_RECOVERY_DIR"
#: Autosave this long after the last edit (one single-shot timer, restarted by each edit).
AUTOSAVE_DELAY_MS = 1000
#: Up to this many points the recovery file is written at once (0.2 s); more on a worker thread.
SYNC_POINTS = 20_000
#: No autosave above this (writing takes seconds; data this big come from a file).
MAX_AUTOSAVE_POINTS = 500_000

Yes, No = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
Save, Discard, Cancel = (QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Discard,
                         QMessageBox.StandardButton.Cancel)


def recovery_dir(directory: str | os.PathLike | None = None) -> Path:
    """The folder for recovery files: ``directory``, else $CLUSTERVIZ_RECOVERY_DIR,
    else <application data>/recovery."""
    if directory is not None:
        return Path(directory)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not base:
        base = os.path.join(os.path.expanduser("~"), ".clusterviz")
    return Path(base) / "recovery"


class RecoveryManager(QObject):
    """Autosave, the running marker, the offer to restore and the question on quit.

    Parameters
    ----------
    window : MainWindow
    directory : path, optional
        See `recovery_dir`.
    delay_ms : int
        Autosave delay after the last edit.

    Attributes
    ----------
    path : Path
        This instance's recovery file.
    found : Path or None
        A recovery file left by an instance that did not quit normally.
    timer : QTimer
        The single-shot autosave timer (``autosaveTimer``).
    """

    def __init__(self, window, directory=None, delay_ms: int = AUTOSAVE_DELAY_MS) -> None:
        super().__init__(window)
        self.window = window
        self.directory = recovery_dir(directory)
        pid = os.getpid()
        self.path = self.directory / f"recovery-{pid}.clusterviz"
        self.lock_path = self.directory / f"running-{pid}.lock"
        self.lock: QLockFile | None = None
        self.found: Path | None = None
        self.last_error: str | None = None
        self.timer = QTimer(self)
        self.timer.setObjectName("autosaveTimer")
        self.timer.setSingleShot(True)
        self.timer.setInterval(int(delay_ms))
        self.timer.timeout.connect(self.autosave)
        self._worker = Worker("autosave")
        self._wrote_on_worker = False  # once a worker writes, it writes every time, in order
        self._clean_X = np.array(window.session.X, copy=True)  # the points as last loaded or saved
        c = window.controller
        c.dataset_loaded.connect(self.mark_saved)
        c.data_changed.connect(self.schedule)
        c.reset.connect(self.schedule)
        c.before_replace_hooks.append(self.confirm_replace)

    # --------------------------------------------------------- the marker
    def start(self) -> Path | None:
        """Mark the app as running and look for a recovery file of an
        instance that did not quit normally; returns it (also in `found`)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.last_error = f"Cannot create the recovery folder {self.directory}: {exc.strerror or exc}"
            return None
        self.found = self._find_abandoned()
        self.lock = QLockFile(str(self.lock_path))
        self.lock.setStaleLockTime(0)  # only a dead owner makes a lock stale, never its age
        if not self.lock.tryLock(100):
            self.lock = None
        return self.found

    def _find_abandoned(self) -> Path | None:
        """The newest recovery file whose instance's lock is stale (or gone)."""
        candidates = []
        for path in self.directory.glob("recovery-*.clusterviz"):
            if path == self.path:
                continue
            pid = path.stem.split("-", 1)[1]
            lock_path = self.directory / f"running-{pid}.lock"
            if lock_path.exists():
                probe = QLockFile(str(lock_path))
                probe.setStaleLockTime(0)
                if not probe.tryLock(0):
                    continue  # that instance is still running
                probe.unlock()  # it died: its lock was stale (unlock removes the file)
            candidates.append(path)
        if not candidates:
            return None
        return max(candidates, key=lambda p: p.stat().st_mtime)

    def finish(self) -> None:
        """A normal quit: no recovery needed, remove the marker and the file."""
        self.timer.stop()
        self._worker.shutdown(wait=True)  # a write in flight ends before the file is removed
        for path in (self.path, self.path.with_name(self.path.name + ".part")):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass
        if self.lock is not None:
            self.lock.unlock()
            self.lock = None

    # ------------------------------------------------------------ autosave
    def schedule(self) -> None:
        """Autosave `delay_ms` after the last call (restarts the timer)."""
        self.timer.start()

    def autosave(self) -> bool:
        """Write the session to the recovery file now (on a worker thread
        above `SYNC_POINTS` points); False (and `last_error`) if it cannot be
        written. Never raises."""
        self.timer.stop()
        session = self.window.session
        n = session.n_points
        if n > MAX_AUTOSAVE_POINTS:
            return self._written_now(f"Autosave is off for more than {MAX_AUTOSAVE_POINTS:,} points "
                                     f"({n:,} now); save the session to keep edits.")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            payload = session.to_payload()
        except (DataError, OSError, ValueError) as exc:
            return self._written_now(str(exc))
        if n <= SYNC_POINTS and not self._wrote_on_worker:
            return self._written_now(self._write(payload))
        self._wrote_on_worker = True
        self._worker.submit(self._write, payload, on_done=self._written_later)
        return True

    def _write(self, payload: dict) -> str:
        """Write ``payload`` (any thread); the error text, or "" on success."""
        try:
            save_session_file(self.path, payload)
        except (DataError, OSError, ValueError) as exc:
            return str(exc) or type(exc).__name__
        return ""

    def _written_later(self, error: str) -> None:
        if isValid(self):  # not after the manager is gone
            self._written_now(error)

    def _written_now(self, error: str) -> bool:
        self.last_error = error or None
        if error:
            self.window.statusBar().showMessage(printable(f"Autosave failed: {error}"), 8000)
        return not error

    # ------------------------------------------------------------- restore
    def describe(self, path: Path) -> str:
        """What the recovery file holds, for the question."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))
        try:
            payload = load_session_file(path)
            n = len(payload["dataset"]["X"])
            name = payload["dataset"]["name"]
        except (DataError, OSError, KeyError, TypeError):
            return f"a session autosaved at {when}"
        return f"{n} point{'s' if n != 1 else ''} of “{printable(str(name))}”, autosaved at {when}"

    def offer_recovery(self) -> bool:
        """After an abnormal exit, ask whether to restore the autosaved session.

        Returns True if a session was restored. Either way the file is then
        renamed ``*.declined``/removed so it is offered only once; a file that
        cannot be read shows an error and is kept.
        """
        path = self.found
        if path is None or not path.exists():
            return False
        answer = self.ask("restore", f"clusterviz did not close normally last time.\n\n"
                                     f"Restore {self.describe(path)}?")
        self.found = None
        if answer != Yes:
            try:
                os.replace(path, path.with_suffix(".declined"))
            except OSError:
                pass
            return False
        from .file_actions import open_session

        if not open_session(self.window, path):
            return False
        try:
            path.unlink()
        except OSError:
            pass
        self._clean_X = None  # restored points are not saved anywhere yet
        self.autosave()
        return True

    def ask(self, question: str, text: str):
        """Ask ``question`` ("restore": Yes/No, or "quit": Save/Discard/Cancel)
        in a message box; returns the button."""
        if question == "restore":
            box = QMessageBox(QMessageBox.Icon.Question, "Restore your work?", text, Yes | No, self.window)
            box.setObjectName("recoveryQuestion")
            box.setDefaultButton(Yes)
        else:
            box = QMessageBox(QMessageBox.Icon.Question, "Save your points?", text, Save | Discard | Cancel,
                              self.window)
            box.setObjectName(f"{question}Question")  # quitQuestion, replaceQuestion
            box.setDefaultButton(Save)
        box.setTextFormat(Qt.TextFormat.PlainText)  # it quotes a data set's name
        return QMessageBox.StandardButton(box.exec())

    # ---------------------------------------------------------------- quit
    def mark_saved(self) -> None:
        """The points now shown are in a file (loaded or just saved)."""
        self._clean_X = np.array(self.window.session.X, copy=True)

    @property
    def has_unsaved_points(self) -> bool:
        """Whether the points were edited since they were loaded or saved."""
        X = np.asarray(self.window.session.X)
        if self._clean_X is None:
            return X.shape[0] > 0
        return not (X.shape == self._clean_X.shape and np.array_equal(X, self._clean_X))

    def confirm_replace(self) -> bool:
        """Before other data replace the points: ask Save / Discard / Cancel
        if they were edited. Returns True if they may be replaced."""
        return self._confirm_discard("replace", "You edited the points since they were loaded or saved.\n\n"
                                                "Save them as a session before loading other data?")

    def confirm_close(self) -> bool:
        """On quit: ask Save / Discard / Cancel if there are unsaved edited
        points. Returns True if the window may close."""
        return self._confirm_discard("quit", "You edited the points since they were loaded or saved.\n\n"
                                             "Save them as a session before quitting?")

    def _confirm_discard(self, question: str, text: str) -> bool:
        if not self.has_unsaved_points:
            return True
        answer = self.ask(question, text)
        if answer == Discard:
            return True
        if answer == Save:
            from .file_actions import save_session

            return bool(save_session(self.window))
        return False
