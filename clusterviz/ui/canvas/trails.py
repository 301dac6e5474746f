"""Centroid trails: the path each mean took from the start of the run up to
the shown step, thin lines in the cluster colours with a small dot per step."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtGui import QColor
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.data.transform import project_points

from .limits import DRAW_LIMIT
from .palette import MAX_CLUSTERS, cluster_colour, cosmetic_pen


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
    """One line item per cluster colour, created once and updated with ``setData``.

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
        The canvas' plot item; the trails are drawn above the points and
        below the centroid markers.
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        self.items: list[pg.PlotCurveItem] = []  # the lines
        self.dots: list[ClickThroughScatter] = []  # one small dot per step
        dot_pen = pg.mkPen(40, 40, 40, 160)
        for k in range(MAX_CLUSTERS):
            colour = cluster_colour(k)
            line = pg.PlotCurveItem(pen=cosmetic_pen(colour, 1.6), antialias=True)
            dots = ClickThroughScatter(size=5, symbol="o", pen=dot_pen, brush=pg.mkBrush(QColor(colour)),
                                       antialias=True, pxMode=True)
            for item, z in ((line, 25), (dots, 26)):
                item.setZValue(z)
                item.setVisible(False)
                plot.addItem(item)
            self.items.append(line)
            self.dots.append(dots)
        self._visible = False
        self._n_shown = 0

    @property
    def visible(self) -> bool:
        return self._visible

    def set_visible(self, on: bool) -> None:
        self._visible = bool(on)
        for k, (line, dots) in enumerate(zip(self.items, self.dots)):
            line.setVisible(self._visible and k < self._n_shown)
            dots.setVisible(self._visible and k < self._n_shown)

    def show(self, paths: np.ndarray | None) -> None:
        """Draw ``paths`` (shape (n_steps, n_clusters, 2), see `trail_points`);
        None or an empty array clears the trails."""
        n_clusters = 0 if paths is None or paths.size == 0 else min(paths.shape[1], MAX_CLUSTERS)
        for k in range(n_clusters):
            path = np.clip(paths[:, k, :2], -DRAW_LIMIT, DRAW_LIMIT)  # drawable: no overflowing extent
            self.items[k].setData(x=path[:, 0], y=path[:, 1])
            self.dots[k].setData(x=path[:, 0], y=path[:, 1])
        for k in range(n_clusters, self._n_shown):
            self.items[k].setData(x=np.empty(0), y=np.empty(0))
            self.dots[k].setData(x=[], y=[])
        self._n_shown = n_clusters
        self.set_visible(self._visible)
