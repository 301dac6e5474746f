"""The "Choosing K" dock: a sweep over K (elbow, BIC/AIC, mean silhouette)
computed on a worker thread, and a silhouette diagram of the shown clustering.

The numbers come from :mod:`clusterviz.model.selection` and
:mod:`clusterviz.model.metrics`; this module only runs them and draws them.
A click on a K in any chart sets K in the session through the controller.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPen
from PySide6.QtWidgets import (QComboBox, QDockWidget, QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QTabWidget,
                               QVBoxLayout, QWidget)
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.model.metrics import silhouette_samples
from clusterviz.model.selection import CLEAR_KNEE, COVARIANCE_TYPES, WEAK_SILHOUETTE, SweepResult, sweep_k

from .objective_plot import StepAxis
from ..canvas.palette import CLUSTER_COLORS, MAX_CLUSTERS, cluster_color
from ..jobs import BackgroundJob, job_controls

#: Silhouettes of more points than this are computed on a seeded subsample.
SILHOUETTE_SAMPLE = 5000
#: While playing, the diagram follows every shown step only if its last
#: computation took at most this long (seconds); slower ones wait for a pause.
SILHOUETTE_LIVE_S = 0.15
#: Colours of the four covariance types (distinct from the cluster colours' order).
TYPE_COLORS = {"full": "#0072B2", "tied": "#D55E00", "diag": "#009E73", "spherical": "#CC79A7"}
_MARK_COLOR = "#D55E00"
_CURVE_COLOR = "#0072B2"


def _pen(color: str, width: float = 1.8, style=Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(QColor(color))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    pen.setStyle(style)
    return pen


def _wrapping_policy() -> QSizePolicy:
    """For a word-wrapped label: any width, and as tall as its text needs at that width."""
    policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
    policy.setHeightForWidth(True)
    return policy


def _narrow_title(plot) -> None:
    """Let ``plot``'s title be wider than the chart (it is clipped) instead of
    widening the chart past a narrow dock: pyqtgraph sets the title's minimum
    width to its text's width on every change and resize."""
    label = plot.titleLabel
    label.updateMin = lambda: (label.setMinimumWidth(0), label.setMinimumHeight(0))
    label.setMinimumWidth(0)
    centre = label.resizeEvent

    def resize(event):  # centred while it fits; too long, its start stays in view
        centre(event)
        r = label.itemRect()
        if r.width() > label.rect().width():
            label.item.moveBy(label.rect().left() - r.left(), 0.0)

    label.resizeEvent = resize


def _count(n: int) -> str:
    return f"{n:,}"


