"""K-Means beside EM: two canvases on the same data, started from the same
means and stepped together -- the picture the whole lesson is about.

The two sides are a Qt-free `~clusterviz.session.SessionPair` (K-Means on
the left, a Gaussian mixture with full covariances on the right, both taken
from the algorithm registry) built from the main window's data, K, init and
seed; hand-placed means of the main session are given to both sides. ONE
:class:`~clusterviz.ui.controller.SessionController` plays the pair, exactly
as the main window's plays a session: the same Step, Step back, seek, Play and
Pause, the same worker thread for large data sets (both sides' steps are
computed together, so they stay in lockstep).

The shared step number is the furthest cursor; a side that has converged waits
at its last step. Only full iterations are taken, so timeline entry ``t`` is
iteration ``t`` on both sides. Titles, labels and objective symbols come from
the sides' registry entries.

When the main window shows a sequence model (its registry entry has
``supports_sequences``), the pair is a Gaussian mixture beside it on the same
sequence from the same start, with the gain Δℓ and "Shuffle the order"
(:mod:`.compare_sequence`).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QCheckBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy,
                               QVBoxLayout, QWidget)
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.data.transform import project_points
from clusterviz.model.registry import get_algorithm
from clusterviz.session import SessionPair
from clusterviz.session.text import ARI_LABEL, objective_shown

from ..canvas.cluster_canvas import ClusterCanvas, equal_scales_suit
from ..controller import SessionController
from ..canvas.layers import BackgroundLayers, layer_problem
from ..panels.objective_plot import ObjectivePlot
from ..canvas.palette import CLUSTER_COLOURS, cosmetic_pen
from .compare_sequence import LESSON_TEXT as SEQUENCE_LESSON_TEXT
from .compare_sequence import LESSON_TITLE as SEQUENCE_LESSON_TITLE
from .compare_sequence import AlgorithmPair, SequenceCompare

LESSON_TITLE = "K-Means is EM with hard 0/1 responsibilities"
LESSON_TEXT = (
    "Both sides start from the same means and take one full iteration per step. Left: every point belongs "
    "wholly to its nearest centroid (r = 0 or 1), so every point is drawn solid. Right: every point is shared "
    "among the Gaussians (0 ≤ r ≤ 1) and drawn as opaque as its largest responsibility, so faint points are "
    "the ambiguous ones; the solid ellipse holds about 39% of a Gaussian, the dashed one 86%. Shrink the "
    "Gaussians' variance to zero and EM's responsibilities snap to 0/1: EM becomes K-Means (PRML §9.3.2)."
)
_INIT_WORDS = {"random": "random data points", "k-means++": "k-means++ seeding"}
#: What the first step does, for hard (0/1) and for soft responsibilities.
_FIRST_STEP = {True: "Each step: points go wholly to their nearest mean; each mean moves to their average.",
               False: "Each Gaussian starts as spread out as the whole data set; each step shares every point "
                      "among them."}
#: Lines every readout reserves, so both canvases keep the same height.
READOUT_LINES = 3
#: The window opens this large (pixels) where the screen has room ...
PREFERRED_SIZE = (1280, 860)
#: ... and otherwise at most this share of the available screen's width and height.
SCREEN_SHARE = 0.9
#: The objective plots' height: this share of the window's, within these bounds (pixels).
PLOT_HEIGHT_SHARE = 0.22
PLOT_MIN_HEIGHT = 100
PLOT_MAX_HEIGHT = 190


class _ElidedLabel(QLabel):
    """A label of fixed height showing ``lines`` lines of its text, each cut
    with "…" when too wide; the tooltip holds the whole text. A one-line
    label given several wordings (`set_choices`) shows the longest that fits
    whole instead."""

    def __init__(self, lines: int = 1, parent=None) -> None:
        super().__init__(parent)
        self._lines: list[str] = []
        self._choices: list[str] = []
        self._tip = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(lines * self.fontMetrics().lineSpacing() + 4)
        self._max_lines = lines

    def set_lines(self, lines: list[str], tooltip: str = "") -> None:
        self._lines = [line for line in lines if line][:self._max_lines]
        self._choices = []
        self._tip = tooltip
        self._elide()

    def set_choices(self, choices: list[str], tooltip: str = "") -> None:
        """One line: the first of ``choices`` (longest first) that fits the
        width whole; the last one cut with "…" if none does."""
        self._choices = [choice for choice in choices if choice]
        self._lines = self._choices[:1]
        self._tip = tooltip
        self._elide()

    def full_text(self) -> str:
        """The whole text (of several wordings, the longest)."""
        return "\n".join(self._choices[:1] or self._lines)

    def resizeEvent(self, event) -> None:  # Qt override
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics, width = self.fontMetrics(), max(self.width() - 2, 40)
        if self._choices:
            fitting = [choice for choice in self._choices if metrics.horizontalAdvance(choice) <= width]
            self._lines = fitting[:1] or self._choices[-1:]
        shown = [metrics.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in self._lines]
        super().setText("\n".join(shown))
        cut = shown != self._lines
        self.setToolTip("\n".join(self._lines) if cut else self._tip)


def _side_title(entry, covariance_type: str, short: int = 0) -> str:
    """"K-Means — hard 0/1 responsibilities, distortion J" from a registry
    entry; shorter for ``short`` 1 (its short label: "HMM, full covariance
    — soft responsibilities, log-likelihood ℓ") and 2 ("HMM, full
    covariance — soft, log-likelihood ℓ")."""
    kind = "hard 0/1" if entry.hard else "soft"
    covariance = f", {covariance_type} covariance" if entry.covariance_types else ""
    objective = entry.objective_name[:1].lower() + entry.objective_name[1:]
    name = entry.short_label if short else entry.label
    return f"{name}{covariance} — {kind}{'' if short > 1 else ' responsibilities'}, {objective}"


def _object_name(entry) -> str:
    """"KMeans", "EM": the registry's short label as an objectName part."""
    return "".join(ch for ch in entry.short_label if ch.isalnum())


class CompareView(QWidget):
    """A window with K-Means (left) and EM (right) stepped together.

    Parameters
    ----------
    pair : SessionPair
        The two sessions (their data, K, start and seed); every column is
        fitted, ``view_columns`` are drawn.
    view_columns : (int, int)
    projection : ndarray of shape (2, n_features) or None
        Drawn instead of ``view_columns`` (the main window's PCA view).
    centre : ndarray of shape (n_features,) or None
        Subtracted before ``projection``.
    steps_per_second : int
        Play speed.
    parent : QWidget or None
        The window stays on top of its parent and closes with it.
    hand_placed : bool or None
        Whether the shared start was placed by hand in the main window
        (default: whether the left side has hand-placed means).

    Attributes
    ----------
    pair : SessionPair
        The two sessions, stepped together.
    controller : SessionController
        Plays the pair; shut down when the view closes.
    sessions : dict of str to Session
        The pair's sessions by algorithm name (K-Means first).
    canvases, plots, readouts : dict of str to widget
        By algorithm name, like ``sessions``.
    inspected : int
        Index of the point inspected in both canvases (-1: none).
    sequence : SequenceCompare or None
        The Δℓ line and "Shuffle the order", when the right side models the order.

    Signals
    -------
    stepped()
        After anything that changes what is shown (step, back, reset, seek).
    """

    stepped = Signal()

    def __init__(self, pair: SessionPair, *, view_columns: tuple[int, int] = (0, 1), steps_per_second: int = 3,
                 projection=None, centre=None, parent=None, hand_placed: bool | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("compareView")
        self.inspected = -1
        self._columns = tuple(int(c) for c in view_columns)
        self._projection = None if projection is None else np.asarray(projection, dtype=np.float64)
        self._centre = None if centre is None else np.asarray(centre, dtype=np.float64)
        view = self._columns if self._projection is None else self._projection
        dataset = pair.dataset
        self._shown_X = project_points(dataset.X, view, self._centre)  # (n_samples, 2) as drawn

        self.pair = pair
        self.sessions = self.pair.sessions
        self.entries = {name: get_algorithm(name) for name in self.sessions}
        left, right = (entry.short_label for entry in self.entries.values())
        self.setWindowTitle(f"clusterviz — {left} beside {right} — {dataset.name}")
        self._hand_placed = pair.sides[0].initial_means is not None if hand_placed is None else bool(hand_placed)
        self._failure: str | None = None  # why the last step of every side that tried failed
        self.controller = c = SessionController(self.pair, self)
        c.set_speed(steps_per_second)
        c.stepped.connect(self._on_changed)
        c.reset.connect(self._on_changed)
        c.failed.connect(self._on_failed)
        c.session_replaced.connect(self._on_pair_replaced)
        c.busy_changed.connect(lambda _busy: self._sync_buttons())
        c.playing_changed.connect(lambda _playing: self._sync_buttons())

        # ---- the two sides
        self.canvases: dict[str, ClusterCanvas] = {}
        self.plots: dict[str, ObjectivePlot] = {}
        self.readouts: dict[str, _ElidedLabel] = {}
        self.layers: dict[str, BackgroundLayers] = {}
        self._rings: dict[str, pg.ScatterPlotItem] = {}
        sides = QHBoxLayout()
        ring_pen = cosmetic_pen("#D55E00", 2.5)
        for side, entry in self.entries.items():
            name = _object_name(entry)
            title = _ElidedLabel(1)
            title.setObjectName(f"compare{name}Title")
            font = title.font()
            font.setBold(True)
            title.setFont(font)
            title.setFixedHeight(title.fontMetrics().lineSpacing() + 4)
            covariance = self.sessions[side].covariance_type
            text = _side_title(entry, covariance)
            title.set_choices([_side_title(entry, covariance, short) for short in (0, 1, 2)], text)
            canvas = ClusterCanvas()
            canvas.setObjectName(f"compare{name}Canvas")
            canvas.setToolTip("Click a point to inspect its responsibilities on both sides; drag to pan, "
                              "wheel to zoom (both sides follow).")
            canvas.setMinimumSize(240, 150)
            canvas.set_ellipse_contrast(True)
            ring = pg.ScatterPlotItem(size=20, symbol="o", pen=ring_pen, brush=pg.mkBrush(None), pxMode=True)
            ring.setZValue(25)
            canvas.getPlotItem().addItem(ring)
            readout = _ElidedLabel(READOUT_LINES)
            readout.setObjectName(f"compare{name}Readout")
            plot = ObjectivePlot()
            plot.setObjectName(f"compare{name}Objective")
            plot.setMinimumSize(200, PLOT_MIN_HEIGHT)
            plot.setMaximumHeight(PLOT_MAX_HEIGHT)
            plot.step_clicked.connect(self.seek)
            canvas.scene().sigMouseClicked.connect(
                lambda event, c=canvas: self._on_canvas_clicked(c, event))
            self.canvases[side], self.plots[side], self.readouts[side] = canvas, plot, readout
            self._rings[side] = ring
            self.layers[side] = BackgroundLayers(canvas, self.sessions[side])
            column = QVBoxLayout()
            column.addWidget(title)
            column.addWidget(canvas, 1)
            column.addWidget(readout)
            column.addWidget(plot)
            sides.addLayout(column, 1)
        left, right = self.canvases.values()
        right.setXLink(left)
        right.setYLink(left)

        # ---- one set of controls
        self.step_back_button = self._button("compareStepBackButton", "◀ Back", "Show the previous step on both "
                                              "sides (Left).")
        self.step_button = self._button("compareStepButton", "Step ▶", "One full iteration on both sides (Right).")
        self.play_button = self._button("comparePlayButton", "Play", "Step both sides repeatedly until both have "
                                        "converged (Space).")
        self.play_button.setCheckable(True)
        self.reset_button = self._button("compareResetButton", "Reset", "Both sides back to the shared initial "
                                         "means (R).")
        self.regions_check = QCheckBox("Decision regions")
        self.regions_check.setObjectName("compareRegionsCheck")
        self.regions_check.setToolTip("Tint the plane by cluster on both sides: straight Voronoi edges for "
                                      "K-Means, curved posterior boundaries for EM (V).")
        self.step_button.clicked.connect(self.step)
        self.step_back_button.clicked.connect(self.step_back)
        self.reset_button.clicked.connect(self.reset)
        self.play_button.clicked.connect(lambda checked: self.play() if checked else self.pause())
        self.regions_check.toggled.connect(self._on_regions)
        buttons = QHBoxLayout()
        for w in (self.step_back_button, self.step_button, self.play_button, self.reset_button):
            buttons.addWidget(w)
        buttons.addSpacing(12)
        buttons.addWidget(self.regions_check)
        self.sequence = SequenceCompare(self) if self.entries_model_order() else None
        if self.sequence is not None:
            buttons.addSpacing(12)
            buttons.addWidget(self.sequence.button)
        buttons.addStretch(1)

        title, text = (SEQUENCE_LESSON_TITLE, SEQUENCE_LESSON_TEXT) if self.sequence else (LESSON_TITLE, LESSON_TEXT)
        lesson_title = QLabel(f"<b>{title}</b>")
        lesson_title.setObjectName("compareLessonTitle")
        font = lesson_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        lesson_title.setFont(font)
        lesson_title.setWordWrap(True)  # a narrow window wraps the title instead of widening
        self.lesson_label = QLabel(text)
        self.lesson_label.setObjectName("compareLesson")
        self.lesson_label.setWordWrap(True)
        self.lesson_label.setToolTip("What the two sides show.")
        self.inspector_label = QLabel()
        self.inspector_label.setObjectName("compareInspectorLabel")
        self.inspector_label.setToolTip("The clicked point's responsibilities on both sides.")
        self.inspector_label.setTextFormat(Qt.TextFormat.RichText)
        self.inspector_label.setWordWrap(True)
        self.inspector_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

        grid = QGridLayout(self)
        grid.setContentsMargins(8, 8, 8, 8)
        grid.addLayout(sides, 0, 0)
        grid.addLayout(buttons, 1, 0)
        rows = [lesson_title, self.lesson_label, self.inspector_label]
        if self.sequence is not None:  # Δℓ on its own line: the buttons' row then fits a 720 px wide window
            self.sequence.delta_label.setWordWrap(True)
            rows.insert(0, self.sequence.delta_label)
        for row, widget in enumerate(rows, start=2):
            grid.addWidget(widget, row, 0)
        grid.setRowStretch(0, 1)

        for key, slot, name in ((Qt.Key.Key_Right, self.step, "compareStepAction"),
                                (Qt.Key.Key_Left, self.step_back, "compareStepBackAction"),
                                (Qt.Key.Key_Space, self.toggle_play, "comparePlayAction"),
                                (Qt.Key.Key_R, self.reset, "compareResetAction"),
                                (Qt.Key.Key_V, self.regions_check.click, "compareRegionsAction"),
                                (QKeySequence.StandardKey.Close, self.close, "compareCloseAction")):
            action = QAction(self)
            action.setObjectName(name)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            self.addAction(action)

        X = self._shown_X
        names = tuple(dataset.columns)
        labels = tuple(names[c] if c < len(names) else f"column {c}" for c in self._columns)
        if self._projection is not None:
            labels = ("PC1", "PC2")
        for canvas in self.canvases.values():
            canvas.set_axis_labels(labels)
            canvas.set_points(X)
            canvas.fit_view(X)
            canvas.set_equal_scales(equal_scales_suit(X))
        first = self.pair.sides[0]
        problem = layer_problem(first, "regions")
        if problem is not None and first.entry is not None:
            self.regions_check.setEnabled(False)
            self.regions_check.setToolTip(problem)
        self.fit_to_screen(parent)
        self._on_changed()

    def fit_to_screen(self, near=None) -> None:
        """Open at `PREFERRED_SIZE`, or at most `SCREEN_SHARE` of the available
        screen (the screen of ``near``, a widget, else the primary one),
        centred on it, so that a 1280 x 720 projector shows the whole window."""
        from PySide6.QtGui import QGuiApplication

        screen = near.screen() if near is not None else None
        screen = screen or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(*PREFERRED_SIZE)
            return
        available = screen.availableGeometry()
        width = min(PREFERRED_SIZE[0], int(SCREEN_SHARE * available.width()))
        height = min(PREFERRED_SIZE[1], int(SCREEN_SHARE * available.height()))
        self.resize(max(width, self.minimumSizeHint().width()), max(height, self.minimumSizeHint().height()))
        frame = self.frameGeometry()
        frame.moveCenter(available.center())
        self.move(frame.topLeft())

    @classmethod
    def from_session(cls, session, parent=None, steps_per_second: int = 3) -> "CompareView":
        """A compare view on ``session``'s data, K, init and seed (and its
        hand-placed initial means, if it has them): the left side starts
        exactly where the main window's K-Means would, and EM from the same
        means. For a sequence model: a Gaussian mixture beside it, from the
        mixture's start (see :mod:`.compare_sequence`)."""
        sequences = session.algorithm_entry.supports_sequences
        pair = AlgorithmPair.from_session(session) if sequences else SessionPair.from_session(session)
        return cls(pair, view_columns=tuple(session.view_columns), steps_per_second=steps_per_second,
                   projection=session.view_projection, centre=session.view_center, parent=parent,
                   hand_placed=session.initial_means is not None)

    def entries_model_order(self) -> bool:
        """Whether the right side's algorithm models the order of the points."""
        return bool(list(self.entries.values())[-1].supports_sequences)

    def replace_pair(self, pair) -> bool:
        """Show and step ``pair`` (the same algorithms on other data or from
        another start) instead of the current pair; back at step 0."""
        return self.controller.adopt(pair)

    def _on_pair_replaced(self, pair) -> None:
        self.pair = pair
        self.sessions = pair.sessions
        self.inspected = -1
        view = self._columns if self._projection is None else self._projection
        self._shown_X = project_points(pair.dataset.X, view, self._centre)
        for side, canvas in self.canvases.items():
            canvas.set_points(self._shown_X)
            self.layers[side].set_session(self.sessions[side])
        self.setWindowTitle(self.windowTitle().rsplit(" — ", 1)[0] + f" — {pair.dataset.name}")
        self._on_changed()

    @staticmethod
    def _button(name: str, text: str, tooltip: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setToolTip(tooltip)
        return button

    # ------------------------------------------------- stepping (the controller's)
    @property
    def step_index(self) -> int:
        """The shared step ``t``: the furthest side's cursor (a side that
        converged earlier shows its last step)."""
        return self.pair.cursor

    @property
    def can_step(self) -> bool:
        """Whether a step would move either side."""
        return self.controller.can_step()

    @property
    def busy(self) -> bool:
        """Whether a step is being computed on the worker thread."""
        return self.controller.busy

    @property
    def playing(self) -> bool:
        return self.controller.playing

    def step(self) -> bool:
        """One full iteration on every side that has not converged (a side
        that has waits). Ignored while a worker step is in flight."""
        if self.busy or not self.can_step:
            return False
        return self.controller.step()

    def step_back(self) -> None:
        """Show the previous step on both sides."""
        self.seek(self.step_index - 1)

    def seek(self, index: int) -> None:
        """Show step ``index`` (each side its last step if it stopped earlier)."""
        self.controller.pause()
        self.controller.seek(max(int(index), 0))

    def reset(self) -> None:
        """Both sides back to the shared initial means."""
        self.controller.reset_fit()

    def play(self) -> None:
        self.controller.play()
        self._sync_buttons()

    def pause(self) -> None:
        """Stop both sides at once (a worker step in flight still lands)."""
        self.controller.pause()
        self._sync_buttons()

    def toggle_play(self) -> None:
        self.controller.toggle_play()

    def shutdown(self) -> None:
        """Stop playing and drop the step in flight."""
        self.controller.shutdown()
        self._sync_buttons()

    def resizeEvent(self, event) -> None:  # Qt override
        super().resizeEvent(event)
        # The canvases are the comparison: on a short screen the objective plots give up height first.
        tallest = max(PLOT_MIN_HEIGHT, min(PLOT_MAX_HEIGHT, round(PLOT_HEIGHT_SHARE * self.height())))
        for plot in self.plots.values():
            plot.setMaximumHeight(tallest)

    def closeEvent(self, event) -> None:  # Qt override
        self.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------ rendering
    def _on_changed(self) -> None:
        self._failure = None
        for side in self.sessions:
            self._draw(side)
        self._after_change()

    def _on_failed(self, message: str) -> None:
        self._failure = message  # every side that tried failed (the controller paused)
        self._after_change()

    def error_of(self, side: str) -> str | None:
        """Why ``side``'s last step failed, or None."""
        error = self.pair.errors.get(side)
        if error is None and self._failure is not None and self.pair.goes_on(side):
            error = self._failure
        return error

    def _draw(self, side: str) -> None:
        s = self.sessions[side]
        self.canvases[side].show_state(s.state, s.n_points, self._columns, self._projection, self._centre)
        self.plots[side].show_session(s)
        self.layers[side].refresh()

    def _after_change(self) -> None:
        # One step axis for both objective plots, so step t sits at the same place on both.
        last = max([len(s.timeline) - 1 for s in self.sessions.values()] + [4])
        for plot in self.plots.values():
            plot.getPlotItem().getViewBox().setXRange(-0.04 * last, 1.04 * last, padding=0)
        for side, entry in self.entries.items():
            lines = self.readout_lines(side)
            self.readouts[side].set_lines(lines, f"{entry.short_label}: this side's step, objective and notes.")
        if self.sequence is not None:
            self.sequence.refresh()
        self._show_inspected()
        self._sync_buttons()
        self.stepped.emit()

    def start_text(self) -> str:
        """Where both sides start, in words."""
        s = self.pair.sides[0]
        K = s.n_clusters
        means = "mean" if K == 1 else "means"
        if self._hand_placed:
            return f"Both start from the same {K} {means}, the ones you placed in the main window."
        return f"Both start from the same {K} {means} ({_INIT_WORDS.get(s.init, s.init)}, seed {s.seed})."

    def _other(self, side: str) -> str:
        return next(name for name in self.sessions if name != side)

    def readout_lines(self, side: str) -> list[str]:
        """The (at most three) lines under ``side``'s canvas: step and
        objective; where both started; a note, error or what waits."""
        s, algorithm = self.sessions[side], self.entries[side]
        error = self.error_of(side)
        if not s.timeline:
            return [s.problem or "No fit.", error or ""]
        entry = s.timeline[s.cursor]
        status = [f"Iteration {entry.iteration}" + (" (start)" if entry.phase == "init" else ""),
                  objective_shown(s, entry)]
        ari = s.adjusted_rand
        if ari is not None:
            status.append(f"{ARI_LABEL} = {ari:.3f}")
        other_side = self._other(side)
        other, other_name = self.sessions[other_side], self.entries[other_side].short_label
        if error:
            note = f"Could not step: {error}"
        elif entry.phase == "init":
            note = _FIRST_STEP[algorithm.hard]
        elif entry.converged:
            note = f"Converged after {entry.iteration} {'iteration' if entry.iteration == 1 else 'iterations'}"
            if self.pair.goes_on(other_side):
                note += f"; waits here while {other_name} goes on."
            elif other.cursor > s.cursor and other.converged:
                note += f", {other_name} after {other.entry.iteration}."
            else:
                note += "."
        elif s.reached_max_iter:
            note = f"Stopped after {s.max_iter} steps without converging."
        else:
            note = " ".join(entry.notes)
            changed = s.n_changed
            if not note and changed is not None:
                from ..canvas.teaching import changed_words  # the info line's words for the same count
                note = changed_words(int(changed), int(s.n_points), bool(algorithm.hard)) + " in this step."
        return [" · ".join(status), self.start_text(), note]

    def _sync_buttons(self) -> None:
        has_fit = all(s.entry is not None for s in self.sessions.values())
        busy, playing, can_step = self.busy, self.playing, self.can_step
        self.step_button.setEnabled(can_step and not busy)
        self.step_back_button.setEnabled(has_fit and self.step_index > 0)
        self.reset_button.setEnabled(has_fit and any(len(s.timeline) > 1 for s in self.sessions.values()))
        self.play_button.setEnabled(can_step or playing)
        self.play_button.blockSignals(True)
        self.play_button.setChecked(playing)
        self.play_button.blockSignals(False)
        self.play_button.setText("Pause" if playing else "Play")

    def _on_regions(self, on: bool) -> None:
        for layers in self.layers.values():
            layers.set_regions_visible(on)

    # ----------------------------------------------------------- inspecting
    def _on_canvas_clicked(self, canvas: ClusterCanvas, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        pos = event.scenePos()
        if not canvas.view_box.sceneBoundingRect().contains(pos):
            return
        self.inspect(canvas.point_at(pos))

    def inspect(self, index: int) -> None:
        """Inspect point ``index`` in both canvases (-1: stop inspecting)."""
        n = self.pair.n_points
        self.inspected = int(index) if 0 <= index < n else -1
        self._show_inspected()

    def responsibilities_of(self, index: int) -> dict[str, np.ndarray | None]:
        """The responsibility vector of point ``index`` on each side (None
        before the first assignment)."""
        out = {}
        for side, s in self.sessions.items():
            state = s.state
            n = None if state is None else state.n_points
            out[side] = None if n is None or n <= index else state.responsibility_row(index)
        return out

    def _show_inspected(self) -> None:
        i = self.inspected
        if i < 0:
            for ring in self._rings.values():
                ring.setData(x=[], y=[])
            self.inspector_label.setText("<span style='color:#666'>Click a point in either canvas to compare its "
                                         "responsibilities on both sides.</span>")
            return
        X = self.pair.sides[0].X
        x, y = (float(v) for v in self._shown_X[i])
        for ring in self._rings.values():
            ring.setData(x=[x], y=[y])
        parts = [f"<b>Point {i}</b> ({', '.join(f'{v:.4g}' for v in X[i])})"]
        for side, r in self.responsibilities_of(i).items():
            label = self.entries[side].short_label
            if r is None:
                parts.append(f"{label}: not assigned yet")
                continue
            cells = " ".join(f"<span style='color:{CLUSTER_COLOURS[k % len(CLUSTER_COLOURS)]}'>&#9632;</span>"
                             f"{v:.2f}" for k, v in enumerate(r))
            parts.append(f"{label}: r = {cells}")
        self.inspector_label.setText(" &nbsp;·&nbsp; ".join(parts))
