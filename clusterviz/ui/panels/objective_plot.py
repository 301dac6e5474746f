"""The live plot of the objective: one point per step of the fit, a marker on
the shown step.

When the k-means++ picks open the timeline ("seed" entries, see
`clusterviz.session.seeding`), their potentials are not on the curve (for EM
they are not even in the objective's units): the curve starts at the fit's
"init" entry, step 0, and while a pick is shown the plot says which pick it
is instead of marking a step.

Tick labels are plain numbers with thousands separators ("-1,130.25"); from
a million on they count millions (or billions, ...) and the axis title says
so ("Distortion J (millions)"). The formula of the objective sits above the
plot.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QTextOption
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.session.text import objective_defined

from ..canvas.palette import AXIS_TEXT_COLOUR, cosmetic_pen, style_plot

#: The formula of each objective, by its symbol (rich text), with the PRML
#: equation it is. An algorithm's registry entry may give its own
#: (``objective_formula``).
OBJECTIVE_FORMULAS = {
    "J": "J = Σ<sub>n</sub> Σ<sub>k</sub> r<sub>nk</sub> ‖x<sub>n</sub> − μ<sub>k</sub>‖²"
         "&nbsp;&nbsp;(PRML 9.1)",
    "ℓ": "ℓ = Σ<sub>n</sub> ln Σ<sub>k</sub> π<sub>k</sub> N(x<sub>n</sub> | μ<sub>k</sub>, Σ<sub>k</sub>)"
         "&nbsp;&nbsp;(PRML 9.14)",
}
#: The plot's least height at normal text size (times the text scale when
#: the text is larger): shorter, and the side column scrolls.
MIN_HEIGHT = 120
#: Names of the powers of a thousand the axis counts in (10**6: "millions").
UNIT_NAMES = {6: "millions", 9: "billions", 12: "trillions"}
#: Shown instead of an empty plot.
EMPTY_TEXT = "The objective of every step\nappears here once there\nare points to fit."


def objective_formula(entry) -> str:
    """The formula written above the plot for the registry ``entry``: its
    ``objective_formula``, else the one of its objective's symbol ("" for
    neither)."""
    return getattr(entry, "objective_formula", None) or OBJECTIVE_FORMULAS.get(entry.objective_symbol, "")


def pending_text(entry) -> str:
    """What the plot says while the registry ``entry``'s objective has no
    value yet (K-Means' J sums over the assignments, PRML 9.1, which the
    start has not made)."""
    return f"{entry.objective_symbol} appears after\nthe first assignment:\npress Step"


def unit_power(values: np.ndarray) -> int:
    """The power of ten tick labels are divided by: 0 below a million, else
    the multiple of 3 at or below the largest magnitude (6: millions)."""
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0 or finite.max() < 1e6:
        return 0
    return int(3 * math.floor(math.log10(float(finite.max())) / 3))


def unit_label(name: str, power: int) -> str:
    """The axis title ``name`` with the unit its tick labels count in."""
    if power == 0:
        return name
    return f"{name} ({UNIT_NAMES.get(power, f'× 10^{power}')})"


def tick_text(value: float, spacing: float, power: int = 0) -> str:
    """One tick label: ``value / 10**power`` with thousands separators and
    as many decimals as the tick ``spacing`` needs (never "e+07")."""
    scale = 10.0 ** power
    step = abs(spacing) / scale
    decimals = 0 if step >= 1 or step == 0 else min(8, int(math.ceil(-math.log10(step) - 1e-9)))
    text = f"{value / scale:,.{decimals}f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text


class ReadableAxis(pg.AxisItem):
    """A left axis whose labels are `tick_text` (thousands separators; a
    power of ten named in the title, never "e+07")."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.power = 0

    def tickStrings(self, values, scale, spacing):  # pyqtgraph override
        return [tick_text(v * scale, spacing * scale, self.power) for v in values]


