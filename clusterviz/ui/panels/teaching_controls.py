"""Controls of the teaching views: the run bar (stepping buttons, the
half-step toggle, the timeline slider) and the "View" page (centroid trails
and the ambiguity layer, which the window shows on its layers tool bar, and
the colour mode). The control panel places them; these classes only build
widgets and compute their labels. Each updates from the session with its
signals blocked."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSignalBlocker, QSize, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy,
                               QSlider, QStyle, QStyleOptionButton, QTabWidget, QVBoxLayout,
                               QWidget)

from clusterviz.model import registry
from clusterviz.session.text import position_text

from ..canvas.point_colours import COLOUR_MODE_TIPS, COLOUR_MODES, ColourBar

FULL_STEP_TEXT = "Step ▶"


def next_phase(session, half: bool) -> str | None:
    """The phase the next Step adds or replays: "E", "M", "full" (a whole
    iteration), or None when there is nothing to step."""
    timeline = session.timeline
    if not timeline:
        return None
    cursor = session.cursor
    here = timeline[cursor].phase
    if cursor < len(timeline) - 1:  # replaying: the next stored entry says what comes
        after = timeline[cursor + 1].phase
        if after == "E":
            return "E" if half else "full"
        return "M" if here == "E" else "full"
    if here == "E":
        return "M"
    return "E" if half else "full"


def step_button_text(session, half: bool) -> str:
    """The Step button's text: what it does next in half-step mode (the
    algorithm's ``half_step_labels`` in the registry: "Assign points",
    "Move centroids", "E-step: responsibilities", ...); "Step ▶" otherwise."""
    phase = next_phase(session, half)
    if phase not in ("E", "M"):
        return FULL_STEP_TEXT
    e_text, m_text = session.algorithm_entry.half_step_labels
    return f"{e_text if phase == 'E' else m_text} ▶"


def step_button_texts(entry) -> tuple[str, ...]:
    """Every text the Step button can show for the registry ``entry``."""
    return (FULL_STEP_TEXT, *(f"{label} ▶" for label in entry.half_step_labels))


class StepButton(QPushButton):
    """The Step button: as wide as the longest text it can show for the
    algorithm (`set_texts`) in its current font, so the buttons beside it
    do not jump as its text changes, and it grows with presenter mode."""

    def __init__(self, text: str, parent=None) -> None:
        super().__init__(text, parent)
        self._texts: tuple[str, ...] = (text,)

    def set_texts(self, texts: tuple[str, ...]) -> None:
        if texts != self._texts:
            self._texts = tuple(texts)
            self.updateGeometry()

    def _widest(self, size: QSize) -> QSize:
        fm = self.fontMetrics()
        option = QStyleOptionButton()
        self.initStyleOption(option)
        text = QSize(max(fm.horizontalAdvance(t) for t in self._texts), fm.height())
        widest = self.style().sizeFromContents(QStyle.ContentsType.CT_PushButton, option, text, self)
        return QSize(max(size.width(), widest.width()), size.height())

    def sizeHint(self) -> QSize:  # Qt override
        return self._widest(super().sizeHint())

    def minimumSizeHint(self) -> QSize:  # Qt override
        return self._widest(super().minimumSizeHint())


class SampleWidthLabel(QLabel):
    """A label at least as wide as ``sample`` in its current font (so it
    does not jitter as its number changes, and grows with presenter mode)."""

    def __init__(self, sample: str, parent=None) -> None:
        super().__init__(parent)
        self._sample = sample
        self._fit()

    def _fit(self) -> None:
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance(self._sample) + 6)

    def changeEvent(self, event) -> None:  # Qt override
        if event.type() == QEvent.Type.FontChange:
            self._fit()
        super().changeEvent(event)


class FittedTabs(QTabWidget):
    """Tabs as tall as the page shown (a QTabWidget is as tall as its
    tallest page), so what sits below gets the rest."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._policies: dict[int, QSizePolicy.Policy] = {}  # each page's own vertical policy
        self.currentChanged.connect(self._follow_current)

    def tabInserted(self, index: int) -> None:  # Qt override
        super().tabInserted(index)
        self._follow_current(self.currentIndex())

    def _follow_current(self, index: int) -> None:
        # The stack underneath is at least as tall as its tallest page's
        # minimum; pages out of sight ignore their height so it can shrink.
        for i in range(self.count()):
            page = self.widget(i)
            policy = page.sizePolicy()
            own = self._policies.setdefault(id(page), policy.verticalPolicy())
            policy.setVerticalPolicy(own if i == index else QSizePolicy.Policy.Ignored)
            page.setSizePolicy(policy)
        self.updateGeometry()

    def _fitted(self, size: QSize, hint) -> QSize:
        pages = [self.widget(i) for i in range(self.count())]
        current = self.currentWidget()
        if current is None:
            return size
        tallest = max(hint(page).height() for page in pages)
        return QSize(size.width(), size.height() - tallest + hint(current).height())

    def sizeHint(self) -> QSize:  # Qt override
        return self._fitted(super().sizeHint(), lambda page: page.sizeHint())

    def minimumSizeHint(self) -> QSize:  # Qt override
        return self._fitted(super().minimumSizeHint(), lambda page: page.minimumSizeHint())


