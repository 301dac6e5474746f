"""The one way the UI runs work off the GUI thread.

A `Worker` runs functions on its own thread, one at a time and in the order
they were submitted; the thread starts on the first submission and ends
when there is nothing left to do, so no thread lingers. Each submission is a
`Task`. Its outcome goes to ``on_done(result)`` or ``on_failed(exception)``
*on the GUI thread* (through a queued signal), never on the worker; a task
that was cancelled first delivers nothing. With ``on_done`` but no
``on_failed`` an exception is raised again on the GUI thread, where the error
dialog shows it; a task with neither keeps its outcome for `Task.result`.
A function that wants progress and cancel takes ``progress(done, total)``
and ``is_cancelled()`` as its first two arguments (``with_progress=True``);
progress reports arrive on the GUI thread too.

`BackgroundJob` is the Qt-signal face of the same thing for the panels: one
job at a time (starting one cancels the one before), with ``progressed``,
``finished``, ``cancelled`` and ``failed`` signals and Run / Cancel / progress
controls (`job_controls`, `BackgroundJob.bind_controls`).
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QProgressBar, QPushButton


#: Prefix of every worker thread's name.
THREAD_PREFIX = "clusterviz-"


class _Relay(QObject):
    """Lives on the GUI thread; calls what the workers post to it there."""

    posted = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.posted.connect(self._call, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _call(self, call) -> None:
        call()


_relay: _Relay | None = None
_relay_lock = threading.Lock()


def _gui_relay() -> _Relay:
    global _relay
    with _relay_lock:
        if _relay is None:
            relay = _Relay()
            app = QCoreApplication.instance()
            if app is not None and relay.thread() is not app.thread():
                relay.moveToThread(app.thread())
            _relay = relay
    return _relay


def on_gui_thread(call: Callable[[], object]) -> None:
    """Run ``call()`` later on the GUI thread (from any thread, even the GUI
    thread itself: the call is queued either way)."""
    _gui_relay().posted.emit(call)


def _raise(exc: BaseException) -> None:
    raise exc


class Task:
    """One function call submitted to a `Worker`.

    Attributes
    ----------
    name : str
        The worker's name.
    """

    def __init__(self, name: str, fn: Callable, args: tuple, on_done, on_failed, on_progress,
                 with_progress: bool) -> None:
        self.name = name
        self._fn, self._args = fn, args
        self._on_done, self._on_failed, self._on_progress = on_done, on_failed, on_progress
        self._with_progress = with_progress
        self._stop = threading.Event()  # the function is asked to stop (is_cancelled)
        self._dropped = False  # nothing is delivered
        self._finished = threading.Event()
        self._result = None
        self._error: BaseException | None = None

    def cancel(self) -> None:
        """Deliver nothing, and ask a function with progress to stop
        (``is_cancelled()`` turns True); a task not started yet never runs."""
        self._dropped = True
        self._stop.set()

    def stop(self) -> None:
        """Ask a function with progress to stop (``is_cancelled()`` turns
        True); what it returns or raises is still delivered."""
        self._stop.set()

    def is_cancelled(self) -> bool:
        return self._stop.is_set()

    def done(self) -> bool:
        """Whether the function has returned or raised (or was skipped)."""
        return self._finished.is_set()

    def result(self, timeout: float | None = None):
        """Wait for the function and return its result (or raise its error)."""
        if not self._finished.wait(timeout):
            raise TimeoutError(f"the {self.name} task did not finish within {timeout} s")
        if self._error is not None:
            raise self._error
        return self._result

    def _progress(self, done: int, total: int) -> None:
        if self._on_progress is not None and not self._dropped:
            on_gui_thread(lambda: None if self._dropped else self._on_progress(done, total))

    def _run(self) -> None:  # on the worker thread
        if self._dropped:
            self._finished.set()
            return
        try:
            if self._with_progress:
                self._result = self._fn(self._progress, self._stop.is_set, *self._args)
            else:
                self._result = self._fn(*self._args)
        except BaseException as exc:  # handed to the GUI thread, not lost on this one
            self._error = exc
        self._finished.set()
        self._fn = self._args = None  # let the inputs go as soon as they are used
        if self._on_done is None and self._on_failed is None:
            return  # the submitter reads the outcome with `result`
        on_gui_thread(self._deliver)

    def _deliver(self) -> None:  # on the GUI thread
        if self._dropped:
            return
        if self._error is None:
            if self._on_done is not None:
                self._on_done(self._result)
        elif self._on_failed is not None:
            self._on_failed(self._error)
        else:
            _raise(self._error)


class Worker:
    """A worker thread that runs submitted functions one at a time, in order.

    Parameters
    ----------
    name : str
        The thread is called ``clusterviz-<name>``.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._queue: deque[Task] = deque()
        self._thread: threading.Thread | None = None  # running, or None when idle
        self._last: threading.Thread | None = None  # the latest thread (it may still be exiting)

    def submit(self, fn: Callable, *args, on_done: Callable | None = None, on_failed: Callable | None = None,
               on_progress: Callable[[int, int], None] | None = None, with_progress: bool = False) -> Task:
        """Run ``fn(*args)`` (``fn(progress, is_cancelled, *args)`` with
        ``with_progress``) on the worker thread after what was submitted before.

        Returns
        -------
        Task
        """
        task = Task(self.name, fn, args, on_done, on_failed, on_progress, with_progress)
        _gui_relay()  # made here, on the submitting (GUI) thread
        with self._lock:
            self._queue.append(task)
            if self._thread is None:
                self._thread = self._last = threading.Thread(target=self._loop, name=THREAD_PREFIX + self.name,
                                                             daemon=True)
                self._thread.start()
        return task

    def _loop(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._thread = None
                    return
                task = self._queue.popleft()
            task._run()

    @property
    def busy(self) -> bool:
        """Whether the thread is running (a task runs or waits)."""
        with self._lock:
            return self._thread is not None

    def shutdown(self, wait: bool = True) -> None:
        """Cancel the tasks not started yet and (``wait``) wait for the running one."""
        with self._lock:
            for task in self._queue:
                task.cancel()
            thread = self._last
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()


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


Work = Callable[[Callable[[int, int], None], Callable[[], bool]], object]


class BackgroundJob(QObject):
    """One job at a time on its own worker thread; starting a new one cancels
    the old (whose thread winds down on its own, delivering nothing).

    The work is a function ``work(progress, is_cancelled)`` (the signature of
    :func:`clusterviz.model.selection.sweep_k` and
    :func:`~clusterviz.model.selection.run_restarts`) that raises
    :class:`~clusterviz.model.selection.Cancelled` when asked to stop.
    Whatever ends a job, its thread has ended before ``finished``,
    ``cancelled`` or ``failed`` is emitted.

    Parameters
    ----------
    name : str
        Names the worker threads (``clusterviz-<name>``).

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

    def __init__(self, name: str = "job", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._worker: Worker | None = None
        self._task: Task | None = None
        self._old: list[Worker] = []  # cancelled jobs' workers still winding down

    def is_running(self) -> bool:
        return self._task is not None

    def start(self, work: Work) -> None:
        """Run ``work(progress, is_cancelled)`` on a new worker thread (cancelling any running job)."""
        if self._task is not None:
            self._task.cancel()
            self._old.append(self._worker)
        self._old = [w for w in self._old if w.busy]
        self._worker = Worker(self.name)
        task = None

        def progress(done: int, total: int) -> None:
            if task is self._task:
                self.progressed.emit(done, total)

        task = self._task = self._worker.submit(
            work, with_progress=True, on_progress=progress,
            on_done=lambda result: self._end(task, "finished", result),
            on_failed=lambda exc: self._end(task, "failed", exc))
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
        """Ask the job to stop; ``cancelled`` follows once the worker has stopped.

        The task is not cancelled outright (which would deliver nothing): the
        work sees ``is_cancelled()`` and raises ``Cancelled``.
        """
        if self._task is not None:
            self._task.stop()

    def abandon(self) -> None:
        """Cancel the running job without waiting for it: nothing is delivered,
        and its thread ends on its own at the work's next look at
        ``is_cancelled()`` (for work that looks often, such as a file read,
        when closing must not wait for the whole of it)."""
        for worker in [*self._old, *([self._worker] if self._worker is not None else [])]:
            worker.shutdown(wait=False)  # tasks not started yet never run
        if self._task is not None:
            self._task.cancel()
        self._old.clear()
        running, self._task = self._task is not None, None
        if running:
            self.running_changed.emit(False)

    def shutdown(self) -> None:
        """Cancel and wait for every worker thread to end (call before closing)."""
        if self._task is not None:
            self._task.cancel()
        for worker in [*self._old, *([self._worker] if self._worker is not None else [])]:
            worker.shutdown(wait=True)
        self._old.clear()
        running, self._task = self._task is not None, None
        if running:
            self.running_changed.emit(False)

    def _end(self, task: Task, outcome: str, payload) -> None:
        assert QThread.currentThread() is self.thread(), "job results must arrive on the GUI thread"
        if task is not self._task:
            return  # a job that was replaced: its thread is winding down
        self._task = None
        self._worker.shutdown(wait=True)  # the task has returned; this only waits for the thread to exit
        self.running_changed.emit(False)
        # Here, not at the top: the selection module (the sweeps that raise it) is not needed at start-up.
        from clusterviz.model.selection import Cancelled

        if outcome == "finished":
            self.finished.emit(payload)
        elif isinstance(payload, Cancelled):
            self.cancelled.emit()
        elif isinstance(payload, ValueError):  # ModelError, a refused setting: a message for the user
            self.failed.emit(str(payload))
        else:  # a bug: still end the job, and say what happened
            self.failed.emit(f"{type(payload).__name__}: {payload}")
