"""The point inspector: for the hovered (or pinned) point, its coordinates,
its distance to every centroid and its responsibility vector as a small bar
chart in the cluster colours. For K-Means the vector is 0/1 -- the lesson."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from clusterviz.model.ambiguity import centroid_distances
from clusterviz.session import format_number

from ..canvas.palette import CLUSTER_COLOURS, MAX_CLUSTERS, cluster_colour

HINT = "Hover over a point to inspect it; click it to pin it."


class ResponsibilityBars(QWidget):
    """One row per cluster: colour swatch, the bar of r_k, its value, and the
    distance to the centroid. Painted, so it stays compact for K up to 12."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("responsibilityBars")
        self.setToolTip("Responsibility of each cluster for this point (bar) and its distance d to the centroid.")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.responsibilities: np.ndarray | None = None
        self.distances: np.ndarray | None = None
        self.hard = False
        self._reserved = 0

    def reserve_rows(self, n: int) -> None:
        """Keep room for ``n`` rows even when fewer (or none) are shown."""
        if n != self._reserved:
            self._reserved = int(n)
            self.updateGeometry()

    def row_height(self) -> int:
        """One row per cluster; past 6 rows they shrink, so K = 12 costs the
        height of about 6 and the controls above stay in view."""
        full = max(13, self.fontMetrics().height())
        rows = max(self._rows(), self._reserved, 1)
        return full if rows <= 6 else max(9, (6 * full) // rows)

    def set_values(self, responsibilities: np.ndarray | None, distances: np.ndarray | None, hard: bool) -> None:
        """Show ``responsibilities`` (K,) and ``distances`` (K,); None hides either."""
        old_rows = self._rows()
        self.responsibilities = None if responsibilities is None else np.asarray(responsibilities, dtype=float)
        self.distances = None if distances is None else np.asarray(distances, dtype=float)
        self.hard = bool(hard)
        if self._rows() != old_rows:
            self.updateGeometry()
        self.update()

    def _rows(self) -> int:
        for values in (self.responsibilities, self.distances):
            if values is not None:
                return int(values.shape[0])
        return 0

    def sizeHint(self) -> QSize:  # Qt override
        rows = max(self._rows(), self._reserved)
        return QSize(220, rows * self.row_height() + (4 if rows else 0))

    def minimumSizeHint(self) -> QSize:  # Qt override
        return self.sizeHint()

    def paintEvent(self, event) -> None:  # Qt override
        rows = self._rows()
        if rows == 0:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        h = self.row_height()
        base = QFont(self.font())
        if h < self.fontMetrics().height():  # compact rows for many clusters
            base.setPixelSize(max(7, h - 1))
        fm = QFontMetrics(base)
        text_colour = self.palette().windowText().color()
        name_w = fm.horizontalAdvance("C12") + 4
        value_w = fm.horizontalAdvance("0.000") + 6
        R, D = self.responsibilities, self.distances
        distance_texts = [] if D is None else [f"d = {format_number(d)}" for d in D]
        # as wide as "d = 00.000", wider when a distance needs it
        dist_w = max([fm.horizontalAdvance("d = 00.000")] + [fm.horizontalAdvance(t) for t in distance_texts]) + 6
        swatch = 10
        x_bar = swatch + 4 + name_w
        bar_w = max(20.0, self.width() - x_bar - value_w - dist_w - 4)
        top = -1 if R is None else int(np.argmax(R))
        nearest = -1 if D is None else int(np.argmin(D))
        bold = QFont(base)
        bold.setBold(True)
        for k in range(rows):
            y = 2 + k * h
            colour = cluster_colour(k)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRect(QRectF(0, y + (h - swatch) / 2, swatch, swatch))
            painter.setFont(bold if k == top else base)
            painter.setPen(text_colour)
            align = Qt.AlignmentFlag.AlignVCenter
            painter.drawText(QRectF(swatch + 4, y, name_w, h), align | Qt.AlignmentFlag.AlignLeft, f"C{k + 1}")
            # the bar: a faint track and the filled part r_k
            track = QRectF(x_bar, y + 3, bar_w, h - 6)
            painter.setPen(QPen(QColor(0, 0, 0, 60)))
            painter.setBrush(QColor(0, 0, 0, 12))
            painter.drawRect(track)
            if R is not None:
                r = float(np.clip(R[k], 0.0, 1.0))
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(colour)
                painter.drawRect(QRectF(track.x(), track.y(), track.width() * r, track.height()))
                painter.setPen(text_colour)
                value = f"{R[k]:.0f}" if self.hard else f"{R[k]:.3f}"
                painter.drawText(QRectF(x_bar + bar_w + 2, y, value_w, h), align | Qt.AlignmentFlag.AlignRight,
                                 value)
            if D is not None:
                painter.setFont(bold if k == nearest else base)
                painter.setPen(text_colour)
                painter.drawText(QRectF(x_bar + bar_w + value_w + 4, y, dist_w, h),
                                 align | Qt.AlignmentFlag.AlignRight, distance_texts[k])
        painter.end()


class InspectorPanel(QWidget):
    """The inspector for one point of a session (objectName ``inspectorPanel``).

    Attributes
    ----------
    index : int
        The point shown (-1: none).
    pinned : bool
        Whether the point is pinned (hovering other points does not change it).
    responsibilities, distances : ndarray of shape (n_clusters,) or None
        What the bar chart shows.

    Signals
    -------
    shown()
        The inspected point or its pin changed (the formula panel shows a
        pinned point's numbers).
    """

    shown = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("inspectorPanel")
        self.setToolTip("The point under the mouse (or pinned by a click): coordinates, distances, responsibilities.")
        self.label = QLabel()
        self.label.setObjectName("inspectorLabel")
        self.label.setToolTip("The inspected point: its coordinates and responsibilities.")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.label.setMinimumHeight(2 * self.label.fontMetrics().lineSpacing() + 2)
        self.bars = ResponsibilityBars()
        self.caption = QLabel()
        self.caption.setObjectName("inspectorCaption")
        self.caption.setToolTip("What kind of responsibilities the algorithm computes.")
        self.caption.setWordWrap(True)
        font = self.caption.font()
        font.setPointSizeF(font.pointSizeF() * 0.92)
        font.setItalic(True)
        self.caption.setFont(font)
        self.caption.setMinimumHeight(self.caption.fontMetrics().lineSpacing())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.label)
        layout.addWidget(self.bars)
        layout.addWidget(self.caption)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.index = -1
        self.pinned = False
        self.responsibilities: np.ndarray | None = None
        self.distances: np.ndarray | None = None
        self.clear()

    def clear(self, n_clusters: int | None = None) -> None:
        """Show the hint; nothing inspected. The panel keeps the height of a
        full inspection of ``n_clusters`` rows, so hovering never makes the
        objective plot above it jump."""
        self.index, self.pinned = -1, False
        self.responsibilities = self.distances = None
        hint_colour = self.palette().color(QPalette.ColorRole.PlaceholderText).name()  # readable on a dark palette too
        self.label.setText(f"<span style='color:{hint_colour}'>{HINT}</span>")
        if n_clusters is not None:
            self.bars.reserve_rows(n_clusters)
        self.bars.set_values(None, None, False)
        self.bars.setAccessibleDescription("")
        self.caption.setText("")
        self.shown.emit()

    def show_point(self, session, index: int, pinned: bool = False) -> None:
        """Inspect point ``index`` of ``session`` (the hint when out of range)."""
        X = np.asarray(session.X)
        if not 0 <= index < X.shape[0]:
            self.clear(int(session.n_clusters))
            return
        self.bars.reserve_rows(int(session.n_clusters))
        self.index, self.pinned = int(index), bool(pinned)
        coords = ", ".join(f"{v:.4g}" for v in X[index])
        head = "<b>Pinned</b> · " if pinned else ""
        text = f"{head}<b>Point {index}</b> ({coords})"
        state = session.state
        if state is not None and state.n_points == X.shape[0]:
            r = state.responsibility_row(index)
            k = int(np.argmax(r))
            text += (f"<br>cluster <span style='color:{CLUSTER_COLOURS[k % MAX_CLUSTERS]}'>&#9632;</span> {k + 1}"
                     f" · r = {r[k]:.2f} (bars: every cluster)")
            self.bars.setAccessibleDescription("responsibilities " + ", ".join(f"{v:.3f}" for v in r))
        else:
            r = None
            text += "<br>not assigned yet" if state is None else "<br>not assigned yet: take an E-step"
            self.bars.setAccessibleDescription("")
        d = None
        if state is not None:
            d = centroid_distances(X[index: index + 1], np.asarray(state.means))[0]
        self.responsibilities, self.distances = r, d
        entry = session.algorithm_entry
        hard = entry.hard
        self.label.setText(text)
        self.bars.set_values(r, d, hard)
        caption = entry.responsibility_caption.format(beta=float(session.beta))
        if pinned:
            caption += " · Esc unpins"
        self.caption.setText(caption if state is not None else "")
        self.shown.emit()
