"""The canvas's own legend and its numbered centroids.

`CanvasLegend` is a small box in a corner of the plot area (a child of the
view box, so it stays put while the view pans and zooms; the top-right one
unless another corner covers fewer centroids and points, `quietest_corner`):
the numbered centroid stars C1 ... CK, what opacity means, the 1-sigma and
2-sigma ellipses, the marker shape of every true class with its name, and the
ambiguity halo when that layer is on. `CentroidNumbers` writes "C1" ...
"CK" beside the stars themselves, so clusters stay apart when colours repeat
past the palette or collapse under colour-vision deficiencies.

Both draw dark text on light boxes whatever the system palette: the canvas
stays light on purpose (see `palette.style_plot`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it
from pyqtgraph.graphicsItems.ScatterPlotItem import drawSymbol

from .palette import MAX_CLUSTERS, cluster_colour, cosmetic_pen, ellipse_pens
from .point_colours import HALO_COLOUR

#: Marker shapes of the true classes, in class-code order (repeating past
#: the list); the star is kept for centroids.
CLASS_SYMBOLS: tuple[str, ...] = ("o", "s", "t1", "d", "t", "p", "h", "x")
#: Mass of a 2-D Gaussian inside its 1-sigma and 2-sigma ellipses: 1 - exp(-r^2 / 2).
ELLIPSE_MASS = ("39 %", "86 %")
LEGEND_TEXT = QColor("#1A1A1A")
LEGEND_FILL = QColor(255, 255, 255, 225)
LEGEND_BORDER = QColor(120, 120, 120, 200)
#: Colour of the ambiguity halo in the legend's sample.
HALO_SAMPLE = QColor(*HALO_COLOUR, 200)
#: Corners the legend may take, in order of preference: (right?, top?).
CORNERS = ((True, True), (False, True), (True, False), (False, False))
#: A centroid under the legend counts as this many points.
CENTROID_WEIGHT = 1000
#: Points the legend looks at when it chooses a corner (an even sample of more).
AVOID_SAMPLE = 4096


def quietest_corner(boxes, points, centroids, current: int = 0) -> int:
    """Index of the box (x0, y0, x1, y1) covering the fewest ``points``, a
    centroid counting `CENTROID_WEIGHT` points (both (n, 2) arrays in the
    boxes' coordinates). The ``current`` box is kept unless another covers
    clearly fewer (3 points and 1 % of them), so the legend does not hop
    about while the centroids move; ties go to the first."""
    def covered(xy, x0, y0, x1, y1) -> int:
        return int(np.count_nonzero((xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)))
    costs = [covered(points, *box) + CENTROID_WEIGHT * covered(centroids, *box) for box in boxes]
    best = int(np.argmin(costs))
    return best if costs[current] - costs[best] > 3 + 0.01 * len(points) else current


def class_symbol(code: int) -> str:
    """The marker shape of true class ``code`` (0-based)."""
    return CLASS_SYMBOLS[int(code) % len(CLASS_SYMBOLS)]


@dataclass(frozen=True)
class Cell:
    """One entry of the legend: a sample drawing and its text.

    ``kind`` is "symbol" (a scatter symbol), "line" (a pen), "halo" (a point
    with the ambiguity halo) or "text" (no sample).
    """

    kind: str
    text: str
    symbol: str = "o"
    pen: QPen | None = None
    brush: QBrush | None = None


class CanvasLegend(pg.GraphicsObject):
    """The legend box in the top-right corner of a view box.

    Parameters
    ----------
    view_box : pg.ViewBox
        Its parent: the legend is placed in the view box's own (pixel)
        coordinates and re-placed when it is resized.
    """

    MARGIN = 6.0
    #: The corner taken: (right?, top?).
    corner = CORNERS[0]

    def __init__(self, view_box: pg.ViewBox) -> None:
        super().__init__()
        self.setParentItem(view_box)
        self.setZValue(1000)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        # repainted from a pixmap until its content changes (every frame of a run redraws the scene)
        self.setCacheMode(pg.QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.view_box = view_box
        self.scale_factor = 1.0
        self.rows: list[list[Cell]] = []
        self._layout: list[tuple[QRectF, Cell]] = []
        self._size = QRectF()
        self._font = QFont()
        self._avoid = (np.empty((0, 2)), np.empty((0, 2)))  # points, centroids (data coordinates)
        view_box.sigResized.connect(self._place)
        view_box.sigRangeChanged.connect(self._place)

    # ------------------------------------------------------------ content
    def texts(self) -> list[str]:
        """Every entry's text, row by row (what a reader of the legend sees)."""
        return [cell.text for row in self.rows for cell in row]

    def set_rows(self, rows: list[list[Cell]]) -> None:
        """Show ``rows`` of cells (an empty list hides the legend)."""
        if rows == self.rows:
            return
        self.rows = rows
        self._relayout()

    def set_scale(self, factor: float) -> None:
        """Text and samples ``factor`` times their normal size."""
        self.scale_factor = float(factor)
        self._relayout()

    def avoid(self, points=None, centroids=None) -> None:
        """Keep the legend off these (n, 2) points and centroids (data
        coordinates; None keeps the last ones): it takes the corner covering
        the fewest (`quietest_corner`)."""
        if points is not None:
            points = np.asarray(points, dtype=np.float64)[:, :2]
            step = max(1, points.shape[0] // AVOID_SAMPLE)
            self._avoid = (points[::step], self._avoid[1])
        if centroids is not None:
            self._avoid = (self._avoid[0], np.asarray(centroids, dtype=np.float64).reshape(-1, 2))
        self._place()

    # ------------------------------------------------------------- layout
    def _metrics(self) -> tuple[QFont, float, float]:
        font = QFont()
        font.setPointSizeF(max(6.0, 0.9 * font.pointSizeF() * self.scale_factor))
        sample = 14.0 * self.scale_factor
        return font, sample, 4.0 * self.scale_factor

    def _relayout(self) -> None:
        self.prepareGeometryChange()
        font, sample, gap = self._metrics()
        self._font = font
        fm = QFontMetricsF(font)
        line_h = max(fm.height(), sample) + gap
        max_w = max(180.0, 300.0 * self.scale_factor)
        layout, y, width = [], gap, 0.0
        for row in self.rows:
            x = gap
            for cell in row:
                w = fm.horizontalAdvance(cell.text) + (0.0 if cell.kind == "text" else sample + gap)
                if x > gap and x + w > max_w:  # wrap: the row goes on below
                    x, y = gap, y + line_h
                layout.append((QRectF(x, y, w, line_h - gap), cell))
                x += w + 2 * gap
                width = max(width, x - gap)
            y += line_h
        self._layout = layout
        self._size = QRectF(0, 0, width + gap, y) if layout else QRectF()
        self.setVisible(bool(layout))
        self._place()
        self.update()

    def _place(self, *_args) -> None:
        rect = self.view_box.boundingRect()
        w, h = self._size.width(), self._size.height()
        spots = {(right, top): (rect.right() - w - self.MARGIN if right else rect.left() + self.MARGIN,
                                rect.top() + self.MARGIN if top else rect.bottom() - h - self.MARGIN)
                 for right, top in CORNERS}
        if w > 0 and rect.width() > 0 and rect.height() > 0:
            (x0, x1), (y0, y1) = self.view_box.viewRange()
            if x1 > x0 and y1 > y0:
                def to_pixels(xy):  # data -> the view box's pixels (y grows downwards)
                    return np.column_stack((rect.left() + (xy[:, 0] - x0) / (x1 - x0) * rect.width(),
                                            rect.top() + (y1 - xy[:, 1]) / (y1 - y0) * rect.height()))
                boxes = [(x, y, x + w, y + h) for x, y in spots.values()]
                self.corner = CORNERS[quietest_corner(boxes, to_pixels(self._avoid[0]), to_pixels(self._avoid[1]),
                                                      CORNERS.index(self.corner))]
        self.setPos(*spots[self.corner])

    # ------------------------------------------------------------ drawing
    def boundingRect(self) -> QRectF:  # Qt override
        return QRectF(self._size)

    def paint(self, painter: QPainter, *_args) -> None:  # Qt override
        if not self._layout:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(LEGEND_BORDER, 1.0))
        painter.setBrush(LEGEND_FILL)
        painter.drawRoundedRect(self._size.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        painter.setFont(self._font)
        _font, sample, gap = self._metrics()
        for rect, cell in self._layout:
            text_rect = QRectF(rect)
            if cell.kind != "text":
                centre = QPointF(rect.left() + sample / 2, rect.center().y())
                self._draw_sample(painter, cell, centre, sample)
                text_rect.setLeft(rect.left() + sample + gap)
            painter.setPen(LEGEND_TEXT)
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, cell.text)

    @staticmethod
    def _draw_sample(painter: QPainter, cell: Cell, centre: QPointF, size: float) -> None:
        painter.save()
        painter.translate(centre)
        if cell.kind == "line":
            painter.setPen(cell.pen)
            painter.drawLine(QPointF(-size / 2, 0), QPointF(size / 2, 0))
        elif cell.kind == "halo":
            painter.save()  # drawSymbol scales the painter
            drawSymbol(painter, "o", size, QPen(Qt.PenStyle.NoPen), QBrush(HALO_SAMPLE))
            painter.restore()
            drawSymbol(painter, "o", size * 0.55, cosmetic_pen(QColor(40, 40, 40, 110), 0.8),
                       QBrush(cluster_colour(0)))
        else:
            if cell.symbol != "star":  # the scatter shows its triangles flipped in the y-up view, not its star
                painter.scale(1.0, -1.0)
            drawSymbol(painter, cell.symbol, size, cell.pen, cell.brush)
        painter.restore()


def legend_rows(n_clusters: int, class_names, *, soft: bool, opacity: bool, ellipses: bool,
                ambiguity: bool, squares_from: int | None = None) -> list[list[Cell]]:
    """What the legend shows for a canvas state.

    Parameters
    ----------
    n_clusters : int
        Centroids drawn (0: none yet).
    class_names : sequence of str or None
        Names of the true classes whose shapes are drawn (None: no shapes).
    soft : bool
        The points are coloured by responsibilities (EM, soft K-Means).
    opacity : bool
        The colour mode draws opacity = responsibility.
    ellipses, ambiguity : bool
        The 1/2-sigma ellipses, the ambiguity halo are drawn.
    squares_from : int, optional
        Points of clusters from this index on are drawn as squares.
    """
    rows: list[list[Cell]] = []
    black = cosmetic_pen("black", 1.2)
    if n_clusters > 0:
        rows.append([Cell("symbol", f"C{k + 1}", "star", black, QBrush(cluster_colour(k % MAX_CLUSTERS)))
                     for k in range(n_clusters)])
    if squares_from is not None and n_clusters > squares_from:
        outline = cosmetic_pen(QColor(40, 40, 40), 1.0)
        rows.append([Cell("symbol", f"points of C1–C{squares_from}", "o", outline, QBrush(QColor("#BBBBBB"))),
                     Cell("symbol", f"points of C{squares_from + 1}–C{n_clusters}", "s", outline,
                          QBrush(QColor("#BBBBBB")))])
    notes = []
    if ellipses:
        solid, dashed = ellipse_pens(0)
        for pen in (solid, dashed):
            pen.setColor(QColor("#333333"))
        notes += [Cell("line", f"1σ ≈ {ELLIPSE_MASS[0]} of the mass", pen=solid),
                  Cell("line", f"2σ ≈ {ELLIPSE_MASS[1]}", pen=dashed)]
    if soft and opacity and not ambiguity:
        notes.append(Cell("text", "faint = shared between clusters"))
    if ambiguity:
        notes.append(Cell("halo", "dark halo = on the fence"))
    if notes:
        rows.append(notes)
    if class_names:
        grey = QBrush(QColor("#BBBBBB"))
        outline = cosmetic_pen(QColor(40, 40, 40), 1.0)
        rows.append([Cell("symbol", str(name), class_symbol(code), outline, grey)
                     for code, name in enumerate(class_names)])
    return rows


class CentroidNumbers:
    """"C1" ... "CK" beside the centroid stars (each label made the first time
    its cluster is shown, then kept: ``labels[k]`` is cluster k's).

    Parameters
    ----------
    plot : pg.PlotItem
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        self.labels: list[pg.TextItem] = []
        self.scale_factor = 1.0
        self._plot = plot
        self._font = self._scaled_font()

    def _add_label(self) -> None:
        k = len(self.labels)
        label = pg.TextItem(f"C{k + 1}", color=LEGEND_TEXT, fill=pg.mkBrush(255, 255, 255, 210),
                            border=cosmetic_pen(cluster_colour(k), 1.5), anchor=(0, 1))
        label.setZValue(31)
        label.setVisible(False)
        label.setFont(self._font)
        self._plot.addItem(label, ignoreBounds=True)
        self.labels.append(label)
        self._place_anchors([label])

    def show(self, means) -> None:
        """Label the centroids at ``means`` (K, 2) in data coordinates; None hides them."""
        k_shown = 0 if means is None else min(len(means), MAX_CLUSTERS)
        while len(self.labels) < k_shown:
            self._add_label()
        for k in range(k_shown):
            self.labels[k].setPos(float(means[k][0]), float(means[k][1]))
            self.labels[k].setVisible(True)
        for label in self.labels[k_shown:]:
            label.setVisible(False)

    def shown_texts(self) -> list[str]:
        """Texts of the visible labels, in cluster order."""
        return [label.toPlainText() for label in self.labels if label.isVisible()]

    def set_scale(self, factor: float) -> None:
        self.scale_factor = float(factor)
        self._font = self._scaled_font()
        for label in self.labels:
            label.setFont(self._font)
        self._place_anchors(self.labels)

    def _scaled_font(self) -> QFont:
        font = QFont()
        font.setPointSizeF(font.pointSizeF() * 0.85 * self.scale_factor)
        font.setBold(True)
        return font

    def _place_anchors(self, labels) -> None:
        # Up and to the right of the star (half its 28 px size), whatever the text's size.
        offset = 10.0 * self.scale_factor
        for label in labels:
            rect = label.textItem.boundingRect()
            label.setAnchor((-offset / max(rect.width(), 1.0), 1.0 + 0.4 * offset / max(rect.height(), 1.0)))
