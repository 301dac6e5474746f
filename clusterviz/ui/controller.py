"""The one Qt adapter around the Qt-free :class:`~clusterviz.session.Session`:
widgets call its methods, it calls the session and re-emits what changed as
signals. It also owns the play timer (one ``QTimer`` on the GUI thread, one
step per tick).

It plays anything with the session's stepping protocol -- a `Session`, or a
`~clusterviz.session.SessionPair` in the compare window -- so every window
steps, plays and pauses the same way. Opening a file gives it a NEW session
(`adopt`); widgets read ``controller.session`` (or follow
``session_replaced``) instead of keeping the old object.

On large data sets (``background_points`` points or more) a step's arithmetic
runs on one worker thread: ``Session.prepare_step`` there (it only reads),
``Session.apply_step`` back on the GUI thread. The session object and its
version are taken when the step is submitted, on the GUI thread; a result
lands only if both are still those (and the result was computed at that
version), so a step asked before other data or settings never lands on them.
The window stays responsive and Pause always works.

Convergence: Step stays enabled after the model's tolerance is met (the run
goes on, see `clusterviz.session.timeline`); Play and Run to convergence
stop at the first entry that meets it, and, started on such an entry, go on
until max_iter or a fixed point (`clusterviz.session.timeline.run_stops`).

Data asked for now but delivered later (a big CSV file read on a worker) are
keyed the same way: `request_data` gives a ticket, and any later choice of
data (another data set, another file, an adopted session) makes it stale, so
``load_dataset(dataset, request=ticket)`` drops it.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, QTimer, Signal
from shiboken6 import isValid

from clusterviz.session.timeline import run_stops

from .jobs import Task, Worker
from .names import printable_dataset

#: From this many points on, steps are computed on a worker thread.
BACKGROUND_POINTS = 20_000
#: Run to convergence takes this many steps at once on the GUI thread; a longer run goes on as Play.
SYNC_STEPS = 100


class SessionController(QObject):
    """Drive a session and announce its changes.

    Signals
    -------
    stepped
        The shown state moved along the timeline (step, step back, seek).
    data_changed
        The points changed (a new data set, an added point); the timeline
        restarted.
    reset
        A setting changed or a reset re-initialised the fit.
    failed(str)
        An action could not be done; the message says why. The session keeps
        what it had.
    playing_changed(bool)
        Play started or stopped.
    dataset_loaded
        A whole new data set replaced the old one (emitted just before
        ``data_changed``), so views may re-frame.
    view_changed
        Other columns of the data are shown; nothing was refitted.
    busy_changed(bool)
        A step started or finished computing on the worker thread.
    session_replaced(object)
        `adopt` replaced the session by the one given (emitted before
        ``dataset_loaded`` and ``data_changed``).
    """

    stepped = Signal()
    data_changed = Signal()
    reset = Signal()
    failed = Signal(str)
    playing_changed = Signal(bool)
    dataset_loaded = Signal()
    view_changed = Signal()
    busy_changed = Signal(bool)
    session_replaced = Signal(object)

    def __init__(self, session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._timer = QTimer(self)
        self._timer.setObjectName("playTimer")
        self._timer.timeout.connect(self._on_tick)
        self._interval = 200
        self._converging = False
        self._started_met = False  # whether the run being played started on an entry meeting the tolerance
        self.half_steps = False  # Step (advance) and Play go by half-steps: halfStepCheck
        self.set_speed(5)
        self.background_points = BACKGROUND_POINTS
        self._worker = Worker("step")
        self._task: Task | None = None  # the step being computed on the worker
        self._submitted = (None, -1)  # the session and its version when the step in flight was submitted
        self._data_request = 0  # counts the times other data were asked for (see request_data)
        # Asked before other data replace the points; any False keeps them
        # (crash recovery asks Save / Discard / Cancel about edited points).
        self.before_replace_hooks: list[Callable[[], bool]] = []

    # ------------------------------------------------------------- helpers
    def _call(self, action: Callable[[], object], signal) -> bool:
        """Run a session action; emit ``signal`` on success, ``failed`` if the
        session refuses (a ModelError or DataError, both ValueErrors)."""
        try:
            action()
        except ValueError as exc:  # ModelError, DataError, a refused setting
            self.pause()
            signal.emit()  # the session may have moved before failing
            self.failed.emit(str(exc))
            return False
        signal.emit()
        return True

    # ------------------------------------------------------------ stepping
    def can_step(self) -> bool:
        """Whether stepping forward could show anything new (also past
        convergence: the run goes on until max_iter or a fixed point)."""
        return bool(self.session.can_step)

    def _run_stops(self, started_met: bool | None = None) -> bool:
        """Whether Play (or Run to convergence going on as Play) stops here."""
        session = self.session
        if not hasattr(session, "met_tolerance"):
            return not self.can_step()
        return run_stops(session, self._started_met if started_met is None else started_met)

    def step(self) -> bool:
        """One full iteration (or the missing M half). On a large data set
        it is computed on the worker thread and ``stepped`` comes later."""
        return self._advance(half=False)

    def half_step(self) -> bool:
        """One half-step: E or M."""
        return self._advance(half=True)

    def advance(self) -> bool:
        """Step in the current mode: a half-step when `half_steps` is on, else a full step."""
        return self._advance(half=self.half_steps)

    @property
    def busy(self) -> bool:
        """Whether a step is being computed on the worker thread."""
        return self._task is not None

    def uses_worker(self) -> bool:
        s = self.session
        return hasattr(s, "prepare_step") and int(getattr(s, "n_points", 0)) >= self.background_points

    def _advance(self, half: bool) -> bool:
        if not self.uses_worker():
            return self._call(self.session.half_step if half else self.session.step, self.stepped)
        if self._task is not None:
            return False  # one step at a time
        _ = self.session.state  # compute and cache the shown state here, so the worker only reads
        self._submitted = (self.session, self.session.version)
        self._task = self._worker.submit(self.session.prepare_step, half,
                                         on_done=lambda pending: self._on_step_done(pending, None),
                                         on_failed=lambda error: self._on_step_done(None, error))
        self.busy_changed.emit(True)
        return True

    def _on_step_done(self, pending, error) -> None:
        if not isValid(self):
            return  # the controller was deleted while the step ran
        assert QThread.currentThread() is self.thread(), "step results must be applied on the GUI thread"
        self._task = None
        self.busy_changed.emit(False)
        if error is not None:
            if not self._still_current():
                return  # computed on data or settings that have changed since: drop it
            if not isinstance(error, ValueError):  # a bug, not a refusal: let it surface
                raise error
            self.pause()
            self.failed.emit(str(error))
            return
        if (not self._still_current() or getattr(pending, "version", self._submitted[1]) != self._submitted[1]
                or self.session.apply_step(pending) is None):
            return  # stale: the session changed after the step was asked for
        self.stepped.emit()
        if self.playing and (not pending.changes_anything or self._run_stops()):
            self.pause()

    def _still_current(self) -> bool:
        """Whether the session and its version are those the step in flight was computed from."""
        session, version = self._submitted
        return self.session is session and self.session.version == version

    def shutdown(self) -> None:
        """Stop playing and drop any step in flight (call when closing)."""
        self.pause()
        self._drop_task()

    def _drop_task(self) -> None:
        if self._task is not None:  # a cancelled step never reports back: not busy any more
            self._task.cancel()
            self._task = None
            self.busy_changed.emit(False)

    def can_step_back(self) -> bool:
        """Whether Step back could show anything: the session is past its
        first entry (a k-means++ pick, when the picks are shown)."""
        return self.session.entry is not None and self.session.cursor > 0

    def step_back(self) -> bool:
        return self._call(self.session.step_back, self.stepped)

    def seek(self, index: int) -> bool:
        return self._call(lambda: self.session.seek(index), self.stepped)

    def run_to_convergence(self) -> bool:
        """Step until the tolerance is met (started there: until max_iter or
        a fixed point). On a large data set this is Play at full speed on the
        worker thread, so it can be paused; on small data the first
        `SYNC_STEPS` steps are taken at once and a longer run (a tolerance of
        0, a high max_iter) goes on as Play at full speed, so nothing freezes."""
        self.pause()
        started_met = bool(getattr(self.session, "met_tolerance", False))
        if not self.uses_worker():
            if not self._call(lambda: self.session.run_to_convergence(max_steps=SYNC_STEPS), self.stepped):
                return False
            if self._run_stops(started_met):
                return True
        self._converging = True
        # 1 ms, not 0: a 0 ms timer would spin the GUI thread (and take the
        # GIL from the worker) while a step is in flight.
        self._timer.setInterval(1)
        self.play(started_met=started_met)
        return True

    def reset_fit(self) -> bool:
        self.pause()
        return self._call(self.session.reset, self.reset)

    # ----------------------------------------------------------------- play
    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def speed(self) -> int:
        """Play speed in steps per second (as last set by `set_speed`)."""
        return self._speed

    def set_speed(self, steps_per_second: int) -> None:
        self._speed = max(1, int(steps_per_second))
        self._interval = max(1, round(1000 / max(1, steps_per_second)))
        if not self._converging:
            self._timer.setInterval(self._interval)

    def play(self, started_met: bool | None = None) -> None:
        """Step on a timer until the run stops (`_run_stops`); ``started_met``
        (default: whether the shown entry meets the tolerance) is where the
        run began, for Run to convergence going on as Play."""
        if self.playing or not self.can_step():
            self.playing_changed.emit(self.playing)
            return
        if started_met is None:
            started_met = bool(getattr(self.session, "met_tolerance", False))
        self._started_met = started_met
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        if self._converging:
            self._converging = False
            self._timer.setInterval(self._interval)
        if self._timer.isActive():
            self._timer.stop()
            self.playing_changed.emit(False)

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def _on_tick(self) -> None:
        if self.uses_worker():
            if self._task is None:
                if self._run_stops():
                    self.pause()
                else:
                    self._advance(half=self.half_steps and not self._converging)
            return
        before = (self.session.cursor, len(self.session.timeline))
        if not self._advance(half=self.half_steps and not self._converging):
            return
        after = (self.session.cursor, len(self.session.timeline))
        if after == before or self._run_stops():
            self.pause()  # the tolerance met, max_iter reached or a fixed point: the run stops here

    # ------------------------------------------------------------- settings
    def set_algorithm(self, name: str) -> bool:
        return self._setting(lambda: self.session.set_algorithm(name))

    def set_n_clusters(self, k: int) -> bool:
        return self._setting(lambda: self.session.set_n_clusters(k))

    def set_init(self, name: str) -> bool:
        return self._setting(lambda: self.session.set_init(name))

    def set_seed(self, seed: int) -> bool:
        return self._setting(lambda: self.session.set_seed(seed))

    def set_covariance_type(self, name: str) -> bool:
        return self._setting(lambda: self.session.set_covariance_type(name))

    def set_beta(self, beta: float) -> bool:
        return self._setting(lambda: self.session.set_beta(beta))

    def set_show_seeding(self, on: bool) -> bool:
        """Open the timeline with the k-means++ picks (with init "k-means++") or not."""
        return self._setting(lambda: self.session.set_show_seeding(bool(on)))

    def set_n_init(self, n_init: int) -> bool:
        """How many starts a (re)initialisation tries (re-initialises; emits reset)."""
        return self._setting(lambda: self.session.set_n_init(n_init))

    def set_max_iter(self, max_iter: int) -> bool:
        """The iteration limit; the run is kept (emits stepped: the buttons and
        the status line follow)."""
        self.pause()
        return self._call(lambda: self.session.set_max_iter(max_iter), self.stepped)

    def set_tol(self, tol: float | None) -> bool:
        """The convergence tolerance (None: the algorithm's default); the run
        is kept, the next steps use it (emits stepped)."""
        self.pause()
        return self._call(lambda: self.session.set_tol(tol), self.stepped)

    def _setting(self, action: Callable[[], object]) -> bool:
        self.pause()
        return self._call(action, self.reset)

    # ----------------------------------------------------------------- data
    def request_data(self) -> int:
        """A ticket for data asked for now and delivered later (a file read
        on a worker); any later request, `load_dataset` or `adopt` makes it
        stale (see `is_latest_request`)."""
        self._data_request += 1
        return self._data_request

    def is_latest_request(self, ticket: int) -> bool:
        """Whether no other data were asked for since ``ticket`` was taken."""
        return ticket == self._data_request

    def load_dataset(self, dataset, request: int | None = None) -> bool:
        """Replace the points by ``dataset`` (after the `before_replace_hooks`
        agree). With ``request`` (a `request_data` ticket) nothing happens
        and False is returned if other data were asked for since."""
        if request is None:
            self.request_data()
        elif not self.is_latest_request(request):
            return False  # the user chose other data after asking for these
        self.pause()
        if not all(hook() for hook in self.before_replace_hooks):
            self.data_changed.emit()  # the controls show the data that stayed
            return False
        try:
            self.session.load_dataset(printable_dataset(dataset))
        except ValueError as exc:
            self.data_changed.emit()
            self.failed.emit(str(exc))
            return False
        self._drop_task()  # a step asked on the old data never lands (and no longer blocks a new one)
        self.dataset_loaded.emit()
        self.data_changed.emit()
        return True

    def load_builtin(self, name: str) -> bool:
        """Load the built-in data set ``name``."""
        from clusterviz.data import builtin_dataset

        try:
            dataset = builtin_dataset(name)
        except (KeyError, ValueError) as exc:
            self.failed.emit(f"Could not load the data set {name!r}: {exc}")
            self.data_changed.emit()  # let the controls show the data set still loaded
            return False
        return self.load_dataset(dataset)

    def set_view_columns(self, x_column: int, y_column: int) -> bool:
        """Show the columns ``x_column`` and ``y_column`` of the data."""
        return self._call(lambda: self.session.set_view_columns(x_column, y_column), self.view_changed)

    def set_view_projection(self, W, centre=None) -> bool:
        """Show the data through the projection ``W`` (2, D) after subtracting
        ``centre``; None goes back to the column pair. Nothing is refitted."""
        return self._call(lambda: self.session.set_view_projection(W, centre), self.view_changed)

    def adopt(self, session) -> bool:
        """Replace the session by ``session`` (e.g. one read from a file),
        after the `before_replace_hooks` agree; a step in flight on the old
        one is dropped. Emits session_replaced, dataset_loaded, then
        data_changed, so every widget re-reads ``controller.session``."""
        self.request_data()
        self.pause()
        if not all(hook() for hook in self.before_replace_hooks):
            return False
        self._drop_task()
        self.session = session
        self.session_replaced.emit(session)
        self.dataset_loaded.emit()
        self.data_changed.emit()
        return True

    def report(self, text: str) -> None:
        """Announce that a widget refused an action (emits ``failed``)."""
        self.failed.emit(text)

    def add_point(self, x: float, y: float) -> bool:
        return self._call(lambda: self.session.add_point(x, y), self.data_changed)

    # Data edits from the canvas tools (clusterviz.ui.tools.canvas_tools); each emits data_changed.
    def add_points(self, points, classes=None) -> bool:
        """Add points (n, 2), optionally with their true class codes."""
        return self._call(lambda: self.session.add_points(points, classes=classes), self.data_changed)

    def remove_points(self, indices) -> bool:
        return self._call(lambda: self.session.remove_points(indices), self.data_changed)

    def move_point(self, i: int, x: float, y: float) -> bool:
        return self._call(lambda: self.session.move_point(i, x, y), self.data_changed)

    def set_data(self, X, classes, class_names=None, lengths=None) -> bool:
        """Replace all points, their classes and sequence lengths exactly (undo/redo)."""
        return self._call(lambda: self.session.set_data(X, classes=classes, class_names=class_names,
                                                        lengths=lengths), self.data_changed)

    def set_initial_means(self, means) -> bool:
        """Hand-placed initial means (K follows), or None for the chosen init; emits reset."""
        return self._setting(lambda: self.session.set_initial_means(means))