def wrap_title(plot) -> None:
    """Let ``plot``'s title wrap onto more lines when it is wider than the
    chart (instead of being cut, "Kneedle methoc"), centred: pyqtgraph sets
    the title's minimum size to its one-line text on every change and
    resize; here the text is broken at the chart's width and the title row
    grows to the lines' height."""
    label = plot.titleLabel
    option = QTextOption(Qt.AlignmentFlag.AlignHCenter)
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    label.item.document().setDefaultTextOption(option)

    def update_min():
        width = label.rect().width()
        if width <= 0:
            width = max(plot.size().width() - 8.0, 50.0)
        label.item.setTextWidth(width)
        height = label.item.boundingRect().height() if label.text and label.isVisible() else 0.0
        label.setMinimumWidth(0)
        label._sizeHint = {Qt.SizeHint.MinimumSize: (0, height), Qt.SizeHint.PreferredSize: (width, height),
                           Qt.SizeHint.MaximumSize: (-1, -1), Qt.SizeHint.MinimumDescent: (0, 0)}
        if abs(label.minimumHeight() - height) > 0.5 or abs(label.maximumHeight() - height) > 0.5:
            label.setMinimumHeight(height)
            label.setMaximumHeight(height)
            plot.layout.setRowFixedHeight(0, height)
            label.updateGeometry()

    label.updateMin = update_min
    label.setMinimumWidth(0)
    centre = label.resizeEvent

    def resize(event):
        update_min()
        centre(event)
        label.item.setPos(label.rect().left(), label.item.pos().y())  # the text is as wide as the title

    label.resizeEvent = resize


def title_text(plot) -> str:
    """The plain text of ``plot``'s title as drawn."""
    return plot.titleLabel.item.toPlainText()


