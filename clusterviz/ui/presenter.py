"""Presenter mode and text scale: one factor for the whole window.

View ▸ Presenter mode (``presenterAction``, F5) multiplies every font of the
window by `PRESENTER_FACTOR`; Ctrl+= / Ctrl+− scale the text further in
steps of `ZOOM_STEP` and Ctrl+0 goes back to 1. The plots grow with it: a
widget with a ``set_scale(factor)`` method (the canvas, the objective plot)
gets the same factor for its markers, lines and axis fonts. The choice is
remembered in the app's settings (`AppSettings.presenter_mode`).
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence

__all__ = ["PRESENTER_FACTOR", "Presenter", "ZOOM_RANGE", "ZOOM_STEP"]

#: Presenter mode enlarges everything by this factor.
PRESENTER_FACTOR = 1.5
#: One Ctrl+= or Ctrl+− multiplies or divides the text size by this.
ZOOM_STEP = 1.15
#: The text zoom stays within this range.
ZOOM_RANGE = (0.6, 2.5)


class Presenter(QObject):
    """The presenter mode and text zoom of one window.

    Parameters
    ----------
    window : QWidget
        Its font is scaled; its actions get the shortcuts.
    settings : AppSettings
        Where the choice is remembered.
    scaled : iterable of QWidget
        Widgets with a ``set_scale(factor)`` method (others are ignored,
        so a plot without one simply keeps its size).

    Attributes
    ----------
    action : QAction
        Checkable "Presenter mode" (``presenterAction``).
    larger_action, smaller_action, reset_action : QAction
        ``textLargerAction`` (Ctrl+=), ``textSmallerAction`` (Ctrl+−),
        ``textResetAction`` (Ctrl+0).

    Signals
    -------
    scale_changed(float)
        The window's scale after a change.
    """

    scale_changed = Signal(float)

    def __init__(self, window, settings, scaled=()) -> None:
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.scaled = list(scaled)
        self.base_font = QFont(window.font())
        self._own_fonts: list[tuple[object, QFont]] = []
        self.on, self.zoom = settings.presenter_mode()
        self.zoom = min(max(self.zoom, ZOOM_RANGE[0]), ZOOM_RANGE[1])

        self.action = self._action("&Presenter mode", [QKeySequence("F5")], "presenterAction",
                                   f"Enlarge text, markers, lines and plot axes {PRESENTER_FACTOR:g}× for a "
                                   "projector (F5).")
        self.action.setCheckable(True)
        self.action.setChecked(self.on)
        self.action.toggled.connect(self.set_presenter)
        self.larger_action = self._action("&Larger text", [QKeySequence("Ctrl+="), QKeySequence.StandardKey.ZoomIn],
                                          "textLargerAction", "Make the text larger (Ctrl+=).")
        self.larger_action.triggered.connect(lambda: self.set_zoom(self.zoom * ZOOM_STEP))
        self.smaller_action = self._action("&Smaller text", [QKeySequence.StandardKey.ZoomOut],
                                           "textSmallerAction", "Make the text smaller (Ctrl+−).")
        self.smaller_action.triggered.connect(lambda: self.set_zoom(self.zoom / ZOOM_STEP))
        self.reset_action = self._action("&Normal text size", [QKeySequence("Ctrl+0")], "textResetAction",
                                         "Text at its normal size (Ctrl+0).")
        self.reset_action.triggered.connect(lambda: self.set_zoom(1.0))

    def _action(self, text: str, shortcuts, name: str, tip: str) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        action.setShortcuts(shortcuts)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        self.window.addAction(action)
        return action

    @property
    def actions(self) -> tuple[QAction, ...]:
        return self.action, self.larger_action, self.smaller_action, self.reset_action

    @property
    def scale(self) -> float:
        """The factor applied to every font (and passed to ``set_scale``)."""
        return (PRESENTER_FACTOR if self.on else 1.0) * self.zoom

    def keep_relative(self, widget) -> None:
        """``widget`` sets its own font (larger, italic, ...): scale that
        font too, keeping its size relative to the window's."""
        self._own_fonts.append((widget, QFont(widget.font())))

    def set_presenter(self, on: bool) -> None:
        """Presenter mode on or off (the action follows)."""
        self.on = bool(on)
        if self.action.isChecked() != self.on:
            self.action.setChecked(self.on)  # toggled comes back here, with the same value
            return
        self.apply()

    def set_zoom(self, zoom: float) -> None:
        """Set the text zoom, kept within `ZOOM_RANGE`."""
        self.zoom = min(max(float(zoom), ZOOM_RANGE[0]), ZOOM_RANGE[1])
        self.apply()

    def apply(self) -> None:
        """Give the window and its plots the current scale and remember it."""
        scale = self.scale
        self.window.setFont(_scaled(self.base_font, scale))
        for widget, font in self._own_fonts:
            widget.setFont(_scaled(font, scale))
        for widget in self.scaled:
            set_scale = getattr(widget, "set_scale", None)
            if set_scale is not None:
                set_scale(scale)
        self.settings.save_presenter_mode(self.on, self.zoom)
        self.scale_changed.emit(scale)


def _scaled(font: QFont, factor: float) -> QFont:
    """A copy of ``font`` ``factor`` times as large."""
    scaled = QFont(font)
    if font.pointSizeF() > 0:
        scaled.setPointSizeF(font.pointSizeF() * factor)
    else:
        scaled.setPixelSize(max(1, round(font.pixelSize() * factor)))
    return scaled
