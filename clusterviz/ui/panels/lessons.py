"""The Lessons panel: guided chapters that set up the window and pose a task.

`LessonsPanel` is what the Lessons dock shows; `lessons_dock.install_lessons`
adds the dock and its actions and builds the panel the first time the dock
opens. Selecting a chapter in ``lessonList`` opens it at once: a new session
with the chapter's data, algorithm, K, seed and start (through the
controller's ``adopt``, so edited points are offered for saving first), its
layers and view, and the text in ``lessonText``. The "Try it" goal is checked
whenever the session changes (``lessonFeedback``), quoting the numbers.

Chapters come from `clusterviz.data.lessons`; "Open folder…" reads a
teacher's own. Text from a file is shown as plain text (escaped); only the
formula is rich text, limited to a few tags by the loader.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QPushButton, QSizePolicy, QTextBrowser, QVBoxLayout, QWidget)

from clusterviz.data import builtin_dataset
from clusterviz.data.lesson_goals import GoalCheck, check_goal
from clusterviz.data.lessons import Chapter, LessonChoices, load_lessons
from clusterviz.session import Session
from clusterviz.session.settings import ALGORITHM_NAMES, ALGORITHMS, COVARIANCE_TYPES, INITS

from ..names import printable

#: The check boxes a chapter's layers turn on or off, by objectName.
LAYER_CHECKS = {"regions": "regionsCheck", "density": "densityCheck", "ambiguity": "ambiguityCheck",
                "trails": "trailsCheck"}
MET_STYLE = "color: #1b6e20; font-weight: bold;"


def lesson_choices() -> LessonChoices:
    """The names a lesson may use: the algorithm registry's."""
    return LessonChoices(ALGORITHMS, INITS, COVARIANCE_TYPES)


def chapter_html(chapter: Chapter) -> str:
    """The chapter as rich text: everything escaped but the (checked) formula."""
    text = " ".join(html.escape(s) for s in chapter.sentences)
    return (f"<h3>{html.escape(chapter.title)}</h3><p>{text}</p>"
            f"<p align='center' style='font-size: large'>{chapter.formula}</p>"
            f"<p><b>Try it.</b> {html.escape(chapter.task)}</p>")


