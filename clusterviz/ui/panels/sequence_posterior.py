"""The posterior strip of a sequence model: γ_t(k), the posterior of every
hidden state at every time t, stacked to 1 (PRML (13.33)), with the decoded
state path above it and a time cursor linked to the canvas.

The stack is drawn as one image (a column per time step, rows up to 1), so a
sequence of 10^5 or 10^6 steps costs the same to draw as one of 300: past
`MAX_COLUMNS` steps, the columns average γ over equal bins of time (the mean
posterior of the bin, still summing to 1).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from ..canvas.palette import AXIS_TEXT_COLOUR, MAX_CLUSTERS, cluster_colour, cosmetic_pen, style_plot

#: Rows of the stacked image (the resolution of γ on the y axis).
STACK_ROWS = 200
#: At most this many image columns; longer sequences average γ over bins.
MAX_COLUMNS = 4000
#: Where the band of the decoded path sits, above the stack (y units; the stack fills 0 .. 1).
PATH_BAND = (1.1, 1.3)
#: Opacity (0-255) of the stacked areas: the path band above is drawn solid.
STACK_ALPHA = 210
#: Vertical lines mark where a new sequence starts, up to this many.
MAX_BOUNDARY_LINES = 200

_PATH_NAMES = {True: "Viterbi", False: "argmax γ"}
PATH_TIPS = {
    True: "Top band: the Viterbi path, the single most probable sequence of states (PRML 13.2.5).",
    False: "Top band: the most probable state at each time on its own (argmax of γ), not the Viterbi path; "
           "the two can differ where a lone switch would need an unlikely transition.",
}
PLACEHOLDER = "γ appears after the first E-step (forward-backward): press Step."


def state_lut(alpha: int = 255) -> np.ndarray:
    """Lookup table of the state colours for an image of state indices,
    ndarray of shape (256, 4), uint8: entry k is state k's colour (repeating
    past the palette), ``alpha`` its opacity."""
    table = np.empty((256, 4), dtype=np.uint8)
    for k in range(256):
        c = cluster_colour(k % MAX_CLUSTERS)
        table[k] = (c.red(), c.green(), c.blue(), alpha)
    return table


def binned_posterior(gamma: np.ndarray, max_columns: int = MAX_COLUMNS) -> np.ndarray:
    """γ averaged over equal bins of time when there are more than ``max_columns`` steps.

    Parameters
    ----------
    gamma : ndarray of shape (T, K)
        Posterior of every state at every time (rows sum to 1).
    max_columns : int

    Returns
    -------
    ndarray of shape (min(T, max_columns), K)
        Rows still sum to 1 (a mean of rows that do).
    """
    gamma = np.asarray(gamma, dtype=np.float64)
    T = gamma.shape[0]
    if T <= max_columns:
        return gamma
    edges = np.linspace(0, T, max_columns + 1).astype(np.intp)
    sums = np.add.reduceat(gamma, edges[:-1], axis=0)
    return sums / np.diff(edges)[:, None]


def stacked_states(gamma: np.ndarray, rows: int = STACK_ROWS) -> np.ndarray:
    """The stacked-area picture of γ as state indices: pixel (row r, column t)
    holds the state whose share of column t covers the height (r + 1/2) / rows.

    Parameters
    ----------
    gamma : ndarray of shape (W, K)
        One column per row (already binned, see `binned_posterior`); K <= 256.
    rows : int

    Returns
    -------
    ndarray of shape (rows, W), uint8, row 0 at the bottom (y = 0); drawn
    through `state_lut`.
    """
    cumulative = np.cumsum(np.asarray(gamma, dtype=np.float64), axis=1)  # (W, K)
    W, K = cumulative.shape
    # Rows whose centre (r + 1/2) / rows lies at or below the top of state k's share: floor(cum * rows + 1/2).
    tops = np.clip(np.floor(cumulative * rows + 0.5), 0, rows).astype(np.intp)
    tops[:, -1] = rows
    counts = np.diff(tops, axis=1, prepend=0)  # rows of each state in each column, (W, K)
    # One run per (column, state), column after column: the states bottom-up of every column.
    states = np.repeat(np.tile(np.arange(K, dtype=np.uint8), W), counts.ravel())
    return np.ascontiguousarray(states.reshape(W, rows).T)


def path_states(path: np.ndarray, max_columns: int = MAX_COLUMNS) -> np.ndarray:
    """One row of the decoded path's states, shape (1, W), uint8 (past
    ``max_columns`` steps, the state at the start of each bin)."""
    path = np.asarray(path, dtype=np.intp)
    T = path.shape[0]
    if T > max_columns:
        path = path[np.linspace(0, T, max_columns, endpoint=False).astype(np.intp)]
    return path.astype(np.uint8)[None, :]


def _centred():
    """A text option that centres wrapped lines."""
    from PySide6.QtGui import QTextOption

    return QTextOption(Qt.AlignmentFlag.AlignHCenter)


class PosteriorPlot(pg.PlotWidget):
    """γ_t(k) stacked over time, the decoded path above it and a time cursor.

    Signals
    -------
    time_hovered(int)
        The mouse is over time step t (-1: it left the plot).
    time_clicked(int)
        A left click on time step t.
    """

    time_hovered = Signal(int)
    time_clicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="w", enableMenu=False)
        self.setObjectName("posteriorPlot")
        self.setToolTip("γ_t(k): the posterior of each hidden state at each time t, stacked to 1. "
                        "Hover a time to find its point on the canvas; click to pin it in the inspector.")
        self.setMinimumSize(220, 80)
        plot = self.getPlotItem()
        style_plot(plot, 0.0)
        plot.setMouseEnabled(x=True, y=False)  # a long sequence: zoom and pan in time
        plot.setLabel("bottom", "Time t", color=AXIS_TEXT_COLOUR)
        plot.setLabel("left", "γ", color=AXIS_TEXT_COLOUR)
        self.view_box = plot.getViewBox()
        self.view_box.setYRange(0.0, PATH_BAND[1] + 0.02, padding=0.0)

        self._stack_lut, self._path_lut = state_lut(STACK_ALPHA), state_lut()
        self.stack = pg.ImageItem(axisOrder="row-major")
        self.path_band = pg.ImageItem(axisOrder="row-major")
        for item in (self.stack, self.path_band):
            plot.addItem(item)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=cosmetic_pen(QColor(20, 20, 20, 220), 1.6))
        self.cursor.setZValue(30)
        self.cursor.setVisible(False)
        plot.addItem(self.cursor, ignoreBounds=True)
        self.cursor_label = pg.TextItem(color=QColor(20, 20, 20), anchor=(0.0, 0.0),
                                        fill=pg.mkBrush(255, 255, 255, 210))
        self.cursor_label.setZValue(31)
        self.cursor_label.setVisible(False)
        plot.addItem(self.cursor_label, ignoreBounds=True)
        self.placeholder = pg.TextItem(PLACEHOLDER, color=QColor(90, 90, 90), anchor=(0.5, 0.5))
        plot.addItem(self.placeholder, ignoreBounds=True)
        self.note: str | None = None  # shown instead of PLACEHOLDER (e.g. why there is no fit)
        self.view_box.sigResized.connect(self._wrap_placeholder)
        self._boundaries: list[pg.InfiniteLine] = []

        self.scale_factor = 1.0  # presenter mode's factor (see set_scale)
        self.n_steps = 0  # T of the shown posterior (0: none)
        self.cursor_time = -1
        self._hovered = -1  # the time under the mouse, as last announced
        self.path_is_viterbi: bool | None = None  # None: no path drawn
        self._set_ticks(None)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.show_posterior(None)

    # --------------------------------------------------------------- drawing
    def show_posterior(self, gamma, path=None, *, viterbi: bool = False, starts=()) -> None:
        """Draw ``gamma`` (T, K) stacked, and ``path`` (T,) in the band above.

        Parameters
        ----------
        gamma : ndarray of shape (T, K) or None
            None (no E-step yet) empties the plot and says so.
        path : ndarray of shape (T,) or None
            The decoded state at every time.
        viterbi : bool
            Whether ``path`` is the Viterbi path (else argmax γ); the band's
            label says which.
        starts : sequence of int
            Where each sequence after the first begins (dashed lines).
        """
        if gamma is None or np.asarray(gamma).ndim != 2 or np.asarray(gamma).shape[0] == 0:
            self.n_steps = 0
            self.stack.setVisible(False)
            self.path_band.setVisible(False)
            self.path_is_viterbi = None
            self._set_ticks(None)
            self._show_boundaries(())
            self.placeholder.setVisible(True)
            self.placeholder.setPos(0.5, 0.5)
            self.view_box.setLimits(xMin=None, xMax=None)
            self.view_box.setXRange(0.0, 1.0, padding=0.0)
            self.set_cursor(-1)
            return
        gamma = np.asarray(gamma)
        T = gamma.shape[0]
        first = self.n_steps != T
        self.n_steps = T
        self.placeholder.setVisible(False)
        self.stack.setImage(stacked_states(binned_posterior(gamma)), lut=self._stack_lut, levels=(0, 255))
        self.stack.setRect(QRectF(-0.5, 0.0, float(T), 1.0))
        self.stack.setVisible(True)
        if path is not None and np.asarray(path).shape[0] == T:
            self.path_band.setImage(path_states(path), lut=self._path_lut, levels=(0, 255))
            self.path_band.setRect(QRectF(-0.5, PATH_BAND[0], float(T), PATH_BAND[1] - PATH_BAND[0]))
            self.path_band.setVisible(True)
            self.path_is_viterbi = bool(viterbi)
            self.setToolTip(self.toolTip().split("\n")[0] + "\n" + PATH_TIPS[self.path_is_viterbi])
        else:
            self.path_band.setVisible(False)
            self.path_is_viterbi = None
        self._set_ticks(self.path_is_viterbi)
        self._show_boundaries(starts)
        self.view_box.setLimits(xMin=-0.5, xMax=T - 0.5)
        if first:
            self.view_box.setXRange(-0.5, T - 0.5, padding=0.0)
        if self.cursor_time >= T:
            self.set_cursor(-1)

    def set_note(self, note: str | None) -> None:
        """What the empty strip says: ``note`` (e.g. "Add at least 3 points …"),
        or None for `PLACEHOLDER`."""
        if note == self.note:
            return
        self.note = note
        self.placeholder.setText(note or PLACEHOLDER)
        self._wrap_placeholder()

    def _wrap_placeholder(self, *_args) -> None:
        """Wrap the note to the plot's width, so a narrow strip shows it whole."""
        width = self.view_box.sceneBoundingRect().width()
        if width > 0:
            self.placeholder.setTextWidth(max(width - 12, 60))
            self.placeholder.textItem.document().setDefaultTextOption(_centred())

    def _set_ticks(self, viterbi: bool | None) -> None:
        ticks = [(0.0, "0"), (0.5, "0.5"), (1.0, "1")]
        if viterbi is not None:
            ticks.append((0.5 * (PATH_BAND[0] + PATH_BAND[1]), _PATH_NAMES[viterbi]))
        self.getPlotItem().getAxis("left").setTicks([ticks])

    def _show_boundaries(self, starts) -> None:
        starts = [int(s) for s in starts][:MAX_BOUNDARY_LINES]
        plot = self.getPlotItem()
        while len(self._boundaries) < len(starts):
            line = pg.InfiniteLine(angle=90, movable=False, pen=self._boundary_pen())
            line.setZValue(20)
            plot.addItem(line, ignoreBounds=True)
            self._boundaries.append(line)
        for i, line in enumerate(self._boundaries):
            line.setVisible(i < len(starts))
            if i < len(starts):
                line.setPos(starts[i] - 0.5)

    @property
    def path_label(self) -> str | None:
        """"Viterbi" or "argmax γ": what the band above the stack shows (None: no band)."""
        return None if self.path_is_viterbi is None else _PATH_NAMES[self.path_is_viterbi]

    def set_scale(self, factor: float) -> None:
        """Draw the tick labels, titles, notes and lines ``factor`` times their
        normal size (presenter mode; 1.0: normal)."""
        f = self.scale_factor = float(factor)
        font = QFont()
        font.setPointSizeF(font.pointSizeF() * f)
        plot = self.getPlotItem()
        for name in ("left", "bottom"):
            plot.getAxis(name).setStyle(tickFont=font)
            plot.getAxis(name).label.setFont(font)
        for note in (self.cursor_label, self.placeholder):
            note.setFont(font)
        self._wrap_placeholder()
        self.cursor.setPen(cosmetic_pen(QColor(20, 20, 20, 220), 1.6 * f))
        for line in self._boundaries:
            line.setPen(self._boundary_pen())

    def _boundary_pen(self):
        return cosmetic_pen(QColor(30, 30, 30, 170), 1.2 * self.scale_factor, Qt.PenStyle.DashLine)

    # ---------------------------------------------------------------- cursor
    def set_cursor(self, t: int) -> None:
        """Put the time cursor on step ``t`` (-1 or out of range: hide it)."""
        t = int(t)
        if not 0 <= t < self.n_steps:
            self.cursor_time = -1
            self.cursor.setVisible(False)
            self.cursor_label.setVisible(False)
            return
        self.cursor_time = t
        self.cursor.setPos(t)
        self.cursor.setVisible(True)
        self.cursor_label.setText(f"t = {t}")
        (x0, x1), _ = self.view_box.viewRange()
        right_half = t > 0.5 * (x0 + x1)
        self.cursor_label.setAnchor((1.0, 0.0) if right_half else (0.0, 0.0))
        self.cursor_label.setPos(t, PATH_BAND[0] - 0.02)
        self.cursor_label.setVisible(True)

    def time_at(self, scene_pos) -> int:
        """The time step under ``scene_pos`` (scene coordinates), or -1."""
        if self.n_steps == 0 or not self.view_box.sceneBoundingRect().contains(scene_pos):
            return -1
        t = int(np.floor(self.view_box.mapSceneToView(scene_pos).x() + 0.5))
        return t if 0 <= t < self.n_steps else -1

    def _on_mouse_moved(self, scene_pos) -> None:
        t = self.time_at(scene_pos)
        if t >= 0:
            self.set_cursor(t)
        if t != self._hovered:
            self._hovered = t
            self.time_hovered.emit(t)

    def _on_mouse_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        t = self.time_at(event.scenePos())
        if t >= 0:
            self.time_clicked.emit(t)

    def leaveEvent(self, event) -> None:  # Qt override
        super().leaveEvent(event)
        if self._hovered != -1:
            self._hovered = -1
            self.time_hovered.emit(-1)
