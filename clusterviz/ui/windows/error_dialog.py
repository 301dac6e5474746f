"""The dialog for an unexpected error (a bug): what happened, a "Copy
details" button that puts the traceback on the clipboard, and the app keeps
running with the data as it was.

``MainWindow.show_exceptions_in_dialog`` makes ``sys.excepthook`` (exceptions in Qt
slots and timers reach it) and ``threading.excepthook`` show the dialog. The
app's ``main`` installs it when the window is shown; importing this module
changes nothing, so tests still see every exception.
"""
from __future__ import annotations

import sys
import threading
import traceback

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton,
                               QVBoxLayout)

__all__ = ["ErrorDialog", "ExceptionHandler", "format_details"]


def format_details(kind, value, tb) -> str:
    """The full traceback as text, with the Python and Qt versions (for a bug report)."""
    import platform

    import PySide6

    text = "".join(traceback.format_exception(kind, value, tb))
    return (f"{text}\nclusterviz on Python {platform.python_version()}, PySide6 {PySide6.__version__}, "
            f"{platform.platform()}\n")


def summary_line(value: BaseException) -> str:
    """One line a person can read: the kind of error and its message."""
    message = str(value).strip().splitlines()[0] if str(value).strip() else ""
    name = type(value).__name__
    return f"{name}: {message}" if message else name


class ErrorDialog(QDialog):
    """Shows one unexpected error (``errorDialog``).

    Parameters
    ----------
    summary : str
        One line: the kind of error and its message.
    details : str
        The traceback, shown below and copied by ``copyDetailsButton``.
    """

    def __init__(self, summary: str, details: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setWindowTitle("Something went wrong")
        self.setToolTip("An unexpected error; your points and settings are kept.")
        self.details = details
        self.count = 1
        self.message = QLabel()
        self.message.setObjectName("errorMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._summary = summary
        self._show_message()
        self.details_view = QPlainTextEdit(details)
        self.details_view.setObjectName("errorDetails")
        self.details_view.setToolTip("What went wrong, for a bug report.")
        self.details_view.setReadOnly(True)
        self.details_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details_view.setMinimumSize(560, 180)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy details")
        self.copy_button.setObjectName("copyDetailsButton")
        self.copy_button.setToolTip("Copy the error details to the clipboard, to paste into a bug report.")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.details_view, 1)
        layout.addWidget(buttons)

    def _show_message(self) -> None:
        again = f" (it happened {self.count} times)" if self.count > 1 else ""
        self.message.setText(
            f"<p><b>clusterviz ran into an unexpected error{again}:</b></p><p>{_escape(self._summary)}</p>"
            "<p>Your points and settings are kept and you can go on working. If it happens again, please "
            "copy the details into a bug report.</p>")

    def add(self, summary: str, details: str) -> None:
        """Another error while the dialog is open: count it and keep all details."""
        self.count += 1
        self._summary = summary
        self.details = f"{self.details}\n{'-' * 60}\n{details}"
        self.details_view.setPlainText(self.details)
        self._show_message()

    def copy_details(self) -> None:
        QApplication.clipboard().setText(self.details)
        self.copy_button.setText("Copied")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ExceptionHandler(QObject):
    """Routes uncaught exceptions to an `ErrorDialog` over ``window``.

    Exceptions still go to standard error. Play is paused, so a failing
    timer does not raise again and again. Exceptions from other threads
    are handed to the GUI thread first.
    """

    _caught = Signal(str, str)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: ErrorDialog | None = None
        self._previous_hook = None
        self._previous_thread_hook = None
        self._caught.connect(self.show_error, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        if sys.excepthook == self.excepthook and self._previous_hook is not None:
            sys.excepthook = self._previous_hook
        if threading.excepthook == self.thread_excepthook and self._previous_thread_hook is not None:
            threading.excepthook = self._previous_thread_hook

    def excepthook(self, kind, value, tb) -> None:
        if issubclass(kind, (KeyboardInterrupt, SystemExit)):
            (self._previous_hook or sys.__excepthook__)(kind, value, tb)
            return
        details = format_details(kind, value, tb)
        print(details, file=sys.stderr)
        if threading.current_thread() is threading.main_thread():
            self.show_error(summary_line(value), details)
        else:
            self._caught.emit(summary_line(value), details)

    def thread_excepthook(self, args) -> None:
        if args.exc_type is SystemExit:
            return
        self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    def show_error(self, summary: str, details: str) -> None:
        """Show (or add to) the error dialog; never raises."""
        try:
            controller = getattr(self.window, "controller", None)
            if controller is not None:
                controller.pause()
            if self.dialog is not None and self.dialog.isVisible():
                self.dialog.add(summary, details)
                return
            self.dialog = ErrorDialog(summary, details, self.window)
            self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.dialog.finished.connect(self._forget)
            self.dialog.open()
        except Exception:  # noqa: BLE001 - the handler itself must never fail
            traceback.print_exc()

    def _forget(self, _result: int = 0) -> None:
        self.dialog = None
