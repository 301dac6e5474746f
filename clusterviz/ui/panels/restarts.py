"""The restarts gallery: R runs of the current algorithm from random and from
k-means++ starts, from seeds 0 ... R-1, computed on a worker thread (which
also draws the thumbnails, see :mod:`.restart_runs`).

Above the fold: how many runs of each start reached the best objective and a
summary of the distinct outcomes (so the bad runs are seen at once); then a
gallery of small pictures of the final clusterings -- coloured as the best
run (clusters matched by the Hungarian method), best first and then one of
every worse outcome -- beside the seeds table (`SeedsTable`); below, a
histogram of the final objectives per start method. Clicking a picture (or
double-clicking a table cell) loads that run's start (its init method and
seed) into the session, ready to step.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (QCheckBox, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QSpinBox,
                               QTabWidget, QToolButton, QVBoxLayout, QWidget)
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.model import registry
from clusterviz.model.selection import RestartRun, best_reached
from clusterviz.session import format_number

from ..canvas.palette import AXIS_TEXT_COLOUR, cosmetic_pen, style_plot
from ..jobs import BackgroundJob, job_controls
from .restart_runs import (METHOD_COLOURS, RTOL, START_METHODS, THUMB, draw_thumbnails, outcome_groups,
                           restarts_work)
from .restarts_table import SeedsTable

__all__ = ["RestartsPanel", "START_METHODS", "METHOD_COLOURS", "RTOL", "THUMB", "histogram_title"]

#: Shown in the gallery before a run.
GALLERY_HINT = ("Run the restarts: a small picture of every run's final clustering appears here,\n"
                "coloured like the best run, with the worse outcomes on the first row.")


def histogram_title(entry) -> str:
    """"Final distortion J (lower is better)": the x axis of the histogram
    for the registry ``entry`` of an algorithm."""
    name = entry.objective_name[:1].lower() + entry.objective_name[1:]
    return f"Final {name} ({'higher' if entry.higher_is_better else 'lower'} is better)"


def method_key() -> str:
    """The histogram's key as rich text: each start method in its colour."""
    return " &nbsp; ".join(f"<span style='color:{METHOD_COLOURS[m]}'>■ {m}</span>" for m in START_METHODS)


def outcomes_text(runs, symbol: str) -> str:
    """"2 outcomes: J = 322.00 (17 runs) · J = 1,541.60 (3 runs: random seeds 2, 3, 8)"."""
    if not runs:
        return ""
    objectives = np.array([run.objective for run in runs])
    groups = outcome_groups(objectives, runs[0].higher_is_better)
    parts = []
    for g in range(int(groups.max()) + 1):
        members = [run for run, gr in zip(runs, groups) if gr == g]
        value = format_number(members[0].objective)
        if g == 0:
            parts.append(f"{symbol} = {value} ({len(members)} runs)")
            continue
        by_method = []
        for method in START_METHODS:
            seeds = sorted(run.seed for run in members if run.init == method)
            if seeds:
                shown = ", ".join(map(str, seeds[:8])) + (", …" if len(seeds) > 8 else "")
                by_method.append(f"{method} seed{'s' if len(seeds) > 1 else ''} {shown}")
        parts.append(f"{symbol} = {value} ({len(members)} run{'s' if len(members) > 1 else ''}: "
                     + "; ".join(by_method) + ")")
    head = "One outcome" if len(parts) == 1 else f"{len(parts)} outcomes, best first"
    return f"{head}: " + " · ".join(parts)