class LessonsPanel(QWidget):
    """Chapter list, chapter text and Try-it feedback for ``window``."""

    def __init__(self, window, parent=None) -> None:
        super().__init__(parent)
        self.window = window
        self.chapters: list[Chapter] = []
        self.current: Chapter | None = None
        self._met: dict[str, GoalCheck] = {}  # a goal once met stays met for the chapter

        self.list = QListWidget()
        self.list.setObjectName("lessonList")
        self.list.setToolTip("The chapters in the story's order; selecting one opens it (PgUp / PgDn).")
        self.list.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.text = QTextBrowser()
        self.text.setObjectName("lessonText")
        self.text.setOpenLinks(False)
        self.text.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # PgUp / PgDn stay the chapters'
        self.text.setToolTip("The chapter: what to look at, its formula and a task.")
        self.feedback = QLabel()
        self.feedback.setObjectName("lessonFeedback")
        self.feedback.setTextFormat(Qt.TextFormat.PlainText)
        self.feedback.setWordWrap(True)
        self.feedback.setToolTip("Whether the Try-it task is done, checked as you work.")
        self.notes = QLabel()
        self.notes.setObjectName("lessonNotes")
        self.notes.setTextFormat(Qt.TextFormat.PlainText)
        self.notes.setWordWrap(True)
        self.notes.setVisible(False)
        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.setObjectName("lessonPreviousButton")
        self.previous_button.setToolTip("The previous chapter (PgUp).")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setObjectName("lessonNextButton")
        self.next_button.setToolTip("The next chapter (PgDn).")
        self.folder_button = QPushButton("Open folder…")
        self.folder_button.setObjectName("lessonFolderButton")
        self.folder_button.setToolTip("Read your own chapters (*.json lesson files) from a folder.")

        buttons = QHBoxLayout()
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.next_button)
        buttons.addStretch(1)
        buttons.addWidget(self.folder_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.list)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.feedback)
        layout.addLayout(buttons)
        layout.addWidget(self.notes)

        self.list.currentRowChanged.connect(self._on_row)
        self.previous_button.clicked.connect(lambda: self.move(-1))
        self.next_button.clicked.connect(lambda: self.move(+1))
        self.folder_button.clicked.connect(lambda: self.open_folder())
        c = window.controller
        for signal in (c.stepped, c.reset, c.data_changed, c.session_replaced):
            signal.connect(self.check)
        self.set_lessons(load_lessons(lesson_choices()))

    # ------------------------------------------------------------ chapters
    def set_lessons(self, lessons) -> None:
        """Show the chapters of a `LessonSet` (none is opened) and its notes."""
        self.chapters = list(lessons.chapters)
        self._met.clear()
        self.current = None
        self.list.blockSignals(True)
        self.list.clear()
        for i, chapter in enumerate(self.chapters, 1):
            item = QListWidgetItem(f"{i}. {printable(chapter.title)}")
            item.setToolTip(f"{printable(chapter.title)}\nTry it: {printable(chapter.task)}")
            self.list.addItem(item)
        self.list.setCurrentRow(-1)
        self.list.blockSignals(False)
        rows = max(1, min(len(self.chapters), 12))
        self.list.setMaximumHeight(self.list.sizeHintForRow(0) * rows + 2 * self.list.frameWidth() + 4)
        self.notes.setText("\n".join(printable(note) for note in lessons.notes))
        self.notes.setToolTip(self.notes.text())
        self.notes.setVisible(bool(lessons.notes))
        self.text.setHtml("<p>Choose a chapter above: it sets up the data, the algorithm and the view, "
                          "and gives you a task to try.</p>")
        self.feedback.clear()
        self._sync_buttons()

    def open_chapter(self, index: int) -> bool:
        """Open chapter ``index`` (selects it in the list); False if it could not be opened."""
        if not 0 <= index < len(self.chapters):
            return False
        if self.list.currentRow() != index:
            self.list.setCurrentRow(index)  # _on_row opens it
            return self.current is self.chapters[index]
        return self._open(self.chapters[index])

    def move(self, delta: int) -> bool:
        """Open the chapter ``delta`` places from the current one."""
        row = self.list.currentRow()
        return self.open_chapter(0 if row < 0 else row + delta)

    def _on_row(self, row: int) -> None:
        if 0 <= row < len(self.chapters):
            self._open(self.chapters[row])

    def _open(self, chapter: Chapter) -> bool:
        window = self.window
        try:
            session = Session(builtin_dataset(chapter.dataset), **chapter.session_options())
            session.run_to_convergence(max_steps=chapter.steps)  # a fresh session, not shown yet
        except ValueError as exc:  # a setting the session refuses, a failed step
            window.show_error("Cannot open the chapter", f"{chapter.name}: {exc}")
            return False
        if not window.controller.adopt(session):
            return False  # the user kept the edited points (recovery's Cancel)
        self.current = chapter
        self._met.pop(chapter.name, None)
        self._apply_view(chapter)
        self.text.setHtml(chapter_html(chapter))
        self._sync_buttons()
        self.check()
        return True

    def _apply_view(self, chapter: Chapter) -> None:
        window = self.window
        for layer, name in LAYER_CHECKS.items():
            check = window.findChild(QCheckBox, name)
            if check is not None:
                check.setChecked(chapter.layers[layer])
        combo = window.findChild(QComboBox, "colourModeCombo")
        if combo is not None:
            combo.setCurrentIndex(max(0, combo.findData(chapter.colours)))
        half = window.findChild(QCheckBox, "halfStepCheck")
        if half is not None:
            half.setChecked(chapter.half_steps)

    def _sync_buttons(self) -> None:
        row = self.list.currentRow()
        self.previous_button.setEnabled(row > 0)
        self.next_button.setEnabled(row < len(self.chapters) - 1)

    # ------------------------------------------------------------- the goal
    def check(self, *_args) -> GoalCheck | None:
        """Check the open chapter's goal against the session; show and return the result."""
        chapter = self.current
        if chapter is None:
            return None
        result = self._met.get(chapter.name)
        if result is None:
            result = check_goal(chapter.goal, self.window.session, ALGORITHM_NAMES)
            if result.met:
                self._met[chapter.name] = result
        if result.met:
            self.feedback.setText(f"✓ Done: {printable(result.text)}")
            self.feedback.setStyleSheet(MET_STYLE)
        else:
            hint = f"\n{printable(chapter.hint)}" if chapter.hint else ""
            self.feedback.setText(f"Not yet: {printable(result.text)}{hint}")
            self.feedback.setStyleSheet("")
        return result

    # ----------------------------------------------------------- own lessons
    def open_folder(self, folder=None) -> bool:
        """Read the chapters of ``folder`` (asks for one when None); a folder
        without one valid chapter is refused with its files' problems, and the
        chapters shown stay."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, "Open a folder of lessons",
                                                      self.window.app_settings.last_folder())
            if not folder:
                return False
        lessons = load_lessons(lesson_choices(), folder)
        if not lessons.chapters:
            problems = "\n".join(lessons.notes) or "It holds no *.json lesson files."
            self.window.show_error("No lessons in that folder", f"{folder}:\n{problems}")
            return False
        self.set_lessons(lessons)
        return True
