"""The ring around the pinned point on the canvas (the inspector's pin)."""
from __future__ import annotations

from PySide6.QtGui import QColor, QPen
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from .trails import ClickThroughScatter


class PinMarker:
    """A ring around the pinned point on the canvas (created once).

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        pen = QPen(QColor(20, 20, 20))
        pen.setWidthF(2.2)
        pen.setCosmetic(True)
        self.item = ClickThroughScatter(size=20, symbol="o", pen=pen, brush=pg.mkBrush(None), antialias=True,
                                       pxMode=True)
        self.item.setZValue(40)
        plot.addItem(self.item)

    def show(self, xy: tuple[float, float] | None) -> None:
        """Ring the point at ``xy`` (data coordinates); None hides the ring."""
        if xy is None:
            self.item.setData(x=[], y=[])
        else:
            self.item.setData(x=[float(xy[0])], y=[float(xy[1])])
