"""Crash recovery: the session is autosaved to a recovery file a
second after every data edit or settings change; a lock file marks the app as
running and is removed on a normal quit. After an abnormal exit (a crash, a
kill) the next launch finds the stale lock and offers to restore the points.
A normal quit with unsaved painted points asks first (Save / Discard /
Cancel).

Files live in ``CLUSTERVIZ_RECOVERY_DIR`` if set (tests), else in the
application data folder (``QStandardPaths.AppDataLocation``)/recovery. Each
running instance has its own pair ``running-<id>.lock`` and
``recovery-<id>.clusterviz`` (the session file format of
`clusterviz.data.session_file`), where ``<id>`` is the PID plus a random
token. The lock names the instance by its token, PID, process start time and
host, and is held with ``flock`` while the instance runs: in a PID namespace
(a container, a sandbox) a relaunched app can get the crashed app's PID, so a
PID alone cannot tell a dead instance from a live one. Only regular files are
ever opened (a FIFO named like a recovery file is ignored).

The app's ``main`` starts it (``MainWindow.start_crash_recovery``); a bare ``MainWindow``
in a test writes nothing.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import stat
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QStandardPaths, Qt, QTimer
from PySide6.QtWidgets import QMessageBox
from shiboken6 import isValid

from clusterviz.data import DataError
from clusterviz.data.atomic_write import remove_stale_temporaries
from clusterviz.data.limits import read_regular_file
from clusterviz.data.session_file import load_session_file, save_session_file

from .file_actions import open_session, save_session
from .session_saver import session_snapshot
from .jobs import Worker
from .names import printable

__all__ = ["RecoveryManager", "recovery_dir", "ENV_VAR", "AUTOSAVE_DELAY_MS"]

#: Environment variable that overrides the recovery folder (tests set it).
ENV_VAR = "CLUSTERVIZ_RECOVERY_DIR"
#: Autosave this long after the last edit (one single-shot timer, restarted by each edit).
AUTOSAVE_DELAY_MS = 1000
#: Up to this many points the recovery file is written at once (a few ms); more on a worker thread.
SYNC_POINTS = 20_000
#: No autosave above this (each autosave writes 16 bytes a point, every second while playing).
MAX_AUTOSAVE_POINTS = 2_000_000
#: A lock file is a few hundred bytes; anything longer is not ours to parse.
MAX_LOCK_BYTES = 4096

try:
    import fcntl
except ImportError:  # Windows: the PID and start time decide alone
    fcntl = None

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


def process_start_time(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot (field 22
    of ``/proc/<pid>/stat``), or None where /proc does not tell."""
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as f:
            text = f.read(MAX_LOCK_BYTES).decode("ascii", "replace")
        return int(text[text.rindex(")") + 2:].split()[19])  # after "(comm) ": state is field 3
    except (OSError, ValueError, IndexError):
        return None


