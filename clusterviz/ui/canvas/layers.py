"""Background layers of the canvas: decision regions and mixture density.

Both are images laid under the points, computed on a grid over the visible
part of the plane by the Qt-free :mod:`clusterviz.model.fields` (this module
only turns its arrays into pixels and contour lines), with the session's
own model, so they follow whichever algorithm it is. They follow every step
(:meth:`BackgroundLayers.refresh`) and, after a short pause, every pan or
zoom (one single-shot ``QTimer``, restarted by each range change).

- Decision regions: every grid cell tinted in the colour of the cluster a
  point there would join (nearest centroid for K-Means -- Voronoi cells;
  largest posterior for EM and soft K-Means).
- Mixture density: contours of log p(x) enclosing the densest 10, 25, 50,
  75 and 90 % of the points, over a faint fill (mixtures only).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import QCheckBox, QGroupBox, QVBoxLayout
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.model import ModelError, registry
from clusterviz.model.fields import contour_segments, density_levels, evaluate_layers, grid_shape

from .palette import MAX_CLUSTERS, cluster_colour, cosmetic_pen

#: Opacity (0-255) of the region tints: strong enough to read, faint enough
#: that points of every colour stay visible on top.
REGION_ALPHA = 60
#: Cells along the longer side of the view.
GRID_LONG_SIDE = 240
#: The density contours enclose these fractions of the points (inner first).
DENSITY_FRACTIONS = (0.1, 0.25, 0.5, 0.75, 0.9)
#: Peak opacity of the density fill.
DENSITY_FILL_ALPHA = 45
#: Wait this long after the last pan or zoom before recomputing (ms).
RANGE_DEBOUNCE_MS = 60

REGIONS_TIP = ("Decision regions: tint the plane in the colour of the cluster a new point there would join "
               "(nearest centroid for K-Means, most probable component for EM) (V).")
DENSITY_TIP = ("Mixture density: contour lines of log p(x) enclosing the densest 10, 25, 50, 75 and 90 % of "
               "the points, over a faint fill (EM and soft K-Means) (D).")
_NOT_2D_TIP = "Background layers need 2-D data; this data set has {d} columns, so the plane shows a projection."
_NO_FIT_TIP = "Nothing to draw yet: there is no fit (add points)."
_SEED_TIP = ("Nothing to draw during the k-means++ picks: the layers appear at the fit's start, once every "
             "centre is picked (step on).")
#: Problems that pass by themselves: the check boxes stay usable so the layers are ready.
_PASSING = (_NO_FIT_TIP, _SEED_TIP)
_NO_DENSITY_TIP = "{label} defines no probability density; switch to {others} to see log p(x)."


def region_colours() -> np.ndarray:
    """RGBA tint of every cluster, ndarray of shape (MAX_CLUSTERS, 4), uint8."""
    table = np.empty((MAX_CLUSTERS, 4), dtype=np.uint8)
    for k in range(MAX_CLUSTERS):
        c = cluster_colour(k)
        table[k] = (c.red(), c.green(), c.blue(), REGION_ALPHA)
    return table


def no_density_tip(entry) -> str:
    """Why the density layer is off for the registry ``entry`` of an
    algorithm without a density, naming the algorithms that have one."""
    labels = [other.label for other in registry.ALGORITHMS.values() if other.has_density]
    others = " or ".join(labels) if labels else "an algorithm with a density"
    return _NO_DENSITY_TIP.format(label=entry.label, others=others)


def layer_problem(session, layer: str) -> str | None:
    """Why ``layer`` ("regions" or "density") cannot be drawn for ``session``, or None."""
    if session.n_features != 2:
        return _NOT_2D_TIP.format(d=session.n_features)
    if layer == "density" and not session.algorithm_entry.has_density:
        return no_density_tip(session.algorithm_entry)
    if session.entry is None:
        return _NO_FIT_TIP
    if session.entry.phase == "seed":  # only some centres so far: no regions or density to speak of
        return _SEED_TIP
    if session.view_projection is not None:
        return "Background layers are drawn on the data's own columns, not on projected axes."
    if len(set(session.view_columns)) != 2:
        return "Background layers need two different columns on the axes."
    return None


class BackgroundLayers(QObject):
    """Region and density images under the points of a ``ClusterCanvas``.

    Parameters
    ----------
    canvas : ClusterCanvas
        Where the items go (created once, under the points).
    session : Session, optional
        Read on every refresh: the shown entry's parameters, the model
        that evaluates them (``session.model``), its registry entry and the
        data; see :meth:`set_session`.

    Attributes
    ----------
    problem : str or None
        Why a layer that is switched on is not drawn (see `layer_problem`,
        or the error of evaluating it), or None.

    Signals
    -------
    updated()
        Emitted after every recomputation (tests wait on it).
    """

    updated = Signal()

    def __init__(self, canvas, session=None, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else canvas)
        self.canvas = canvas
        self.session = session
        self.regions_on = False
        self.density_on = False
        self.problem: str | None = None
        self._colours = region_colours()
        plot = canvas.getPlotItem()

        self.regions_image = pg.ImageItem(axisOrder="row-major")
        self.regions_image.setZValue(-20)
        self.regions_image.setVisible(False)
        plot.addItem(self.regions_image)

        self.density_image = pg.ImageItem(axisOrder="row-major")
        self.density_image.setZValue(-15)
        self.density_image.setVisible(False)
        plot.addItem(self.density_image)
        #: One item per contour level (inner first), drawn as separate segments.
        self.contours: list[pg.PlotCurveItem] = []
        for i in range(len(DENSITY_FRACTIONS)):
            pen = cosmetic_pen(QColor(40, 40, 70, 230 - 25 * i), 1.6 if i == 2 else 1.1)  # the median bolder
            curve = pg.PlotCurveItem(pen=pen, connect="pairs", antialias=True)
            curve.setZValue(-14)
            curve.setVisible(False)
            plot.addItem(curve)
            self.contours.append(curve)
        #: log p(x) of each contour, inner first (empty until drawn).
        self.levels = np.empty(0)
        self._drawn_grid = None  # (x_range, y_range, shape) of the last recomputation

        self._timer = QTimer(self)
        self._timer.setObjectName("layersTimer")
        self._timer.setSingleShot(True)
        self._timer.setInterval(RANGE_DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        canvas.view_box.sigRangeChanged.connect(self._on_range_changed)
        canvas.view_box.sigResized.connect(self._on_range_changed)  # new pixel size, new grid shape

    # ------------------------------------------------------------ switches
    def set_session(self, session) -> None:
        self.session = session
        self.refresh()

    def set_regions_visible(self, on: bool) -> None:
        self.regions_on = bool(on)
        self.refresh()

    def set_density_visible(self, on: bool) -> None:
        self.density_on = bool(on)
        self.refresh()

    def _on_range_changed(self, *_args) -> None:
        # pyqtgraph also signals a range it merely re-confirms (after a resize
        # or a new item): only a different view asks for a recomputation
        if (self.regions_on or self.density_on) and self._grid() != self._drawn_grid:
            self._timer.start()  # restarts: one recomputation after the last change

    # ------------------------------------------------------------ drawing
    def refresh(self) -> None:
        """Recompute the visible layers for the session's shown parameters
        and the canvas's current view (hides what cannot be drawn)."""
        self._timer.stop()
        self._drawn_grid = self._grid()
        s = self.session
        wanted = [layer for layer, on in (("regions", self.regions_on), ("density", self.density_on)) if on]
        problems = {layer: layer_problem(s, layer) for layer in wanted} if s is not None else {}
        regions = "regions" in problems and problems["regions"] is None
        density = "density" in problems and problems["density"] is None
        self.problem = next((p for p in problems.values() if p is not None), None)
        if regions or density:
            try:
                self._draw(s, regions, density)
            except (ModelError, ValueError) as exc:  # e.g. a view so large p(x) underflows
                self.problem = str(exc)
                regions = density = False
        self.regions_image.setVisible(regions)
        self.density_image.setVisible(density)
        for curve in self.contours:
            curve.setVisible(density)
        self.updated.emit()

    def _grid(self):
        """(x_range, y_range, (n_rows, n_cols)) of the visible area."""
        vb = self.canvas.view_box
        (x0, x1), (y0, y1) = vb.viewRange()
        shape = grid_shape(float(vb.width()), float(vb.height()), GRID_LONG_SIDE)
        return (x0, x1), (y0, y1), shape

    def _draw(self, s, regions: bool, density: bool) -> None:
        x_range, y_range, shape = self._grid()
        entry = s.entry  # parameters of the shown step (what the centroids show)
        kind = "both" if regions and density else ("regions" if regions else "density")
        swapped = tuple(s.view_columns) == (1, 0)
        if swapped:  # evaluate in data order, then turn rows into columns
            result = evaluate_layers(s.model, entry, y_range, x_range, shape[::-1], kind)
            labels = None if result.labels is None else result.labels.T
            log_p = None if result.log_density is None else result.log_density.T
            xs, ys = result.ys, result.xs
        else:
            result = evaluate_layers(s.model, entry, x_range, y_range, shape, kind)
            labels, log_p = result.labels, result.log_density
            xs, ys = result.xs, result.ys
        rect = QRectF(x_range[0], y_range[0], x_range[1] - x_range[0], y_range[1] - y_range[0])
        if regions:
            self.regions_image.setImage(self._colours[labels % MAX_CLUSTERS], autoLevels=False)
            self.regions_image.setRect(rect)
        if density:
            self._draw_density(s, entry, xs, ys, log_p, rect)

    def _draw_density(self, s, entry, xs, ys, log_p: np.ndarray, rect: QRectF) -> None:
        levels = density_levels(s.model, entry, s.X, DENSITY_FRACTIONS)
        if levels.size == 0:
            levels = np.quantile(log_p, 1.0 - np.asarray(DENSITY_FRACTIONS))
        inner, outer = float(levels[0]), float(levels[-1])
        span = inner - outer if inner > outer else 1.0
        # Fill: fades from nothing at the outer (90 %) contour to its peak at the inner (10 %) one.
        t = np.clip((log_p - outer) / span, 0.0, 1.0)
        fill = np.empty(log_p.shape + (4,), dtype=np.uint8)
        fill[..., :3] = (50, 50, 80)
        fill[..., 3] = np.rint(DENSITY_FILL_ALPHA * t).astype(np.uint8)
        self.density_image.setImage(fill, autoLevels=False)
        self.density_image.setRect(rect)
        self.levels = levels
        for curve, level in zip(self.contours, levels):
            segments = contour_segments(xs, ys, log_p, float(level)).reshape(-1, 2)
            curve.setData(x=segments[:, 0], y=segments[:, 1], connect="pairs")


