"""Help ▸ Keyboard shortcuts lists every shortcut in a box that fits a
1280 x 720 projector."""
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QLabel

from clusterviz.ui.main_window import SHORTCUTS


def test_the_shortcuts_box_lists_every_shortcut_and_fits_720_pixels(make_window, qtbot):
    window = make_window(show=True)
    window.resize(1280, 720)
    window.findChild(QAction, "shortcutsAction").trigger()
    qtbot.waitUntil(lambda: window.findChild(QDialog, "shortcutsDialog") is not None
                    and window.findChild(QDialog, "shortcutsDialog").isVisible())
    dialog = window.findChild(QDialog, "shortcutsDialog")
    text = dialog.findChild(QLabel).text()
    for key, what in SHORTCUTS:
        assert what.replace("&", "&amp;").replace("<", "&lt;") in text, what
    hint = dialog.sizeHint()
    assert hint.height() <= 600 and hint.width() <= 1280, hint
