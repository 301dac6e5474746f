"""The dialog shown after a CSV file was read: which columns to fit, which two
to view (or a PCA projection), whether to standardise, and what the loader
warned about."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox,
                               QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget)

from clusterviz.data import Dataset
from clusterviz.data.transform import explained_variance, pca_dominance_warning, pca_projection, standardise

from ..names import escaped, printable
from ..panels.column_pair import ColumnPair

#: View choices of `CsvDialog.view_mode`.
VIEW_COLUMNS, VIEW_PCA = "columns", "pca"

#: Suggest standardising when the column spreads differ by more than this factor.
SPREAD_RATIO_HINT = 5.0

#: Hints and warnings sit on a light box with dark text, readable under a light or a dark palette.
NOTE_STYLE = ("QLabel { background: #FFF4D6; color: #5A3A00; border: 1px solid #E0B050; border-radius: 3px;"
              " padding: 3px; }")

STANDARDISE_TIP = ("Rescale every column to mean 0 and standard deviation 1; unscaled, the column in the "
                   "largest units dominates the distance (Old Faithful: waiting time swamps eruption length).")


def projection_axis_labels(session) -> tuple[str, str]:
    """Axis titles for a projected view: "PC1 (73% of variance)", ..."""
    W = session.view_projection
    ratio = explained_variance(session.X, W)
    return tuple(f"PC{i + 1} ({100 * r:.0f}% of variance)" for i, r in enumerate(ratio[:2]))


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
        layout.addWidget(view_box)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)

        self.column_list.itemChanged.connect(lambda _item: self._sync())
        self.view_combo.currentIndexChanged.connect(lambda _i: self._sync())
        self.standardise_check.toggled.connect(lambda _on: self._sync())
        self.x_combo.currentIndexChanged.connect(lambda _i: self._sync_ok())
        self.y_combo.currentIndexChanged.connect(lambda _i: self._sync_ok())
        self._sync()
        self.setMinimumWidth(self.minimumSizeHint().width())
        self.resize(max(self.sizeHint().width(), 460), self.sizeHint().height())

    # ------------------------------------------------------------- choices
    def fitted_columns(self) -> tuple[int, ...]:
        """Indices (into the file's numeric columns) of the checked columns."""
        return tuple(self.column_list.item(i).data(Qt.ItemDataRole.UserRole)
                     for i in range(self.column_list.count())
                     if self.column_list.item(i).checkState() == Qt.CheckState.Checked)

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
        return None

    def dataset(self) -> Dataset:
        """The data set to load: the checked columns, standardised if chosen;
        the loader's warnings are kept (plus one per constant column)."""
        chosen = self.source.with_columns(self.fitted_columns())
        if not self.standardised:
            return chosen
        notes: list[str] = []
        Z, _, _ = standardise(chosen.X, chosen.columns, notes)
        known = set(chosen.warnings)
        return Dataset(name=chosen.name, X=Z, columns=chosen.columns, labels=chosen.labels,
                       class_names=chosen.class_names, dropped_rows=chosen.dropped_rows,
                       warnings=chosen.warnings + tuple(w for w in notes if w not in known))

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
        self._sync_ok()

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


# ------------------------------------------------------------ PCA view action
def set_pca_view(window, on: bool) -> bool:
    """Show the window's data on its first two principal axes (``on``), or
    go back to the chosen column pair. Nothing is refitted."""
    controller = window.controller
    session = controller.session
    if not on:
        if session.view_projection is None:
            return True
        return controller.set_view_projection(None)
    try:
        W, mean, _ = pca_projection(session.X)
    except ValueError as exc:
        controller.report(str(exc))
        sync_projection_view(window)
        return False
    warning = pca_dominance_warning(session.X, session.dataset.columns)
    shown = controller.set_view_projection(W, mean)
    if shown and warning is not None:  # e.g. PCA on unstandardised columns: PC1 is the column in the largest units
        window.statusBar().showMessage(warning, 20000)
    return shown


def sync_projection_view(window) -> None:
    """After the view changed: PCA axis titles, the action's check mark, and
    the column choice (not used while a projection is shown)."""
    session = window.session
    projected = session.view_projection is not None
    if projected:
        window.canvas.set_axis_labels(projection_axis_labels(session))
    action = getattr(window, "pca_view_action", None)
    if action is not None:
        with QSignalBlocker(action):
            action.setChecked(projected)
        action.setEnabled(session.n_features >= 3 or projected)
    box = getattr(window.controls, "columns_box", None)
    if box is not None:
        box.setEnabled(not projected)
        box.setToolTip("Shown on the PCA axes (View ▸ PCA projection); uncheck it to choose columns."
                       if projected else "")
