"""The dialog shown after a CSV file was read: which columns to fit, which two
to view (or a PCA projection), whether to standardise, and what the loader
warned about."""
from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QGroupBox, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget)

from clusterviz.data import DataError, Dataset, order_rows
from clusterviz.data.transform import pca_dominance_warning, standardise

from ..names import escaped, printable
from ..panels.column_pair import ColumnPair
from ..projection_view import set_pca_view

#: View choices of `CsvDialog.view_mode`.
VIEW_COLUMNS, VIEW_PCA = "columns", "pca"

#: Suggest standardising when the column spreads differ by more than this factor.
SPREAD_RATIO_HINT = 5.0

#: Hints and warnings sit on a light box with dark text, readable under a light or a dark palette.
NOTE_STYLE = ("QLabel { background: #FFF4D6; color: #5A3A00; border: 1px solid #E0B050; border-radius: 3px;"
              " padding: 3px; }")

ORDER_TIP = ("Sort the rows by this column (e.g. a time stamp) before fitting. Only the hidden Markov model "
             "uses the order: it learns how each point's hidden state follows the previous one's. The column "
             "itself is not clustered.")
SEQUENCE_TIP = ("Rows with the same id (a whole number) form one sequence, e.g. one subject or one recording; "
                "the hidden Markov model counts no transition from one sequence to the next. Sequences are "
                "taken in increasing id. The column itself is not clustered.")
GAP_TIP = ("Also start a new sequence where consecutive values of the order column jump by more than this "
           "(e.g. a night between days of recording), so the hidden Markov model counts no transition "
           "across the gap. 0 = no split.")

STANDARDISE_TIP = ("Rescale every column to mean 0 and standard deviation 1; unscaled, the column in the "
                   "largest units dominates the distance (Old Faithful: waiting time swamps eruption length).")


