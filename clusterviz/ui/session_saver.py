"""Saving a session off the GUI thread.

`session_snapshot` takes what is saved on the GUI thread, cheaply: the data
set's read-only arrays by reference, the rest is small. A `SessionSaver`
encodes and writes it on its worker (`clusterviz.ui.jobs.Worker`), with a
progress bar and Cancel in the window's status bar that appear only when a
save takes longer than `PROGRESS_DELAY_MS`. Closing the window while a save
runs waits for it; the file is written atomically either way
(`clusterviz.data.atomic_write`), so it is never half written.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget
from shiboken6 import isValid

from clusterviz.data import DataError
from clusterviz.data.session_file import SaveCancelled, save_session_file

from .jobs import Task, Worker
from .names import printable

__all__ = ["PROGRESS_DELAY_MS", "SessionSaver", "session_snapshot"]

#: A save's progress bar appears only when the save takes longer than this.
PROGRESS_DELAY_MS = 300


def session_snapshot(session) -> dict:
    """What saving ``session`` writes, taken now, cheaply enough for the GUI thread.

    `Session.to_payload` spells the points out as lists (half a second for
    10**6 points); here the data set's arrays go in by reference
    (``to_payload(session, arrays=True)``): read-only, so they cannot change
    under a worker. Everything else is small.
    """
    from clusterviz.session.payload import to_payload

    payload = to_payload(session, arrays=True)
    data = payload["dataset"]
    data["X"] = _frozen(data["X"])
    data["labels"] = None if data["labels"] is None else _frozen(data["labels"])
    return payload


def _frozen(array: np.ndarray) -> np.ndarray:
    """``array`` itself when it is read-only (a Dataset's arrays are), else a read-only copy."""
    if array.flags.writeable:
        array = array.copy()
        array.setflags(write=False)
    return array


def _write_session(progress, is_cancelled, path: Path, payload: dict) -> Path:  # on the worker
    save_session_file(path, payload, progress=progress, is_cancelled=is_cancelled)
    return path


class SessionSaver(QObject):
    """Writes session files on a worker thread, one after the other, with a
    progress bar and Cancel in the window's status bar (objectNames
    ``saveProgressBox``, ``saveProgress``, ``cancelSaveButton``) shown only
    when a save takes longer than `PROGRESS_DELAY_MS`.

    Closing the window while a save runs waits for it (an event filter sees
    the close before the window does).

    Signals (emitted on the GUI thread)
    -----------------------------------
    saved(object)
        The path written.
    failed(str)
        A message naming the file.
    cancelled(object)
        The path not written (the file was left as it was).
    """

    saved = Signal(object)
    failed = Signal(str)
    cancelled = Signal(object)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self._worker = Worker("save")
        self._tasks: list[Task] = []  # submitted, not delivered yet
        self._paths: dict[Task, Path] = {}
        self._box: QWidget | None = None  # the status bar progress, made when first needed
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(PROGRESS_DELAY_MS)
        self._show_timer.timeout.connect(self._show_progress)
        self._waiting = False
        window.installEventFilter(self)

    @property
    def busy(self) -> bool:
        """Whether a save is running or waiting."""
        return bool(self._tasks)

    def save(self, path: str | os.PathLike, payload: dict, on_end=None) -> Task:
        """Write ``payload`` (see `session_snapshot`) to ``path`` after the saves before it.

        ``on_end(outcome, detail)`` is called on the GUI thread when it ends:
        ("saved", path), ("failed", message) or ("cancelled", path).
        """
        path = Path(path)
        task = None
        if not self._tasks and self._box is not None:
            self._bar.setRange(0, 0)  # busy until the new save reports

        def progress(done: int, total: int) -> None:
            if self._box is not None and self._tasks and task is self._tasks[0]:
                self._bar.setRange(0, max(total, 1))
                self._bar.setValue(done)

        task = self._worker.submit(_write_session, path, payload, with_progress=True, on_progress=progress,
                                   on_done=lambda written: self._end(task, written, path, on_end),
                                   on_failed=lambda exc: self._end(task, exc, path, on_end))
        self._tasks.append(task)
        self._paths[task] = path
        if not self._show_timer.isActive() and (self._box is None or not self._box.isVisible()):
            self._show_timer.start()
        return task

    def cancel(self) -> None:
        """Stop the running save and drop the waiting ones; each file stays as it was."""
        for task in self._tasks:
            task.stop()  # the writer stops at its next chunk, removes its temporary and says so

    def wait(self) -> None:
        """Return once every save has ended, processing events meanwhile (the
        progress shows as for any save: after `PROGRESS_DELAY_MS`)."""
        if not self._tasks:
            return
        loop = QEventLoop()
        self.saved.connect(loop.quit)
        self.failed.connect(loop.quit)
        self.cancelled.connect(loop.quit)
        self._waiting = True
        try:
            while self._tasks:
                loop.exec()
        finally:
            self._waiting = False
            for signal in (self.saved, self.failed, self.cancelled):
                signal.disconnect(loop.quit)

    def eventFilter(self, watched, event) -> bool:  # Qt override
        if watched is self.window and event.type() == QEvent.Type.Close and self._tasks:
            if self._waiting:  # a second close while the first waits: the first one closes
                event.ignore()
                return True
            self.wait()
        return False

    def _end(self, task: Task, result, path: Path, on_end) -> None:
        if not isValid(self):  # the window is gone (it waited for the write itself)
            return
        if task in self._tasks:
            self._tasks.remove(task)
        self._paths.pop(task, None)
        if not self._tasks:
            self._show_timer.stop()
            if self._box is not None:
                self._box.hide()
        elif self._box is not None:
            self._label.setText(printable(f"Saving {self._paths[self._tasks[0]].name}…"))
        if not isinstance(result, BaseException):
            outcome, detail, signal = "saved", result, self.saved
        elif isinstance(result, SaveCancelled):
            outcome, detail, signal = "cancelled", path, self.cancelled
        elif isinstance(result, (DataError, OSError, ValueError)):
            outcome, detail, signal = "failed", str(result), self.failed
        else:  # a bug: say what happened, the app goes on
            outcome, detail, signal = "failed", f"{path.name}: {type(result).__name__}: {result}", self.failed
        if on_end is not None:
            on_end(outcome, detail)
        signal.emit(detail)

    def _show_progress(self) -> None:
        if not self._tasks:
            return
        if self._box is None:
            self._make_box()
        self._label.setText(printable(f"Saving {self._paths[self._tasks[0]].name}…"))
        self._box.show()

    def _make_box(self) -> None:
        box = QWidget()
        box.setObjectName("saveProgressBox")
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self._label = QLabel("Saving the session…")
        self._label.setTextFormat(Qt.TextFormat.PlainText)
        self._bar = QProgressBar()
        self._bar.setObjectName("saveProgress")
        self._bar.setToolTip("How much of the session file is written")
        self._bar.setMaximumWidth(160)
        self._bar.setRange(0, 0)
        cancel = QToolButton()
        cancel.setObjectName("cancelSaveButton")
        cancel.setText("Cancel")
        cancel.setToolTip("Stop saving; the file stays as it was")
        cancel.clicked.connect(self.cancel)
        for widget in (self._label, self._bar, cancel):
            layout.addWidget(widget)
        self.window.statusBar().addPermanentWidget(box)
        self._box = box
