"""Help ▸ Keyboard shortcuts: the shortcuts in two pairs of columns, in a
box low enough for a 720-pixel projector."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ..names import escape_markup


def shortcuts_table(shortcuts) -> str:
    """HTML of ``shortcuts`` ((keys, what) pairs): the first half in the
    left pair of columns, the rest beside it; no cell wraps."""
    half = (len(shortcuts) + 1) // 2
    columns = [[f"<td style='white-space:nowrap'><b>{escape_markup(key)}</b>&nbsp;&nbsp;</td>"
                f"<td style='white-space:nowrap'>{escape_markup(what)}&nbsp;&nbsp;&nbsp;&nbsp;</td>"
                for key, what in part] for part in (shortcuts[:half], shortcuts[half:])]
    columns[1] += ["<td></td><td></td>"] * (len(columns[0]) - len(columns[1]))
    return "<table>" + "".join(f"<tr>{left}{right}</tr>" for left, right in zip(*columns)) + "</table>"


def show_shortcuts(parent: QWidget, shortcuts) -> QDialog:
    """Open (not modal) the list of ``shortcuts`` over ``parent``; returns the dialog."""
    dialog = QDialog(parent)
    dialog.setObjectName("shortcutsDialog")
    dialog.setWindowTitle("Keyboard shortcuts")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    layout = QVBoxLayout(dialog)
    table = QLabel(shortcuts_table(shortcuts))
    table.setTextFormat(Qt.TextFormat.RichText)
    table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    layout.addWidget(table)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
    buttons.accepted.connect(dialog.accept)
    layout.addWidget(buttons)
    dialog.open()
    return dialog