# --------------------------------------------------------------------------
# Silhouette diagram: the arithmetic of the layout (no Qt)
# --------------------------------------------------------------------------
def silhouette_layout(X: np.ndarray, labels: np.ndarray, sample_size: int = SILHOUETTE_SAMPLE, seed: int = 0):
    """Per-point silhouettes grouped by cluster and sorted, ready to draw.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labels : ndarray of shape (n_samples,)
    sample_size : int
        Above this many points a seeded random subsample of this size is used.
    seed : int

    Returns
    -------
    groups : list of (cluster, values sorted descending, y positions)
    mean : float
        Mean silhouette of the points used.
    n_used : int
        Points used (``sample_size`` when subsampled).

    Raises
    ------
    ValueError
        If fewer than 2 (or all N) distinct clusters are used.
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    n = X.shape[0]
    if n > sample_size:
        idx = np.sort(np.random.default_rng(seed).choice(n, size=sample_size, replace=False))
        X, labels = X[idx], labels[idx]
    values = silhouette_samples(X, labels)
    gap = max(2.0, 0.02 * X.shape[0])
    groups, y0 = [], 0.0
    for k in np.unique(labels):
        v = np.sort(values[labels == k])[::-1]
        groups.append((int(k), v, y0 + np.arange(v.shape[0], dtype=np.float64) + 0.5))
        y0 += v.shape[0] + gap
    return groups, float(values.mean()), int(X.shape[0])


# --------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------
class KChart(pg.PlotWidget):
    """A chart against K = 1..K_max; a click near a K emits ``k_clicked``.

    A dashed grey line marks the session's current K.
    """

    k_clicked = Signal(int)

    def __init__(self, name: str, y_label: str, tooltip: str, parent=None) -> None:
        super().__init__(parent, background="w", axisItems={"bottom": StepAxis("bottom")})
        self.setObjectName(name)
        self.setToolTip(tooltip)
        self.setMinimumSize(200, 100)
        plot = self.getPlotItem()
        plot.showGrid(x=True, y=True, alpha=0.2)
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        plot.getViewBox().setDefaultPadding(0.06)
        _narrow_title(plot)
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(pg.mkPen("#444444"))
            axis.setTextPen(pg.mkPen("#222222"))
        for side in ("left", "bottom"):
            plot.getAxis(side).enableAutoSIPrefix(False)  # no "(x0.001)" in the axis labels
        plot.setLabel("bottom", "K (click to use it)", color="#222222")
        plot.setLabel("left", y_label, color="#222222")
        self.current_line = pg.InfiniteLine(angle=90, movable=False, pen=_pen("#888888", 1.2, Qt.PenStyle.DashLine))
        self.current_line.setVisible(False)
        plot.addItem(self.current_line, ignoreBounds=True)
        self.ks = np.empty(0)
        self.scene().sigMouseClicked.connect(self._on_clicked)

    def set_title(self, text: str) -> None:
        self.getPlotItem().setTitle(text, size="9pt", color="#222222")

    def set_current_k(self, k: int) -> None:
        self.current_line.setValue(float(k))
        self.current_line.setVisible(bool(self.ks.size and self.ks[0] <= k <= self.ks[-1]))

    def _on_clicked(self, event) -> None:
        vb = self.getPlotItem().getViewBox()
        if event.button() != Qt.MouseButton.LeftButton or event.double() or not self.ks.size:
            return
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        k = int(round(vb.mapSceneToView(event.scenePos()).x()))
        event.accept()
        self.k_clicked.emit(int(min(max(k, self.ks[0]), self.ks[-1])))


def _ring(size: float = 16, color: str = _MARK_COLOR) -> pg.ScatterPlotItem:
    item = pg.ScatterPlotItem(size=size, symbol="o", pen=_pen(color, 2.5), brush=pg.mkBrush(None), antialias=True)
    item.setZValue(10)
    return item


class ElbowChart(KChart):
    """K-Means distortion against K with the Kneedle knee marked."""

    def __init__(self, parent=None) -> None:
        super().__init__("elbowChart", "Distortion J",
                         "K-Means distortion (best of several starts) for each K; the ring marks the knee "
                         "found by the Kneedle method. Click a K to use it.", parent)
        self.curve = pg.PlotDataItem(pen=_pen(_CURVE_COLOR), symbol="o", symbolSize=6,
                                     symbolBrush=pg.mkBrush(_CURVE_COLOR), symbolPen=None, antialias=True)
        self.marker = _ring()
        self.label = pg.TextItem(color=_MARK_COLOR, anchor=(-0.15, 1.1))
        for item in (self.curve, self.marker, self.label):
            self.getPlotItem().addItem(item)
        self.set_title("Elbow: K-Means distortion")

    def show_result(self, r: SweepResult | None) -> None:
        if r is None:
            self.ks = np.empty(0)
            for item in (self.curve, self.marker):
                item.setData(x=[], y=[])
            self.label.setText("")
            return
        self.ks = np.asarray(r.ks)
        self.curve.setData(x=r.ks.astype(float), y=r.inertia)
        if r.knee is not None:
            y = float(r.inertia[int(np.flatnonzero(r.ks == r.knee)[0])])
            self.marker.setData(x=[float(r.knee)], y=[y])
            self.label.setPos(float(r.knee), y)
            if r.knee_strength < CLEAR_KNEE:  # a gentle bend: do not call it a knee with confidence
                self.label.setText(f"gentle bend, K = {r.knee}?")
                self.set_title(f"Elbow: no clear knee (Kneedle's best guess: K = {r.knee})")
            else:
                self.label.setText(f"knee K = {r.knee}")
                self.set_title(f"Elbow: knee at K = {r.knee} (Kneedle method)")
        else:
            self.marker.setData(x=[], y=[])
            self.label.setText("")
            self.set_title("Elbow: no knee found (Kneedle method)")


class CriterionChart(KChart):
    """BIC or AIC of Gaussian mixtures against K: one curve per covariance type,
    each minimum marked."""

    def __init__(self, parent=None) -> None:
        super().__init__("criterionChart", "BIC (lower is better)",
                         "EM information criterion for each covariance type; rings mark each type's minimum. "
                         "Click a K to use it.", parent)
        plot = self.getPlotItem()
        self.curves, self.markers = {}, {}
        for ct in COVARIANCE_TYPES:
            color = TYPE_COLORS[ct]
            self.curves[ct] = pg.PlotDataItem(pen=_pen(color), symbol="o", symbolSize=4,
                                              symbolBrush=pg.mkBrush(color), symbolPen=None, antialias=True, name=ct)
            self.markers[ct] = _ring(14, color)
            plot.addItem(self.curves[ct])
            plot.addItem(self.markers[ct])
        self.criterion = "BIC"
        self.result: SweepResult | None = None
        self.show_result(None)

    def set_criterion(self, criterion: str) -> None:
        self.criterion = criterion
        self.getPlotItem().setLabel("left", f"{criterion} (lower is better)", color="#222222")
        self.show_result(self.result)

    def minima(self) -> dict[str, int | None]:
        """K with the lowest shown criterion, per covariance type."""
        r = self.result
        if r is None:
            return {}
        values = r.bic if self.criterion == "BIC" else r.aic
        out = {}
        for ct, v in values.items():
            out[ct] = int(r.ks[int(np.nanargmin(v))]) if np.any(np.isfinite(v)) else None
        return out

    def show_result(self, r: SweepResult | None) -> None:
        self.result = r
        self.ks = np.empty(0) if r is None else np.asarray(r.ks)
        values = {} if r is None else (r.bic if self.criterion == "BIC" else r.aic)
        minima = self.minima()
        for ct in COVARIANCE_TYPES:
            v = values.get(ct)
            if v is None:
                self.curves[ct].setData(x=[], y=[])
                self.markers[ct].setData(x=[], y=[])
                continue
            finite = np.isfinite(v)
            self.curves[ct].setData(x=r.ks[finite].astype(float), y=v[finite])
            k = minima.get(ct)
            if k is None:
                self.markers[ct].setData(x=[], y=[])
            else:
                self.markers[ct].setData(x=[float(k)], y=[float(v[int(np.flatnonzero(r.ks == k)[0])])])
        # The title is the legend too: each covariance type in its colour, with the K of its minimum.
        parts = []
        for ct in COVARIANCE_TYPES:
            k = minima.get(ct)
            parts.append(f"<span style='color:{TYPE_COLORS[ct]}'>{ct}{'' if k is None else f' {k}'}</span>")
        head = f"EM {self.criterion}, lowest at K: " if minima else f"EM {self.criterion}: "
        self.set_title(head + " · ".join(parts))


class SilhouetteChart(KChart):
    """Mean silhouette of the K-Means labels against K, the maximum marked."""

    def __init__(self, parent=None) -> None:
        super().__init__("silhouetteChart", "Mean silhouette",
                         "Mean silhouette coefficient of the K-Means clustering for each K (higher is better); "
                         "the ring marks the maximum. Click a K to use it.", parent)
        self.curve = pg.PlotDataItem(pen=_pen(_CURVE_COLOR), symbol="o", symbolSize=6,
                                     symbolBrush=pg.mkBrush(_CURVE_COLOR), symbolPen=None, antialias=True)
        self.marker = _ring()
        for item in (self.curve, self.marker):
            self.getPlotItem().addItem(item)
        self.set_title("Mean silhouette")

    def show_result(self, r: SweepResult | None) -> None:
        if r is None:
            self.ks = np.empty(0)
            self.curve.setData(x=[], y=[])
            self.marker.setData(x=[], y=[])
            self.set_title("Mean silhouette")
            return
        self.ks = np.asarray(r.ks)
        finite = np.isfinite(r.silhouette)
        self.curve.setData(x=r.ks[finite].astype(float), y=r.silhouette[finite])
        suffix = f" (on a {_count(SILHOUETTE_SAMPLE)}-point subsample)" if r.silhouette_subsampled else ""
        if r.best_silhouette is not None:
            y = float(r.silhouette[int(np.flatnonzero(r.ks == r.best_silhouette)[0])])
            self.marker.setData(x=[float(r.best_silhouette)], y=[y])
            weak = f": {y:.2f}, weak (below {WEAK_SILHOUETTE})" if y < WEAK_SILHOUETTE else f" ({y:.2f})"
            self.set_title(f"Mean silhouette: maximum at K = {r.best_silhouette}{weak}{suffix}")
        else:
            self.marker.setData(x=[], y=[])
            self.set_title(f"Mean silhouette: undefined for these K{suffix}")


class SilhouetteDiagram(pg.PlotWidget):
    """Per-point silhouette bars of the shown clustering, grouped by cluster
    and sorted, in the cluster colours, with the mean as a dashed line."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="w")
        self.setObjectName("silhouetteDiagram")
        self.setToolTip("Silhouette of every point of the shown clustering, grouped by cluster and sorted; "
                        "the dashed line is the mean. Bars left of 0 sit closer to another cluster.")
        self.setMinimumSize(220, 150)
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        plot.showGrid(x=True, y=False, alpha=0.2)
        plot.hideAxis("left")
        _narrow_title(plot)
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(pg.mkPen("#444444"))
            axis.setTextPen(pg.mkPen("#222222"))
            axis.enableAutoSIPrefix(False)
        plot.setLabel("bottom", "Silhouette coefficient s", color="#222222")
        self.bars = []
        self.names = []
        for k in range(MAX_CLUSTERS):
            bar = pg.BarGraphItem(x0=[], y=[], height=[], width=[], pen=None, brush=pg.mkBrush(cluster_color(k)))
            name = pg.TextItem(color=CLUSTER_COLORS[k], anchor=(1.1, 0.5))
            plot.addItem(bar)
            plot.addItem(name)
            self.bars.append(bar)
            self.names.append(name)
        self.zero = pg.InfiniteLine(pos=0.0, angle=90, movable=False, pen=_pen("#444444", 1.0))
        self.mean_line = pg.InfiniteLine(angle=90, movable=False, pen=_pen(_MARK_COLOR, 2.0, Qt.PenStyle.DashLine),
                                         label="mean {value:.2f}",
                                         labelOpts={"position": 0.96, "color": _MARK_COLOR, "anchors": [(0, 0), (0, 0)]})
        plot.addItem(self.zero)
        plot.addItem(self.mean_line)
        self.message = pg.TextItem(color="#555555", anchor=(0.5, 0.5))
        plot.addItem(self.message, ignoreBounds=True)
        self.mean: float | None = None
        self.n_groups = 0
        self.title = ""
        self.note = ""

    def _set_title(self, title: str) -> None:
        self.title = title
        text = f"{title} — {self.note}" if self.note and title else (title or self.note)
        self.getPlotItem().setTitle(text, size="9pt", color="#222222")

    def set_note(self, note: str) -> None:
        """Say beside the title what is happening to the drawn diagram ("updating…"); "" removes it."""
        if note != self.note:
            self.note = note
            self._set_title(self.title)

    def show_groups(self, groups, mean: float, title: str) -> None:
        """Draw ``groups`` from :func:`silhouette_layout`."""
        self.message.setText("")
        self.note = ""
        for i in range(MAX_CLUSTERS):
            if i < len(groups):
                k, values, ys = groups[i] if i < len(groups) else (i, np.empty(0), np.empty(0))
            else:
                k, values, ys = i, np.empty(0), np.empty(0)
            self.bars[i].setOpts(x0=np.zeros_like(values), y=ys, height=np.ones_like(values), width=values,
                                 brush=pg.mkBrush(cluster_color(k)))
            self.names[i].setText(str(k + 1) if values.size else "")
            self.names[i].setColor(CLUSTER_COLORS[k % MAX_CLUSTERS])
            if values.size:
                self.names[i].setPos(min(0.0, float(values.min())), float(ys.mean()))
        low = min([0.0] + [float(v.min()) for _, v, _ in groups if v.size])
        top = max([1.0] + [float(y.max()) for _, _, y in groups if y.size])
        self.n_groups = len(groups)
        self.mean = mean
        self.mean_line.setVisible(True)  # first: a hidden line's label does not follow its value
        self.mean_line.setValue(mean)
        self.zero.setVisible(True)
        self._set_title(title)
        self.getPlotItem().getViewBox().setRange(xRange=(min(-0.1, low - 0.08), 1.0), yRange=(0.0, top), padding=0.02)

    def show_message(self, text: str) -> None:
        """Nothing to draw: say why."""
        for bar, name in zip(self.bars, self.names):
            bar.setOpts(x0=[], y=[], height=[], width=[])
            name.setText("")
        self.mean = None
        self.n_groups = 0
        self.mean_line.setVisible(False)
        self.zero.setVisible(False)
        self.note = ""
        self._set_title("Silhouette of the shown clustering")
        self.getPlotItem().getViewBox().setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0.0)
        self.message.setText(text)
        self.message.setPos(0.5, 0.5)


