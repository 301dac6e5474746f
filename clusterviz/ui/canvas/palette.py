"""Colours for clusters: colour-blind-safe, and the brushes and pens built from
them once and reused (pyqtgraph caches symbols per brush object, so a new
QBrush per point per frame is ~100x slower); the pens and the axis look every
plot of the app shares."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPen
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.data.limits import MAX_CLUSTERS

#: Okabe & Ito (2008), "Color Universal Design", without black (centroids are
#: outlined in black) and with yellow moved late (it is faint on white); past
#: seven clusters, Paul Tol's "muted" scheme continues the list.
CLUSTER_COLOURS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow
    "#332288",  # Tol muted: indigo
    "#882255",  # wine
    "#999933",  # olive
    "#44AA99",  # teal
    "#CC6677",  # rose
)
# One colour per cluster the app lets a user ask for (the limit files are held to).
assert len(CLUSTER_COLOURS) == MAX_CLUSTERS

#: Colour of points that have no cluster yet (before the first E-step).
UNASSIGNED_COLOUR = "#8C8C8C"

#: Number of opacity levels points are drawn with.
ALPHA_LEVELS = 16
#: Opacity of the faintest level, so that no point ever disappears entirely.
MIN_ALPHA = 0.12


def cluster_colour(k: int) -> QColor:
    """The colour of cluster ``k`` (0-based); colours repeat past the table."""
    return QColor(CLUSTER_COLOURS[k % MAX_CLUSTERS])


def alpha_levels(strength: np.ndarray) -> np.ndarray:
    """Quantise opacities in [0, 1] to level indices 0 .. ALPHA_LEVELS - 1.

    Parameters
    ----------
    strength : ndarray of shape (n_samples,)
        Responsibility of each point's own cluster.
    """
    levels = np.rint(np.clip(strength, 0.0, 1.0) * (ALPHA_LEVELS - 1))
    return levels.astype(np.intp)


class BrushTable:
    """QBrush objects for every (cluster colour, alpha level), built once.

    ``table.point_brushes(labels, strength)`` returns an object array of
    shared brushes for ``ScatterPlotItem.setBrush``; no brush is created
    while stepping.
    """

    def __init__(self) -> None:
        table = np.empty((MAX_CLUSTERS, ALPHA_LEVELS), dtype=object)
        for k in range(MAX_CLUSTERS):
            for level in range(ALPHA_LEVELS):
                colour = cluster_colour(k)
                colour.setAlphaF(MIN_ALPHA + (1.0 - MIN_ALPHA) * level / (ALPHA_LEVELS - 1))
                table[k, level] = QBrush(colour)
        self._table = table
        self.unassigned = QBrush(QColor(UNASSIGNED_COLOUR))
        self.solid = [table[k, ALPHA_LEVELS - 1] for k in range(MAX_CLUSTERS)]

    def point_brushes(self, labels: np.ndarray, strength: np.ndarray) -> np.ndarray:
        """Object array of shape (n_samples,): the shared brush of each point.

        Parameters
        ----------
        labels : ndarray of shape (n_samples,)
            Cluster of each point.
        strength : ndarray of shape (n_samples,)
            Opacity in [0, 1] (the responsibility of the point's cluster).
        """
        return self._table[np.asarray(labels) % MAX_CLUSTERS, alpha_levels(strength)]


#: Axis lines and tick labels of every plot.
AXIS_COLOUR = "#444444"
AXIS_TEXT_COLOUR = "#222222"


def cosmetic_pen(colour, width: float, style=Qt.PenStyle.SolidLine) -> QPen:
    """A pen ``width`` pixels wide whatever the zoom (``colour``: anything
    ``QColor`` takes)."""
    pen = QPen(QColor(colour))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    pen.setStyle(style)
    return pen


def style_plot(plot: pg.PlotItem, grid_alpha: float = 0.2, *, still: bool = True,
               si_prefix: bool = False) -> None:
    """Give ``plot`` the app's look on white: a faint grid, no context menu
    or auto-range button, grey axes with dark tick labels. (Make its
    PlotWidget with ``enableMenu=False``: the menus pyqtgraph would build
    are dropped here, and building them costs start-up time.)

    Parameters
    ----------
    still : bool
        No mouse pan or zoom (charts); the canvas passes False.
    si_prefix : bool
        Let pyqtgraph scale tick labels ("(x0.001)"); charts write numbers in full.
    """
    plot.showGrid(x=True, y=True, alpha=grid_alpha)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    if still:
        plot.setMouseEnabled(x=False, y=False)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen(AXIS_COLOUR))
        axis.setTextPen(pg.mkPen(AXIS_TEXT_COLOUR))
        axis.enableAutoSIPrefix(si_prefix)


def outline_pen() -> QPen:
    """A thin dark outline for data points, so pale colours show on white."""
    return cosmetic_pen(QColor(40, 40, 40, 110), 0.8)


def ellipse_pens(k: int) -> tuple[QPen, QPen]:
    """(1-sigma solid, 2-sigma dashed) pens for the ellipses of cluster ``k``."""
    return (cosmetic_pen(cluster_colour(k), 2.2),
            cosmetic_pen(cluster_colour(k), 1.6, Qt.PenStyle.DashLine))


def scaled_pen(pen: QPen, factor: float) -> QPen:
    """A copy of ``pen`` ``factor`` times as wide (presenter mode)."""
    out = QPen(pen)
    out.setWidthF(pen.widthF() * float(factor))
    return out
