"""Qt widgets of clusterviz: they render a session and turn gestures into
session calls (no algorithm code here).

Where things are::

    main_window.py   the window: canvas, panels, menus, file and error plumbing
    controller.py    the one Qt adapter around a Session or a SessionPair (signals,
                     the one play loop); `adopt` gives it a new session
    jobs.py          the one way to run work off the GUI thread (Worker, Task,
                     BackgroundJob)
    file_actions.py  File ▸ sessions and exports (FileActions)
    recovery.py      autosave and crash recovery
    settings.py      recent files, last folder, window geometry (QSettings)
    allocator.py     process-wide allocator tuning for start-up
    canvas/          what the canvas draws: ClusterCanvas, the point raster and
                     its locator, colours and palette, background layers,
                     centroid trails, the pin marker, the teaching views
    tools/           the canvas editing tools (one class per tool), the tool bar
                     and class palette (CanvasTools), undo commands
    panels/          run controls, teaching controls, objective plot, inspector,
                     Choosing K (and its charts), restarts, k-means++ seeding,
                     the docks that hold them
    windows/         the compare view, the CSV dialog, the error dialog
"""
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import PySide6.QtWidgets  # noqa: E402,F401  (before pyqtgraph, so it picks PySide6)

from .main_window import MainWindow  # noqa: E402

__all__ = ["MainWindow"]