class StepAxis(pg.AxisItem):
    """A bottom axis with whole-number ticks only (iterations; E half-steps sit between)."""

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
        super().__init__(parent, background="w",
                         axisItems={"bottom": StepAxis("bottom"), "left": ReadableAxis("left")}, enableMenu=False)
        self.setObjectName("objectivePlot")
        self.setToolTip("The objective at every step; the orange ring marks the step shown. Click a step to show it.")
        self.setMinimumSize(260, 190)
        plot = self.getPlotItem()
        style_plot(plot)  # no "(x0.001)" scale factors on a one-step run
        plot.getViewBox().setDefaultPadding(0.08)  # room for the ring on the first and last step
        plot.setLabel("bottom", "Iteration", color=AXIS_TEXT_COLOUR)
        wrap_title(plot)  # the formula breaks onto two lines in a narrow plot
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
        #: Shown while there is nothing to plot (``objectiveEmptyNote``).
        self.empty_note = pg.TextItem(EMPTY_TEXT, color="#555555", anchor=(0.5, 0.5))
        self.empty_note.setObjectName("objectiveEmptyNote")
        self.empty_note.setZValue(20)
        self.empty_note.setVisible(False)
        plot.addItem(self.empty_note, ignoreBounds=True)
        self._label = None
        self._formula = None
        self._ticks_hidden = False
        self._n_seeds = 0  # timeline entries before the curve's first point
        self._positions = np.zeros(0)  # the fit entries' places on the iteration axis
        self.scale_factor = 1.0
        self.set_scale(1.0)
        self.scene().sigMouseClicked.connect(self._on_clicked)

    def set_scale(self, factor: float) -> None:
        """Draw the curve, its dots, the ring, the tick labels and titles
        ``factor`` times their normal size (1.0: normal)."""
        f = self.scale_factor = float(factor)
        plot = self.getPlotItem()
        self.curve.setPen(cosmetic_pen("#0072B2", 1.8 * f))
        self.curve.setSymbolSize(5 * f)
        self.marker.setSize(14 * f)
        self.marker.setPen(cosmetic_pen("#D55E00", 2.5 * f))
        font = QFont()
        font.setPointSizeF(font.pointSizeF() * f)
        for name in ("left", "bottom"):
            plot.getAxis(name).setStyle(tickFont=font)
            plot.getAxis(name).label.setFont(font)
        for note in (self.seed_note, self.empty_note):
            note.setFont(font)
        # Room for tick labels like "-1,130.25" beside the axis title.
        metrics = QFontMetrics(font)
        plot.getAxis("left").setWidth(metrics.horizontalAdvance("-000,000.00") + int(1.6 * metrics.height()) + 6)
        if self._formula is not None:
            self._show_formula(self._formula)
        # larger text needs a taller plot to leave room for the curve: below
        # this the side column scrolls instead of squashing the plot
        self.setMinimumHeight(round(MIN_HEIGHT * f))

    def _show_formula(self, formula: str) -> None:
        self._formula = formula
        self.getPlotItem().setTitle(formula, size=f"{8.5 * self.scale_factor:.1f}pt", color=AXIS_TEXT_COLOUR)

    def formula_text(self) -> str:
        """The formula above the plot as plain text ("" before the first session)."""
        return title_text(self.getPlotItem())

    def show_session(self, session) -> None:
        """Plot ``session``'s fit (its entries after the k-means++ picks) against
        the iteration, E half-steps half-way between, and mark its shown entry."""
        entry = session.algorithm_entry
        formula = objective_formula(entry)
        if formula != self._formula:
            self._show_formula(formula)
        n_seeds = session.n_seed_entries
        phases = np.array(session.phases[n_seeds:], dtype=object)
        objectives = np.array(session.objectives, dtype=np.float64)
        if not objective_defined(entry, "init"):  # K-Means' start has no J to plot
            objectives[n_seeds:][phases == "init"] = np.nan
        positions = session.iterations[n_seeds:] + 0.5 * (phases == "E")
        self.show_objectives(objectives, session.cursor, session.objective_name, n_seeds=n_seeds,
                             positions=positions, pending=pending_text(entry))

    def show_objectives(self, objectives: np.ndarray, cursor: int, name: str, n_seeds: int = 0,
                        positions: np.ndarray | None = None, pending: str = "") -> None:
        """Plot ``objectives`` (one per timeline entry) and mark ``cursor``.

        The first ``n_seeds`` entries are k-means++ picks: left off the
        curve, whose first point is entry ``n_seeds``; while ``cursor`` is on
        one, a note names the pick instead of a marker. ``positions`` are the
        fit entries' places on the iteration axis (default 0, 1, 2, ...); a
        NaN objective (a value not defined yet) is left out of the curve.
        While no value is defined, the plot draws no value ticks and says
        ``pending`` (`EMPTY_TEXT` when there are no entries at all).
        """
        self._n_seeds = n_seeds = int(n_seeds)
        values = np.asarray(objectives, dtype=np.float64)[n_seeds:]
        axis = self.getPlotItem().getAxis("left")
        power = unit_power(values)
        label = unit_label(name, power)
        if label != self._label or power != axis.power:
            axis.power = power
            self.getPlotItem().setLabel("left", label, color=AXIS_TEXT_COLOUR)
            self._label = label
            axis.picture = None  # the tick labels depend on the power too
            axis.update()
        cursor = int(cursor) - n_seeds
        picking = cursor < 0
        nothing = not np.isfinite(values).any()
        if nothing != self._ticks_hidden:
            axis.setTicks([[], []] if nothing else None)  # no made-up numbers on a plot without values
            self._ticks_hidden = nothing
        empty = nothing and not picking  # a k-means++ pick has its own note
        if empty:
            text = EMPTY_TEXT if values.shape[0] == 0 and n_seeds == 0 else (pending or EMPTY_TEXT)
            if text != self.empty_note.toPlainText():
                self.empty_note.setText(text)
        self.empty_note.setVisible(empty)
        steps = (np.arange(values.shape[0], dtype=np.float64) if positions is None
                 else np.asarray(positions, dtype=np.float64))
        self._positions = steps
        shown = np.isfinite(values)
        self.curve.setData(x=steps[shown], y=values[shown])
        # At least iterations 0-4 on the axis, so a fresh run is not one lonely dot.
        last = max(float(steps[-1]) if steps.size else 0.0, 4.0)
        view = self.getPlotItem().getViewBox()
        view.setXRange(-0.04 * last, 1.04 * last, padding=0)
        if 0 <= cursor < values.shape[0] and shown[cursor]:
            self.marker.setData(x=[float(steps[cursor])], y=[values[cursor]])
        else:
            self.marker.setData(x=[], y=[])
        self.seed_note.setVisible(picking)
        y_range = objective_range(values)
        if picking:
            self.seed_note.setText(f"k-means++ pick {cursor + n_seeds + 1} of {n_seeds}\n"
                                   "(the curve starts after the picks)")
            # The note sits in a band kept free above the curve, so it never covers it.
            band = self.seed_note.textItem.boundingRect().height() + 4
            y_range = with_headroom(y_range, band, view.height())
        view.setYRange(*y_range, padding=0)
        if empty:
            self.empty_note.setPos(0.5 * last, 0.5 * (y_range[0] + y_range[1]))
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
        x = self._positions
        if x.size == 0:
            return
        step = int(np.argmin(np.abs(x - vb.mapSceneToView(event.scenePos()).x())))  # the nearest entry
        event.accept()
        self.step_clicked.emit(self.entry_index(step))