def _is_regular(path: Path) -> os.stat_result | None:
    """``path``'s stat if it is a regular file (not a link, FIFO, device...), else None."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def read_lock(path: Path) -> dict | None:
    """What a lock file says about its instance: ``{"token", "pid", "start",
    "host"}`` (an older lock holds only the PID, then the rest is None); None
    if it is not a regular file or cannot be read."""
    if _is_regular(path) is None:  # lstat: a link named like a lock is never followed
        return None
    try:
        text = read_regular_file(path, MAX_LOCK_BYTES, "lock file").decode("utf-8", "replace")
    except DataError:
        return None
    try:
        info = json.loads(text)
        return {"token": str(info["token"]), "pid": int(info["pid"]),
                "start": None if info.get("start") is None else int(info["start"]),
                "host": None if info.get("host") is None else str(info["host"])}
    except (ValueError, TypeError, KeyError, AttributeError):
        pass
    try:  # an older lock (QLockFile): the PID on the first line
        return {"token": None, "pid": int(text.split("\n", 1)[0]), "start": None, "host": None}
    except ValueError:
        return {"token": None, "pid": None, "start": None, "host": None}


def _flock_held(path: Path) -> bool | None:
    """True if some process holds a ``flock`` on ``path`` (its instance is
    running), False if none does, None if it cannot be told."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except (OSError, OverflowError, ValueError):
        return False
    return True


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
        self.token = secrets.token_hex(8)
        self.instance = f"{pid}-{self.token}"
        self.path = self.directory / f"recovery-{self.instance}.clusterviz"
        self.lock_path = self.directory / f"running-{self.instance}.lock"
        self.lock: int | None = None  # the open, flock'ed lock file while this instance runs
        self.found: Path | None = None
        self.last_error: str | None = None
        self.timer = QTimer(self)
        self.timer.setObjectName("autosaveTimer")
        self.timer.setSingleShot(True)
        self.timer.setInterval(int(delay_ms))
        self.timer.timeout.connect(self.autosave)
        self._worker = Worker("autosave")
        self._wrote_on_worker = False  # once a worker writes, it writes every time, in order
        self._in_flight = False  # a write runs on the worker
        self._again = False  # an autosave was asked for while one was in flight
        self._finished = False
        self._clean_X = np.array(window.session.X, copy=True)  # the points as last loaded or saved
        c = window.controller
        c.dataset_loaded.connect(self.mark_saved)
        c.data_changed.connect(self.schedule)
        c.reset.connect(self.schedule)
        c.stepped.connect(self.schedule_step)  # step, step back, seek: the timeline is part of the work
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
        self.lock = self._take_lock()
        return self.found

    def _take_lock(self) -> int | None:
        """Create and hold this instance's lock file; None if it cannot."""
        info = {"token": self.token, "pid": os.getpid(), "start": process_start_time(os.getpid()),
                "host": socket.gethostname()}
        try:
            fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            self.last_error = f"Cannot create the running marker {self.lock_path}: {exc.strerror or exc}"
            return None
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    pass  # a folder without flock: the PID and start time still tell
            os.write(fd, json.dumps(info).encode("utf-8"))
        except OSError:
            pass
        return fd

    def is_running(self, lock_path: Path) -> bool:
        """Whether the instance that wrote ``lock_path`` still runs: a lock held
        with flock, or one whose PID is alive with the start time it recorded.
        A token that is not ours with our own PID is a dead instance's (its
        PID was reused, e.g. in a PID namespace)."""
        info = read_lock(lock_path)
        if info is None:
            return False  # not a regular file, or gone: no instance marks itself so
        if info["token"] == self.token:
            return True
        held = _flock_held(lock_path)
        if held:
            return True
        if info["host"] is not None and info["host"] != socket.gethostname():
            return held is None  # another machine's PIDs say nothing here; an unheld flock does
        pid = info["pid"]
        if pid is None or pid == os.getpid() or not _pid_alive(pid):
            return False
        start = process_start_time(pid)
        return info["start"] is None or start is None or start == info["start"]

    def _find_abandoned(self) -> Path | None:
        """The newest regular recovery file whose instance is not running;
        the dead instance's lock is removed."""
        candidates = []
        for path in self.directory.glob("recovery-*.clusterviz"):
            st = _is_regular(path)
            if path == self.path or st is None:
                continue  # ours, or a FIFO, link or device named like a recovery file: never opened
            lock_path = self.directory / f"running-{path.stem.split('-', 1)[1]}.lock"
            if self.is_running(lock_path):
                continue
            if _is_regular(lock_path) is not None:
                try:
                    lock_path.unlink()
                except OSError:
                    pass
            candidates.append((st.st_mtime, path))
        if not candidates:
            return None
        return max(candidates)[1]

    def finish(self) -> None:
        """A normal quit: no recovery needed, remove the marker and the file."""
        self.timer.stop()
        self._finished = True
        self._worker.shutdown(wait=True)  # a write in flight ends before the file is removed
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass
        remove_stale_temporaries(self.path)  # what a killed autosave left
        if self.lock is not None:
            try:
                self.lock_path.unlink(missing_ok=True)
            except OSError:
                pass
            os.close(self.lock)  # closing releases the flock
            self.lock = None

    # ------------------------------------------------------------ autosave
    def schedule(self) -> None:
        """Autosave `delay_ms` after the last call (restarts the timer)."""
        self.timer.start()

    def schedule_step(self) -> None:
        """After a step or seek: autosave `delay_ms` later, unless one is already
        due (so playing, a step after another, still autosaves every `delay_ms`)."""
        if not self.timer.isActive():
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
        if self._in_flight:  # one write at a time: the newest state follows when it ends
            self._again = True
            return True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            payload = session_snapshot(session)  # cheap: the arrays by reference
        except (DataError, OSError, ValueError) as exc:
            return self._written_now(str(exc))
        if n <= SYNC_POINTS and not self._wrote_on_worker:
            return self._written_now(self._write(payload))
        self._wrote_on_worker = True
        self._in_flight = True
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
        if not isValid(self):  # not after the manager is gone
            return
        self._in_flight = False
        self._written_now(error)
        if self._again and not self._finished:
            self._again = False
            self.autosave()

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
        if path is None or _is_regular(path) is None:
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
    def mark_saved(self, X: np.ndarray | None = None) -> None:
        """The points now shown -- or ``X``, the points a save just wrote (the
        user may have edited since the save began) -- are in a file."""
        self._clean_X = np.array(self.window.session.X if X is None else X, copy=True)

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
            return bool(save_session(self.window, wait=True))
        return False
