"""The ambiguity layer as halos: a ring of colour behind every point, dark
and opaque for points on the fence, absent for points sure of their cluster
(`point_colours.halo_rgba`), so the point itself keeps its cluster's colour.

Small data get a scatter item of larger discs under the points; big data
(the canvas's raster path) a second raster of larger discs under the points'
raster.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from .point_colours import RgbaBrushCache, halo_rgba
from .point_raster import PointRaster
from .trails import ClickThroughScatter

#: Halo diameter (pixels) and raster radius, next to the point's 9 px and 2.5 px.
HALO_SIZE = 17.0
HALO_RADIUS = 4.5


class AmbiguityHalos:
    """Halos under the points of a canvas (created once).

    Parameters
    ----------
    plot : pg.PlotItem
    z_value : float
        Below the points'.
    """

    def __init__(self, plot: pg.PlotItem, z_value: float) -> None:
        self.scale_factor = 1.0
        self.scatter = ClickThroughScatter(size=HALO_SIZE, symbol="o", pen=pg.mkPen(None), antialias=True,
                                           pxMode=True)
        self.scatter.setZValue(z_value)
        plot.addItem(self.scatter)
        self.raster = PointRaster(plot.getViewBox(), radius=HALO_RADIUS, z_value=z_value, follow=self.scatter)
        self.brushes = RgbaBrushCache()
        self.values: np.ndarray | None = None
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._big = False

    def set_points(self, x: np.ndarray, y: np.ndarray, big: bool) -> None:
        """New point positions; ``big``: the canvas draws them as a raster."""
        self._x, self._y, self._big = np.asarray(x), np.asarray(y), bool(big)
        self.values = None
        self.scatter.setData(x=[], y=[])
        self.raster.set_points(self._x, self._y, np.zeros(4, dtype=np.uint8), active=False)

    def show(self, values: np.ndarray | None) -> None:
        """Halos for per-point ambiguities ``values`` (n,), or none (None)."""
        n = self._x.shape[0]
        if values is None or np.shape(values)[0] != n or n == 0:
            self.values = None
            if len(self.scatter.data):
                self.scatter.setData(x=[], y=[])
            if self.raster.active:
                self.raster.set_active(False)
            return
        self.values = np.asarray(values)
        rgba = halo_rgba(self.values)
        if self._big:
            self.raster.set_colours(rgba)
            self.raster.set_active(True)
        else:
            self.scatter.setData(x=self._x, y=self._y, brush=self.brushes.brushes(rgba),
                                 size=HALO_SIZE * self.scale_factor)

    def set_scale(self, factor: float) -> None:
        self.scale_factor = float(factor)
        self.raster.radius = HALO_RADIUS * self.scale_factor
        if self.values is not None:
            self.show(self.values)
