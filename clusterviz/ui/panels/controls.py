"""The control panel: algorithm, data set and K always in view, the other
settings in tabs (Setup, View), and the run bar of stepping buttons, which
the window lays out under the canvas. Widgets write to the controller; :meth:`ControlPanel.sync` reads the
session back with every widget's signals blocked, so the two never loop."""
from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QSizePolicy, QSlider, QSpinBox, QVBoxLayout, QWidget)

from clusterviz.data import BUILTIN_DATASETS, DATASET_DESCRIPTIONS
from clusterviz.model import registry
from clusterviz.session import format_setting

from ..canvas.layers import LayersBox
from ..canvas.palette import MAX_CLUSTERS
from .column_pair import ColumnPair
from .teaching_controls import (FittedTabs, HalfStepRow, RunBar, SampleWidthLabel, StepButton, TimelineRow, ViewGroup,
                                step_button_text, step_button_texts)

INIT_ITEMS = (
    ("Random points", "random", "Start from K data points picked at random."),
    ("k-means++", "k-means++", "Start from K spread-out data points (Arthur & Vassilvitskii 2007)."),
)
COVARIANCE_ITEMS = (
    ("Full", "full", "Each component has its own covariance of any shape and orientation."),
    ("Tied", "tied", "All components share one covariance matrix."),
    ("Diagonal", "diag", "Axis-aligned ellipses: each component has its own variances per axis."),
    ("Spherical", "spherical", "Circles: each component has a single variance."),
)
#: Beta slider: 0 .. BETA_TICKS maps to beta = 10^-2 .. 10^3 on a log scale.
BETA_MIN_EXP, BETA_MAX_EXP, BETA_TICKS = -2.0, 3.0, 100
FILE_DATASET = "__file__"


def algorithm_items() -> tuple[tuple[str, str, str], ...]:
    """(label, name, tooltip) of every algorithm in the registry, in its order."""
    return tuple((entry.label, entry.name, entry.description) for entry in registry.ALGORITHMS.values())


def beta_from_slider(value: int) -> float:
    return 10.0 ** (BETA_MIN_EXP + (BETA_MAX_EXP - BETA_MIN_EXP) * value / BETA_TICKS)


def slider_from_beta(beta: float) -> int:
    exp = math.log10(max(beta, 1e-300))
    value = round((exp - BETA_MIN_EXP) / (BETA_MAX_EXP - BETA_MIN_EXP) * BETA_TICKS)
    return max(0, min(BETA_TICKS, value))


def dataset_title(name: str) -> str:
    """'three_blobs' -> 'Three blobs'."""
    text = name.replace("_", " ").replace("-", " ")
    return text[:1].upper() + text[1:]


def _combo(name: str, tooltip: str, items) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setToolTip(tooltip)
    # As wide as the column gives, not as its longest entry (a long algorithm
    # name must not widen the side column); the list shows whole names.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(14)
    for i, (text, data, tip) in enumerate(items):
        combo.addItem(text, data)
        combo.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
    return combo


