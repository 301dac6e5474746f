"""The restarts as the exercise asks for them: one row per seed 0 ... R-1,
the final objective of the run from each start method, and how many runs
of each method reached the best objective."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from clusterviz.session import format_number

from .restart_runs import START_METHODS, reached_best

#: Background of a cell whose run reached the best objective.
BEST_FILL = QColor("#FFF1B8")
REACHED_ROW = "reached the best"


class SeedsTable(QTableWidget):
    """Seeds down, start methods across (``restartsTable``).

    ``on_run(run)`` is called when a run's cell is activated (double click,
    Enter), to load that run.
    """

    def __init__(self, on_run: Callable | None = None, parent=None) -> None:
        super().__init__(0, 1 + len(START_METHODS), parent)
        self.setObjectName("restartsTable")
        self.setToolTip("Final objective of the run from each seed and start method; marked ✓ when it reached "
                        "the best of all runs. The last row counts them. Double-click a run to load its start.")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self._runs: dict[tuple[int, int], object] = {}
        self._on_run = on_run
        self.cellActivated.connect(self._activated)
        self.show_runs([], "J")

    def show_runs(self, runs, symbol: str) -> None:
        """Fill the table from ``runs`` (any order) with objective ``symbol``."""
        self._runs = {}
        self.setHorizontalHeaderLabels(["Seed"] + [f"{method}: {symbol}" for method in START_METHODS])
        seeds = sorted({run.seed for run in runs})
        self.setRowCount(len(seeds) + (1 if runs else 0))
        best = reached_best(runs)
        row_of = {seed: i for i, seed in enumerate(seeds)}
        for i, seed in enumerate(seeds):
            self.setItem(i, 0, self._cell(str(seed), align=Qt.AlignmentFlag.AlignCenter))
        for run, is_best in zip(runs, best):
            column = 1 + START_METHODS.index(run.init) if run.init in START_METHODS else None
            if column is None:
                continue
            text = format_number(run.objective) + (" ✓" if is_best else "")
            cell = self._cell(text)
            cell.setToolTip(f"Seed {run.seed}, {run.init} start: {symbol} = {format_number(run.objective)} after "
                            f"{run.n_iter} iterations{'' if run.converged else ' (not converged)'}"
                            f"{'; reached the best' if is_best else ''}. Double-click to load it.")
            if is_best:  # a light fill, so dark text whatever the palette
                cell.setBackground(QBrush(BEST_FILL))
                cell.setForeground(QBrush(QColor("#222222")))
            self.setItem(row_of[run.seed], column, cell)
            self._runs[(row_of[run.seed], column)] = run
        if runs:
            last = len(seeds)
            bold = QFont(self.font())
            bold.setBold(True)
            label = self._cell(REACHED_ROW)
            label.setFont(bold)
            self.setItem(last, 0, label)
            for column, method in enumerate(START_METHODS, start=1):
                x, total = self.reached(runs, method)
                cell = self._cell(f"{x} / {total}")
                cell.setFont(bold)
                self.setItem(last, column, cell)
        self.resizeRowsToContents()

    @staticmethod
    def reached(runs, method: str) -> tuple[int, int]:
        """(x, R): runs of ``method`` that reached the best objective of all runs."""
        best = reached_best(runs)
        chosen = np.array([run.init == method for run in runs], dtype=bool)
        return int(np.count_nonzero(best & chosen)), int(np.count_nonzero(chosen))

    def counts(self) -> dict[str, str]:
        """The texts of the "reached the best" row, by start method ({} when empty)."""
        last = self.rowCount() - 1
        if last < 0 or self.item(last, 0) is None or self.item(last, 0).text() != REACHED_ROW:
            return {}
        return {method: self.item(last, column).text() for column, method in enumerate(START_METHODS, start=1)}

    @staticmethod
    def _cell(text: str, align=Qt.AlignmentFlag.AlignRight) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
        return item

    def _activated(self, row: int, column: int) -> None:
        run = self._runs.get((row, column))
        if run is not None and self._on_run is not None:
            self._on_run(run)
