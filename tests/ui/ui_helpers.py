"""What UI tests read off widgets through their public Qt and pyqtgraph items."""
from __future__ import annotations

from PySide6.QtCore import QPointF


def viewport_pos(canvas, x: float, y: float):
    """Viewport position (QPoint) of the data point (x, y) on a ``ClusterCanvas``."""
    return canvas.mapFromScene(canvas.view_box.mapViewToScene(QPointF(x, y)))


def regions_rgba_at(layers, x: float, y: float) -> tuple[int, int, int, int] | None:
    """RGBA of the decision-regions image of ``layers`` (BackgroundLayers) at
    plane point (x, y), or None when the layer is hidden or (x, y) is outside it."""
    item = layers.regions_image
    image = item.image
    if not item.isVisible() or image is None:
        return None
    rect = item.mapRectToParent(item.boundingRect())
    n_rows, n_cols = image.shape[:2]
    j = int((x - rect.left()) / rect.width() * n_cols)
    i = int((y - rect.top()) / rect.height() * n_rows)
    if not (0 <= i < n_rows and 0 <= j < n_cols):
        return None
    return tuple(int(v) for v in image[i, j])


def trail_lengths(trails, n_clusters: int) -> list[int]:
    """Number of vertices of the first ``n_clusters`` centroid trails (a trail
    whose line is not made yet has none)."""
    made = [0 if item.xData is None else len(item.xData) for item in trails.items[:n_clusters]]
    return made + [0] * (n_clusters - len(made))


def drawn_ticks(plot_widget, side: str = "left") -> list[str]:
    """The tick labels the ``side`` axis of a pyqtgraph PlotWidget draws now
    (after pending events)."""
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    axis = plot_widget.getPlotItem().getAxis(side)
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [text for _rect, _flags, text in specs[2]]