class RunBar(QWidget):
    """The run bar under the canvas (``runBar``): the stepping buttons on
    one row, the timeline and the play speed on the next."""

    def __init__(self, buttons, sliders, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("runBar")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        for widgets, stretches in ((buttons, None), (sliders, (3, 1))):
            row = QHBoxLayout()
            row.setSpacing(4)
            for i, widget in enumerate(widgets):
                row.addWidget(widget, 0 if stretches is None else stretches[min(i, len(stretches) - 1)])
            if stretches is None:
                row.addStretch(1)
            layout.addLayout(row)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)


class TimelineRow(QWidget):
    """"Iteration i of n · half-step" and a slider over the whole timeline
    (``timelineSlider``)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setToolTip("Scrub through the run: drag to show any earlier iteration or half-step.")
        self.slider.setRange(0, 0)
        self.slider.setPageStep(2)
        self.label = SampleWidthLabel("Iteration 888 of 888 · Initialisation")
        self.label.setObjectName("timelineLabel")
        self.label.setToolTip("The shown iteration and half-step, and the number of iterations computed.")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label)
        row.addWidget(self.slider, 1)
        self.sync(None)

    def sync(self, session) -> None:
        """Range = the timeline, value = the cursor; emits nothing."""
        n = 0 if session is None else len(session.timeline)
        cursor = 0 if session is None else int(session.cursor)
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, max(0, n - 1))
            self.slider.setValue(cursor)
        self.slider.setEnabled(n > 1)
        self.label.setText("No steps" if session is None else position_text(session))


class HalfStepRow(QWidget):
    """The half-step toggle (``halfStepCheck``) beside the one-off Half step
    button, which hides while the toggle is on (Step then does half-steps)."""

    def __init__(self, half_step_button: QPushButton, parent=None) -> None:
        super().__init__(parent)
        self.check = QCheckBox("&Half-steps")
        self.check.setObjectName("halfStepCheck")
        self.check.setToolTip("Step goes by halves: assign points (E), then move centroids (M) (H).")
        self.check.setShortcut(QKeySequence("H"))
        self.button = half_step_button
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.check)
        row.addWidget(half_step_button, 1)
        self.check.toggled.connect(lambda on: self.button.setVisible(not on))

    def sync(self, half_steps: bool) -> None:
        """Show the controller's mode; emits nothing."""
        with QSignalBlocker(self.check):
            self.check.setChecked(half_steps)
        self.button.setVisible(not half_steps)


class ViewGroup(QWidget):
    """The "View" page (``viewGroup``): colourModeCombo in ``form``; it also
    makes trailsCheck, ambiguityCheck and the ambiguity colour key
    (``legend``), which the window lays out on its layers tool bar."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("viewGroup")
        self.trails_check = QCheckBox("&Trails")
        self.trails_check.setObjectName("trailsCheck")
        self.trails_check.setToolTip("Draw the path each centroid took up to the shown step (T).")
        self.trails_check.setShortcut(QKeySequence("T"))
        self.ambiguity_check = QCheckBox("A&mbiguity")
        self.ambiguity_check.setObjectName("ambiguityCheck")
        first = next(iter(registry.ALGORITHMS.values()))  # until sync shows the session's algorithm
        self.ambiguity_check.setToolTip(f"{first.ambiguity_tip} (A)")
        self.ambiguity_check.setShortcut(QKeySequence("A"))
        self.colour_mode_combo = QComboBox()
        self.colour_mode_combo.setObjectName("colourModeCombo")
        self.colour_mode_combo.setToolTip("How points show their responsibilities: hard, opacity or blend.")
        for i, mode in enumerate(COLOUR_MODES):
            self.colour_mode_combo.addItem(mode, mode)
            self.colour_mode_combo.setItemData(i, COLOUR_MODE_TIPS[mode], Qt.ItemDataRole.ToolTipRole)
        self.colour_mode_combo.setCurrentText("opacity")
        #: The ambiguity colour key; the window shows it beside ambiguityCheck while that is on.
        self.legend = ColourBar()
        self.form = form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Co&lours", self.colour_mode_combo)

    @property
    def colour_mode(self) -> str:
        return str(self.colour_mode_combo.currentData())

    def sync(self, session) -> None:
        """Tooltips that depend on the algorithm; emits nothing."""
        tip = session.algorithm_entry.ambiguity_tip
        self.ambiguity_check.setToolTip(f"{tip} (A)")
        self.legend.setToolTip(f"Ambiguity colours. {tip}")
