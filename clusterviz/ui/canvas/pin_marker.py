"""The ring around the pinned point on the canvas (the inspector's pin)."""
from __future__ import annotations

from PySide6.QtGui import QColor
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from .palette import cosmetic_pen
from .trails import ClickThroughScatter


class PinMarker:
    """A ring around the pinned point on the canvas (created once).

    Parameters
    ----------
    plot : pyqtgraph.PlotItem
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        self.item = ClickThroughScatter(size=20, symbol="o", pen=cosmetic_pen(QColor(20, 20, 20), 2.2),
                                       brush=pg.mkBrush(None), antialias=True, pxMode=True)
        self.item.setZValue(40)
        plot.addItem(self.item)

    def show(self, xy: tuple[float, float] | None) -> None:
        """Ring the point at ``xy`` (data coordinates); None hides the ring."""
        if xy is None:
            self.item.setData(x=[], y=[])
        else:
            self.item.setData(x=[float(xy[0])], y=[float(xy[1])])
