"""The live plot of the objective: one point per step of the fit, a marker on
the shown step.

When the k-means++ picks open the timeline ("seed" entries, see
`clusterviz.session.seeding`), their potentials are not on the curve (for EM
they are not even in the objective's units): the curve starts at the fit's
"init" entry, step 0, and while a pick is shown the plot says which pick it
is instead of marking a step."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from ..canvas.palette import AXIS_TEXT_COLOUR, cosmetic_pen, style_plot


class StepAxis(pg.AxisItem):
    """A bottom axis with whole-number ticks only (steps are integers)."""

    def tickSpacing(self, minVal, maxVal, size):  # pyqtgraph override
        levels = [(max(spacing, 1.0), offset) for spacing, offset in super().tickSpacing(minVal, maxVal, size)]
        unique = []
        for level in levels:
            if level not in unique:
                unique.append(level)
        return unique or [(1.0, 0.0)]


def objective_range(values: np.ndarray) -> tuple[float, float]:
    """The y range that shows ``values``: 12 % padding (room for the ring on
    the shown step), and never narrower than a ten-thousandth of their size,
    so a flat curve gets distinct tick labels instead of five copies of
    "-320597"; a single value (or all equal) sits in the middle of ±5 % of
    itself, so the axis reads as numbers, not as a zoom on one dot; (0, 1)
    with no values."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    if lo == hi:
        pad = SINGLE_VALUE_PAD * abs(lo) if lo != 0 else 1.0
        return lo - pad, hi + pad
    pad = max(0.12 * (hi - lo), 1e-4 * max(abs(lo), abs(hi)), 1e-9)
    return lo - pad, hi + pad


def with_headroom(y_range: tuple[float, float], band_px: float, view_px: float) -> tuple[float, float]:
    """``y_range`` raised at the top so that a band of ``band_px`` pixels
    above the data is free (for a note), in a view ``view_px`` pixels high."""
    lo, hi = y_range
    share = min(band_px / view_px, 0.6) if view_px > band_px > 0 else 0.35
    return lo, hi + (hi - lo) * share / (1.0 - share)


#: A single objective value is shown in the middle of ±5 % of itself.
SINGLE_VALUE_PAD = 0.05


class ObjectivePlot(pg.PlotWidget):
    """Distortion J (K-Means) or log-likelihood (EM) against the step.

    Signals
    -------
    step_clicked(int)
        A left click near a step asks to show that step (its timeline
        index, counting the k-means++ picks before the curve).
    """

    step_clicked = Signal(int)

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="w", axisItems={"bottom": StepAxis("bottom")})
        self.setObjectName("objectivePlot")
        self.setToolTip("The objective at every step; the orange ring marks the step shown. Click a step to show it.")
        self.setMinimumSize(260, 190)
        plot = self.getPlotItem()
        style_plot(plot)  # no "(x0.001)" scale factors on a one-step run
        plot.getViewBox().setDefaultPadding(0.08)  # room for the ring on the first and last step
        plot.setLabel("bottom", "Step", color=AXIS_TEXT_COLOUR)
        # Room for tick labels like "-1130.25" beside the axis title.
        plot.getAxis("left").setWidth(self.fontMetrics().horizontalAdvance("-00000.00") + 24)
        self.curve = pg.PlotDataItem(pen=cosmetic_pen("#0072B2", 1.8), symbol="o", symbolSize=5,
                                     symbolBrush=pg.mkBrush("#0072B2"), symbolPen=None, antialias=True)
        self.marker = pg.ScatterPlotItem(size=14, symbol="o", pen=cosmetic_pen("#D55E00", 2.5),
                                         brush=pg.mkBrush(None), antialias=True)
        self.marker.setZValue(10)
        plot.addItem(self.curve)
        plot.addItem(self.marker)
        #: Shown over the plot while a k-means++ pick is shown (``objectiveSeedNote``).
        self.seed_note = pg.TextItem(color="#333333", anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 215))
        self.seed_note.setZValue(20)
        self.seed_note.setVisible(False)
        plot.addItem(self.seed_note, ignoreBounds=True)
        self._name = ""
        self._n_seeds = 0  # timeline entries before the curve's step 0
        self.scene().sigMouseClicked.connect(self._on_clicked)

    def show_session(self, session) -> None:
        """Plot ``session``'s fit (its entries after the k-means++ picks) and mark its shown entry."""
        self.show_objectives(session.objectives, session.cursor, session.objective_name,
                             n_seeds=session.n_seed_entries)

    def show_objectives(self, objectives: np.ndarray, cursor: int, name: str, n_seeds: int = 0) -> None:
        """Plot ``objectives`` (one per timeline entry) and mark ``cursor``.

        The first ``n_seeds`` entries are k-means++ picks: left off the
        curve, whose step 0 is entry ``n_seeds``; while ``cursor`` is on one,
        a note names the pick instead of a marker.
        """
        if name != self._name:
            self.getPlotItem().setLabel("left", name, color=AXIS_TEXT_COLOUR)
            self._name = name
        self._n_seeds = n_seeds = int(n_seeds)
        values = np.asarray(objectives, dtype=np.float64)[n_seeds:]
        cursor = int(cursor) - n_seeds
        steps = np.arange(values.shape[0], dtype=np.float64)
        self.curve.setData(x=steps, y=values)
        # At least steps 0-4 on the axis, so a fresh run is not one lonely dot.
        last = max(values.shape[0] - 1, 4)
        view = self.getPlotItem().getViewBox()
        view.setXRange(-0.04 * last, 1.04 * last, padding=0)
        if 0 <= cursor < values.shape[0]:
            self.marker.setData(x=[float(cursor)], y=[values[cursor]])
        else:
            self.marker.setData(x=[], y=[])
        picking = cursor < 0
        self.seed_note.setVisible(picking)
        y_range = objective_range(values)
        if picking:
            self.seed_note.setText(f"k-means++ pick {cursor + n_seeds + 1} of {n_seeds}\n"
                                   "(the curve starts after the picks)")
            # The note sits in a band kept free above the curve, so it never covers it.
            band = self.seed_note.textItem.boundingRect().height() + 4
            y_range = with_headroom(y_range, band, view.height())
        view.setYRange(*y_range, padding=0)
        if picking:
            (x0, _), (_, y1) = view.viewRange()
            self.seed_note.setPos(x0, y1)

    def entry_index(self, step: int) -> int:
        """The timeline index of the curve's step ``step``."""
        return self._n_seeds + int(step)

    def _on_clicked(self, event) -> None:
        vb = self.getPlotItem().getViewBox()
        if event.double() or not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        x = self.curve.xData
        if x is None or len(x) == 0:
            return
        step = int(round(vb.mapSceneToView(event.scenePos()).x()))
        event.accept()
        self.step_clicked.emit(self.entry_index(max(0, min(step, len(x) - 1))))
