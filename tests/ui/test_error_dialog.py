"""Unexpected exceptions: a dialog says what happened, "Copy
details" puts the traceback on the clipboard, the app keeps running with the
data intact."""
from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from clusterviz.ui.windows.error_dialog import ErrorDialog


@pytest.fixture
def handled(make_window, qtbot):
    """A window whose uncaught exceptions go to the error dialog (as in the app)."""
    window = make_window(show=True)
    handler = window.show_exceptions_in_dialog()
    yield window, handler
    handler.uninstall()
    if handler.dialog is not None:
        handler.dialog.close()


def raise_in_a_slot(qtbot, error: Exception) -> None:
    """What a bug does: an exception inside a Qt timer slot."""
    def slot():
        raise error

    QTimer.singleShot(0, slot)


def test_an_exception_in_a_slot_shows_the_dialog_and_the_data_stays(handled, qtbot, capsys):
    window, handler = handled
    X = window.session.X.copy()
    window.controller.play()
    raise_in_a_slot(qtbot, KeyError("cluster 7"))
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible(), timeout=3000)
    dialog = handler.dialog
    assert dialog.objectName() == "errorDialog"
    assert "KeyError: 'cluster 7'" in dialog.message.text()
    assert "Your points and settings are kept" in dialog.message.text()
    assert "Traceback" in dialog.details and "KeyError" in dialog.details
    assert not window.controller.playing, "play stops so the error does not repeat"
    np.testing.assert_array_equal(window.session.X, X)
    assert "KeyError" in capsys.readouterr().err, "still printed for the terminal"
    # The app keeps working.
    assert window.controller.step()
    assert window.session.cursor == 1


def test_copy_details_puts_the_traceback_on_the_clipboard(handled, qtbot):
    window, handler = handled
    raise_in_a_slot(qtbot, ValueError("bad value 3"))
    qtbot.waitUntil(lambda: handler.dialog is not None, timeout=3000)
    button = handler.dialog.copy_button
    assert button.objectName() == "copyDetailsButton" and button.toolTip()
    button.click()
    text = QApplication.clipboard().text()
    assert text.startswith("Traceback") and "ValueError: bad value 3" in text and "PySide6" in text
    assert button.text() == "Copied"


def test_a_second_error_is_added_to_the_open_dialog(handled, qtbot):
    window, handler = handled
    raise_in_a_slot(qtbot, RuntimeError("first"))
    qtbot.waitUntil(lambda: handler.dialog is not None, timeout=3000)
    dialog = handler.dialog
    raise_in_a_slot(qtbot, RuntimeError("second"))
    qtbot.waitUntil(lambda: dialog.count == 2, timeout=3000)
    assert handler.dialog is dialog
    assert "2 times" in dialog.message.text()
    assert "first" in dialog.details and "second" in dialog.details
    dialog.close()
    qtbot.waitUntil(lambda: handler.dialog is None, timeout=3000)


def test_an_exception_in_a_thread_reaches_the_dialog_on_the_gui_thread(handled, qtbot):
    window, handler = handled
    thread = threading.Thread(target=lambda: 1 / 0)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: handler.dialog is not None, timeout=3000)
    assert "ZeroDivisionError" in handler.dialog.message.text()


def test_html_in_the_message_is_shown_as_text(qtbot):
    dialog = ErrorDialog("ValueError: <b>x</b> & y", "details")
    qtbot.addWidget(dialog)
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in dialog.message.text()


def test_uninstall_restores_the_previous_hooks(make_window):
    before, thread_before = sys.excepthook, threading.excepthook
    handler = make_window().show_exceptions_in_dialog()
    assert sys.excepthook == handler.excepthook
    handler.uninstall()
    assert sys.excepthook is before and threading.excepthook is thread_before


def test_importing_the_app_installs_nothing():
    code = ("import sys, threading; h = sys.excepthook; t = threading.excepthook; "
            "import clusterviz.app, clusterviz.ui.windows.error_dialog, clusterviz.ui.recovery, clusterviz.ui; "
            "assert sys.excepthook is h and threading.excepthook is t; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr
