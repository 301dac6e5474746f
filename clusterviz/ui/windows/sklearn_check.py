"""Run ▸ Check against scikit-learn: one action that runs scikit-learn from
the shown run's start and shows both results side by side.

`install_sklearn_check(window)` adds the action (objectName
``sklearnCheckAction``) to the window's Run menu and returns it; triggering
it opens a `SklearnCheckDialog` (``sklearnCheckDialog``). The comparison is
`clusterviz.session.sklearn_check` (no Qt): its inputs are taken from the
session on the GUI thread, both runs are computed on a worker thread (the
window stays responsive), and the dialog shows

- a verdict line (``sklearnCheckVerdict``): the same result or not;
- a table (``sklearnCheckTable``): the objective, iterations, where the
  tolerance was met, labels agreeing, the ARI between the two labelings and
  the largest distance between means, clusterviz beside scikit-learn;
- the means of both, cluster by cluster (``sklearnMeansTable``);
- the call made (``sklearnCheckCall``), to repeat it in a notebook.

Without scikit-learn, or for an algorithm without a counterpart, the dialog
says so (and how to install scikit-learn) instead.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFontDatabase
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ..jobs import Worker

if TYPE_CHECKING:
    from clusterviz.session.sklearn_check import SklearnComparison

__all__ = ["SklearnCheckDialog", "install_sklearn_check"]

ACTION_TIP = ("Run scikit-learn from the same start on the same data (same max_iter and tol) and show both "
              "results side by side.")


def _item(text: str, tip: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if tip:
        item.setToolTip(tip)
    return item


def _table(name: str, columns: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def _fit_height(table: QTableWidget) -> None:
    """Make ``table`` exactly as tall as its rows (no empty area, no scroll bar)."""
    table.resizeRowsToContents()
    height = table.horizontalHeader().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(i) for i in range(table.rowCount()))
    table.setFixedHeight(height)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)


def _iterations(run) -> str:
    return str(run.n_iter)


def _met(run) -> str:
    return "not met (max_iter reached)" if run.met_at is None else f"at iteration {run.met_at}"


def _means(means) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in means) + ")"


class SklearnCheckDialog(QDialog):
    """The check's result (or why there is none); see the module docstring."""

    def __init__(self, session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sklearnCheckDialog")
        self.setWindowTitle("Check against scikit-learn")
        self.comparison: SklearnComparison | None = None
        self.error: str | None = None
        self.what = QLabel()
        self.what.setObjectName("sklearnCheckWhat")
        self.what.setWordWrap(True)
        self.verdict = QLabel("Running clusterviz and scikit-learn from the same start…")
        self.verdict.setObjectName("sklearnCheckVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = _table("sklearnCheckTable", ["clusterviz", "scikit-learn"])
        self.means_table = _table("sklearnMeansTable", ["clusterviz", "scikit-learn"])
        self.call = QLabel()
        self.call.setObjectName("sklearnCheckCall")
        self.call.setWordWrap(True)
        self.call.setTextFormat(Qt.TextFormat.PlainText)
        self.call.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.call.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.what, self.verdict, self.table, self.means_table, self.call):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(buttons)
        font = self.verdict.font()
        font.setBold(True)
        self.verdict.setFont(font)
        self.resize(680, 480)
        self._worker = Worker("sklearn-check")
        self._task = None
        self._start(session)

    @property
    def running(self) -> bool:
        """Whether the runs are still being computed."""
        return self.comparison is None and self.error is None

    def _start(self, session) -> None:
        # Imported here: the check (and its scikit-learn import) is for the few who open this dialog.
        from clusterviz.session.sklearn_check import SklearnCheckError, prepare_check, run_check

        try:
            inputs = prepare_check(session)
        except SklearnCheckError as err:
            self._show_error(str(err))
            return
        self.what.setText(f"From the start of {inputs.description}; max_iter = {inputs.max_iter}, "
                          f"tol = {inputs.tol:g}.")
        self._task = self._worker.submit(run_check, inputs, on_done=self._show, on_failed=self._failed)

    def _failed(self, error: BaseException) -> None:
        if not isinstance(error, ValueError):  # a bug, not a refusal: let it surface
            raise error
        self._show_error(f"The check could not run: {error}")

    def _show_error(self, text: str) -> None:
        self.error = text
        self.verdict.setText(text)
        for widget in (self.table, self.means_table, self.call):
            widget.hide()
        if not self.what.text():
            self.what.hide()
        self.resize(self.width(), max(self.layout().totalHeightForWidth(self.width()), 140))

    def _show(self, c: SklearnComparison) -> None:
        self.comparison = c
        self.verdict.setText(c.summary())
        rows = [
            (f"{c.objective_name}", repr(c.ours.objective), repr(c.theirs.objective),
             f"Relative difference {c.objective_gap:.2e}"),
            ("Iterations run", _iterations(c.ours), _iterations(c.theirs),
             "scikit-learn tests its tolerance one M-step later; both are compared after its iterations."),
            ("Tolerance met", _met(c.ours), _met(c.theirs), None),
            ("Labels agree", f"{c.labels_agree:.2%} of the points", "", "Same cluster number for a point."),
            ("ARI between them", f"{c.adjusted_rand:.6f}", "", "1: the same partition, whatever the numbering."),
            ("Largest mean difference", f"{c.max_mean_shift:.3g}", "", "Between the means of the same number."),
        ]
        self.table.setRowCount(len(rows))
        self.table.setVerticalHeaderLabels([row[0] for row in rows])
        for i, (_, ours, theirs, tip) in enumerate(rows):
            if theirs:
                self.table.setItem(i, 0, _item(ours, tip))
                self.table.setItem(i, 1, _item(theirs, tip))
            else:  # one value for both: spread over the two columns
                self.table.setSpan(i, 0, 1, 2)
                self.table.setItem(i, 0, _item(ours, tip))
        K = c.ours.means.shape[0]
        self.means_table.setRowCount(K)
        self.means_table.setVerticalHeaderLabels([f"Mean {k + 1}" for k in range(K)])
        for k in range(K):
            self.means_table.setItem(k, 0, _item(_means(c.ours.means[k])))
            self.means_table.setItem(k, 1, _item(_means(c.theirs.means[k])))
        self.call.setText(c.estimator)
        _fit_height(self.table)
        _fit_height(self.means_table)

    def done(self, result: int) -> None:
        if self._task is not None:
            self._task.cancel()  # a result computed after closing is never delivered
        super().done(result)


def install_sklearn_check(window) -> QAction:
    """Add Run ▸ Check against scikit-learn… (``sklearnCheckAction``) to
    ``window`` (a MainWindow: its ``run_menu`` when it has one, and the
    window itself, so the action works without the menu) and return it."""
    action = QAction("Check against &scikit-learn…", window)
    action.setObjectName("sklearnCheckAction")
    action.setToolTip(ACTION_TIP)
    action.setStatusTip(ACTION_TIP)

    def open_dialog() -> None:
        old = getattr(window, "sklearn_check_dialog", None)
        if old is not None:
            old.close()
            old.deleteLater()
        window.controller.pause()
        window.sklearn_check_dialog = dialog = SklearnCheckDialog(window.session, window)
        dialog.show()

    action.triggered.connect(open_dialog)
    menu = getattr(window, "run_menu", None)
    if menu is not None:
        menu.addSeparator()
        menu.addAction(action)
    window.addAction(action)
    return action
