"""Centroid trails: the path each mean took from the start of the run up to
the shown step: lines in the cluster colours over a darker casing (so a
trail stands out among points of its own colour), with a dot per step."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtGui import QColor
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.data.transform import project_points

from .limits import DRAW_LIMIT
from .palette import MAX_CLUSTERS, cluster_colour, cosmetic_pen

#: Widths (pixels, at scale 1) of a trail's line, of the dark casing under it, and its dots' size.
TRAIL_WIDTH = 2.4
CASING_WIDTH = 5.0
DOT_SIZE = 6.0
CASING_COLOUR = QColor(30, 30, 30, 200)


def trail_points(timeline: Sequence, cursor: int, view=(0, 1), centre=None) -> np.ndarray:
    """The means of every timeline entry up to the cursor, as shown on the canvas.

    Parameters
    ----------
    timeline : sequence of FitState
        Parameter snapshots, oldest first (all with the same K, except the
        k-means++ picks, phase "seed", which are left out: a trail starts at
        the fit's start).
    cursor : int
        Index of the shown entry; entries 0 .. cursor are used.
    view : (int, int) or ndarray of shape (2, n_features)
        The two data columns shown, or a projection (e.g. PCA axes).
    centre : ndarray of shape (n_features,), optional
        Subtracted before a projection.

    Returns
    -------
    ndarray of shape (n_steps, n_clusters, 2)
        One vertex per entry of the fit up to the cursor (an E half-step
        repeats the means before it); shape (0, 0, 2) when there is none.
    """
    last = int(min(max(cursor, 0), len(timeline) - 1))
    shown = [entry for entry in timeline[: last + 1] if entry.phase != "seed"]
    if not shown:
        return np.empty((0, 0, 2))
    means = np.stack([np.asarray(entry.means, dtype=np.float64) for entry in shown])
    steps, k, d = means.shape
    return project_points(means.reshape(steps * k, d), view, centre).reshape(steps, k, 2)


class ClickThroughScatter(pg.ScatterPlotItem):
    """A scatter item drawn over the data points that lets clicks through to them."""

    def mouseClickEvent(self, ev) -> None:  # pyqtgraph override
        ev.ignore()


class CentroidTrails:
    """One line item per cluster colour, created when first needed and updated with ``setData``.

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
        The canvas' plot item; the trails are drawn above the points and
        below the centroid markers.
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        # One per cluster shown so far (made on first use: 36 items cost start-up).
        self.items: list[pg.PlotCurveItem] = []  # the lines
        self.casings: list[pg.PlotCurveItem] = []  # a dark, wider line under each
        self.dots: list[ClickThroughScatter] = []  # one small dot per step
        self.scale_factor = 1.0
        self._visible = False
        self._n_shown = 0

    def _ensure(self, n_clusters: int) -> None:
        """Items for the first ``n_clusters`` clusters."""
        for k in range(len(self.items), n_clusters):
            casing = pg.PlotCurveItem(antialias=True)
            line = pg.PlotCurveItem(antialias=True)
            dots = ClickThroughScatter(symbol="o", brush=pg.mkBrush(QColor(cluster_colour(k))), antialias=True,
                                       pxMode=True)
            for item, z in ((casing, 24), (line, 25), (dots, 26)):
                item.setZValue(z)
                item.setVisible(False)
                self._plot.addItem(item)
            self.casings.append(casing)
            self.items.append(line)
            self.dots.append(dots)
            self._style(k)

    def _style(self, k: int) -> None:
        f = self.scale_factor
        self.casings[k].setPen(cosmetic_pen(CASING_COLOUR, CASING_WIDTH * f))
        self.items[k].setPen(cosmetic_pen(cluster_colour(k), TRAIL_WIDTH * f))
        self.dots[k].setSize(DOT_SIZE * f)
        self.dots[k].setPen(cosmetic_pen(CASING_COLOUR, 1.2 * f))

    def set_scale(self, factor: float) -> None:
        """Lines and dots ``factor`` times their normal width and size."""
        self.scale_factor = float(factor)
        for k in range(len(self.items)):
            self._style(k)

    @property
    def visible(self) -> bool:
        return self._visible

    def set_visible(self, on: bool) -> None:
        self._visible = bool(on)
        for k, (casing, line, dots) in enumerate(zip(self.casings, self.items, self.dots)):
            for item in (casing, line, dots):
                item.setVisible(self._visible and k < self._n_shown)

    def show(self, paths: np.ndarray | None) -> None:
        """Draw ``paths`` (shape (n_steps, n_clusters, 2), see `trail_points`);
        None or an empty array clears the trails."""
        n_clusters = 0 if paths is None or paths.size == 0 else min(paths.shape[1], MAX_CLUSTERS)
        self._ensure(0 if paths is None or paths.ndim != 3 else min(paths.shape[1], MAX_CLUSTERS))
        for k in range(n_clusters):
            path = np.clip(paths[:, k, :2], -DRAW_LIMIT, DRAW_LIMIT)  # drawable: no overflowing extent
            self.casings[k].setData(x=path[:, 0], y=path[:, 1])
            self.items[k].setData(x=path[:, 0], y=path[:, 1])
            self.dots[k].setData(x=path[:, 0], y=path[:, 1])
        for k in range(n_clusters, self._n_shown):
            self.casings[k].setData(x=np.empty(0), y=np.empty(0))
            self.items[k].setData(x=np.empty(0), y=np.empty(0))
            self.dots[k].setData(x=[], y=[])
        self._n_shown = n_clusters
        self.set_visible(self._visible)
