"""Qt widgets of clusterviz: they render a session and turn gestures into
session calls (no algorithm code here)."""
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import PySide6.QtWidgets  # noqa: E402,F401  (before pyqtgraph, so it picks PySide6)

from .main_window import MainWindow  # noqa: E402

__all__ = ["MainWindow"]