class RestartsPanel(QWidget):
    """Controls, the gallery of thumbnails and the histogram of objectives.

    Attributes
    ----------
    runs : list of RestartRun
        Best first, then one run of every worse outcome, then the rest
        (`restart_runs.gallery_order`); seeds 0 ... R-1 for each start method.
    colour_maps : list of ndarray
        For each run, the colour of each of its clusters (matched to the best run's).
    settings : dict
        The session settings the runs were made with.
    thumbnails : list of QToolButton
        One per run, in the order of ``runs``.
    """

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.runs: list[RestartRun] = []
        self.colour_maps: list[np.ndarray] = []
        self.settings: dict = {}
        self.thumbnails: list[QToolButton] = []
        self.job = BackgroundJob("restarts", self)
        self._stale = False
        self._grid_columns = 0  # thumbnails per row of the gallery as laid out

        self.restarts_spin = QSpinBox()
        self.restarts_spin.setObjectName("restartsSpin")
        self.restarts_spin.setRange(1, 200)
        self.restarts_spin.setValue(20)
        self.restarts_spin.setSuffix(" runs each")
        self.restarts_spin.setToolTip("Number of restarts R for each start method (random and k-means++): "
                                      "the runs use seeds 0 … R-1.")
        self.run_button, self.cancel_button, self.progress = job_controls(
            "Run restarts", "restarts",
            "Run the current algorithm to convergence from R random and R k-means++ starts (seeds 0 … R-1).",
            "Stop the restarts.", "How many of the runs are done.")
        self.seeding_check = QCheckBox("Show k-means++ seeding step by step")
        self.seeding_check.setObjectName("seedingCheck")
        self.seeding_check.setToolTip("With a k-means++ start, each Step first picks one more centre on the "
                                      "canvas; the chosen algorithm then starts from those picks (Ctrl+Shift+I).")
        self.seeding_check.setEnabled(False)

        self.status_label = QLabel("Run the restarts to see how much the start matters. "
                                   "Click a picture to load its start.")
        self.status_label.setObjectName("restartsStatus")
        self.status_label.setToolTip("What the restarts found, or why they could not run.")
        self.status_label.setWordWrap(True)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)  # as tall as the wrapped text needs
        self.status_label.setSizePolicy(policy)
        self.best_labels = {}
        for method in START_METHODS:
            label = QLabel("")
            label.setObjectName("bestReachedLabel_" + method.replace("-", "").replace("+", "p"))
            label.setToolTip(f"How many {method} starts reached the best objective of all runs.")
            label.setStyleSheet(f"color: {METHOD_COLOURS[method]}; font-weight: bold;")
            label.setWordWrap(True)
            label.setSizePolicy(policy)
            self.best_labels[method] = label

        self.outcomes_label = QLabel("")
        self.outcomes_label.setObjectName("restartsOutcomes")
        self.outcomes_label.setToolTip("The distinct final objectives the runs reached, and which seeds "
                                       "stopped at the worse ones.")
        self.outcomes_label.setWordWrap(True)
        self.outcomes_label.setSizePolicy(policy)
        self.outcomes_label.hide()

        self.gallery = QWidget()
        self.gallery.setObjectName("restartsGallery")
        self.gallery_layout = QGridLayout(self.gallery)
        self.gallery_layout.setContentsMargins(2, 2, 2, 2)
        self.gallery_layout.setSpacing(3)
        self.gallery_hint = QLabel(GALLERY_HINT)
        self.gallery_hint.setObjectName("restartsGalleryHint")
        self.gallery_hint.setWordWrap(True)
        self.gallery_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.gallery_hint.setEnabled(False)  # drawn in the palette's muted text colour
        self.gallery_layout.addWidget(self.gallery_hint, 0, 0)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.gallery)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.viewport().installEventFilter(self)  # re-grid the thumbnails when the width changes
        self.scroll.setMinimumWidth(2 * (THUMB + 14) + 20)  # two columns and a scroll bar
        self.scroll.setToolTip("Final clusterings, coloured like the best run; best first, then one of every "
                               "worse outcome. Gold frame: reached the best. Caption and corner colour: start "
                               "method. Click one to load its start.")
        self.table = SeedsTable(self.load_run)
        self.views = QTabWidget()
        self.views.setObjectName("restartsViews")
        self.views.addTab(self.scroll, "Pictures")
        self.views.addTab(self.table, "Seeds table")
        self.views.setTabToolTip(0, "A picture of every run's final clustering.")
        self.views.setTabToolTip(1, "Final objective per seed and start method, and how many reached the best.")

        self.histogram = pg.PlotWidget(background="w", enableMenu=False)
        self.histogram.setObjectName("restartsHistogram")
        self.histogram.setToolTip("How often each final objective was reached, per start method.")
        self.histogram.setMinimumSize(220, 130)
        plot = self.histogram.getPlotItem()
        style_plot(plot)
        plot.setLabel("left", "Runs", color=AXIS_TEXT_COLOUR)
        plot.setTitle(method_key(), size="8pt")  # the key above the plot, where it covers no bar
        self.bars = {}
        for method in START_METHODS:
            colour = QColor(METHOD_COLOURS[method])
            fill = QColor(colour)
            fill.setAlphaF(0.3)
            item = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=fill, pen=cosmetic_pen(colour, 2.0),
                                   name=method)
            plot.addItem(item)
            self.bars[method] = item
        self.best_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=pg.mkPen("#C8A000", width=2, style=Qt.PenStyle.DashLine))
        self.best_line.setVisible(False)
        plot.addItem(self.best_line)
        self.empty_text = pg.TextItem("Final objectives appear here.", color="#555555", anchor=(0.5, 0.5))
        self.empty_text.setPos(0.5, 0.5)
        plot.addItem(self.empty_text, ignoreBounds=True)
        self._show_axes_ticks(False)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.restarts_spin, self.run_button, self.cancel_button):
            row.addWidget(w)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 2)
        layout.setSpacing(3)
        layout.addLayout(row)
        layout.addWidget(self.progress)
        layout.addWidget(self.seeding_check)
        for method in START_METHODS:  # above the fold: what the runs found
            layout.addWidget(self.best_labels[method])
        layout.addWidget(self.outcomes_label)
        layout.addWidget(self.views, 3)
        layout.addWidget(self.histogram, 2)
        layout.addWidget(self.status_label)

        self.run_button.clicked.connect(self.run)
        self.job.bind_controls(self.run_button, self.cancel_button, self.progress, self.restarts_spin)
        self.job.finished.connect(self._on_finished)
        self.job.cancelled.connect(lambda: self._status("The data changed: run the restarts again." if self._stale
                                                        else "Restarts cancelled."))
        self.job.failed.connect(lambda text: self._status(f"The restarts could not run: {text}", error=True))
        controller.data_changed.connect(self._on_data_changed)
        controller.view_changed.connect(self._redraw)  # same runs, new view

    @property
    def session(self):
        """The controller's current session."""
        return self.controller.session

    # ----------------------------------------------------------- seeding
    def attach_seeding(self, seeding) -> None:
        """Bind ``seedingCheck`` to the seeding view's mode."""
        self._seeding = seeding

        def sync(_=None):
            self.seeding_check.blockSignals(True)
            self.seeding_check.setChecked(seeding.enabled)
            self.seeding_check.setEnabled(seeding.available())
            self.seeding_check.blockSignals(False)

        self.seeding_check.toggled.connect(seeding.set_enabled)
        seeding.enabled_changed.connect(sync)
        self.controller.reset.connect(sync)
        sync()

    # -------------------------------------------------------------- runs
    def run(self) -> bool:
        """Start R restarts per start method on a worker thread."""
        s = self.session
        if s.state is None:
            self._status(s.problem or "There is nothing to fit.", error=True)
            return False
        X = s.prepared  # read-only, with the sequence lengths an HMM's runs need
        entry = s.algorithm_entry
        algorithm, K, R = entry.name, int(s.n_clusters), int(self.restarts_spin.value())
        # Fields of ModelSettings, as the session's model has them (reg_covar:
        # the same choice for the same data); only those the algorithm uses.
        params = {"max_iter": int(s.max_iter)}
        if entry.covariance_types:
            params["covariance_type"] = s.covariance_type
        if entry.uses_beta:
            params["beta"] = float(s.beta)
        self.settings = {"algorithm": algorithm, "n_clusters": K, "n_restarts": R, **params}
        self._stale = False
        view = s.view if s.view_projection is None else np.array(s.view_projection)
        centre = None if s.view_center is None else np.array(s.view_center)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self._status(f"Running {R} + {R} restarts of {entry.label} with K = {K} (seeds 0 … {R - 1}) …")
        self.job.start(lambda progress, is_cancelled: restarts_work(
            X, algorithm, K, R, params, view, centre, progress=progress, is_cancelled=is_cancelled))
        return True

    def shutdown(self) -> None:
        self.job.shutdown()

    def _status(self, text: str, error: bool = False) -> None:
        self.status_label.setStyleSheet("color: #B00020;" if error else "")
        self.status_label.setText(text)

    def _on_data_changed(self) -> None:
        if self.job.is_running():
            self._stale = True  # its runs would describe the old data
            self.job.cancel()
        if self.runs or self.job.is_running():
            self.show_runs([])
            self._status("The data changed: run the restarts again.")

    # ------------------------------------------------------------ results
    def best_objective(self) -> float | None:
        if not self.runs:
            return None
        objectives = [run.objective for run in self.runs]
        return max(objectives) if self.runs[0].higher_is_better else min(objectives)

    def reached(self, method: str) -> tuple[int, int]:
        """(x, R): runs of the start ``method`` that reached the best objective."""
        return best_reached(self.runs, rtol=RTOL, init=method)

    def _on_finished(self, result) -> None:
        self.show_runs(result.runs, result.colour_maps, result.images)

    def _redraw(self) -> None:
        """The same runs seen through a new view (another column pair, PCA)."""
        if self.runs:
            s = self.session
            images = draw_thumbnails(self.runs, self.colour_maps, s.X, s.view, s.view_center)
            self.show_runs(self.runs, self.colour_maps, images)

    def show_runs(self, runs: list[RestartRun], colour_maps=None, images=None) -> None:
        """Fill the gallery (``images``: one QImage per run, drawn on the
        worker), the seeds table, the histogram and the counts."""
        self.runs = list(runs)
        self.colour_maps = list(colour_maps) if colour_maps is not None else [np.arange(len(r.final_means))
                                                                              for r in self.runs]
        for button in self.thumbnails:
            self.gallery_layout.removeWidget(button)
            button.deleteLater()
        self.thumbnails = []
        self.gallery_hint.setVisible(not self.runs)
        symbol = registry.get_algorithm(self.settings["algorithm"]).objective_symbol if self.settings else "J"
        self.table.show_runs(self.runs, symbol)
        if not self.runs:
            for item in self.bars.values():
                item.setData(x=[], y=[])
            self.best_line.setVisible(False)
            self.empty_text.setVisible(True)
            self._show_axes_ticks(False)
            self.histogram.getPlotItem().getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            for label in self.best_labels.values():
                label.setText("")
            self.outcomes_label.hide()
            return
        if images is None:
            s = self.session
            images = draw_thumbnails(self.runs, self.colour_maps, s.X, s.view, s.view_center)
        entry = registry.get_algorithm(self.settings["algorithm"])
        best = self.best_objective()
        name = entry.objective_symbol
        columns = self._grid_columns = self._columns()
        self.gallery.setUpdatesEnabled(False)  # one layout pass for all the buttons
        for i, (run, image) in enumerate(zip(self.runs, images)):
            method = run.init
            button = QToolButton()
            button.setObjectName(f"restartThumb_{i}")
            button.setIcon(QIcon(QPixmap.fromImage(image)))
            button.setIconSize(QSize(THUMB, THUMB))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setText(f"{name} = {format_number(run.objective)}\n{method}")  # two lines: both whole
            button.setToolTip(f"Run {run.index + 1}: {method} start, seed {run.seed}; "
                              f"{name} = {format_number(run.objective)} "
                              f"after {run.n_iter} iterations{'' if run.converged else ' (not converged)'}. "
                              "Click to load this start into the canvas.")
            button.setAutoRaise(True)
            button.setStyleSheet(f"QToolButton {{ color: {METHOD_COLOURS.get(method, '#222222')}; }}")
            button.clicked.connect(lambda _checked=False, r=run: self.load_run(r))
            self.gallery_layout.addWidget(button, i // columns, i % columns)
            self.thumbnails.append(button)
        self.gallery.setUpdatesEnabled(True)
        self.outcomes_label.setText(outcomes_text(self.runs, name))
        self.outcomes_label.show()
        self._show_histogram(entry, best)
        counts = []
        for method in START_METHODS:
            x, total = self.reached(method)
            self.best_labels[method].setText(f"{method}: best objective reached in {x} / {total} runs")
            counts.append(f"{method} {x} / {total}")
        better = "highest" if self.runs[0].higher_is_better else "lowest"
        self._status(f"Best ({better}) {name} = {format_number(best)}, reached by " + ", ".join(counts)
                     + ". Click a picture to load its start.")

    def _columns(self) -> int:
        """Thumbnails per row that fit the gallery's width (2 to 8)."""
        return max(2, min(8, (self.scroll.viewport().width() - 4) // (THUMB + 12)))

    def _regrid(self) -> None:
        """Lay the thumbnails out again for the gallery's width (the dock was resized, docked or floated)."""
        columns = self._columns()
        if not self.thumbnails or columns == self._grid_columns:
            return
        self._grid_columns = columns
        for button in self.thumbnails:
            self.gallery_layout.removeWidget(button)
        for i, button in enumerate(self.thumbnails):
            self.gallery_layout.addWidget(button, i // columns, i % columns)

    def eventFilter(self, obj, event) -> bool:  # Qt override
        if obj is self.scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._regrid()
        return False

    def _show_histogram(self, entry, best: float) -> None:
        objectives = np.array([run.objective for run in self.runs])
        lo, hi = float(objectives.min()), float(objectives.max())
        span = hi - lo
        # Runs that all count as "reached the best" (within RTOL) share one bar.
        single = not span > RTOL * max(abs(lo), abs(hi), 1e-300)
        if single:
            centre = 0.5 * (lo + hi)
            half = max(span, 1e-3 * abs(centre), 1e-9)
            edges = np.array([centre - half, centre + half])
        else:
            edges = np.linspace(lo - 0.02 * span, hi + 0.02 * span, 16)
        for method in START_METHODS:
            values = np.array([run.objective for run in self.runs if run.init == method])
            counts, _ = np.histogram(values, bins=edges)
            self.bars[method].setData(x=edges, y=counts.astype(float))
        self.empty_text.setVisible(False)
        self._show_axes_ticks(True)
        self.best_line.setVisible(True)  # first: a hidden line does not follow its value
        self.best_line.setValue(best)
        vb = self.histogram.getPlotItem().getViewBox()
        if single:  # one bar in the middle, not a bar that fills the plot
            vb.setRange(xRange=(edges[0] - 4 * half, edges[1] + 4 * half), padding=0.0)
            vb.enableAutoRange(axis=pg.ViewBox.YAxis)
        else:
            vb.enableAutoRange()
        self.histogram.getPlotItem().setLabel("bottom", histogram_title(entry), color=AXIS_TEXT_COLOUR)

    def _show_axes_ticks(self, on: bool) -> None:
        """Tick labels only on a histogram with runs (no made-up 0 … 1 axes)."""
        plot = self.histogram.getPlotItem()
        for side in ("left", "bottom"):
            plot.getAxis(side).setTicks(None if on else [[], []])

    # -------------------------------------------------------------- loading
    def load_run(self, run: RestartRun) -> bool:
        """Load ``run``'s start into the session (its settings, start method and
        seed), ready to step. True when the session's initial means equal the run's."""
        c, st = self.controller, self.settings
        if st.get("algorithm") != self.session.algorithm:
            c.set_algorithm(st["algorithm"])
        s = self.session
        if st.get("n_clusters") != s.n_clusters or s.initial_means is not None:
            c.set_n_clusters(st["n_clusters"])
        # the settings the run used are those its algorithm has (see run)
        if "covariance_type" in st and st["covariance_type"] != s.covariance_type:
            c.set_covariance_type(st["covariance_type"])
        if "beta" in st and st["beta"] != s.beta:
            c.set_beta(st["beta"])
        c.set_init(run.init)
        c.set_seed(run.seed)
        c.reset_fit()
        s = self.session
        start = s.n_seed_entries  # the fit's start comes after any k-means++ pick entries
        ok = len(s.timeline) > start and np.array_equal(s.timeline[start].means, run.initial_means)
        method = run.init
        if ok:
            self._status(f"Loaded run {run.index + 1} ({method} start, seed {run.seed}): step it, or run it to "
                         f"convergence to reach {format_number(run.objective)} again.")
        else:
            self._status("Could not reproduce that start: the settings changed since the restarts ran. "
                         "Run them again.", error=True)
        return ok
