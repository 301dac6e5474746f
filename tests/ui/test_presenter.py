"""Presenter mode: View ▸ Presenter mode (F5) enlarges the text of the whole
window 1.5x (the info line and formula panel included) and the plots through
their ``set_scale``; Ctrl+= / Ctrl+− / Ctrl+0 scale the text; the choice is
remembered."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from clusterviz.ui.presenter import PRESENTER_FACTOR, ZOOM_STEP
from clusterviz.ui.settings import AppSettings


def _size(widget) -> float:
    return widget.font().pointSizeF()


@pytest.fixture
def presenter_off():
    """Every test leaves the remembered choice as it found it: off, zoom 1."""
    yield
    AppSettings().save_presenter_mode(False, 1.0)


def test_presenter_mode_enlarges_the_info_line_formula_panel_and_plots(make_window, presenter_off):
    window = make_window()
    calls = []
    for plot in (window.canvas, window.objective_plot):
        plot.set_scale = lambda factor, p=plot: calls.append((p, factor))  # whatever draws the plot's markers
    widgets = (window.info_label, window.formula_panel, window.controls.step_button, window.inspector.caption)
    before = [_size(w) for w in widgets]
    action = window.findChild(QAction, "presenterAction")
    assert action.isCheckable() and action.shortcut().toString() == "F5"
    assert action in window.view_menu.actions()
    action.trigger()
    for widget, size in zip(widgets, before):
        assert _size(widget) >= 1.5 * size - 1e-9, widget.objectName()
    assert (window.canvas, PRESENTER_FACTOR) in calls and (window.objective_plot, PRESENTER_FACTOR) in calls
    assert window.formula_panel.minimumHeight() > 0
    action.trigger()
    assert [_size(w) for w in widgets] == pytest.approx(before)
    assert calls[-1][1] == 1.0


def test_text_keys_scale_the_text_and_ctrl_0_resets(make_window, qtbot, presenter_off):
    window = make_window(show=True)
    info = window.info_label
    normal = _size(info)
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert _size(info) == pytest.approx(normal * ZOOM_STEP)
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert _size(info) == pytest.approx(normal / ZOOM_STEP)
    qtbot.keyClick(window, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert _size(info) == pytest.approx(normal)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.presenter.on and _size(info) == pytest.approx(normal * PRESENTER_FACTOR)


def test_the_choice_is_remembered_by_the_next_window(make_window, presenter_off):
    first = make_window()
    normal = _size(first.info_label)
    first.presenter.set_presenter(True)
    first.presenter.set_zoom(ZOOM_STEP)
    assert AppSettings().presenter_mode() == (True, pytest.approx(ZOOM_STEP))
    second = make_window()
    assert second.findChild(QAction, "presenterAction").isChecked()
    assert _size(second.info_label) == pytest.approx(normal * PRESENTER_FACTOR * ZOOM_STEP)


def test_a_broken_stored_zoom_reads_as_normal(tmp_path, qapp):
    from PySide6.QtCore import QSettings

    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings = AppSettings(store)
    store.setValue("text_zoom", "nan")
    assert settings.presenter_mode() == (False, 1.0)
    store.setValue("text_zoom", "big")
    assert settings.presenter_mode() == (False, 1.0)


def test_the_step_button_fits_its_longest_text_in_presenter_mode(make_window, presenter_off):
    from clusterviz.ui.panels.teaching_controls import step_button_texts

    window = make_window(algorithm="gmm")
    button = window.controls.step_button
    window.presenter.set_presenter(True)
    texts = step_button_texts(window.session.algorithm_entry)
    widest = max(button.fontMetrics().horizontalAdvance(text) for text in texts)
    assert button.minimumSizeHint().width() > widest
