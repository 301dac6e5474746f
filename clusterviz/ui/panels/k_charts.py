"""The charts of the Choosing K dock: elbow, BIC/AIC and mean silhouette
over K (`KChart` and its three kinds), the silhouette diagram of the shown
clustering, and `silhouette_layout`, which computes what the diagram draws."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QSizePolicy
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.model.metrics import silhouette_samples
from clusterviz.model.selection import CLEAR_KNEE, COVARIANCE_TYPES, WEAK_SILHOUETTE, SweepResult, sweep_algorithms

from ..canvas.palette import (AXIS_TEXT_COLOUR, CLUSTER_COLOURS, MAX_CLUSTERS, cluster_colour, cosmetic_pen,
                              style_plot)
from .objective_plot import StepAxis, wrap_title

#: Silhouettes of more points than this are computed on a seeded subsample.
SILHOUETTE_SAMPLE = 5000
#: While playing, the diagram follows every shown step only if its last
#: computation took at most this long (seconds); slower ones wait for a pause.
SILHOUETTE_LIVE_S = 0.15
#: Colours of the four covariance types (distinct from the cluster colours' order).
TYPE_COLOURS = {"full": "#0072B2", "tied": "#D55E00", "diag": "#009E73", "spherical": "#CC79A7"}
_MARK_COLOUR = "#D55E00"
_CURVE_COLOUR = "#0072B2"


def _wrapping_policy() -> QSizePolicy:
    """For a word-wrapped label: any width, and as tall as its text needs at that width."""
    policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
    policy.setHeightForWidth(True)
    return policy


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
        super().__init__(parent, background="w", axisItems={"bottom": StepAxis("bottom")}, enableMenu=False)
        self.setObjectName(name)
        self.setToolTip(tooltip)
        self.setMinimumSize(200, 100)
        plot = self.getPlotItem()
        style_plot(plot)
        plot.getViewBox().setDefaultPadding(0.06)
        wrap_title(plot)
        plot.setLabel("bottom", "K (click to use it)", color=AXIS_TEXT_COLOUR)
        plot.setLabel("left", y_label, color=AXIS_TEXT_COLOUR)
        self.current_line = pg.InfiniteLine(angle=90, movable=False,
                                            pen=cosmetic_pen("#888888", 1.2, Qt.PenStyle.DashLine))
        self.current_line.setVisible(False)
        plot.addItem(self.current_line, ignoreBounds=True)
        #: Shown instead of made-up axes before a sweep (``kChartPlaceholder``).
        self.placeholder = pg.TextItem("Run the sweep to fill this chart.", color="#555555", anchor=(0.5, 0.5))
        self.placeholder.setObjectName("kChartPlaceholder")
        plot.addItem(self.placeholder, ignoreBounds=True)
        self.ks = np.empty(0)
        self.scale_factor = 1.0
        self._title = ""
        self.scene().sigMouseClicked.connect(self._on_clicked)

    def set_title(self, text: str) -> None:
        self._title = text
        self.getPlotItem().setTitle(text, size=f"{9 * self.scale_factor:.1f}pt", color="#222222")

    def show_empty(self, empty: bool) -> None:
        """Before a sweep: a placeholder instead of the curves' axes."""
        plot = self.getPlotItem()
        self.placeholder.setVisible(empty)
        for side in ("left", "bottom"):
            plot.getAxis(side).setTicks([[], []] if empty else None)
        if empty:
            plot.getViewBox().setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0.0)
            self.placeholder.setPos(0.5, 0.5)
        else:
            plot.getViewBox().enableAutoRange()

    def set_scale(self, factor: float) -> None:
        """Curves, markers, tick labels and the title ``factor`` times their
        normal size (1.0: normal)."""
        previous, self.scale_factor = self.scale_factor, float(factor)
        ratio = self.scale_factor / previous
        plot = self.getPlotItem()
        font = QFont()
        font.setPointSizeF(font.pointSizeF() * self.scale_factor)
        for side in ("left", "bottom"):
            plot.getAxis(side).setStyle(tickFont=font)
            plot.getAxis(side).label.setFont(font)
        self.placeholder.setFont(font)
        for item in plot.items:
            if isinstance(item, pg.PlotDataItem):
                pen = pg.mkPen(item.opts["pen"])
                pen.setWidthF(pen.widthF() * ratio)
                item.setPen(pen)
                item.setSymbolSize(item.opts["symbolSize"] * ratio)
            elif isinstance(item, pg.ScatterPlotItem):
                item.setSize(item.opts["size"] * ratio)
        self.set_title(self._title)

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