# --------------------------------------------------------------------------
# The panel
# --------------------------------------------------------------------------
class SelectionPanel(QWidget):
    """Sweep controls, the three K charts and the silhouette diagram.

    Attributes
    ----------
    job : BackgroundJob
        Runs the sweep on a worker thread.
    result : SweepResult or None
        The last finished sweep for the current data.
    """

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.session = controller.session
        self.result: SweepResult | None = None
        self.job = BackgroundJob(self)
        #: Computes the silhouette diagram off the GUI thread (one at a time; the newest request wins).
        self.silhouette_job = BackgroundJob(self)
        self._silhouette_key = None  # the (version, cursor, n_points) the diagram shows
        self._silhouette_computing = None  # the key the running silhouette job computes
        self._silhouette_seconds: float | None = None  # how long the last one took
        self._stale = False

        self.k_max_spin = QSpinBox()
        self.k_max_spin.setObjectName("kMaxSpin")
        self.k_max_spin.setRange(2, 30)
        self.k_max_spin.setValue(10)
        self.k_max_spin.setPrefix("K up to ")
        self.k_max_spin.setToolTip("Largest number of clusters the sweep tries (K = 1 … K_max).")
        self.run_button, self.cancel_button, self.progress = job_controls(
            "Run sweep", "sweep", "Fit K-Means and Gaussian mixtures for every K and chart how well each does.",
            "Stop the sweep.", "How much of the sweep is done.")
        self.progress.setTextVisible(True)
        self.criterion_combo = QComboBox()
        self.criterion_combo.setObjectName("criterionCombo")
        self.criterion_combo.addItems(["BIC", "AIC"])
        self.criterion_combo.setToolTip("Show the Bayesian (BIC) or Akaike (AIC) information criterion.")
        self.status_label = QLabel("Run the sweep to compare K = 1 … 10 on the current data.")
        self.status_label.setObjectName("sweepStatus")
        self.status_label.setToolTip("What the sweep found, or why it could not run.")
        self.status_label.setWordWrap(True)
        self.status_label.setSizePolicy(_wrapping_policy())

        self.warning_label = QLabel("")
        self.warning_label.setObjectName("sweepWarning")
        self.warning_label.setToolTip("Why the suggested K may mean little for these data.")
        self.warning_label.setWordWrap(True)
        self.warning_label.setSizePolicy(_wrapping_policy())
        self.warning_label.setStyleSheet("QLabel { background: #FFF4D6; color: #6B4500; border: 1px solid #E0B050;"
                                         " border-radius: 3px; padding: 3px; }")
        self.warning_label.hide()

        self.elbow_chart = ElbowChart()
        self.criterion_chart = CriterionChart()
        self.silhouette_chart = SilhouetteChart()
        self.silhouette_diagram = SilhouetteDiagram()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.k_max_spin, self.run_button, self.cancel_button):
            row.addWidget(w)
        row.addStretch(1)
        # The criterion sits beside the progress bar, so the dock can be narrow.
        row2 = QHBoxLayout()
        row2.setContentsMargins(0, 0, 0, 0)
        row2.addWidget(self.progress, 1)
        row2.addWidget(QLabel("EM:"))
        row2.addWidget(self.criterion_combo)
        sweep_tab = QWidget()
        sweep_layout = QVBoxLayout(sweep_tab)
        sweep_layout.setContentsMargins(4, 4, 4, 2)
        sweep_layout.setSpacing(3)
        sweep_layout.addLayout(row)
        sweep_layout.addLayout(row2)
        sweep_layout.addWidget(self.warning_label)
        for chart in (self.elbow_chart, self.criterion_chart, self.silhouette_chart):
            sweep_layout.addWidget(chart, 1)
        sweep_layout.addWidget(self.status_label)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("selectionTabs")
        self.tabs.addTab(sweep_tab, "Sweep over K")
        self.tabs.addTab(self.silhouette_diagram, "Silhouette diagram")
        self.tabs.setTabToolTip(0, "Elbow, BIC/AIC and mean silhouette for K = 1 … K_max.")
        self.tabs.setTabToolTip(1, "Per-point silhouettes of the clustering on the canvas.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self.run_button.clicked.connect(self.run_sweep)
        self.job.bind_controls(self.run_button, self.cancel_button, self.progress, self.k_max_spin)
        self.criterion_combo.currentTextChanged.connect(self._on_criterion)
        self.job.finished.connect(self._on_finished)
        self.job.cancelled.connect(self._on_cancelled)
        self.job.failed.connect(self._on_failed)
        for chart in (self.elbow_chart, self.criterion_chart, self.silhouette_chart):
            chart.k_clicked.connect(self.use_k)
        c = controller
        c.stepped.connect(self._refresh_silhouette)
        c.reset.connect(self._on_settings)
        c.data_changed.connect(self._on_data_changed)
        c.view_changed.connect(self._refresh_silhouette)
        c.playing_changed.connect(lambda playing: playing or self._refresh_silhouette())
        self.silhouette_job.finished.connect(self._on_silhouette_finished)
        self.silhouette_job.failed.connect(self._on_silhouette_failed)
        self.tabs.currentChanged.connect(lambda _i: self._refresh_silhouette())
        self._show_result(None)
        self._on_settings()

    # ------------------------------------------------------------ the sweep
    def run_sweep(self) -> bool:
        """Start the sweep on a worker thread; False (and a message) if it cannot run."""
        self._stale = False
        X = np.array(self.session.X, dtype=np.float64)
        if X.shape[0] < 2:
            self._status("Add at least 2 points to compare numbers of clusters.", error=True)
            return False
        k_max = int(self.k_max_spin.value())
        seed = int(self.session.seed)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self._status(f"Sweeping K = 1 … {min(k_max, X.shape[0])} on {_count(X.shape[0])} points …")
        self.job.start(lambda progress, is_cancelled: sweep_k(
            X, k_max, random_state=seed, progress=progress, is_cancelled=is_cancelled,
            sample_size=SILHOUETTE_SAMPLE))
        return True

    def cancel_sweep(self) -> None:
        self.job.cancel()

    def shutdown(self) -> None:
        self.job.shutdown()
        self.silhouette_job.shutdown()

    def _on_finished(self, result: SweepResult) -> None:
        self._show_result(result)

    def _on_cancelled(self) -> None:
        self.progress.setValue(0)
        if self._stale:
            self._status("The data changed: run the sweep again.")
        else:
            self._status("Sweep cancelled." + (" The charts show the previous sweep." if self.result else ""))

    def _on_failed(self, text: str) -> None:
        self.progress.setValue(0)
        self._status(f"The sweep could not run: {text}", error=True)

    def _status(self, text: str, error: bool = False) -> None:
        self.status_label.setStyleSheet("color: #B00020;" if error else "")
        self.status_label.setText(text)

    def _show_result(self, r: SweepResult | None) -> None:
        self.result = r
        self.warning_label.setText("" if r is None else "\n".join(r.warnings))
        self.warning_label.setVisible(bool(r is not None and r.warnings))
        self.elbow_chart.show_result(r)
        self.criterion_chart.show_result(r)
        self.silhouette_chart.show_result(r)
        self._on_settings()
        if r is None:
            return
        self._status(self.summary())

    def summary(self) -> str:
        """One paragraph saying what each chart shows for the last sweep."""
        r = self.result
        if r is None:
            return ""
        minima = self.criterion_chart.minima()
        crit = self.criterion_chart.criterion
        if r.knee is None:
            elbow = "Elbow: no clear knee"
        elif r.knee_strength < CLEAR_KNEE:
            elbow = f"Elbow: no clear knee (gentle bend at K = {r.knee})"
        else:
            elbow = f"Elbow (Kneedle knee): K = {r.knee}"
        parts = [elbow,
                 f"lowest {crit}: " + ", ".join(f"{ct} {k if k is not None else '—'}" for ct, k in minima.items()),
                 f"highest mean silhouette: K = {r.best_silhouette}" if r.best_silhouette is not None
                 else "no silhouette"]
        text = " · ".join(parts) + "."
        if r.notes:
            text += " " + " ".join(r.notes)
        return text

    def _on_criterion(self, criterion: str) -> None:
        self.criterion_chart.set_criterion(criterion)
        if self.result is not None:
            self._status(self.summary())

    # ------------------------------------------------------------- clicks
    def use_k(self, k: int) -> None:
        """Set K in the session and restart the run from its initialisation."""
        if k > MAX_CLUSTERS:
            self._status(f"K = {k} is more than the {MAX_CLUSTERS} clusters the canvas can colour apart; "
                         f"pick K <= {MAX_CLUSTERS}.", error=True)
            return
        if k == self.session.n_clusters:
            self.controller.reset_fit()
        else:
            self.controller.set_n_clusters(int(k))

    # ------------------------------------------------------- session changes
    def _on_settings(self) -> None:
        k = int(self.session.n_clusters)
        for chart in (self.elbow_chart, self.criterion_chart, self.silhouette_chart):
            chart.set_current_k(k)
        self._refresh_silhouette()

    def _on_data_changed(self) -> None:
        had = self.result is not None or self.job.is_running()
        if self.job.is_running():
            self._stale = True  # its result would describe the old data
            self.job.cancel()
        self._show_result(None)
        if had:
            self._status("The data changed: run the sweep again.")
        self._silhouette_key = None
        self._silhouette_seconds = None  # other data: time the next computation afresh
        self._refresh_silhouette()

    # ------------------------------------------------ silhouette diagram
    def _refresh_silhouette(self) -> None:
        """Bring the diagram to the shown state, only when it is visible.

        The silhouettes are computed on ``silhouette_job`` (a worker thread);
        the diagram says "updating…" meanwhile. One computation runs at a time:
        requests made while it runs are folded into one for the newest state,
        and a result for a state no longer shown is dropped. While playing, a
        computation slower than ``SILHOUETTE_LIVE_S`` waits for the pause.
        """
        diagram = self.silhouette_diagram
        if not diagram.isVisible():
            return
        s = self.session
        key = (s.version, s.cursor, s.n_points)
        if key == self._silhouette_key:
            if not self.silhouette_job.is_running() and diagram.note:
                diagram.set_note("")
            return
        state = s.state
        message = None
        if state is None:
            message = s.problem or "Nothing to show."
        elif state.labels is None:  # the argmax of the responsibilities, for soft models too
            message = "The points have no clusters yet: step once to assign them."
        else:
            n_used = np.unique(state.labels).size
            if not 2 <= n_used <= s.n_points - 1:
                message = (f"The silhouette needs between 2 and N - 1 clusters; "
                           f"the shown clustering uses {n_used}.")
        if message is not None:
            self._silhouette_key = key  # a running job's result is now stale and will be dropped
            diagram.show_message(message)
            return
        if key == self._silhouette_computing:
            return
        phase = {"init": "start", "E": "after E", "M": "after M"}.get(state.phase, state.phase)
        updating = f"updating to iteration {state.iteration} ({phase})…"
        if self.silhouette_job.is_running():
            diagram.set_note(updating)  # started when the running one ends
            return
        slow = self._silhouette_seconds is not None and self._silhouette_seconds > SILHOUETTE_LIVE_S
        if self.controller.playing and slow:  # it could not keep up: wait for the pause
            if diagram.mean is None:
                diagram.show_message("The silhouette of this many points updates when playing stops.")
            else:
                diagram.set_note("updates when playing stops")
            return
        X = np.array(s.X, dtype=np.float64)
        labels = np.array(state.labels)
        iteration, n_points = state.iteration, s.n_points

        def work(_progress, _is_cancelled):
            t0 = time.perf_counter()
            groups, mean, n = silhouette_layout(X, labels)
            return key, iteration, phase, n_points, groups, mean, n, time.perf_counter() - t0

        self._silhouette_computing = key
        diagram.set_note(updating)
        self.silhouette_job.start(work)

    def _on_silhouette_finished(self, payload) -> None:
        key, iteration, phase, n_points, groups, mean, n, seconds = payload
        self._silhouette_computing = None
        self._silhouette_seconds = seconds
        s = self.session
        if key == (s.version, s.cursor, s.n_points):
            self._silhouette_key = key
            title = f"Silhouette, iteration {iteration} ({phase}): mean {mean:.3f}"
            if n < n_points:
                title += f" (on a {_count(n)}-point subsample)"
            self.silhouette_diagram.show_groups(groups, mean, title)
        self._refresh_silhouette()  # the newest request, if the shown state moved on meanwhile

    def _on_silhouette_failed(self, text: str) -> None:
        key, self._silhouette_computing = self._silhouette_computing, None
        s = self.session
        if key == (s.version, s.cursor, s.n_points):
            self._silhouette_key = key
            self.silhouette_diagram.show_message(f"The silhouette could not be computed: {text}")
        else:
            self._refresh_silhouette()

    def showEvent(self, event) -> None:  # Qt override
        super().showEvent(event)
        self._refresh_silhouette()


class _CloseWatcher(QObject):
    """Stops background jobs when the main window closes."""

    def __init__(self, window, panels) -> None:
        super().__init__(window)
        self._panels = panels
        window.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # Qt override
        if event.type() == QEvent.Type.Close:
            for panel in self._panels:
                panel.shutdown()
        return False


#: Size of a dock's tool window the first time it opens (clamped to the screen).
FLOATING_SIZE = (520, 720)
#: Narrowest a dock's contents may be, so that a docked panel leaves the canvas room.
DOCK_MIN_WIDTH = 300


def floating_geometry(main: QRect, screen: QRect, size=FLOATING_SIZE, offset: int = 0) -> QRect:
    """Where a floating dock opens: beside the main window's right edge if it
    fits on the screen, else against the screen's right edge (over the main
    window's side panel, never over the canvas on the left).

    Parameters
    ----------
    main : QRect
        The main window's frame geometry.
    screen : QRect
        The available geometry of its screen.
    size : (width, height)
    offset : int
        Cascade: moved this many pixels right and down (a second dock).
    """
    w = min(size[0], screen.width())
    h = min(size[1], screen.height() - 40)
    x = main.right() + 8 + offset
    if x + w > screen.right() + 1:  # no room beside it: against the screen's edge, cascaded
        x = screen.right() + 1 - w - 40 + offset
    y = max(screen.top(), min(main.top() + offset, screen.bottom() + 1 - h))
    return QRect(max(screen.left(), x), y, w, h)


class _DockBehaviour(QObject):
    """A dock that opens as a floating tool window beside the main window the
    first time it is shown, comes to the front when toggled on, and whose
    shortcut brings it to the front (rather than closing it) when it is open
    but hidden behind another dock's tab."""

    def __init__(self, window, dock: QDockWidget, action, offset: int) -> None:
        super().__init__(dock)
        self.window, self.dock, self.action, self.offset = window, dock, action, offset
        self.placed = False
        dock.installEventFilter(self)
        action.installEventFilter(self)
        action.triggered.connect(self._on_triggered)

    def eventFilter(self, obj, event) -> bool:  # Qt override
        if obj is self.dock and event.type() == QEvent.Type.Show and not self.placed:
            self.placed = True
            if self.dock.isFloating():
                self._place()
        elif obj is self.action and event.type() == QEvent.Type.Shortcut:
            behind = not self.dock.isVisible() or self.dock.visibleRegion().isEmpty()
            if not self.dock.isHidden() and behind:  # open, but behind another dock's tab
                self.dock.raise_()
                return True
        return False

    def _place(self) -> None:
        screen = self.window.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 800)
        self.dock.setGeometry(floating_geometry(self.window.frameGeometry(), area, offset=self.offset))

    def _on_triggered(self, checked: bool) -> None:
        if checked:
            self.dock.raise_()


