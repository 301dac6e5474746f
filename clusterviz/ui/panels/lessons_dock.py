"""The Lessons dock and its actions, cheap to add at start-up: the panel
(`lessons.LessonsPanel`, which reads the chapters) is built the first time the
dock opens or the panel is asked for.

`install_lessons(window)` adds the dock (``lessonsPanel``), its action
(``lessonsAction``, Help menu, Ctrl+L) and the presenter's PgUp / PgDn
(``lessonPreviousAction`` / ``lessonNextAction``, active while the dock is
shown).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

#: Narrowest the lessons dock gets, and about its width when it first opens.
DOCK_WIDTH = 280


class LessonsDock(QDockWidget):
    """The ``lessonsPanel`` dock (left of the canvas, hidden until asked for).

    Attributes
    ----------
    panel : LessonsPanel
        Built on first access, or when the dock is first shown.
    """

    def __init__(self, window) -> None:
        super().__init__("Lessons", window)
        self.setObjectName("lessonsPanel")
        self.setToolTip("Guided chapters: each sets up the window and poses a task.")
        self.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        self._window = window
        self._panel = None
        self._sized = False

    @property
    def built(self) -> bool:
        """Whether the panel exists yet."""
        return self._panel is not None

    @property
    def panel(self):
        """The `LessonsPanel`, built now if it was not yet."""
        if self._panel is None:
            from .lessons import LessonsPanel  # reads the chapter files: only when the lessons are wanted

            self._panel = panel = LessonsPanel(self._window)
            panel.setMinimumWidth(DOCK_WIDTH)
            self.setWidget(panel)
        return self._panel

    def widget(self):  # the panel, as if it had been there from the start
        return self.panel

    def setVisible(self, visible: bool) -> None:  # Qt override: every way of showing comes here
        if visible and self._panel is None:
            self.panel  # noqa: B018 (builds it)
        super().setVisible(visible)

    def showEvent(self, event) -> None:  # Qt override
        super().showEvent(event)
        if not self._sized and not self.isFloating():  # the first time: narrow, the canvas keeps its room
            self._sized = True
            self.parentWidget().resizeDocks([self], [DOCK_WIDTH + 20], Qt.Orientation.Horizontal)


def _window_action(window, text: str, shortcut, tip: str, name: str, slot) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setShortcut(QKeySequence(shortcut))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)
    return action


def install_lessons(window) -> LessonsDock:
    """Add the Lessons dock, ``lessonsAction`` (Help menu, Ctrl+L) and the
    PgUp / PgDn chapter actions to ``window`` (a `MainWindow`); returns the dock."""
    dock = LessonsDock(window)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    dock.hide()
    action = dock.toggleViewAction()
    action.setText("&Lessons")
    action.setObjectName("lessonsAction")
    action.setShortcut(QKeySequence("Ctrl+L"))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    tip = "Show or hide the guided lessons (PgUp / PgDn move between chapters)."
    action.setToolTip(tip)
    action.setStatusTip(tip)
    window.addAction(action)
    help_menu = window.help_menu
    first = help_menu.actions()[0] if help_menu.actions() else None
    help_menu.insertAction(first, action)
    help_menu.insertSeparator(first)
    previous = _window_action(window, "Previous chapter", Qt.Key.Key_PageUp, "Open the previous chapter.",
                              "lessonPreviousAction", lambda: dock.panel.move(-1))
    following = _window_action(window, "Next chapter", Qt.Key.Key_PageDown, "Open the next chapter.",
                               "lessonNextAction", lambda: dock.panel.move(+1))
    for chapter_action in (previous, following):
        chapter_action.setEnabled(False)
        dock.visibilityChanged.connect(chapter_action.setEnabled)
    window.lessons_dock = dock
    return dock
