"""A one-line label given several wordings, longest first: it shows the
longest that fits its width whole, so a narrow dock reads "298 steps, one
sequence" instead of a sentence cut mid-word; the tooltip holds the whole
text."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy


class FittingLabel(QLabel):
    """A one-line label showing the longest of its wordings that fits.

    It asks for the width of its longest wording and takes what the layout
    gives (its minimum is 0); with less than its shortest wording needs, it
    shows nothing (the tooltip still holds the whole text).
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._choices: list[str] = []
        self._tip = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_choices(self, choices: list[str], tooltip: str = "") -> None:
        """The wordings, longest first; ``tooltip`` (default: the longest) on hover."""
        self._choices = [choice for choice in choices if choice]
        self._tip = tooltip or (self._choices[0] if self._choices else "")
        self._fit()
        self.updateGeometry()

    def full_text(self) -> str:
        """The longest wording ("" without any)."""
        return self._choices[0] if self._choices else ""

    def fits(self) -> bool:
        """Whether the shown text fits the label's width whole."""
        return self.fontMetrics().horizontalAdvance(self.text()) <= self.contentsRect().width()

    def sizeHint(self) -> QSize:  # Qt override
        hint = super().sizeHint()
        longest = self._choices[0] if self._choices else ""
        return QSize(self.fontMetrics().horizontalAdvance(longest) + 2, hint.height())

    def resizeEvent(self, event) -> None:  # Qt override
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:  # Qt override
        super().changeEvent(event)
        if event.type() == event.Type.FontChange:
            self._fit()

    def _fit(self) -> None:
        metrics, width = self.fontMetrics(), self.contentsRect().width()
        # nothing rather than a stump ("272 s…") when not even the shortest fits; the tooltip still has it
        shown = next((choice for choice in self._choices if metrics.horizontalAdvance(choice) <= width), "")
        super().setText(shown)
        self.setToolTip(self._tip)
