"""The transition matrix of a sequence model as a heat map with its numbers,
and the start probabilities beside it.

A_jk = p(z_t = k | z_t-1 = j) (PRML (13.7)): row j says where state j goes
next, so every row sums to 1; π_k = p(z_1 = k) (PRML (13.8)). Both follow the
shown step, so stepping and stepping back show them change.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QSizePolicy, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from ..canvas.palette import cluster_colour

#: The heat map's colour at probability 0 and at probability 1.
LOW_COLOUR = QColor("#FFFFFF")
HIGH_COLOUR = QColor("#08306B")
#: Cells darker than this (probability) get white text.
WHITE_TEXT_FROM = 0.5
PLACEHOLDER = "No transition matrix yet: it appears with the model's first fit."
#: Pixels around a cell's number (both sides together) and around a header's colour square and label.
CELL_PADDING = 10
HEADER_PADDING = 14
TRANSITION_TIP = ("Transition matrix A: row j, column k holds p(z_t = k | z_t−1 = j), the probability that "
                  "state j is followed by state k (each row sums to 1; PRML 13.7).")
START_TIP = "Start probabilities π_k = p(z_1 = k): how likely each state is at the first time step (PRML 13.8)."


def probability_text(p: float) -> str:
    """A cell's text: two decimals; "0" only for an exact zero (a transition
    that cannot happen), "<0.01" for a tiny but possible one."""
    p = float(p)
    if p == 0.0:
        return "0"
    if p < 0.005:
        return "<0.01"
    return f"{p:.2f}"


def heat_colour(p: float) -> QColor:
    """The heat map's colour for probability ``p`` (white to dark blue)."""
    t = float(np.clip(p, 0.0, 1.0)) ** 0.7  # a little lift, so 0.1 and 0.2 differ from white
    return QColor(round(LOW_COLOUR.red() + t * (HIGH_COLOUR.red() - LOW_COLOUR.red())),
                  round(LOW_COLOUR.green() + t * (HIGH_COLOUR.green() - LOW_COLOUR.green())),
                  round(LOW_COLOUR.blue() + t * (HIGH_COLOUR.blue() - LOW_COLOUR.blue())))


def state_icon(k: int, size: int = 10) -> QIcon:
    """A square in state ``k``'s colour, for the headers."""
    pixmap = QPixmap(size, size)
    pixmap.fill(cluster_colour(k))
    return QIcon(pixmap)