def make_dock(window, widget: QWidget, title: str, name: str, tooltip: str) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setToolTip(tooltip)
    dock.setWidget(widget)
    dock.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
    widget.setMinimumWidth(DOCK_MIN_WIDTH)
    return dock


def install_choosing_tools(window):
    """Add the "Choosing K" and "Restarts" docks (hidden, toggled from the
    View menu) and the k-means++ seeding mode (Run menu) to ``window``.

    The docks open as floating tool windows beside the main window, so the
    canvas keeps its size (on a 1024-px projector a docked panel would squeeze
    it); the title bar's float button, or a double-click on it, docks them on
    the right, tabbed.

    Returns
    -------
    (SelectionPanel, RestartsPanel, SeedingView)
    """
    from .restarts import RestartsPanel
    from .seeding_view import SeedingView

    controller = window.controller
    selection = SelectionPanel(controller)
    restarts = RestartsPanel(controller)
    seeding = SeedingView(window.canvas, controller)
    restarts.attach_seeding(seeding)

    sel_dock = make_dock(window, selection, "Choosing K", "selectionPanel",
                         "Elbow, BIC/AIC and silhouette over K, and the silhouette of the shown clustering.")
    res_dock = make_dock(window, restarts, "Restarts and initialisation", "restartsPanel",
                         "Many runs from random and k-means++ starts: how much the start matters.")
    # Docked (by the user), they share the right-hand area as tabs; by default they float.
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, sel_dock)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, res_dock)
    window.tabifyDockWidget(sel_dock, res_dock)
    sel_dock.hide()
    res_dock.hide()
    sel_dock.setFloating(True)
    res_dock.setFloating(True)
    # Recompute the silhouette diagram when the dock comes into view.
    sel_dock.visibilityChanged.connect(lambda visible: visible and selection._refresh_silhouette())

    for dock, shortcut, tip, name, offset in (
            (sel_dock, "Ctrl+Shift+K", "Show or hide the Choosing K panel.", "selectionPanelAction", 0),
            (res_dock, "Ctrl+Shift+G", "Show or hide the restarts gallery.", "restartsPanelAction", 32)):
        action = dock.toggleViewAction()
        action.setObjectName(name)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        window.addAction(action)
        window.view_menu.addAction(action)
        dock.behaviour = _DockBehaviour(window, dock, action, offset)

    window.run_menu.addSeparator()
    window.run_menu.addAction(seeding.action)
    window.addAction(seeding.action)
    _CloseWatcher(window, (selection, restarts))
    window.selection_dock = sel_dock
    window.restarts_dock = res_dock
    return selection, restarts, seeding
