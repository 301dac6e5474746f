"""The views of a sequence model in the main window: the posterior strip over
time (``posteriorPlot``) and the transition matrix with the start
probabilities (``transitionView``) in docks under the canvas, and the
sequence drawn on the canvas (`SequencePathLayer`).

They are there only while the shown algorithm models the order of the
points (its registry entry has ``supports_sequences``); for the i.i.d.
algorithms the docks, their menu entries and the canvas layer are hidden.
They follow the controller (steps, step back, seek, reset, data edits, an
adopted session) like every other view.

Hovering a time in the strip rings that point on the canvas (and shows it
in the inspector; a click pins it there); hovering a point on the canvas
moves the strip's cursor to its time.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QCheckBox, QDockWidget, QHBoxLayout, QVBoxLayout, QWidget
from shiboken6 import isValid

from clusterviz.model import ModelError

from ..canvas.sequence_path import SequencePathLayer, sequence_starts
from ..jobs import Worker
from ..window_layout import canvas_area
from .sequence_posterior import PosteriorPlot
from .sequence_transitions import TransitionView

#: The transition dock opens at least this wide (pixels), more if its numbers need it.
TRANSITION_MIN_WIDTH = 260
#: ... leaving the posterior strip at least this wide.
POSTERIOR_MIN_WIDTH = 320
#: From this many time steps on, the Viterbi path is decoded on a worker thread.
VITERBI_BACKGROUND_STEPS = 20_000
#: Share of the canvas area's height the docks open with (the canvas keeps the rest, down to its minimum).
DOCK_HEIGHT_SHARE = 0.3
#: ... and at most this many pixels (the strip reads well at 120 px; the canvas needs the height more) ...
DOCK_MAX_HEIGHT = 200
#: ... unless the matrix's rows need more (larger text), up to this share of the canvas area's height.
DOCK_MAX_SHARE = 0.45
#: Up to this many time steps the canvas joins the points and draws the decoded path.
CANVAS_PATH_LIMIT = 20_000
TOO_LONG_TIP = ("{n} time steps: a path through them all would hide the points and slow every frame, so the "
                "canvas joins sequences of at most {limit} steps; the strip below shows every step.")
JOINED_TIP = "Join the points in their order, one thin line per sequence, behind the points (J)."
DECODED_TIP = ("Draw the decoded state path on the canvas: each step t → t+1 in its state's colour, dashed "
               "where the state switches (Shift+J).")


def sequence_lengths(session):
    """The lengths of the session's sequences (rows in order), or None for one
    sequence: what the model reads (``session.prepared.lengths``)."""
    lengths = getattr(session.prepared, "lengths", None)
    return lengths if lengths is not None else getattr(session.dataset, "lengths", None)


def decoded_path(session, state) -> tuple[np.ndarray | None, bool]:
    """The state at every time step and whether it is the Viterbi path.

    The model's own Viterbi decoding of the shown parameters when it offers
    one (``model.viterbi_path(X, state) -> (log-probability, states)``);
    otherwise argmax γ, the most probable state at each time on its own.
    (None, False) before any γ.
    """
    gamma = None if state is None else state.soft_responsibilities
    if gamma is None:
        return None, False
    viterbi = getattr(session.model, "viterbi_path", None)
    if viterbi is not None:
        try:
            _log_probability, path = viterbi(session.prepared, state)
        except (ModelError, ValueError):
            pass  # the argmax below still says something true
        else:
            return np.asarray(path, dtype=np.intp), True
    return np.argmax(gamma, axis=1), False


class SequenceDocks(QObject):
    """The posterior and transition docks of ``window`` and the sequence layer
    of its canvas.

    Parameters
    ----------
    window : MainWindow
        Provides ``controller``, ``canvas``, ``view_menu`` and, if present,
        ``teaching`` (its ``hover`` and ``toggle_pin`` show a point in the inspector).

    Attributes
    ----------
    posterior : PosteriorPlot
    transitions : TransitionView
    posterior_dock, transition_dock : QDockWidget
        Named ``posteriorDock`` and ``transitionDock``.
    path_layer : SequencePathLayer
    joined_check, decoded_check : QCheckBox
        ``joinedPathCheck`` and ``decodedPathCheck``.
    active : bool
        Whether the shown algorithm models the order (the views are offered).
        Switching to such an algorithm shows the docks; leaving it hides them.
    """

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller = window.controller
        self.active: bool | None = None  # None until the first refresh decides
        self._decoded_key = None  # (session, version, cursor) of the cached decoded path
        self._decoded = (None, False)
        self._worker = Worker("viterbi")  # long sequences decode off the GUI thread
        self._task = None

        self._posterior: PosteriorPlot | None = None  # built when first shown (a plot widget costs start-up)
        self._scale = 1.0
        self._sized_for = None  # the transition view's (needed width, needed height) the docks were sized for
        self.transitions = TransitionView()
        self.path_layer = SequencePathLayer(window.canvas)
        self.joined_check = QCheckBox("Join in order")
        self.joined_check.setObjectName("joinedPathCheck")
        self.joined_check.setToolTip(JOINED_TIP)
        self.joined_check.setChecked(True)
        self.decoded_check = QCheckBox("Decoded path")
        self.decoded_check.setObjectName("decodedPathCheck")
        self.decoded_check.setToolTip(DECODED_TIP)
        from .fitting_label import FittingLabel  # (kept out of the module's imports, which others reorder)

        self.caption = FittingLabel()  # the longest wording that fits beside the check boxes, never widening
        self.caption.setObjectName("posteriorCaption")

        strip = QWidget()
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(8)
        header.addWidget(self.caption, 1)
        header.addWidget(self.joined_check)
        header.addWidget(self.decoded_check)
        layout = QVBoxLayout(strip)
        layout.setContentsMargins(4, 0, 4, 2)
        layout.setSpacing(0)
        layout.addLayout(header)
        self._strip_layout = layout

        self.posterior_dock = self._dock("Posterior over time", "posteriorDock", strip,
                                         "γ_t(k) of every state over time, the decoded path and the time cursor.")
        self.transition_dock = self._dock("Transitions", "transitionDock", self.transitions,
                                          "The transition matrix and the start probabilities of the shown step.")
        host = getattr(window, "canvas_area", None)
        self.host = host = canvas_area(window) if host is None else host
        self._pending_size = False
        host.installEventFilter(self)
        self.transitions.installEventFilter(self)  # its text size changes (presenter mode): size the docks again
        host.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.posterior_dock)
        host.splitDockWidget(self.posterior_dock, self.transition_dock, Qt.Orientation.Horizontal)
        self.joined_action = self._check_action(self.joined_check, "J", "joinedPathAction")
        self.decoded_action = self._check_action(self.decoded_check, "Shift+J", "decodedPathAction")
        #: What the View menu offers while a sequence model is shown (hidden otherwise).
        self.actions: list[QAction] = [
            self._dock_action(self.posterior_dock, "posteriorDockAction", "Show or hide the posterior strip."),
            self._dock_action(self.transition_dock, "transitionDockAction", "Show or hide the transition matrix."),
            self.joined_action, self.decoded_action]
        menu = getattr(window, "view_menu", None)
        if menu is not None:
            menu.addSeparator()  # a trailing separator is hidden with the actions (separators collapse)
            for action in self.actions:
                menu.addAction(action)
        self.joined_check.toggled.connect(self._on_joined)
        self.decoded_check.toggled.connect(self._on_decoded)

        controller.stepped.connect(self.refresh)
        controller.reset.connect(self.refresh)
        controller.data_changed.connect(self.refresh)
        controller.view_changed.connect(self.refresh)
        controller.session_replaced.connect(lambda _session: self.refresh())
        window.canvas.point_hovered.connect(self._on_point_hovered)
        self.posterior_dock.hide()
        self.transition_dock.hide()
        self.refresh()

    @staticmethod
    def _dock_action(dock: QDockWidget, name: str, tip: str) -> QAction:
        action = dock.toggleViewAction()
        action.setObjectName(name)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        return action

    def _check_action(self, check: QCheckBox, key: str, name: str) -> QAction:
        """A window-wide checkable action with shortcut ``key`` mirroring ``check``."""
        action = QAction(check.text(), self.window)
        action.setObjectName(name)
        action.setCheckable(True)
        action.setChecked(check.isChecked())
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(check.toolTip())
        action.toggled.connect(check.setChecked)
        check.toggled.connect(action.setChecked)
        self.window.addAction(action)
        return action

    def _dock(self, title: str, name: str, widget: QWidget, tooltip: str) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(name)
        dock.setToolTip(tooltip)
        dock.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
                             | Qt.DockWidgetArea.TopDockWidgetArea)
        dock.setWidget(widget)
        return dock

    @property
    def posterior(self) -> PosteriorPlot:
        """The posterior strip (``posteriorPlot``), built on first use."""
        if self._posterior is None:
            self._posterior = plot = PosteriorPlot()
            plot.set_scale(self._scale)
            self._strip_layout.addWidget(plot, 1)
            plot.time_hovered.connect(self._on_time_hovered)
            plot.time_clicked.connect(self._on_time_clicked)
        return self._posterior

    def set_scale(self, factor: float) -> None:
        """Presenter mode: the strip's and the canvas layer's text and lines
        ``factor`` times their normal size (the tables follow the window's font)."""
        self._scale = float(factor)
        if self._posterior is not None:
            self._posterior.set_scale(factor)
        self.path_layer.set_scale(factor)
        self._pending_size = True  # the matrix's numbers changed size: give it the width they need
        self._size_docks()

    # ------------------------------------------------------------ following
    @property
    def session(self):
        return self.controller.session

    def refresh(self) -> None:
        """Show or hide the views for the session's algorithm and draw its shown step."""
        s = self.session
        active = bool(s.algorithm_entry.supports_sequences)
        self._set_active(active)
        if not active:
            return
        state = s.state
        n = int(s.n_points)
        gamma = None if state is None else state.soft_responsibilities
        if gamma is not None and gamma.shape[0] != n:
            gamma = None
        path, viterbi = self._decoded_path(s, state if gamma is not None else None)
        lengths = sequence_lengths(s)
        starts = sequence_starts(n, lengths)
        self.posterior.show_posterior(gamma, path, viterbi=viterbi, starts=starts)
        entry = s.entry
        problem = s.problem  # why there is no fit, and what to do
        self.posterior.set_note(problem)
        self.transitions.show_parameters(getattr(entry, "startprob", None), getattr(entry, "transmat", None),
                                         note=problem)
        self._check_needed()
        # A path through 10^5 points costs ~0.1 s a frame and draws a solid scribble: long sequences keep the
        # canvas to the points (the strip still shows every time step).
        drawable = n <= CANVAS_PATH_LIMIT
        for check, tip in ((self.joined_check, JOINED_TIP), (self.decoded_check, DECODED_TIP)):
            check.setEnabled(drawable)
            check.setToolTip(tip if drawable else TOO_LONG_TIP.format(n=n, limit=CANVAS_PATH_LIMIT))
        self.joined_action.setEnabled(drawable)
        self.decoded_action.setEnabled(drawable)
        if drawable:
            self.path_layer.set_sequence(s.shown_points(), lengths, path)
        else:
            self.path_layer.set_sequence(np.empty((0, 2)))
        self.caption.set_choices(self._caption(n, len(starts) + 1 if n else 0, gamma is not None, viterbi))

    @staticmethod
    def _caption(n: int, n_sequences: int, has_gamma: bool, viterbi: bool) -> list[str]:
        """The caption's wordings, longest first (the caption shows the longest that fits)."""
        sequences = "one sequence" if n_sequences <= 1 else f"{n_sequences} sequences"
        if not has_gamma:
            return [f"{n} time steps, {sequences}", f"{n} steps"]
        path = "the Viterbi path" if viterbi else "argmax γ, not the Viterbi path"
        return [f"{n} steps, {sequences}; top band: {path}", f"{n} steps, {sequences}", f"{n} steps"]

    def _check_needed(self) -> None:
        """Size the docks again if the matrix needs another size than they
        were sized for (K or the text size changed, or the matrix appeared)."""
        if not self.active:
            return
        needed = (self.transitions.needed_width(), self.transitions.needed_height())
        if needed != self._sized_for:
            self._sized_for = needed
            self._pending_size = True
            self._size_docks()

    def _decoded_path(self, s, state):
        """The decoded path of the shown step, cached per step. On a long
        sequence the Viterbi pass (0.4 s at 10^5 steps) runs on a worker
        thread: argmax γ, labelled as such, shows until it lands."""
        key = (id(s), s.version, s.cursor, state is None)
        if key == self._decoded_key:
            return self._decoded
        self._decoded_key = key
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if state is None or int(s.n_points) < VITERBI_BACKGROUND_STEPS:
            self._decoded = decoded_path(s, state)
            return self._decoded
        self._decoded = (np.argmax(state.soft_responsibilities, axis=1), False)
        if getattr(s.model, "viterbi_path", None) is not None:
            self._task = self._worker.submit(decoded_path, s, state,
                                             on_done=lambda result: self._on_path_decoded(key, result),
                                             on_failed=lambda _error: None)
        return self._decoded

    def _on_path_decoded(self, key, result) -> None:
        if not isValid(self):
            return  # the window closed while the path was decoded
        self._task = None
        if key == self._decoded_key:  # still the shown step
            self._decoded = result
            self.refresh()

    def shutdown(self) -> None:
        """Drop a decoding in flight (the window calls it when it closes)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _set_active(self, active: bool) -> None:
        if active == self.active:
            return
        self.active = active
        for action in self.actions:
            action.setVisible(active)
        # Switching to a sequence model offers its views; leaving it hides them.
        self.posterior_dock.setVisible(active)
        self.transition_dock.setVisible(active)
        if active:
            self._pending_size = True  # sized once the canvas area has its size (see eventFilter)
            self._size_docks()
        self.path_layer.set_active(active)
        if not active and self._posterior is not None:
            self._posterior.set_cursor(-1)

    def _size_docks(self) -> None:
        """The strip takes the width, the matrix what its numbers need (when
        they appear, change size or the canvas area's width changes); their
        height is a share of the canvas area's, more if the matrix's rows need
        it (a dragged separator holds until the next such change)."""
        host = self.host
        if not host.isVisible() or host.width() < 2 * TRANSITION_MIN_WIDTH:
            return
        side_by_side = not (self.posterior_dock.isFloating() or self.transition_dock.isFloating())
        if self._pending_size and side_by_side:
            self._pending_size = False
            # the matrix as wide as its numbers need, the strip the rest (at least POSTERIOR_MIN_WIDTH)
            frame_width, _ = self._dock_frame(self.transition_dock, self.transitions)
            width = min(max(self.transitions.needed_width() + frame_width, TRANSITION_MIN_WIDTH),
                        host.width() - POSTERIOR_MIN_WIDTH)
            from PySide6.QtWidgets import QStyle

            separator = host.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent, None, host)
            host.resizeDocks([self.posterior_dock, self.transition_dock], [host.width() - width - separator, width],
                             Qt.Orientation.Horizontal)
        # a share of the canvas area's height, more if the matrix's rows need it (at most DOCK_MAX_SHARE)
        needed = self.transitions.needed_height() + self._dock_frame(self.transition_dock, self.transitions)[1]
        height = min(max(min(round(DOCK_HEIGHT_SHARE * host.height()), DOCK_MAX_HEIGHT), needed),
                     round(DOCK_MAX_SHARE * host.height()))
        host.resizeDocks([self.posterior_dock], [height], Qt.Orientation.Vertical)

    @staticmethod
    def _dock_frame(dock: QDockWidget, widget: QWidget) -> tuple[int, int]:
        """(width, height) in pixels a dock adds around its widget (frame; title bar above)."""
        if dock.isVisible() and widget.isVisible():
            return max(dock.width() - widget.width(), 0), max(dock.height() - widget.height(), 0)
        return 4, dock.fontMetrics().height() + 10

    def eventFilter(self, obj, event) -> bool:  # Qt override
        if obj is self.transitions and event.type() == QEvent.Type.FontChange:
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, self, self._check_needed)  # once the view has fitted its tables to the font
            return False
        if obj is self.host and self.active and event.type() in (QEvent.Type.Show, QEvent.Type.Resize):
            if event.type() == QEvent.Type.Resize and event.size().width() != event.oldSize().width():
                self._pending_size = True  # a panel opened beside the canvas: the matrix keeps its width
            self._size_docks()
        return False

    # ------------------------------------------------------------- toggles
    def _on_joined(self, on: bool) -> None:
        self.path_layer.set_joined_visible(on)

    def _on_decoded(self, on: bool) -> None:
        self.path_layer.set_decoded_visible(on)

    # ------------------------------------------------------------- hovering
    def _on_time_hovered(self, t: int) -> None:
        self.path_layer.highlight_time(t)
        teaching = getattr(self.window, "teaching", None)
        if teaching is not None and self.active:
            teaching.hover(t)

    def _on_time_clicked(self, t: int) -> None:
        teaching = getattr(self.window, "teaching", None)
        if teaching is not None and self.active:
            teaching.toggle_pin(t)

    def _on_point_hovered(self, index: int) -> None:
        if self.active:
            self.posterior.set_cursor(index)
