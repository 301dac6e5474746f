"""A layer of the canvas for data whose order matters (sequence models):
the points joined in order, one thin polyline per sequence behind the
points; optionally the decoded state path, every step t -> t+1 drawn in the
colour of its state when the state stays, dashed and dark where it switches;
and a ring on the point of a hovered time step.

Like the other layers it owns its plot items (created once, updated with
``setData``) and is handed the points as shown and what to draw; it does not
read the session itself.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from .limits import drawable
from .palette import MAX_CLUSTERS, cluster_colour, cosmetic_pen
from .trails import ClickThroughScatter

#: Above the background layers (regions -20, density -15), below the points (10).
PATH_Z = 5
DECODED_Z = 6
#: Longer sequences are drawn without antialiasing or dashes (at 10^5 steps they cost seconds a frame).
ANTIALIAS_POINTS = 10_000
#: The hovered time's ring sits above everything but the centroids' labels.
HIGHLIGHT_Z = 41


def sequence_starts(n_points: int, lengths) -> np.ndarray:
    """Index of the first row of every sequence after the first.

    Parameters
    ----------
    n_points : int
    lengths : sequence of int or None
        Rows of each sequence, in order (they sum to ``n_points``); None:
        one sequence of all rows.
    """
    if lengths is None:
        return np.empty(0, dtype=np.intp)
    lengths = np.asarray(lengths, dtype=np.intp)
    if lengths.sum() != n_points:
        return np.empty(0, dtype=np.intp)
    return np.cumsum(lengths)[:-1]


def joined_mask(n_points: int, lengths) -> np.ndarray:
    """``connect`` mask of a polyline through all rows: False at the last row
    of every sequence, so no line crosses from one sequence to the next."""
    connect = np.ones(n_points, dtype=bool)
    starts = sequence_starts(n_points, lengths)
    if starts.size:
        connect[starts - 1] = False
    return connect


def path_segments(path: np.ndarray, lengths) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """The steps t -> t+1 of a decoded path, by what happens there.

    Returns
    -------
    stays : dict of int to ndarray of int
        For every state k, the times t where z_t = z_t+1 = k.
    switches : ndarray of int
        The times t where z_t != z_t+1.
    Steps across a sequence boundary are left out.
    """
    path = np.asarray(path, dtype=np.intp)
    n = path.shape[0]
    t = np.arange(max(n - 1, 0))
    valid = joined_mask(n, lengths)[:-1] if n else np.zeros(0, dtype=bool)
    same = path[:-1] == path[1:]
    stays = {int(k): t[valid & same & (path[:-1] == k)] for k in np.unique(path)}
    return stays, t[valid & ~same]


def _pairs(P: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The segments P[t] -> P[t+1] as rows of a ``connect="pairs"`` curve, shape (2 len(t), 2)."""
    out = np.empty((2 * t.shape[0], 2))
    out[0::2] = P[t]
    out[1::2] = P[t + 1]
    return out


