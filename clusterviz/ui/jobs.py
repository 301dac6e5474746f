"""A small background job: run one pure function on a worker ``QThread`` with
progress and cancel, and deliver its end on the GUI thread.

The function receives ``progress(done, total)`` and ``is_cancelled()``
callbacks (the signature of :func:`clusterviz.model.selection.sweep_k` and
:func:`~clusterviz.model.selection.run_restarts`) and raises
:class:`~clusterviz.model.selection.Cancelled` when asked to stop. Whatever
ends the job, the thread has finished before ``finished``, ``cancelled`` or
``failed`` is emitted, so no thread outlives a job.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressBar, QPushButton

from clusterviz.model.selection import Cancelled

Work = Callable[[Callable[[int, int], None], Callable[[], bool]], object]


class _Thread(QThread):
    """Runs ``work`` once and reports its outcome through the job's private signals."""

    def __init__(self, job: BackgroundJob, generation: int, work: Work, stop: threading.Event) -> None:
        super().__init__()
        self._job = job
        self._generation = generation
        self._work = work
        self._stop = stop

    def run(self) -> None:  # Qt override; runs on the worker thread
        job, generation = self._job, self._generation
        try:
            result = self._work(lambda done, total: job._progress.emit(generation, done, total),
                                self._stop.is_set)
        except Cancelled:
            job._ended.emit(generation, "cancelled", None)
        except ValueError as exc:  # ModelError, a refused setting: a message for the user
            job._ended.emit(generation, "failed", str(exc))
        except Exception as exc:  # a bug: still end the job, and say what happened
            job._ended.emit(generation, "failed", f"{type(exc).__name__}: {exc}")
        else:
            job._ended.emit(generation, "finished", result)


def job_controls(run_text: str, name: str, run_tip: str, cancel_tip: str, progress_tip: str):
    """Run and Cancel buttons and a progress bar for a background job, named
    ``run<Name>Button``, ``cancel<Name>Button`` and ``<name>Progress``.

    Returns
    -------
    (QPushButton, QPushButton, QProgressBar)
    """
    title = name[:1].upper() + name[1:]
    run = QPushButton(run_text)
    run.setObjectName(f"run{title}Button")
    run.setToolTip(run_tip)
    cancel = QPushButton("Cancel")
    cancel.setObjectName(f"cancel{title}Button")
    cancel.setToolTip(cancel_tip)
    cancel.setEnabled(False)
    progress = QProgressBar()
    progress.setObjectName(f"{name}Progress")
    progress.setToolTip(progress_tip)
    progress.setRange(0, 1)
    progress.setValue(0)
    return run, cancel, progress


class BackgroundJob(QObject):
    """One job at a time on a worker thread; starting a new one cancels the old.

    Signals (all emitted on the GUI thread)
    ---------------------------------------
    started
    progressed(int, int)
        Units done and total.
    finished(object)
        The function's result.
    cancelled
    failed(str)
        A sentence saying why.
    running_changed(bool)
    """

    started = Signal()
    progressed = Signal(int, int)
    finished = Signal(object)
    cancelled = Signal()
    failed = Signal(str)
    running_changed = Signal(bool)
    _progress = Signal(int, int, int)  # (generation, done, total), from the worker
    _ended = Signal(int, str, object)  # (generation, outcome, payload), from the worker

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        self._thread: _Thread | None = None
        self._stop = threading.Event()
        self._old: list[_Thread] = []  # cancelled threads still winding down
        queued = Qt.ConnectionType.QueuedConnection
        self._progress.connect(self._on_progress, queued)
        self._ended.connect(self._on_ended, queued)

    @property
    def thread_object(self) -> QThread | None:
        """The worker thread of the current job (None when idle); tests check it is not running."""
        return self._thread

    def is_running(self) -> bool:
        return self._thread is not None

    def start(self, work: Work) -> None:
        """Run ``work(progress, is_cancelled)`` on a new worker thread (cancelling any running job)."""
        if self._thread is not None:
            self._stop.set()
            self._old.append(self._thread)
        self._generation += 1
        self._stop = threading.Event()
        self._thread = _Thread(self, self._generation, work, self._stop)
        self._thread.start()
        self.started.emit()
        self.running_changed.emit(True)

    def bind_controls(self, run: QPushButton, cancel: QPushButton, progress: QProgressBar, *settings) -> None:
        """Show this job on the controls of :func:`job_controls`: Cancel does
        cancel, the bar follows the progress, and while the job runs Run and
        the ``settings`` widgets are disabled and Cancel enabled."""
        cancel.clicked.connect(self.cancel)

        def on_progress(done: int, total: int) -> None:
            progress.setRange(0, total)
            progress.setValue(done)

        def on_running(running: bool) -> None:
            for widget in (run, *settings):
                widget.setEnabled(not running)
            cancel.setEnabled(running)

        self.progressed.connect(on_progress)
        self.running_changed.connect(on_running)

    def cancel(self) -> None:
        """Ask the job to stop; ``cancelled`` follows once the worker has stopped."""
        self._stop.set()

    def shutdown(self) -> None:
        """Cancel and wait for every worker thread to end (call before closing)."""
        self._stop.set()
        for thread in [*self._old, *([self._thread] if self._thread is not None else [])]:
            thread.wait()
        self._old.clear()

    @Slot(int, int, int)
    def _on_progress(self, generation: int, done: int, total: int) -> None:
        if generation == self._generation and self._thread is not None:
            self.progressed.emit(done, total)

    @Slot(int, str, object)
    def _on_ended(self, generation: int, outcome: str, payload) -> None:
        assert QThread.currentThread() is self.thread(), "job results must arrive on the GUI thread"
        self._old = [t for t in self._old if not t.isFinished()]
        if generation != self._generation or self._thread is None:
            return  # a job that was replaced: its thread is winding down
        thread, self._thread = self._thread, None
        thread.wait()  # run() has returned; this only waits for the thread to exit
        self.running_changed.emit(False)
        if outcome == "finished":
            self.finished.emit(payload)
        elif outcome == "cancelled":
            self.cancelled.emit()
        else:
            self.failed.emit(str(payload))
