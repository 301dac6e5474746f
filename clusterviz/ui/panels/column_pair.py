"""The "x vs y" choice of the two data columns on the canvas's axes."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

__all__ = ["ColumnPair"]


class ColumnPair(QWidget):
    """Two combo boxes side by side, "<x> vs <y>", naming the columns shown.

    Parameters
    ----------
    names : (str, str)
        objectNames of the horizontal and the vertical axis's combo box.
    tips : (str, str)
        Their tooltips.

    Attributes
    ----------
    x_combo, y_combo : QComboBox
    """

    def __init__(self, names: tuple[str, str], tips: tuple[str, str], parent=None) -> None:
        super().__init__(parent)
        self.x_combo, self.y_combo = QComboBox(), QComboBox()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for combo, name, tip, text in zip((self.x_combo, self.y_combo), names, tips, ("vs", None)):
            combo.setObjectName(name)
            combo.setToolTip(tip)
            row.addWidget(combo, 1)
            if text is not None:
                row.addWidget(QLabel(text))