class LayersBox(QGroupBox):
    """The "Layers" group of check boxes (regionsCheck, densityCheck)."""

    def __init__(self, parent=None) -> None:
        super().__init__("Layers", parent)
        self.setObjectName("layersBox")
        self.regions_check = QCheckBox("Decision regions")
        self.regions_check.setObjectName("regionsCheck")
        self.regions_check.setToolTip(REGIONS_TIP)
        self.density_check = QCheckBox("Mixture density")
        self.density_check.setObjectName("densityCheck")
        self.density_check.setToolTip(DENSITY_TIP)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        layout.addWidget(self.regions_check)
        layout.addWidget(self.density_check)
        # Window-wide keys; click() does nothing while a box is disabled.
        for check, key, name in ((self.regions_check, "V", "regionsAction"),
                                 (self.density_check, "D", "densityAction")):
            action = QAction(check.text(), self)
            action.setObjectName(name)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(check.click)
            self.addAction(action)

    def sync(self, session) -> None:
        """Enable what makes sense for ``session``; the tooltip of a disabled
        box says why. Check states are kept (no signal is emitted)."""
        for check, layer, tip in ((self.regions_check, "regions", REGIONS_TIP),
                                  (self.density_check, "density", DENSITY_TIP)):
            problem = layer_problem(session, layer)
            # "no fit yet" and "picking" pass: keep the box usable so it is ready.
            blocked = problem is not None and problem not in _PASSING
            check.setEnabled(not blocked)
            check.setToolTip(problem if blocked else tip)