def _ring(size: float = 16, colour: str = _MARK_COLOUR) -> pg.ScatterPlotItem:
    item = pg.ScatterPlotItem(size=size, symbol="o", pen=cosmetic_pen(colour, 2.5), brush=pg.mkBrush(None),
                              antialias=True)
    item.setZValue(10)
    return item


def _curve(colour: str = _CURVE_COLOUR, symbol_size: int = 6) -> pg.PlotDataItem:
    """A line with a dot on every K."""
    return pg.PlotDataItem(pen=cosmetic_pen(colour, 1.8), symbol="o", symbolSize=symbol_size,
                           symbolBrush=pg.mkBrush(colour), symbolPen=None, antialias=True)


class ElbowChart(KChart):
    """K-Means distortion against K with the Kneedle knee marked."""

    def __init__(self, parent=None) -> None:
        hard = sweep_algorithms()[0].short_label
        super().__init__("elbowChart", "Distortion J",
                         f"{hard} distortion (best of several starts) for each K; the ring marks the knee "
                         "found by the Kneedle method. Click a K to use it.", parent)
        self.curve = _curve()
        self.marker = _ring()
        self.label = pg.TextItem(color=_MARK_COLOUR, anchor=(-0.15, 1.1))
        for item in (self.curve, self.marker, self.label):
            self.getPlotItem().addItem(item)
        self.set_title(f"Elbow: {hard} distortion")

    def show_result(self, r: SweepResult | None) -> None:
        self.show_empty(r is None)
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
        mixture = sweep_algorithms()[1].short_label
        super().__init__("criterionChart", "BIC (lower is better)",
                         f"{mixture} information criterion for each covariance type; rings mark each type's "
                         "minimum. Click a K to use it.", parent)
        self.mixture = mixture  # the algorithm whose BIC/AIC the sweep reports ("EM")
        plot = self.getPlotItem()
        self.curves, self.markers = {}, {}
        for ct in COVARIANCE_TYPES:
            colour = TYPE_COLOURS[ct]
            self.curves[ct] = pg.PlotDataItem(pen=cosmetic_pen(colour, 1.8), symbol="o", symbolSize=4,
                                              symbolBrush=pg.mkBrush(colour), symbolPen=None, antialias=True, name=ct)
            self.markers[ct] = _ring(14, colour)
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
        self.show_empty(r is None)
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
            parts.append(f"<span style='color:{TYPE_COLOURS[ct]}'>{ct}{'' if k is None else f' {k}'}</span>")
        head = f"{self.mixture} {self.criterion}" + (", lowest at K: " if minima else ": ")
        self.set_title(head + " · ".join(parts))


class SilhouetteChart(KChart):
    """Mean silhouette of the K-Means labels against K, the maximum marked."""

    def __init__(self, parent=None) -> None:
        super().__init__("silhouetteChart", "Mean silhouette",
                         f"Mean silhouette coefficient of the {sweep_algorithms()[0].short_label} clustering for "
                         "each K (higher is better); the ring marks the maximum. Click a K to use it.", parent)
        self.curve = _curve()
        self.marker = _ring()
        for item in (self.curve, self.marker):
            self.getPlotItem().addItem(item)
        self.set_title("Mean silhouette")

    def show_result(self, r: SweepResult | None) -> None:
        self.show_empty(r is None)
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
        super().__init__(parent, background="w", enableMenu=False)
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
        wrap_title(plot)
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(pg.mkPen("#444444"))
            axis.setTextPen(pg.mkPen("#222222"))
            axis.enableAutoSIPrefix(False)
        plot.setLabel("bottom", "Silhouette coefficient s", color="#222222")
        self.bars = []
        self.names = []
        for k in range(MAX_CLUSTERS):
            bar = pg.BarGraphItem(x0=[], y=[], height=[], width=[], pen=None, brush=pg.mkBrush(cluster_colour(k)))
            name = pg.TextItem(color=CLUSTER_COLOURS[k], anchor=(1.1, 0.5))
            plot.addItem(bar)
            plot.addItem(name)
            self.bars.append(bar)
            self.names.append(name)
        self.zero = pg.InfiniteLine(pos=0.0, angle=90, movable=False, pen=cosmetic_pen("#444444", 1.0))
        self.mean_line = pg.InfiniteLine(angle=90, movable=False,
                                         pen=cosmetic_pen(_MARK_COLOUR, 2.0, Qt.PenStyle.DashLine),
                                         label="mean {value:.2f}",
                                         labelOpts={"position": 0.96, "color": _MARK_COLOUR,
                                                    "anchors": [(0, 0), (0, 0)]})
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
                                 brush=pg.mkBrush(cluster_colour(k)))
            self.names[i].setText(str(k + 1) if values.size else "")
            self.names[i].setColor(CLUSTER_COLOURS[k % MAX_CLUSTERS])
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