class CsvDialog(QDialog):
    """Choose how a freshly read table is fitted and shown.

    Parameters
    ----------
    dataset : Dataset
        What `clusterviz.data.load_csv` returned (all numeric columns).
    parent : QWidget, optional
    """

    def __init__(self, dataset: Dataset, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("csvDialog")
        self.setWindowTitle(f"Open {printable(dataset.name)}")
        self.source = dataset
        X = dataset.X
        n, d = X.shape

        classes = ""
        if dataset.class_names is not None:
            classes = f"; {len(dataset.class_names)} classes ({', '.join(dataset.class_names[:6])}" + \
                      (", …" if len(dataset.class_names) > 6 else "") + ")"
        self.summary_label = QLabel(f"<b>{escaped(dataset.name)}</b>: {n} rows, {d} numeric columns"
                                    f"{escaped(classes)}.")
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setObjectName("csvSummary")
        self.summary_label.setWordWrap(True)

        notes = list(dataset.warnings)
        if dataset.dropped_rows and not any("dropped" in w.lower() or "skipped" in w.lower() for w in notes):
            notes.insert(0, f"{dataset.dropped_rows} rows with missing values were dropped.")
        self.warnings_label = QLabel("\n".join(f"⚠ {w}" for w in notes))
        self.warnings_label.setObjectName("csvWarnings")
        self.warnings_label.setTextFormat(Qt.TextFormat.PlainText)  # they quote the file's cells
        self.warnings_label.setToolTip("What the loader skipped or noticed in the file.")
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setStyleSheet(NOTE_STYLE)
        self.warnings_label.setVisible(bool(notes))

        self.column_list = QListWidget()
        self.column_list.setObjectName("csvColumnList")
        self.column_list.setToolTip("Columns the clustering uses: distances are measured over every checked column.")
        spans = np.ptp(X, axis=0) if n else np.zeros(d)
        for j, name in enumerate(dataset.columns):
            item = QListWidgetItem(f"{name}   (range {X[:, j].min():.4g} – {X[:, j].max():.4g})" if n else name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            item.setData(Qt.ItemDataRole.UserRole, j)
            self.column_list.addItem(item)
        self.column_list.setMaximumHeight(min(8, max(d, 2)) * self.column_list.sizeHintForRow(0) + 8)
        # as wide as the longest entry (with its check box and a scroll bar), so no name is cut
        self.column_list.setMinimumWidth(min(self.column_list.sizeHintForColumn(0) + 40, 900))
        self._spans = spans

        self.standardise_check = QCheckBox("&Standardise columns (mean 0, standard deviation 1)")
        self.standardise_check.setObjectName("csvStandardiseCheck")
        self.standardise_check.setToolTip(STANDARDISE_TIP)
        self.spread_label = QLabel()
        self.spread_label.setObjectName("csvSpreadHint")
        self.spread_label.setWordWrap(True)
        self.spread_label.setStyleSheet(NOTE_STYLE)
        self.pca_label = QLabel()
        self.pca_label.setObjectName("csvPcaWarning")
        self.pca_label.setTextFormat(Qt.TextFormat.PlainText)  # it names the file's columns
        self.pca_label.setWordWrap(True)
        self.pca_label.setStyleSheet(NOTE_STYLE)
        self.pca_label.setToolTip("PCA finds the directions of largest variance: in unstandardised data that "
                                  "is the column in the largest units.")
        self._pca_warnings: dict = {}  # fitted columns -> warning (or None), computed once each

        self.view_combo = QComboBox()
        self.view_combo.setObjectName("csvViewCombo")
        self.view_combo.setToolTip("Show two of the fitted columns, or the data projected on its first two "
                                   "principal axes (PCA).")
        self.view_combo.addItem("Two columns", VIEW_COLUMNS)
        self.view_combo.addItem("PCA projection (first two principal axes)", VIEW_PCA)
        self.pair_box = pair = ColumnPair(("csvXCombo", "csvYCombo"), ("Fitted column on the horizontal axis.",
                                                                       "Fitted column on the vertical axis."))
        self.x_combo, self.y_combo = pair.x_combo, pair.y_combo
        for combo in (self.x_combo, self.y_combo):  # wide enough for the longest column name, never cut
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

        self.order_combo = self._column_combo("orderColumnCombo", "(file order)", ORDER_TIP)
        self.sequence_combo = self._column_combo("sequenceColumnCombo", "(one sequence)", SEQUENCE_TIP)
        self.gap_spin = QDoubleSpinBox()
        self.gap_spin.setObjectName("sequenceGapSpin")
        self.gap_spin.setToolTip(GAP_TIP)
        self.gap_spin.setDecimals(4)
        self.gap_spin.setRange(0.0, 1e10)
        self.gap_spin.setSpecialValueText("no split")
        self.gap_spin.setSizePolicy(self.order_combo.sizePolicy())
        self.sequence_label = QLabel()
        self.sequence_label.setObjectName("sequenceSummary")
        self.sequence_label.setTextFormat(Qt.TextFormat.PlainText)  # it names the file's columns
        self.sequence_label.setWordWrap(True)
        self._ordered: tuple | None = None  # (choices, ordered Dataset or the DataError's message)

        self.problem_label = QLabel()
        self.problem_label.setObjectName("csvProblem")
        self.problem_label.setTextFormat(Qt.TextFormat.PlainText)
        self.problem_label.setStyleSheet("color: #b00020;")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Load")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setToolTip("Load the data with these choices.")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        fit_box = QGroupBox("Fit on")
        fit_layout = QVBoxLayout(fit_box)
        fit_layout.addWidget(self.column_list)
        fit_layout.addWidget(self.standardise_check)
        fit_layout.addWidget(self.spread_label)
        order_box = QGroupBox("Order (hidden Markov model)")
        order_box.setToolTip("Only the hidden Markov model uses the order of the rows; the other algorithms "
                             "give the same result in any order.")
        order_form = QFormLayout(order_box)
        order_form.addRow("&Order rows by", self.order_combo)
        order_form.addRow("Se&quence id", self.sequence_combo)
        order_form.addRow("Split at a &gap over", self.gap_spin)
        order_form.addRow(self.sequence_label)
        self.order_form = order_form
        view_box = QGroupBox("Show")
        view_form = QFormLayout(view_box)
        view_form.addRow("&View", self.view_combo)
        view_form.addRow("&Axes", pair)
        view_form.addRow(self.pca_label)
        self.view_form = view_form

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.warnings_label)
        layout.addWidget(fit_box)
        layout.addWidget(order_box)
        layout.addWidget(view_box)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)

        self.column_list.itemChanged.connect(lambda _item: self._sync())
        self.view_combo.currentIndexChanged.connect(lambda _i: self._sync())
        self.standardise_check.toggled.connect(lambda _on: self._sync())
        self.order_combo.currentIndexChanged.connect(lambda _i: self._sync())
        self.sequence_combo.currentIndexChanged.connect(lambda _i: self._sync())
        self.gap_spin.valueChanged.connect(lambda _v: self._sync())
        self.x_combo.currentIndexChanged.connect(lambda _i: self._sync_ok())
        self.y_combo.currentIndexChanged.connect(lambda _i: self._sync_ok())
        self._sync()
        self.setMinimumWidth(self.minimumSizeHint().width())
        self.resize(max(self.sizeHint().width(), 460), self.sizeHint().height())

    # ------------------------------------------------------------- choices
    def _column_combo(self, name: str, none_text: str, tip: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setToolTip(tip)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.addItem(none_text, None)
        for j, column in enumerate(self.source.columns):
            combo.addItem(column, j)
        return combo

    def fitted_columns(self) -> tuple[int, ...]:
        """Indices (into the file's numeric columns) of the checked columns;
        the order and sequence-id columns are never fitted."""
        special = {self.order_column(), self.sequence_column()}
        return tuple(self.column_list.item(i).data(Qt.ItemDataRole.UserRole)
                     for i in range(self.column_list.count())
                     if self.column_list.item(i).checkState() == Qt.CheckState.Checked
                     and self.column_list.item(i).data(Qt.ItemDataRole.UserRole) not in special)

    def order_column(self) -> int | None:
        """Index of the column that orders the rows, or None (file order)."""
        return self.order_combo.currentData()

    def sequence_column(self) -> int | None:
        """Index of the sequence-id column, or None (one sequence)."""
        return self.sequence_combo.currentData()

    def sequence_gap(self) -> float | None:
        """The gap in the order column that starts a new sequence, or None."""
        value = self.gap_spin.value()
        return value if value > 0 and self.order_column() is not None else None

    def set_sequences(self, order: int | None, sequence: int | None = None, gap: float = 0.0) -> None:
        """Choose the order column, the sequence-id column (indices, or None) and the gap (0: none)."""
        with QSignalBlocker(self.order_combo), QSignalBlocker(self.sequence_combo), QSignalBlocker(self.gap_spin):
            self.order_combo.setCurrentIndex(self.order_combo.findData(order) if order is not None else 0)
            self.sequence_combo.setCurrentIndex(self.sequence_combo.findData(sequence) if sequence is not None else 0)
            self.gap_spin.setValue(gap)
        self._sync()

    def set_fitted_columns(self, columns) -> None:
        """Check exactly the columns with these indices."""
        wanted = {int(c) for c in columns}
        with QSignalBlocker(self.column_list):
            for i in range(self.column_list.count()):
                item = self.column_list.item(i)
                state = Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in wanted else \
                    Qt.CheckState.Unchecked
                item.setCheckState(state)
        self._sync()

    @property
    def view_mode(self) -> str:
        """`VIEW_COLUMNS` or `VIEW_PCA`."""
        return self.view_combo.currentData()

    def set_view_mode(self, mode: str) -> None:
        index = self.view_combo.findData(mode)
        if index < 0:
            raise ValueError(f"view mode {mode!r} should be {VIEW_COLUMNS!r} or {VIEW_PCA!r}.")
        self.view_combo.setCurrentIndex(index)

    def view_pair(self) -> tuple[int, int]:
        """The shown pair as indices into the *fitted* columns."""
        return (max(self.x_combo.currentIndex(), 0), max(self.y_combo.currentIndex(), 0))

    def set_view_pair(self, x: int, y: int) -> None:
        """Choose the shown pair by indices into the fitted columns."""
        self.x_combo.setCurrentIndex(int(x))
        self.y_combo.setCurrentIndex(int(y))

    @property
    def standardised(self) -> bool:
        return self.standardise_check.isChecked()

    def problem(self) -> str | None:
        """Why the choices cannot be loaded, or None."""
        fitted = self.fitted_columns()
        if len(fitted) < 2:
            return "Check at least two columns to fit on."
        if self.view_mode == VIEW_COLUMNS and self.view_pair()[0] == self.view_pair()[1]:
            return "Choose two different columns to show."
        ordered = self._ordered_source()
        return ordered if isinstance(ordered, str) else None

    def _ordered_source(self) -> Dataset | str:
        """The file's table in the chosen order, with its sequences (the
        order and sequence-id columns removed), or why it cannot be ordered."""
        choices = (self.order_column(), self.sequence_column(), self.sequence_gap())
        if self._ordered is None or self._ordered[0] != choices:
            try:
                result = order_rows(self.source, *choices)
            except DataError as exc:
                result = str(exc)
            self._ordered = (choices, result)
        return self._ordered[1]

    def dataset(self) -> Dataset:
        """The data set to load: the checked columns, standardised if chosen;
        the loader's warnings are kept (plus one per constant column)."""
        ordered = self._ordered_source()
        if isinstance(ordered, str):
            raise DataError(ordered)
        # the ordered table lacks the order and sequence-id columns: renumber the fitted ones
        kept = [j for j in range(self.source.n_features) if j not in (self.order_column(), self.sequence_column())]
        chosen = ordered.with_columns([kept.index(j) for j in self.fitted_columns()])
        if not self.standardised:
            return chosen
        notes: list[str] = []
        Z, _, _ = standardise(chosen.X, chosen.columns, notes)
        known = set(chosen.warnings)
        return dataclasses.replace(chosen, X=Z, warnings=chosen.warnings + tuple(w for w in notes if w not in known))

    def apply_view(self, controller) -> bool:
        """Show the chosen view of the session the dataset was loaded into
        (the dialog's parent is the main window)."""
        session = controller.session
        if self.view_mode == VIEW_PCA:
            return set_pca_view(self.parent(), True)
        x, y = self.view_pair()
        if (x, y) == tuple(session.view_columns):
            return True
        return controller.set_view_columns(x, y)

    # ------------------------------------------------------------- syncing
    def _sync(self) -> None:
        fitted = self.fitted_columns()
        names = [self.source.columns[j] for j in fitted]
        for combo, default in ((self.x_combo, 0), (self.y_combo, 1)):
            old = combo.currentText()
            with QSignalBlocker(combo):
                combo.clear()
                combo.addItems(names)
                index = names.index(old) if old in names else min(default, len(names) - 1)
                combo.setCurrentIndex(index)
        if len(names) >= 2 and self.x_combo.currentIndex() == self.y_combo.currentIndex():
            with QSignalBlocker(self.x_combo), QSignalBlocker(self.y_combo):
                self.x_combo.setCurrentIndex(0)
                self.y_combo.setCurrentIndex(1)
        pca_index = self.view_combo.findData(VIEW_PCA)
        pca_item = self.view_combo.model().item(pca_index)
        pca_item.setEnabled(len(fitted) >= 3)
        if len(fitted) < 3 and self.view_mode == VIEW_PCA:
            with QSignalBlocker(self.view_combo):
                self.view_combo.setCurrentIndex(self.view_combo.findData(VIEW_COLUMNS))
        self.view_form.setRowVisible(self.pair_box, self.view_mode == VIEW_COLUMNS)
        spans = self._spans[list(fitted)] if fitted else np.zeros(0)
        positive = spans[spans > 0]
        hint = ""
        if (positive.size >= 2 and positive.max() / positive.min() > SPREAD_RATIO_HINT
                and not self.standardise_check.isChecked()):
            wide = names[int(np.argmax(np.where(spans > 0, spans, -np.inf)))]
            hint = (f"The column ranges differ by a factor of {positive.max() / positive.min():.0f}: unscaled, "
                    f"{wide!r} dominates the distance. Consider standardising.")
        self.spread_label.setText(hint)
        self.spread_label.setVisible(bool(hint))
        warning = self.pca_warning() if self.view_mode == VIEW_PCA and not self.standardised else None
        self.pca_label.setText(warning or "")
        self.view_form.setRowVisible(self.pca_label, bool(warning))
        self._sync_sequences()
        self._sync_ok()

    def _sync_sequences(self) -> None:
        order, sequence = self.order_column(), self.sequence_column()
        for i in range(self.column_list.count()):  # the order and id columns are not offered as features
            item = self.column_list.item(i)
            item.setHidden(item.data(Qt.ItemDataRole.UserRole) in (order, sequence))
        self.gap_spin.setEnabled(order is not None)
        ordered = self._ordered_source() if (order, sequence) != (None, None) else None
        text = ""
        if isinstance(ordered, Dataset) and ordered.lengths:
            lengths = ordered.lengths
            how = f"sorted by {self.source.columns[order]!r}" if order is not None else "in file order"
            shown = ", ".join(map(str, lengths[:6])) + (", …" if len(lengths) > 6 else "")
            count = "one sequence" if len(lengths) == 1 else f"{len(lengths)} sequences"
            text = f"Rows {how}: {count} ({'rows' if len(lengths) == 1 else 'lengths'} {shown})."
        self.sequence_label.setText(text)
        self.order_form.setRowVisible(self.sequence_label, bool(text))

    def pca_warning(self) -> str | None:
        """`pca_dominance_warning` for the checked columns (unstandardised)."""
        fitted = self.fitted_columns()
        if len(fitted) < 2 or self.source.X.shape[0] < 2:
            return None
        if fitted not in self._pca_warnings:
            self._pca_warnings[fitted] = pca_dominance_warning(
                self.source.X[:, list(fitted)], [self.source.columns[j] for j in fitted])
        return self._pca_warnings[fitted]

    def _sync_ok(self) -> None:
        problem = self.problem()
        self.problem_label.setText(problem or "")
        self.problem_label.setVisible(problem is not None)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)


def open_csv_dialog(window, dataset: Dataset) -> CsvDialog:
    """Show a `CsvDialog` for ``dataset`` over ``window`` (window-modal, not
    blocking); on Load the chosen data set is loaded and the chosen view shown."""
    old = window.findChild(CsvDialog, "csvDialog")
    if old is not None:
        old.close()
        old.deleteLater()
    dialog = CsvDialog(dataset, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def load() -> None:
        try:
            chosen = dialog.dataset()
        except ValueError as exc:
            window.show_error("Cannot load the data", str(exc))
            return
        if window.controller.load_dataset(chosen):
            dialog.apply_view(window.controller)

    dialog.accepted.connect(load)
    dialog.open()
    return dialog
