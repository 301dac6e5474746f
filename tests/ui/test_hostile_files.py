"""Hostile files in the window: a file name that is not UTF-8, numbers near
the float limit, HTML in a cell. Nothing a file holds may crash the app,
leave half a file behind or be rendered as markup."""
from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from clusterviz.data.session_file import load_session_file
from clusterviz.ui.file_actions import open_session, save_session

HUGE_CSV = "a,b\n9e307,9e307\n-9e307,-9e307\n0,1\n"
LINK = "<a href='https://example.com/'>click me</a>"


def latin1_named_csv(tmp_path) -> str:
    """A CSV whose file name holds the byte 0xE9 (Latin-1 'é'), not UTF-8."""
    raw = os.path.join(os.fsencode(tmp_path), b"caf\xe9.csv")
    with open(raw, "wb") as f:
        f.write(b"x,y\n0,0\n1,0\n0,1\n5,5\n6,5\n5,6\n")
    return os.fsdecode(raw)


def test_a_non_utf8_file_name_saves_opens_and_autosaves(make_window, tmp_path, qtbot):
    window = make_window()
    assert window.open_csv(latin1_named_csv(tmp_path), ask_columns=False)
    shown = window.session.dataset.name
    shown.encode("utf-8")  # a name every text file and widget can hold
    assert "caf" in shown and shown in window.windowTitle()

    target = tmp_path / "out.clusterviz"
    assert save_session(window, target)
    assert window.last_error is None
    assert load_session_file(target)["dataset"]["name"] == shown
    assert open_session(window, target)
    assert window.session.dataset.name == shown

    manager = window.start_crash_recovery(tmp_path / "recovery", delay_ms=50)
    try:
        assert window.open_csv(latin1_named_csv(tmp_path), ask_columns=False)
        assert manager.autosave(), manager.last_error
        assert load_session_file(manager.path)["dataset"]["name"] == shown
        assert not list((tmp_path / "recovery").glob("*.part"))
    finally:
        manager.finish()


def test_values_near_the_float_limit_load_and_are_framed(make_window, tmp_path, qtbot):
    path = tmp_path / "huge.csv"
    path.write_text(HUGE_CSV, encoding="utf-8")
    window = make_window()
    window.resize(900, 700)
    assert window.open_csv(path, ask_columns=False)
    assert window.session.n_points == 3
    (x0, x1), (y0, y1) = window.canvas.view_box.viewRange()
    assert all(np.isfinite(v) for v in (x0, x1, y0, y1))
    assert x0 < 0.0 < x1 and y0 < 1.0 < y1 and x1 - x0 > 1e307  # framed out to the drawable limit
    window.grab()  # painted: every drawn extent is finite
    window.canvas.fit_view(np.array([[-1.7e308, 1.7e308], [1.7e308, -1.7e308]]))
    assert all(np.isfinite(v) for pair in window.canvas.view_box.viewRange() for v in pair)


def test_html_in_a_cell_is_shown_as_plain_text_in_the_error_box(make_window, tmp_path, qtbot):
    path = tmp_path / "html.csv"
    path.write_text(f"a,b\n1,2\n3,{LINK}\n5,6\n7,8\n", encoding="utf-8")
    window = make_window()
    window.open_csv(path, ask_columns=False)
    box = window._error_box
    if box is None:  # the loader dropped the cell: the warning is what quotes it
        pytest.skip("the loader accepted the file")
    assert "<a href" in box.text()
    assert box.textFormat() == Qt.TextFormat.PlainText


def test_every_message_that_quotes_a_file_is_plain_text(make_window, tmp_path, monkeypatch):
    from clusterviz.data import Dataset
    from clusterviz.ui.windows.csv_dialog import CsvDialog

    window = make_window()
    window.show_error("Cannot open the file", f"x.csv, line 3: {LINK}")
    assert window._error_box.textFormat() == Qt.TextFormat.PlainText
    assert window.info_label.textFormat() == Qt.TextFormat.PlainText

    ds = Dataset(name=LINK, X=np.arange(8.0).reshape(4, 2), columns=(LINK, "b"), labels=np.array([0, 0, 1, 1]),
                 class_names=(LINK, "<b>bold</b>"))
    dialog = CsvDialog(ds, window)
    try:
        assert "<a href" not in dialog.summary_label.text() or \
            dialog.summary_label.textFormat() == Qt.TextFormat.PlainText
        assert "&lt;a href" in dialog.summary_label.text() or \
            dialog.summary_label.textFormat() == Qt.TextFormat.PlainText
        for label in (dialog.warnings_label, dialog.problem_label):
            assert label.textFormat() == Qt.TextFormat.PlainText
    finally:
        dialog.close()

    window.controller.load_dataset(ds)
    bottom = window.canvas.getPlotItem().getAxis("bottom").labelText
    assert "<a " not in bottom and "&lt;a" in bottom

    manager = window.start_crash_recovery(tmp_path, delay_ms=50)
    seen = []
    monkeypatch.setattr("clusterviz.ui.recovery.QMessageBox.exec",
                        lambda box: seen.append(box.textFormat()) or int(QMessageBox.StandardButton.No.value))
    try:
        manager.ask("restore", f"Restore 3 points of “{LINK}”?")
    finally:
        manager.finish()
    assert seen == [Qt.TextFormat.PlainText]
