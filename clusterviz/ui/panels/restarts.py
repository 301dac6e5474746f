"""The restarts gallery: R runs of the current algorithm from random and from
k-means++ starts, computed on a worker thread. Small pictures of the final
clusterings sorted by objective, a histogram of the final objectives per start
method, and "best objective reached in x / R runs". Clicking a picture loads
that run's start (its init method and seed) into the session, ready to step.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QCheckBox, QGridLayout, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.model import registry
from clusterviz.model.selection import RestartRun, best_reached, run_restarts
from clusterviz.session import format_number

from ..canvas.palette import AXIS_TEXT_COLOUR, CLUSTER_COLOURS, MAX_CLUSTERS, cosmetic_pen, style_plot
from ..jobs import BackgroundJob, job_controls

#: The session's start methods (every algorithm takes these names).
START_METHODS = ("random", "k-means++")
METHOD_COLOURS = {"random": "#D55E00", "k-means++": "#0072B2"}
#: Runs count as reaching the best objective within this relative
#: tolerance: the algorithms stop on a tolerance, so runs that found the
#: same clustering end a few parts in 10^5 apart (J = 991.50 vs 991.51 on
#: unequal_sizes).
RTOL = 1e-3
THUMB = 104
_THUMB_POINTS = 1500


def histogram_title(entry) -> str:
    """"Final distortion J (lower is better)": the x axis of the histogram
    for the registry ``entry`` of an algorithm."""
    name = entry.objective_name[:1].lower() + entry.objective_name[1:]
    return f"Final {name} ({'higher' if entry.higher_is_better else 'lower'} is better)"


def render_thumbnail(P: np.ndarray, labels: np.ndarray, means: np.ndarray, bounds, best: bool,
                     method_colour: str) -> QImage:
    """A small picture of one final clustering.

    Parameters
    ----------
    P : ndarray of shape (n, 2)
        Shown coordinates of (a subsample of) the points.
    labels : ndarray of shape (n,)
    means : ndarray of shape (K, 2)
    bounds : (xmin, xmax, ymin, ymax)
    best : bool
        Draw a gold frame (the run reached the best objective).
    method_colour : str
        Colour of the stripe that tells the start method.
    """
    image = QImage(THUMB, THUMB, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    xmin, xmax, ymin, ymax = bounds
    pad = 7.0
    sx = (THUMB - 2 * pad) / (xmax - xmin if xmax > xmin else 1.0)
    sy = (THUMB - 2 * pad) / (ymax - ymin if ymax > ymin else 1.0)
    u = pad + (P[:, 0] - xmin) * sx
    v = THUMB - pad - (P[:, 1] - ymin) * sy
    painter.setPen(Qt.PenStyle.NoPen)
    for k in np.unique(labels):
        colour = QColor(CLUSTER_COLOURS[int(k) % MAX_CLUSTERS])
        colour.setAlphaF(0.75)
        painter.setBrush(colour)
        sel = labels == k
        for a, b in zip(u[sel], v[sel]):
            painter.drawEllipse(QPointF(float(a), float(b)), 1.7, 1.7)
    pen = QPen(QColor("black"))
    pen.setWidthF(2.0)
    painter.setPen(pen)
    mu = pad + (means[:, 0] - xmin) * sx
    mv = THUMB - pad - (means[:, 1] - ymin) * sy
    for a, b in zip(mu, mv):
        painter.drawLine(QPointF(a - 4, b - 4), QPointF(a + 4, b + 4))
        painter.drawLine(QPointF(a - 4, b + 4), QPointF(a + 4, b - 4))
    painter.fillRect(QRectF(THUMB - 14, THUMB - 14, 10, 10), QColor(method_colour))  # the start method
    if best:
        frame = QPen(QColor("#C8A000"))
        frame.setWidthF(3.0)
        painter.setPen(frame)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(1.5, 1.5, THUMB - 3, THUMB - 3))
    painter.end()
    return image


class RestartsPanel(QWidget):
    """Controls, the gallery of thumbnails and the histogram of objectives.

    Attributes
    ----------
    runs : list of RestartRun
        Best first, as returned by ``run_restarts``.
    settings : dict
        The session settings the runs were made with.
    thumbnails : list of QToolButton
        One per run, in the order of ``runs``.
    """

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.runs: list[RestartRun] = []
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
        self.restarts_spin.setToolTip("Number of restarts R for each start method (random and k-means++).")
        self.run_button, self.cancel_button, self.progress = job_controls(
            "Run restarts", "restarts",
            "Run the current algorithm to convergence from R random and R k-means++ starts.",
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

        self.gallery = QWidget()
        self.gallery.setObjectName("restartsGallery")
        self.gallery_layout = QGridLayout(self.gallery)
        self.gallery_layout.setContentsMargins(2, 2, 2, 2)
        self.gallery_layout.setSpacing(3)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.gallery)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.viewport().installEventFilter(self)  # re-grid the thumbnails when the width changes
        self.scroll.setMinimumWidth(2 * (THUMB + 14) + 20)  # two columns and a scroll bar
        self.scroll.setToolTip("Final clusterings, best objective first; gold frame: reached the best. "
                               "Caption and corner colour: start method. Click one to load its start.")

        self.histogram = pg.PlotWidget(background="w")
        self.histogram.setObjectName("restartsHistogram")
        self.histogram.setToolTip("How often each final objective was reached, per start method.")
        self.histogram.setMinimumSize(220, 130)
        plot = self.histogram.getPlotItem()
        style_plot(plot)
        plot.setLabel("left", "Runs", color=AXIS_TEXT_COLOUR)
        self.legend = plot.addLegend(offset=(-4, 4), labelTextSize="8pt")
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
        self.empty_text = pg.TextItem("Final objectives appear here.", color="#777777", anchor=(0.5, 0.5))
        self.empty_text.setPos(0.5, 0.5)
        plot.addItem(self.empty_text, ignoreBounds=True)

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
        layout.addWidget(self.scroll, 3)
        layout.addWidget(self.histogram, 2)
        for method in START_METHODS:
            layout.addWidget(self.best_labels[method])
        layout.addWidget(self.status_label)

        self.run_button.clicked.connect(self.run)
        self.job.bind_controls(self.run_button, self.cancel_button, self.progress, self.restarts_spin)
        self.job.finished.connect(self._on_finished)
        self.job.cancelled.connect(lambda: self._status("The data changed: run the restarts again." if self._stale
                                                        else "Restarts cancelled."))
        self.job.failed.connect(lambda text: self._status(f"The restarts could not run: {text}", error=True))
        controller.data_changed.connect(self._on_data_changed)
        controller.view_changed.connect(lambda: self.runs and self.show_runs(self.runs))  # same runs, new view

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
        X = np.array(s.X, dtype=np.float64)
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
        seed = int(s.seed)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self._status(f"Running {R} + {R} restarts of {entry.label} with K = {K} …")
        self.job.start(lambda progress, is_cancelled: run_restarts(
            X, algorithm, K, R, inits=START_METHODS, random_state=seed, progress=progress,
            is_cancelled=is_cancelled, **params))
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

    def _on_finished(self, runs: list[RestartRun]) -> None:
        self.show_runs(runs)

    def show_runs(self, runs: list[RestartRun]) -> None:
        """Fill the gallery, the histogram and the counts."""
        self.runs = list(runs)
        for button in self.thumbnails:
            self.gallery_layout.removeWidget(button)
            button.deleteLater()
        self.thumbnails = []
        if not self.runs:
            for item in self.bars.values():
                item.setData(x=[], y=[])
            self.best_line.setVisible(False)
            self.empty_text.setVisible(True)
            self.histogram.getPlotItem().getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            for label in self.best_labels.values():
                label.setText("")
            return
        entry = registry.get_algorithm(self.settings["algorithm"])
        best = self.best_objective()
        shown = self.session.shown_points()  # the canvas's coordinates, a PCA view too
        idx = np.arange(shown.shape[0])
        if shown.shape[0] > _THUMB_POINTS:
            idx = np.sort(np.random.default_rng(0).choice(shown.shape[0], _THUMB_POINTS, replace=False))
        P = shown[idx]
        lo, hi = P.min(axis=0), P.max(axis=0)
        bounds = (lo[0], hi[0], lo[1], hi[1])
        name = entry.objective_symbol
        columns = self._grid_columns = self._columns()
        for i, run in enumerate(self.runs):
            method = run.init
            is_best = abs(run.objective - best) <= RTOL * abs(best)
            image = render_thumbnail(P, np.asarray(run.labels)[idx], self.session.shown_points(run.final_means),
                                     bounds,
                                     is_best, METHOD_COLOURS.get(method, "#888888"))
            button = QToolButton()
            button.setObjectName(f"restartThumb_{i}")
            button.setIcon(QIcon(QPixmap.fromImage(image)))
            button.setIconSize(QSize(THUMB, THUMB))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            short = "++" if method == "k-means++" else "rand"
            button.setText(f"{name} = {format_number(run.objective)} · {short}")
            button.setToolTip(f"Run {run.index + 1}: {method} start, seed {run.seed}; "
                              f"{name} = {format_number(run.objective)} "
                              f"after {run.n_iter} iterations{'' if run.converged else ' (not converged)'}. "
                              "Click to load this start into the canvas.")
            button.setAutoRaise(True)
            button.setStyleSheet(f"QToolButton {{ color: {METHOD_COLOURS.get(method, '#222222')}; }}")
            button.clicked.connect(lambda _checked=False, r=run: self.load_run(r))
            self.gallery_layout.addWidget(button, i // columns, i % columns)
            self.thumbnails.append(button)
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
        self.best_line.setVisible(True)  # first: a hidden line does not follow its value
        self.best_line.setValue(best)
        vb = self.histogram.getPlotItem().getViewBox()
        if single:  # one bar in the middle, not a bar that fills the plot
            vb.setRange(xRange=(edges[0] - 4 * half, edges[1] + 4 * half), padding=0.0)
            vb.enableAutoRange(axis=pg.ViewBox.YAxis)
        else:
            vb.enableAutoRange()
        self.histogram.getPlotItem().setLabel("bottom", histogram_title(entry), color=AXIS_TEXT_COLOUR)

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