class _HeatTable(QTableWidget):
    """A read-only table of probabilities, each cell tinted by its value."""

    def __init__(self, name: str, tooltip: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setToolTip(tooltip)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setShowGrid(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)  # a number cut to "0…" would say nothing
        for header, least in ((self.horizontalHeader(), 34), (self.verticalHeader(), 20)):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            header.setMinimumSectionSize(least)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_values(self, values: np.ndarray, row_labels, column_labels, icons_on_rows: bool,
                    icons_on_columns: bool, tips) -> None:
        rows, columns = values.shape
        if (self.rowCount(), self.columnCount()) != (rows, columns):
            self.setRowCount(rows)
            self.setColumnCount(columns)
        for i, label in enumerate(row_labels):
            item = QTableWidgetItem(label)
            if icons_on_rows:
                item.setIcon(state_icon(i))
            self.setVerticalHeaderItem(i, item)
        for j, label in enumerate(column_labels):
            item = QTableWidgetItem(label)
            if icons_on_columns:
                item.setIcon(state_icon(j))
            self.setHorizontalHeaderItem(j, item)
        for i in range(rows):
            for j in range(columns):
                p = float(values[i, j])
                item = self.item(i, j)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.setItem(i, j, item)
                item.setText(probability_text(p))
                item.setData(Qt.ItemDataRole.UserRole, p)
                item.setBackground(QBrush(heat_colour(p)))
                item.setForeground(QBrush(QColor("white") if p > WHITE_TEXT_FROM else QColor("#111111")))
                item.setToolTip(tips(i, j, p))


class TransitionView(QWidget):
    """The transition matrix heat map (``transitionTable``) and the start
    probabilities (``startTable``), objectName ``transitionView``."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("transitionView")
        self.setToolTip(TRANSITION_TIP)
        self.transition_table = _HeatTable("transitionTable", TRANSITION_TIP)
        self.start_table = _HeatTable("startTable", START_TIP)
        # Too low for its rows (large text), the matrix's scroll bar scrolls π's rows with its own: π keeps
        # the width of its numbers and stays row by row beside the matrix.
        self.start_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.transition_table.verticalScrollBar().valueChanged.connect(self.start_table.verticalScrollBar().setValue)
        self.transition_caption = QLabel("A: row → column")  # the full wording is in the tooltip
        self.transition_caption.setToolTip(TRANSITION_TIP)
        self.start_caption = QLabel("Start π")
        self.start_caption.setToolTip(START_TIP)
        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setObjectName("transitionPlaceholder")
        self.placeholder.setWordWrap(True)
        muted = self.placeholder.palette()  # the system's hint colour: readable on light and dark palettes
        muted.setColor(QPalette.ColorRole.WindowText, muted.color(QPalette.ColorRole.PlaceholderText))
        self.placeholder.setPalette(muted)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)

        matrix = QVBoxLayout()
        matrix.setSpacing(2)
        matrix.addWidget(self.transition_caption)
        matrix.addWidget(self.transition_table, 1)
        start = QVBoxLayout()
        start.setSpacing(2)
        start.addWidget(self.start_caption)
        start.addWidget(self.start_table, 1)
        tables = QHBoxLayout()
        tables.setContentsMargins(0, 0, 0, 0)
        tables.addLayout(matrix, 1)
        tables.addLayout(start)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(tables, 1)
        layout.addWidget(self.placeholder)
        self.setMinimumWidth(200)
        self.transmat: np.ndarray | None = None
        self.startprob: np.ndarray | None = None
        self.show_parameters(None, None)

    def show_parameters(self, startprob, transmat, note: str | None = None) -> None:
        """Show π (K,) and A (K, K); None for either shows the placeholder,
        ``note`` (e.g. why there is no fit and what to do) if given."""
        shown = startprob is not None and transmat is not None
        self.transmat = None if not shown else np.asarray(transmat, dtype=np.float64)
        self.startprob = None if not shown else np.asarray(startprob, dtype=np.float64)
        for widget in (self.transition_table, self.start_table, self.transition_caption, self.start_caption):
            widget.setVisible(shown)
        self.placeholder.setText(f"No transition matrix yet. {note}" if note else PLACEHOLDER)
        self.placeholder.setVisible(not shown)
        if not shown:
            return
        K = self.transmat.shape[0]
        names = [str(k + 1) for k in range(K)]
        self.transition_table.show_values(
            self.transmat, [f"{n} →" for n in names], [f"→ {n}" for n in names], True, True,
            lambda j, k, p: f"p(z_t = {k + 1} | z_t−1 = {j + 1}) = {p:.6g}")
        self.start_table.show_values(self.startprob[:, None], [f"{n}" for n in names], ["π"], True, False,
                                     lambda k, _j, p: f"p(z_1 = {k + 1}) = {p:.6g}")
        self.fit_widths()

    def cell_width(self) -> int:
        """Pixels a column of the matrix needs in the current font: its widest
        number ("<0.01") and its header (colour square and "→ K"), whole."""
        K = 0 if self.transmat is None else self.transmat.shape[0]
        number = self.transition_table.fontMetrics().horizontalAdvance("<0.01") + CELL_PADDING
        return max(number, self.header_width(f"→ {max(K, 1)}"))

    def header_width(self, label: str) -> int:
        """Pixels a header needs for ``label`` and its colour square."""
        header = self.transition_table.horizontalHeader()
        return header.fontMetrics().horizontalAdvance(label) + header.iconSize().width() + HEADER_PADDING

    def row_height(self) -> int:
        """Pixels a row needs for its number and its header in the current font."""
        return max(self.transition_table.fontMetrics().height(),
                   self.transition_table.verticalHeader().fontMetrics().height()) + 6

    def fit_widths(self) -> None:
        """Columns and rows never narrower or lower than their numbers need
        (a table too small scrolls, its numbers never overlap); the start
        column as wide as its numbers need; the matrix takes the rest. Call
        again when the font changes (presenter mode does, by a FontChange)."""
        cell, row = self.cell_width(), self.row_height()
        for table in (self.transition_table, self.start_table):
            table.horizontalHeader().setMinimumSectionSize(cell)
            table.verticalHeader().setMinimumSectionSize(row)
            table.verticalHeader().setDefaultSectionSize(row)
        table = self.start_table
        K = 0 if self.startprob is None else self.startprob.shape[0]
        header = max(table.verticalHeader().sizeHint().width(), self.header_width(str(K)))
        table.setFixedWidth(header + cell + 2 * table.frameWidth() + 2)
        self.updateGeometry()

    def needed_width(self) -> int:
        """The width that shows every number of the matrix and of π uncut."""
        if self.transmat is None:
            return self.placeholder.sizeHint().width()
        table = self.transition_table
        K = self.transmat.shape[0]
        header = max(table.verticalHeader().sizeHint().width(), self.header_width(f"{K} →"))
        matrix = header + K * self.cell_width() + 2 * table.frameWidth() + 2
        margins = self.layout().contentsMargins()
        spacing = max(self.layout().itemAt(0).layout().spacing(), 0)
        return matrix + self.start_table.width() + spacing + margins.left() + margins.right()

    def needed_height(self) -> int:
        """The height that shows every row of the matrix whole (or the placeholder)."""
        margins = self.layout().contentsMargins()
        if self.transmat is None:
            width = max(self.width() - margins.left() - margins.right(), 100)
            return self.placeholder.heightForWidth(width) + margins.top() + margins.bottom()
        table = self.transition_table
        header = table.horizontalHeader().sizeHint().height()
        rows = self.transmat.shape[0] * self.row_height()
        caption = self.transition_caption.sizeHint().height() + 2
        return caption + header + rows + 2 * table.frameWidth() + 6 + margins.top() + margins.bottom()

    def changeEvent(self, event) -> None:  # Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self.transmat is not None:
            self.fit_widths()

    def cell_text(self, j: int, k: int) -> str:
        """The text shown in row ``j``, column ``k`` of the transition heat map."""
        item = self.transition_table.item(j, k)
        return "" if item is None else item.text()

    def start_text(self, k: int) -> str:
        """The text shown for the start probability of state ``k``."""
        item = self.start_table.item(k, 0)
        return "" if item is None else item.text()