class SequencePathLayer:
    """The joined points, the decoded path and the hovered time's ring on a canvas.

    Parameters
    ----------
    canvas : ClusterCanvas
        The items are added to its plot (ignored for auto-range).

    Attributes
    ----------
    joined_visible, decoded_visible : bool
        What is switched on (`set_joined_visible`, `set_decoded_visible`).
    """

    def __init__(self, canvas) -> None:
        plot = canvas.getPlotItem()
        self.joined = pg.PlotCurveItem(pen=cosmetic_pen(QColor(50, 50, 50, 120), 1.0), antialias=True)
        self.joined.setZValue(PATH_Z)
        plot.addItem(self.joined, ignoreBounds=True)
        self.stays: list[pg.PlotCurveItem] = []
        for k in range(MAX_CLUSTERS):
            colour = cluster_colour(k)
            colour.setAlpha(220)
            item = pg.PlotCurveItem(pen=cosmetic_pen(colour, 2.0), connect="pairs", antialias=True)
            item.setZValue(DECODED_Z)
            plot.addItem(item, ignoreBounds=True)
            self.stays.append(item)
        switch_colour = QColor(20, 20, 20, 130)
        self._switch_pens = {True: cosmetic_pen(switch_colour, 1.0, Qt.PenStyle.DashLine),
                             False: cosmetic_pen(switch_colour, 1.0)}
        self.switches = pg.PlotCurveItem(pen=self._switch_pens[True], connect="pairs", antialias=True)
        self.switches.setZValue(DECODED_Z)
        plot.addItem(self.switches, ignoreBounds=True)
        # A black ring on a white halo: it shows on points of every state's colour.
        self.highlight_halo = ClickThroughScatter(size=24, symbol="o",
                                                  pen=cosmetic_pen(QColor(255, 255, 255, 235), 6.0),
                                                  brush=pg.mkBrush(None), antialias=True, pxMode=True)
        self.highlight = ClickThroughScatter(size=24, symbol="o", pen=cosmetic_pen(QColor(0, 0, 0), 2.4),
                                             brush=pg.mkBrush(None), antialias=True, pxMode=True)
        self.highlight_label = pg.TextItem(color=QColor(0, 0, 0), anchor=(-0.3, 1.3),
                                           fill=pg.mkBrush(255, 255, 255, 225),
                                           border=cosmetic_pen(QColor(0, 0, 0, 160), 1.0))
        for z, item in enumerate((self.highlight_halo, self.highlight, self.highlight_label)):
            item.setZValue(HIGHLIGHT_Z + z)
            plot.addItem(item, ignoreBounds=True)
        self.joined_visible = True
        self.decoded_visible = False
        self.highlighted = -1
        self._points = np.empty((0, 2))
        self._lengths = None
        self._path: np.ndarray | None = None
        self._active = False
        self._show()

    def set_scale(self, factor: float) -> None:
        """Lines, the ring and its label ``factor`` times their normal size
        (presenter mode; 1.0: normal)."""
        f = float(factor)
        self.joined.setPen(cosmetic_pen(QColor(50, 50, 50, 120), 1.0 * f))
        for k, item in enumerate(self.stays):
            colour = cluster_colour(k)
            colour.setAlpha(220)
            item.setPen(cosmetic_pen(colour, 2.0 * f))
        switch_colour = QColor(20, 20, 20, 130)
        self._switch_pens = {True: cosmetic_pen(switch_colour, 1.0 * f, Qt.PenStyle.DashLine),
                             False: cosmetic_pen(switch_colour, 1.0 * f)}
        self.switches.setPen(self._switch_pens[self._points.shape[0] < ANTIALIAS_POINTS])
        self.highlight_halo.setSize(24 * f)
        self.highlight_halo.setPen(cosmetic_pen(QColor(255, 255, 255, 235), 6.0 * f))
        self.highlight.setSize(24 * f)
        self.highlight.setPen(cosmetic_pen(QColor(0, 0, 0), 2.4 * f))
        font = QFont()
        font.setPointSizeF(font.pointSizeF() * f)
        self.highlight_label.setFont(font)

    # ------------------------------------------------------------ switches
    def set_active(self, on: bool) -> None:
        """Draw anything at all (the shown algorithm models the order)."""
        self._active = bool(on)
        if not on:
            self.highlight_time(-1)
        self._show()

    def set_joined_visible(self, on: bool) -> None:
        self.joined_visible = bool(on)
        self._show()

    def set_decoded_visible(self, on: bool) -> None:
        self.decoded_visible = bool(on)
        self._show()

    # --------------------------------------------------------------- data
    def set_sequence(self, points: np.ndarray, lengths=None, path: np.ndarray | None = None) -> None:
        """The points as shown (T, 2), in time order; ``lengths`` of the
        sequences (None: one); ``path`` the decoded state of every time (or None)."""
        self._points = drawable(np.asarray(points, dtype=np.float64)[:, :2])
        self._lengths = lengths
        T = self._points.shape[0]
        self._path = None if path is None or np.asarray(path).shape[0] != T else np.asarray(path, dtype=np.intp)
        if self.highlighted >= T:
            self.highlight_time(-1)
        self._show()

    @property
    def decoded_drawn(self) -> bool:
        """Whether the decoded path is on the canvas now."""
        return self._active and self.decoded_visible and self._path is not None

    def _show(self) -> None:
        P = self._points
        joined = self._active and self.joined_visible and P.shape[0] > 1
        if joined:
            self.joined.setData(x=P[:, 0], y=P[:, 1], connect=joined_mask(P.shape[0], self._lengths),
                                antialias=P.shape[0] < ANTIALIAS_POINTS)
        self.joined.setVisible(joined)
        decoded = self.decoded_drawn and P.shape[0] > 1
        smooth = P.shape[0] < ANTIALIAS_POINTS
        stays, switches = path_segments(self._path, self._lengths) if decoded else ({}, np.empty(0, np.intp))
        for k, item in enumerate(self.stays):
            t = stays.get(k)  # K never exceeds MAX_CLUSTERS: one item per state
            if t is not None and t.size:
                xy = _pairs(P, t)
                item.setData(x=xy[:, 0], y=xy[:, 1], connect="pairs", antialias=smooth)
                item.setVisible(True)
            else:
                item.setVisible(False)
        if decoded and switches.size:
            xy = _pairs(P, switches)
            self.switches.setData(x=xy[:, 0], y=xy[:, 1], connect="pairs", antialias=smooth)
            # a dashed cosmetic pen costs seconds over 10^5 segments: long sequences get a solid one
            self.switches.setPen(self._switch_pens[smooth])
        self.switches.setVisible(decoded and switches.size > 0)

    # ------------------------------------------------------------- hovering
    def highlight_time(self, t: int) -> None:
        """Ring the point of time step ``t`` (-1: none)."""
        t = int(t)
        if not self._active or not 0 <= t < self._points.shape[0]:
            self.highlighted = -1
            self.highlight.setData(x=[], y=[])
            self.highlight_halo.setData(x=[], y=[])
            self.highlight_label.setVisible(False)
            return
        self.highlighted = t
        x, y = (float(v) for v in self._points[t])
        self.highlight.setData(x=[x], y=[y])
        self.highlight_halo.setData(x=[x], y=[y])
        self.highlight_label.setText(f"t = {t}")
        self.highlight_label.setPos(x, y)
        self.highlight_label.setVisible(True)
