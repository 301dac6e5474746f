"""The canvas: data points coloured by cluster, centroids, and for Gaussian
mixtures the 1-sigma and 2-sigma ellipses of every component."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.data.transform import project_gaussians

from ..names import escaped
from .ambiguity_halo import AmbiguityHalos
from .legend import CanvasLegend, CentroidNumbers, class_symbol, legend_rows
from .limits import column_extremes, drawable, spans, view_limits
from .palette import MAX_CLUSTERS, BrushTable, cosmetic_pen, ellipse_pens, outline_pen, scaled_pen, style_plot
from .point_colours import COLOUR_MODES, RgbaBrushCache, point_rgba
from .point_raster import PointRaster, brush_rgba, raster_colours
from .trails import CentroidTrails

#: Lock the aspect ratio (equal axis scales) only when the spans of the two
#: columns differ by less than this factor; otherwise data such as Old
#: Faithful (1.6 - 5.1 minutes vs 43 - 96 minutes) would be a thin strip.
ASPECT_RATIO_LIMIT = 3.0

#: From this many points on, points are drawn as a raster image
#: (point_raster.py) instead of a ScatterPlotItem. Measured with
#: tests/benchmarks/bench_render.py (900 x 700, K = 5, per-point opacity, one
#: frame = show_state + grab): scatter 14 / 34 / 153 ms at 10^3 / 10^4 / 3*10^4
#: points, raster 30 / 31 / 43 ms (nearly flat: it costs per pixel), so they
#: cross near 10^4.
RASTER_THRESHOLD = 10_000

#: Marker sizes in pixels at scale 1 (see `ClusterCanvas.set_scale`).
POINT_SIZE = 9.0
CENTROID_SIZE = 28.0
#: Clusters C1 ... C7 (the Okabe-Ito colours) are discs; later ones squares
#: (without true classes, which take the shapes).
SHAPE_SPAN = 7
#: The hint the canvas shows while there are no points.
EMPTY_HINT = ("Click to add points here (Add tool, P),\n"
              "or spray many with the Brush (B);\n"
              "or open a CSV file (Ctrl+O) or a data set (File ▸ Data sets).")

_ELLIPSE_POINTS = 121
_UNIT_CIRCLE = np.stack([np.cos(np.linspace(0.0, 2.0 * np.pi, _ELLIPSE_POINTS)),
                         np.sin(np.linspace(0.0, 2.0 * np.pi, _ELLIPSE_POINTS))])


def ellipse_outline(mean: np.ndarray, covariance: np.ndarray, n_sigma: float) -> np.ndarray:
    """Points on the ``n_sigma`` contour of a 2-D Gaussian.

    Parameters
    ----------
    mean : ndarray of shape (2,)
    covariance : ndarray of shape (2, 2)
        Symmetric positive semi-definite.
    n_sigma : float
        Mahalanobis radius of the contour.

    Returns
    -------
    ndarray of shape (121, 2)
        A closed outline (first point repeated last).
    """
    # Sigma = V diag(w) V^T, so x = mean + n_sigma * V diag(sqrt(w)) u maps the
    # unit circle u onto the contour (x - mean)^T Sigma^-1 (x - mean) = n_sigma^2.
    values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=np.float64))
    axes = vectors * (n_sigma * np.sqrt(np.clip(values, 0.0, None)))
    return (axes @ _UNIT_CIRCLE).T + np.asarray(mean, dtype=np.float64)


def equal_scales_suit(X: np.ndarray) -> bool:
    """Whether the two columns of ``X`` have comparable spans (see
    ``ASPECT_RATIO_LIMIT``), so that equal axis scales make sense."""
    if X.shape[0] < 2:
        return True
    widths = spans(X[:, :2])
    small, large = float(widths.min()), float(widths.max())
    if large == 0.0:
        return True
    return small > 0.0 and large / small <= ASPECT_RATIO_LIMIT


class ClusterCanvas(pg.PlotWidget):
    """A ``PlotWidget`` showing a session's data and fit.

    Every plot item is created once and updated with ``setData``.

    Signals
    -------
    point_hovered(int)
        The mouse is over the point with this index (-1: over none).
    point_selected(int)
        A left click on the point with this index (the inspector pins it).
    """

    point_hovered = Signal(int)
    point_selected = Signal(int)

    def __init__(self, parent=None) -> None:
        # Light on purpose, also under a dark system palette: the cluster
        # colours and every text drawn on the canvas are chosen for white.
        super().__init__(parent, background="w", enableMenu=False)
        self.setObjectName("canvas")
        self.setToolTip("Click a point to inspect it; drag to pan, wheel to zoom.")
        self.setMinimumSize(420, 360)
        plot = self.getPlotItem()
        style_plot(plot, 0.15, still=False, si_prefix=True)

        self.brushes = BrushTable()
        self.points = pg.ScatterPlotItem(size=POINT_SIZE, pen=outline_pen(), brush=self.brushes.unassigned,
                                         antialias=True, pxMode=True)
        self.points.setZValue(10)
        #: The 1- and 2-sigma outlines of cluster k at [k]: made when a cluster first has them (start-up
        #: and K-Means make none).
        self.ellipses: list[tuple[pg.PlotCurveItem, pg.PlotCurveItem]] = []
        centroid_pen = cosmetic_pen("black", 2.0)
        self.centroids = pg.ScatterPlotItem(size=CENTROID_SIZE, symbol="star", pen=centroid_pen, antialias=True,
                                            pxMode=True)
        self.centroids.setZValue(30)
        # A white halo behind each star keeps it visible among points of its own colour.
        halo_pen = cosmetic_pen(QColor(255, 255, 255, 230), 5.0)
        self.centroid_halos = pg.ScatterPlotItem(size=CENTROID_SIZE, symbol="star", pen=halo_pen,
                                                 brush=pg.mkBrush(255, 255, 255, 230), antialias=True, pxMode=True)
        self.centroid_halos.setZValue(29)
        plot.addItem(self.centroid_halos)
        plot.addItem(self.points)
        plot.addItem(self.centroids)
        self.trails = CentroidTrails(plot)  # centroid paths, hidden until trailsCheck
        self.colour_mode = "opacity"  # one of COLOUR_MODES (colourModeCombo)
        self.ambiguity: np.ndarray | None = None  # per-point values in [0, 1] while ambiguityCheck is on
        self.rgba_brushes = RgbaBrushCache()
        self.points.sigClicked.connect(self._on_points_clicked)
        self.raster = PointRaster(self.view_box, z_value=self.points.zValue(), follow=self.points)
        self.halos = AmbiguityHalos(plot, z_value=self.points.zValue() - 1)  # the ambiguity layer
        self.numbers = CentroidNumbers(plot)  # "C1" ... "CK" beside the stars
        self.legend = CanvasLegend(self.view_box)
        self.class_names: tuple[str, ...] | None = None  # names of the classes drawn as shapes
        self._classes: np.ndarray | None = None  # class code of every point, drawn as marker shapes
        self._shapes_drawn = False
        self._cluster_shapes = False  # clusters past SHAPE_SPAN drawn as squares
        self._n_clusters = 0
        self._soft = False
        self._ellipses_shown = False
        self._legend_key = None  # what the legend shows now
        self._ellipse_contrast = False
        self.scale_factor = 1.0
        #: Shown while there are no points (``canvasHint``): what to do first.
        self.hint = pg.TextItem(EMPTY_HINT, color="#333333", anchor=(0.5, 0.5), fill=pg.mkBrush(255, 255, 255, 230),
                                border=pg.mkPen("#AAAAAA"))
        self.hint.setObjectName("canvasHint")
        self.hint.setZValue(50)
        self.hint.setVisible(False)
        plot.addItem(self.hint, ignoreBounds=True)
        self.view_box.sigRangeChanged.connect(self._place_hint)
        for name in ("left", "bottom"):  # axes repaint from a pixmap until they change: 17 ms less a frame
            plot.getAxis(name).setCacheMode(pg.QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)

        self._has_fitted_view = False
        self._hovered = -1
        self.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self.scene().sigMouseMoved.connect(self._on_scene_moved)

    # ----------------------------------------------------------------- view
    @property
    def view_box(self) -> pg.ViewBox:
        return self.getPlotItem().getViewBox()

    def set_equal_scales(self, on: bool) -> None:
        """Lock (or free) the aspect ratio so that circles look like circles."""
        self.view_box.setAspectLocked(bool(on), ratio=1.0)

    def equal_scales(self) -> bool:
        return bool(self.view_box.state["aspectLocked"])

    def fit_view(self, X: np.ndarray) -> None:
        """Frame the data once, then stop auto-ranging so clicks never make
        the view jump."""
        if X.shape[0] == 0:
            self.view_box.setRange(xRange=(-1.0, 1.0), yRange=(-1.0, 1.0), padding=0.0)
        else:
            low, high = view_limits(*column_extremes(X[:, :2]))
            self.view_box.setRange(xRange=(low[0], high[0]), yRange=(low[1], high[1]), padding=0.0)
        self.view_box.disableAutoRange()
        self._has_fitted_view = True

    def set_axis_labels(self, columns: tuple[str, ...]) -> None:
        plot = self.getPlotItem()
        # pyqtgraph draws labels as rich text; column names come from a file's header
        plot.setLabel("bottom", escaped(columns[0]) if len(columns) > 0 else "x", color="#222222")
        plot.setLabel("left", escaped(columns[1]) if len(columns) > 1 else "y", color="#222222")

    # ----------------------------------------------------------------- data
    def set_points(self, X: np.ndarray) -> None:
        """Show new point positions (after a data edit or a new data set)."""
        X = np.asarray(X, dtype=np.float64)
        big = X.shape[0] >= RASTER_THRESHOLD  # big data: an image, and an empty scatter
        shown = drawable(X[:0 if big else None, :2])
        self.points.setData(x=shown[:, 0], y=shown[:, 1], brush=self.brushes.unassigned,
                            size=POINT_SIZE * self.scale_factor)
        self._set_uniform_brush(self.brushes.unassigned)
        self.raster.set_points(X[:, 0], X[:, 1], brush_rgba(self.brushes.unassigned), active=big)
        halo_points = drawable(X[:, :2]) if big else shown
        self.halos.set_points(halo_points[:, 0], halo_points[:, 1], big=big)
        self._apply_classes()
        self.hint.setVisible(X.shape[0] == 0)
        if not self._has_fitted_view:
            self.fit_view(X)
        self.legend.avoid(points=X[:, :2])
        self._place_hint()

    def set_classes(self, classes, class_names) -> None:
        """Draw each point's true class as its marker shape.

        Parameters
        ----------
        classes : ndarray of shape (n_samples,) or None
            Class code of every point (None: all discs).
        class_names : sequence of str or None
            Name of every class code (shown in the legend).
        """
        names = None if classes is None or class_names is None else tuple(str(n) for n in class_names)
        codes = None if classes is None else np.asarray(classes)
        same = (codes is None and self._classes is None) or (
            codes is not None and self._classes is not None and np.array_equal(codes, self._classes))
        if same and names == self.class_names:
            return
        self._classes, self.class_names = codes, names
        self._apply_classes()

    def _apply_classes(self) -> None:
        n = len(self.points.data)
        codes = self._classes
        shapes = not (codes is None or codes.shape[0] != n or n == 0 or self.class_names is None
                      or len(self.class_names) < 2)
        if shapes:
            self.points.setSymbol([class_symbol(c) for c in codes.tolist()])
        elif n and self.points.data["symbol"][0] is not None:  # drop the shapes: every point a disc
            self.points.data["symbol"] = None
            self.points.setSymbol("o")
        self._shapes_drawn = shapes
        self._update_legend()

    def _shape_clusters(self, state, n_points: int) -> None:
        """Past the first `SHAPE_SPAN` colours, points of clusters C8 ... are
        squares (when no true classes take the shapes), so clusters whose
        colours look alike -- the palette's second round, or colour-blind
        eyes -- still differ."""
        labels = None
        k = 0 if state is None else np.shape(state.means)[0]
        if (state is not None and not self._shapes_drawn and not self.raster.active
                and k > SHAPE_SPAN and n_points == len(self.points.data)):
            labels, _ = self._assignment(state)
        if labels is None or labels.shape[0] != n_points:
            if self._cluster_shapes:
                self._cluster_shapes = False
                self._apply_classes()  # back to discs (or the class shapes)
            return
        self.points.setSymbol(np.where(np.asarray(labels) >= SHAPE_SPAN, "s", "o").tolist())
        self._cluster_shapes = True

    def _set_uniform_brush(self, brush) -> None:
        """One brush for every point, replacing per-point brushes (a single
        brush passed to ``setBrush`` is only a default under them): the
        per-point brushes are dropped, so the default shows everywhere."""
        self.points.data["brush"] = None
        self.points.setBrush(brush)

    def show_state(self, state, n_points: int, columns: tuple[int, int] = (0, 1), projection=None,
                   centre=None) -> None:
        """Colour points and draw centroids and ellipses for ``state``.

        Parameters
        ----------
        state : FitState or None
            The shown state (with responsibilities), or None when there is
            nothing to show (too few points).
        n_points : int
            Number of points currently in the scatter item.
        columns : (int, int)
            The two data columns shown (means and covariances are projected
            onto them; the marginal of a Gaussian is the sub-matrix).
        projection : ndarray of shape (2, n_features), optional
            Shown instead of ``columns`` (e.g. PCA axes): means become
            ``W (mu - centre)`` and covariances ``W Sigma W^T``.
        centre : ndarray of shape (n_features,), optional
            Subtracted before ``projection``.
        """
        ambiguous = self.ambiguity is not None and self.ambiguity.shape[0] == n_points
        self.halos.show(self.ambiguity if ambiguous and state is not None else None)
        if state is None:
            self._set_uniform_brush(self.brushes.unassigned)
            self._shape_clusters(None, n_points)
            self.raster.set_colours(*raster_colours(self, None, n_points))
            self.centroids.setData(x=[], y=[])
            self.centroid_halos.setData(x=[], y=[])
            self.numbers.show(None)
            self.legend.avoid(centroids=np.empty((0, 2)))
            self._show_ellipses(None, None)
            self._n_clusters, self._soft = 0, False
            self._update_legend()
            return
        self._colour_points(state, n_points)
        self._shape_clusters(state, n_points)
        # A column pair gives the marginal block; a (2, D) projection W gives W Sigma W^T.
        view = columns if projection is None else projection
        means, covariances = project_gaussians(state.means, state.covariances, view, centre)
        k = means.shape[0]
        means = drawable(means)
        self.centroid_halos.setData(x=means[:, 0], y=means[:, 1])
        self.centroids.setData(x=means[:, 0], y=means[:, 1],
                               brush=[self.brushes.solid[i % MAX_CLUSTERS] for i in range(k)])
        self.numbers.show(means)
        self.legend.avoid(centroids=means)
        self._show_ellipses(means, covariances)
        self._n_clusters = k
        self._soft = getattr(state, "soft_responsibilities", None) is not None
        self._update_legend()

    def grab(self, *args):  # Qt override
        """The widget's picture, after laying out what changed since the last
        event loop pass (a title set just before, as the animation export
        does, would otherwise be drawn in the old layout, cut at the top)."""
        layout = self.getPlotItem().layout
        layout.invalidate()
        layout.activate()
        return super().grab(*args)

    # ------------------------------------------------------- legend, hint
    def _update_legend(self) -> None:
        key = (self._n_clusters, self.class_names if self._shapes_drawn else None, self._soft,
               self.colour_mode == "opacity", self._ellipses_shown, self.halos.values is not None,
               SHAPE_SPAN if self._cluster_shapes else None)
        if key != self._legend_key:  # most steps change none of it
            self._legend_key = key
            self.legend.set_rows(legend_rows(key[0], key[1], soft=key[2], opacity=key[3], ellipses=key[4],
                                             ambiguity=key[5], squares_from=key[6]))

    def _place_hint(self, *_args) -> None:
        if self.hint.isVisible():
            (x0, x1), (y0, y1) = self.view_box.viewRange()
            self.hint.setPos(0.5 * (x0 + x1), 0.5 * (y0 + y1))

    def hint_text(self) -> str:
        """The on-canvas hint shown now ("" when none is shown)."""
        return self.hint.toPlainText() if self.hint.isVisible() else ""

    # ---------------------------------------------------------------- scale
    def set_scale(self, factor: float) -> None:
        """Draw markers, centroid stars and their numbers, ellipses, trails,
        the legend and the axis tick labels ``factor`` times their normal
        size (1.0: normal; presenter mode uses more)."""
        f = float(factor)
        if not f > 0:
            raise ValueError(f"scale factor should be positive; got {factor!r}.")
        self.scale_factor = f
        self.points.setSize(POINT_SIZE * f)
        self.points.setPen(scaled_pen(outline_pen(), f))
        self.centroids.setSize(CENTROID_SIZE * f)
        self.centroids.setPen(scaled_pen(cosmetic_pen("black", 2.0), f))
        self.centroid_halos.setSize(CENTROID_SIZE * f)
        self.centroid_halos.setPen(scaled_pen(cosmetic_pen(QColor(255, 255, 255, 230), 5.0), f))
        self.set_ellipse_contrast(self._ellipse_contrast)
        self.raster.radius = 2.5 * f
        self.raster.hit_radius = max(4.0, self.raster.radius + 1.0)
        self.raster.render()
        self.trails.set_scale(f)
        self.halos.set_scale(f)
        self.numbers.set_scale(f)
        self.legend.set_scale(f)
        font = QFont()
        font.setPointSizeF(font.pointSizeF() * f)
        self.hint.setFont(font)
        plot = self.getPlotItem()
        for name in ("left", "bottom"):
            plot.getAxis(name).setStyle(tickFont=font)
            plot.getAxis(name).label.setFont(font)

    # ------------------------------------------------- point colours
    def set_colour_mode(self, mode: str) -> None:
        """"hard", "opacity" or "blend" (see `point_colours`); applies at the next `show_state`."""
        if mode not in COLOUR_MODES:
            raise ValueError(f"colour mode {mode!r} is not one of {', '.join(COLOUR_MODES)}.")
        self.colour_mode = mode

    def point_rgba(self, state, n_points: int) -> np.ndarray | None:
        """(n_points, 4) uint8 RGBA of every point for ``state`` in the current
        colour mode; None = unassigned. (The ambiguity layer draws halos
        behind the points and leaves their colours alone.)"""
        R = None if state is None else state.responsibilities
        if R is None or R.shape[0] != n_points:
            return None
        return point_rgba(R, self.colour_mode)

    def _colour_points(self, state, n_points: int) -> None:
        if self.raster.active:  # big data: the same colours, drawn as an image
            self.raster.set_colours(*raster_colours(self, state, n_points))
            return
        if self.colour_mode == "blend":
            rgba = self.point_rgba(state, n_points)
            if rgba is None:
                self._set_uniform_brush(self.brushes.unassigned)
            else:
                self.points.setBrush(self.rgba_brushes.brushes(rgba))
            return
        labels, strength = self._assignment(state)  # hard and opacity: the shared BrushTable
        if labels is None or labels.shape[0] != n_points:
            self._set_uniform_brush(self.brushes.unassigned)
        elif self.colour_mode == "hard":
            self.points.setBrush(self.brushes.point_brushes(labels, np.ones(labels.shape[0])))
        else:
            self.points.setBrush(self.brushes.point_brushes(labels, strength))

    @staticmethod
    def _assignment(state) -> tuple[np.ndarray | None, np.ndarray | None]:
        soft = getattr(state, "soft_responsibilities", None)
        if soft is not None:
            return np.argmax(soft, axis=1), np.max(soft, axis=1)
        if state.labels is not None:
            labels = np.asarray(state.labels)
            return labels, np.ones(labels.shape[0])
        return None, None

    def set_ellipse_contrast(self, on: bool) -> None:
        """Draw the ellipses in a darker, thicker shade of their cluster's colour
        (on), so they stand out over points of that colour; off: the usual pens."""
        self._ellipse_contrast = bool(on)
        for k, items in enumerate(self.ellipses):
            for item, pen in zip(items, self._ellipse_pens(k)):
                item.setPen(pen)

    def _ellipse_pens(self, k: int):
        """The solid and dashed pens of cluster ``k``'s ellipses at the current contrast and scale."""
        pens = ellipse_pens(k)
        for pen in pens:
            if self._ellipse_contrast:
                pen.setColor(pen.color().darker(165))
                pen.setWidthF(pen.widthF() + 0.6)
        return tuple(scaled_pen(pen, self.scale_factor) for pen in pens)

    def _ellipse_items(self, k: int) -> tuple[pg.PlotCurveItem, pg.PlotCurveItem]:
        """Cluster ``k``'s outlines, made (with those of the clusters before it) if they are not yet."""
        while len(self.ellipses) <= k:
            pair = tuple(pg.PlotCurveItem(pen=pen, antialias=True) for pen in self._ellipse_pens(len(self.ellipses)))
            for item in pair:
                item.setZValue(20)
                self.getPlotItem().addItem(item)
            self.ellipses.append(pair)
        return self.ellipses[k]

    def _show_ellipses(self, means, covariances) -> None:
        k_shown = 0
        if means is not None and covariances is not None:
            k_shown = min(means.shape[0], MAX_CLUSTERS)
            for k in range(k_shown):
                for n_sigma, item in zip((1.0, 2.0), self._ellipse_items(k)):
                    outline = drawable(ellipse_outline(means[k], covariances[k], n_sigma))
                    item.setData(x=outline[:, 0], y=outline[:, 1])
        for k in range(k_shown, len(self.ellipses)):
            for item in self.ellipses[k]:
                if item.xData is not None and len(item.xData):
                    item.setData(x=np.empty(0), y=np.empty(0))
        self._ellipses_shown = k_shown > 0

    # --------------------------------------------------------------- clicks
    def point_at(self, scene_pos) -> int:
        """Index of the topmost point under ``scene_pos`` (scene coordinates), or -1."""
        if not self.view_box.sceneBoundingRect().contains(scene_pos):
            return -1
        if self.raster.active:
            return self.raster.point_at(scene_pos)  # a KD-tree lookup in data coordinates
        hits = self.points.pointsAt(self.points.mapFromScene(scene_pos))
        return int(hits[-1].index()) if len(hits) else -1

    def _on_scene_moved(self, scene_pos) -> None:
        index = self.point_at(scene_pos)
        if index != self._hovered:
            self._hovered = index
            self.point_hovered.emit(index)

    def _on_points_clicked(self, _item, points, event) -> None:
        """A left click on data points (the scatter accepted it): select the topmost."""
        if event.button() == Qt.MouseButton.LeftButton and not event.double() and len(points):
            self.point_selected.emit(int(points[-1].index()))

    def _on_scene_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double() or event.isAccepted():
            return
        scene_pos = event.scenePos()
        if not self.view_box.sceneBoundingRect().contains(scene_pos):
            return  # on an axis or a label, not in the plot area
        index = self.point_at(scene_pos)
        if index >= 0:  # on an existing point: select it (the raster has no scatter item to take the click)
            event.accept()
            self.point_selected.emit(index)