def _button(name: str, text: str, tooltip: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setToolTip(tooltip)
    return button


def _select_data(combo: QComboBox, data) -> None:
    index = combo.findData(data)
    if index >= 0:
        combo.setCurrentIndex(index)


class ControlPanel(QWidget):
    """Settings and stepping buttons; see the module docstring."""

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("controlPanel")
        self.controller = controller

        # ---- settings
        self.algorithm_combo = _combo("algorithmCombo", "Which clustering algorithm to step.", algorithm_items())
        self.dataset_combo = QComboBox()
        self.dataset_combo.setObjectName("datasetCombo")
        self.dataset_combo.setToolTip("Load one of the built-in data sets.")
        for i, name in enumerate(BUILTIN_DATASETS):
            self.dataset_combo.addItem(dataset_title(name), name)
            self.dataset_combo.setItemData(i, DATASET_DESCRIPTIONS.get(name, ""), Qt.ItemDataRole.ToolTipRole)
        self.k_spin = QSpinBox()
        self.k_spin.setObjectName("kSpin")
        self.k_spin.setRange(1, MAX_CLUSTERS)
        self.k_spin.setToolTip("K: the number of clusters (changing it starts again).")
        self.init_combo = _combo("initCombo", "How the first centroids are chosen.", INIT_ITEMS)
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("seedSpin")
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("Random seed of the initialisation: same seed, same run.")
        self.covariance_combo = _combo("covarianceCombo", "Shape of the Gaussian components (EM only).",
                                       COVARIANCE_ITEMS)
        self.beta_slider = QSlider(Qt.Orientation.Horizontal)
        self.beta_slider.setObjectName("betaSlider")
        self.beta_slider.setRange(0, BETA_TICKS)
        self.beta_slider.setToolTip("Stiffness beta of soft K-Means, log scale 0.01 to 1000 (large = hard).")
        self.beta_label = SampleWidthLabel("β = 0.000")
        self.beta_label.setObjectName("betaLabel")
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setObjectName("speedSlider")
        self.speed_slider.setRange(1, 30)
        self.speed_slider.setValue(5)
        self.speed_slider.setToolTip("Play speed in steps per second.")
        self.speed_label = SampleWidthLabel("30 steps/s")
        self.speed_label.setObjectName("speedLabel")
        self.columns_box = columns_box = ColumnPair(
            ("xColumnCombo", "yColumnCombo"),
            ("Data column on the horizontal axis (the fit uses every column).",
             "Data column on the vertical axis (the fit uses every column)."))
        self.x_column_combo, self.y_column_combo = columns_box.x_combo, columns_box.y_combo
        self.aspect_check = QCheckBox("Equal axis scales")
        self.aspect_check.setObjectName("aspectCheck")
        self.aspect_check.setToolTip("Same scale on both axes so circles look round (on by default when the "
                                     "columns have similar spans).")

        # ---- the live settings: always in view above the tabs
        live = QGridLayout()
        live.setContentsMargins(0, 0, 0, 0)
        live.setHorizontalSpacing(6)
        live.setVerticalSpacing(4)
        for row, (text, widget) in enumerate((("&Algorithm", self.algorithm_combo), ("&Data set", self.dataset_combo))):
            label = QLabel(text)
            label.setBuddy(widget)
            live.addWidget(label, row, 0)
            live.addWidget(widget, row, 1, 1, 3 if row == 0 else 1)
        k_label = QLabel("&K")
        k_label.setBuddy(self.k_spin)
        live.addWidget(k_label, 1, 2)
        live.addWidget(self.k_spin, 1, 3)
        live.setColumnStretch(1, 1)

        # ---- the rest, in tabs (never behind a scroll bar)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Init", self.init_combo)
        form.addRow("S&eed", self.seed_spin)
        form.addRow("&Covariance", self.covariance_combo)
        form.addRow("&Beta", self._with_label(self.beta_slider, self.beta_label))
        self.form = form
        setup = QWidget()
        setup.setObjectName("setupPage")
        setup.setLayout(form)
        self.view_group = ViewGroup()  # trailsCheck, ambiguityCheck (on the layers tool bar), colourModeCombo
        self.view_group.form.addRow("Sho&w", columns_box)
        self.view_group.form.addRow("", self.aspect_check)
        self.tabs = FittedTabs()
        self.tabs.setObjectName("sideTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(setup, "Setup")
        self.tabs.setTabToolTip(0, "How the run starts: initialisation, seed and the algorithm's own settings.")
        self.tabs.addTab(self.view_group, "View")
        self.tabs.setTabToolTip(1, "How the points are coloured and which columns are shown.")
        self.layers_box = LayersBox()  # regionsCheck, densityCheck: the window puts them on its layers tool bar

        # ---- stepping: the run bar, laid out by the window under the canvas
        self.step_back_button = _button("stepBackButton", "◀ Back", "Show the previous step (Left).")
        self.step_button = StepButton("Step ▶")
        self.step_button.setObjectName("stepButton")
        self.step_button.setToolTip("Run one full iteration: E then M (Right).")
        self.half_step_button = _button("halfStepButton", "Half step",
                                        "Run one half-step: assign points (E) or move centroids (M) (Shift+Right).")
        self.play_button = _button("playButton", "Play", "Step repeatedly until converged (Space).")
        self.play_button.setCheckable(True)
        self.reset_button = _button("resetButton", "Reset", "Start again from the initial centroids (R).")
        self.converge_button = _button("convergeButton", "Run to convergence",
                                       "Step until the algorithm converges (Ctrl+Return).")
        self.half_step_row = HalfStepRow(self.half_step_button)  # halfStepCheck + the one-off Half step
        self.half_step_check = self.half_step_row.check
        self.timeline_row = TimelineRow()
        self.timeline_slider = self.timeline_row.slider
        self.run_bar = RunBar(
            (self.step_back_button, self.step_button, self.half_step_row, self.play_button, self.reset_button,
             self.converge_button),
            (self.timeline_row, self._with_label(self.speed_slider, self.speed_label, "S&peed")))
        self.run_group = self.run_bar  # the name earlier versions used

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(live)
        layout.addWidget(self.tabs)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        # ---- widgets -> controller
        c = controller
        self.algorithm_combo.currentIndexChanged.connect(
            lambda _: c.set_algorithm(self.algorithm_combo.currentData()))
        self.k_spin.valueChanged.connect(c.set_n_clusters)
        self.init_combo.currentIndexChanged.connect(lambda _: c.set_init(self.init_combo.currentData()))
        self.seed_spin.valueChanged.connect(c.set_seed)
        self.covariance_combo.currentIndexChanged.connect(
            lambda _: c.set_covariance_type(self.covariance_combo.currentData()))
        self.dataset_combo.currentIndexChanged.connect(self._on_dataset)
        self.beta_slider.valueChanged.connect(self._on_beta)
        self.x_column_combo.currentIndexChanged.connect(self._on_columns)
        self.y_column_combo.currentIndexChanged.connect(self._on_columns)
        self.speed_slider.valueChanged.connect(self._on_speed)
        self.step_button.clicked.connect(c.advance)  # a half-step in half-step mode
        self.half_step_check.toggled.connect(self._on_half_steps)
        self.timeline_slider.valueChanged.connect(c.seek)
        self.half_step_button.clicked.connect(c.half_step)
        self.step_back_button.clicked.connect(c.step_back)
        self.reset_button.clicked.connect(c.reset_fit)
        self.converge_button.clicked.connect(c.run_to_convergence)
        self.play_button.clicked.connect(lambda checked: c.play() if checked else c.pause())
        c.playing_changed.connect(self._on_playing)
        self._on_speed(self.speed_slider.value())

    @staticmethod
    def _with_label(slider: QSlider, label: QLabel, title: str | None = None) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        if title is not None:
            caption = QLabel(title)
            caption.setBuddy(slider)
            row.addWidget(caption)
        row.addWidget(slider, 1)
        row.addWidget(label)
        return box

    def _on_dataset(self, _index: int) -> None:
        name = self.dataset_combo.currentData()
        if name != FILE_DATASET:
            self.controller.load_builtin(name)

    def _on_columns(self, _index: int) -> None:
        self.controller.set_view_columns(self.x_column_combo.currentIndex(), self.y_column_combo.currentIndex())

    def _on_beta(self, value: int) -> None:
        beta = beta_from_slider(value)
        self.beta_label.setText(f"β = {format_setting(beta)}")
        self.controller.set_beta(beta)

    def _on_speed(self, value: int) -> None:
        self.speed_label.setText(f"{value} steps/s")
        self.controller.set_speed(value)

    def _on_playing(self, playing: bool) -> None:
        with QSignalBlocker(self.play_button):
            self.play_button.setChecked(playing)
        self.play_button.setText("Pause" if playing else "Play")
        self.sync_buttons()

    # ------------------------------------------------------ session -> UI
    def sync(self) -> None:
        """Show the session's settings; no widget signal is emitted."""
        s = self.controller.session
        blockers = [QSignalBlocker(w) for w in (self.algorithm_combo, self.dataset_combo, self.k_spin,
                                                 self.init_combo, self.seed_spin, self.covariance_combo,
                                                 self.beta_slider, self.x_column_combo, self.y_column_combo)]
        try:
            _select_data(self.algorithm_combo, s.algorithm)
            self._select_dataset(s.dataset.name)
            self.k_spin.setValue(int(s.n_clusters))
            _select_data(self.init_combo, s.init)
            self.seed_spin.setValue(int(s.seed))
            _select_data(self.covariance_combo, s.covariance_type)
            self.beta_slider.setValue(slider_from_beta(float(s.beta)))
            self.beta_label.setText(f"β = {format_setting(float(s.beta))}")
            columns = [str(c) for c in s.dataset.columns]
            for combo, index in zip((self.x_column_combo, self.y_column_combo), s.view_columns):
                if [combo.itemText(i) for i in range(combo.count())] != columns:
                    combo.clear()
                    combo.addItems(columns)
                combo.setCurrentIndex(index)
        finally:
            del blockers
        entry = s.algorithm_entry  # which settings apply comes from the registry
        covariances, beta = bool(entry.covariance_types), entry.uses_beta
        self.covariance_combo.setEnabled(covariances)
        self.form.setRowVisible(self.covariance_combo, covariances)
        self.beta_slider.setEnabled(beta)
        self.form.setRowVisible(self.beta_slider.parentWidget(), beta)
        self.view_group.form.setRowVisible(self.columns_box, len(s.dataset.columns) > 2)
        self.layers_box.sync(s)
        self.view_group.sync(s)
        self.sync_buttons()

    def _select_dataset(self, name: str) -> None:
        combo = self.dataset_combo
        index = combo.findData(name)
        file_index = combo.findData(FILE_DATASET)
        if index < 0 or name not in BUILTIN_DATASETS:
            # A data set from a file: one extra entry, replaced on every load.
            if file_index < 0:
                combo.insertSeparator(combo.count())
                combo.addItem("", FILE_DATASET)
                file_index = combo.count() - 1
            combo.setItemText(file_index, f"{name} (file)")
            combo.setItemData(file_index, f"Loaded from a CSV file: {name}", Qt.ItemDataRole.ToolTipRole)
            index = file_index
        combo.setCurrentIndex(index)

    def sync_buttons(self) -> None:
        """Enable what makes sense for the shown state."""
        c = self.controller
        s = c.session
        has_state = s.state is not None
        can_step = c.can_step()
        self.step_back_button.setEnabled(c.can_step_back())
        self.step_button.setEnabled(can_step)
        self.half_step_button.setEnabled(can_step)
        self.converge_button.setEnabled(can_step)
        self.play_button.setEnabled(can_step or c.playing)
        self.reset_button.setEnabled(has_state and (len(s.timeline) > 1 or not s.at_start))
        self.step_button.set_texts(step_button_texts(s.algorithm_entry))
        self.step_button.setText(step_button_text(s, c.half_steps))
        self.step_button.setToolTip("Run the half-step the button names (Right)." if c.half_steps
                                    else "Run one full iteration: E then M (Right).")
        self.half_step_row.sync(c.half_steps)
        self.timeline_row.sync(s)

    def _on_half_steps(self, on: bool) -> None:
        self.controller.half_steps = bool(on)
        self.sync_buttons()
