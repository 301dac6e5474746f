"""Controls of the teaching views: the half-step toggle and the
timeline slider of the Run group, and the "View" group (centroid trails,
colour mode, ambiguity layer). The control panel places them; these classes
only build widgets and compute their labels. Each updates from the session
with its signals blocked."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QCheckBox, QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton,
                               QSlider, QWidget)

from clusterviz.model import registry

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


class TimelineRow(QWidget):
    """"Step i / n" and a slider over the whole timeline (``timelineSlider``)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timelineSlider")
        self.slider.setToolTip("Scrub through the run: show any earlier step (Home / End on the slider).")
        self.slider.setRange(0, 0)
        self.slider.setPageStep(2)
        self.label = QLabel()
        self.label.setObjectName("timelineLabel")
        self.label.setToolTip("The shown step and the number of steps computed.")
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance("Step 888 / 888") + 4)
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
        # The k-means++ picks that open the timeline are counted apart: step 0 is the fit's start.
        seeds = 0 if session is None else int(session.n_seed_entries)
        if not n:
            self.label.setText("No steps")
        elif cursor < seeds:
            self.label.setText(f"Pick {cursor + 1} / {seeds}")
        else:
            self.label.setText(f"Step {cursor - seeds} / {max(0, n - 1 - seeds)}")


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


class ViewGroup(QGroupBox):
    """The "View" group: trailsCheck, colourModeCombo, ambiguityCheck."""

    def __init__(self, parent=None) -> None:
        super().__init__("View", parent)
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
        colours_label = QLabel("Co&lours")
        colours_label.setBuddy(self.colour_mode_combo)
        self.legend = ColourBar()
        self.legend.setVisible(False)
        grid = QGridLayout(self)
        grid.setContentsMargins(8, 4, 8, 4)
        grid.setVerticalSpacing(2)
        grid.addWidget(self.trails_check, 0, 0)
        grid.addWidget(self.ambiguity_check, 0, 1)
        grid.addWidget(colours_label, 0, 2)
        grid.addWidget(self.colour_mode_combo, 0, 3)
        grid.setColumnStretch(3, 1)
        grid.addWidget(self.legend, 1, 0, 1, 4)
        self.ambiguity_check.toggled.connect(self.legend.setVisible)

    @property
    def colour_mode(self) -> str:
        return str(self.colour_mode_combo.currentData())

    def sync(self, session) -> None:
        """Tooltips that depend on the algorithm; emits nothing."""
        tip = session.algorithm_entry.ambiguity_tip
        self.ambiguity_check.setToolTip(f"{tip} (A)")
        self.legend.setToolTip(f"Ambiguity colours. {tip}")
