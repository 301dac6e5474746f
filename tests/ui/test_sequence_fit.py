"""The HMM's posterior strip and transition matrix at 1280 x 720: every column
of the matrix shown whole without a scroll bar, numbers that never overlap
(also in presenter mode with larger text), a caption that never runs into
its check boxes, and a note that says what to do when there is no fit."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication

from clusterviz.data import builtin_dataset
from clusterviz.model import registry
from clusterviz.ui.settings import AppSettings

SEQUENCE_MODEL = next(entry.name for entry in registry.ALGORITHMS.values() if entry.supports_sequences)


@pytest.fixture
def presenter_off():
    """Every test leaves the remembered presenter choice as it found it: off, zoom 1."""
    AppSettings().save_presenter_mode(False, 1.0)
    yield
    AppSettings().save_presenter_mode(False, 1.0)


@pytest.fixture
def hmm_window(make_window, qtbot, presenter_off):
    def make(n_clusters=3, size=(1280, 720), steps=3, dataset="geyser"):
        window = make_window(builtin_dataset(dataset), algorithm=SEQUENCE_MODEL, n_clusters=n_clusters, show=True)
        window.resize(*size)
        for _ in range(steps):
            window.controller.step()
        docks = window.sequence_docks
        view = docks.transitions
        qtbot.waitUntil(lambda: view.transition_table.isVisible() and view.transmat is not None
                        and docks.posterior_dock.width() > 100)
        return window
    return make


def _settled(qtbot, window):
    """Wait until the docks have been sized for what the matrix needs."""
    docks = window.sequence_docks
    view = docks.transitions
    def sized() -> bool:
        needed = (view.needed_width(), getattr(view, "needed_height", lambda: None)())
        return getattr(docks, "_sized_for", needed) == needed and not docks._pending_size

    qtbot.waitUntil(sized)
    for _ in range(3):  # the dock layout applies the sizes on its next pass
        QApplication.processEvents()


def _columns_whole(table) -> bool:
    """Every column's header and numbers fit its width, and every column lies in the viewport."""
    header = table.horizontalHeader()
    metrics, header_metrics = table.fontMetrics(), header.fontMetrics()
    icon = header.iconSize().width()
    for j in range(table.columnCount()):
        width = header.sectionSize(j)
        label = table.horizontalHeaderItem(j).text()
        if header_metrics.horizontalAdvance(label) + icon > width:
            return False
        for i in range(table.rowCount()):
            if metrics.horizontalAdvance(table.item(i, j).text()) + 4 > width:
                return False
    return True


def _rows_whole(table) -> bool:
    rows = table.verticalHeader()
    height = table.fontMetrics().height()
    return all(rows.sectionSize(i) >= height for i in range(table.rowCount()))


@pytest.mark.parametrize("n_clusters", [2, 3, 4])
def test_every_column_shows_whole_without_a_scroll_bar(hmm_window, qtbot, n_clusters):
    window = hmm_window(n_clusters)
    _settled(qtbot, window)
    view = window.sequence_docks.transitions
    table = view.transition_table
    assert table.columnCount() == n_clusters
    assert not table.horizontalScrollBar().isVisible()
    assert not table.verticalScrollBar().isVisible()
    header = table.horizontalHeader()
    last = n_clusters - 1
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= table.viewport().width()
    assert _columns_whole(table) and _rows_whole(table)
    assert _columns_whole(view.start_table)


@pytest.mark.parametrize("n_clusters", [3, 4])
def test_with_the_lessons_panel_open_the_caption_keeps_clear_of_its_check_boxes(hmm_window, qtbot, n_clusters):
    window = hmm_window(n_clusters)
    window.findChild(QAction, "lessonsAction").trigger()
    qtbot.waitUntil(lambda: window.lessons_dock.isVisible())
    window.controller.step()
    _settled(qtbot, window)
    docks = window.sequence_docks
    caption, check = docks.caption, docks.joined_check
    assert caption.geometry().right() < check.geometry().left()
    assert caption.fits()
    table = docks.transitions.transition_table
    assert not table.horizontalScrollBar().isVisible()
    assert _columns_whole(table)


@pytest.mark.parametrize("larger", [0, 2])
def test_presenter_mode_numbers_never_overlap(hmm_window, qtbot, larger):
    window = hmm_window(3, dataset="old_faithful")
    window.findChild(QAction, "presenterAction").trigger()
    for _ in range(larger):
        window.findChild(QAction, "textLargerAction").trigger()
    _settled(qtbot, window)  # no step: the larger text alone makes room for the numbers
    docks = window.sequence_docks
    table = docks.transitions.transition_table
    assert _columns_whole(table) and _rows_whole(table)
    assert _columns_whole(docks.transitions.start_table) and _rows_whole(docks.transitions.start_table)
    assert docks.caption.fits() and docks.caption.geometry().right() < docks.joined_check.geometry().left()
    if not larger:  # presenter mode alone still shows the whole matrix at 1280 x 720
        assert not table.horizontalScrollBar().isVisible()


def test_presenter_mode_off_gives_the_strip_its_width_back(hmm_window, qtbot):
    window = hmm_window(3, dataset="old_faithful")
    _settled(qtbot, window)
    docks = window.sequence_docks
    normal = docks.transition_dock.width()
    presenter = window.findChild(QAction, "presenterAction")
    presenter.trigger()
    _settled(qtbot, window)
    assert docks.transition_dock.width() > normal
    presenter.trigger()
    _settled(qtbot, window)
    assert abs(docks.transition_dock.width() - normal) <= 2


def test_without_a_fit_both_views_say_what_to_do_whole(make_window, qtbot, presenter_off):
    window = make_window(builtin_dataset("empty"), algorithm=SEQUENCE_MODEL, n_clusters=3, show=True)
    window.resize(1280, 720)
    window.controller.add_points([[0.2, 0.2], [0.5, 0.6]])
    docks = window.sequence_docks
    placeholder = docks.transitions.placeholder
    qtbot.waitUntil(lambda: placeholder.isVisible() and docks.posterior.isVisible())
    assert "Add at least 3 points" in placeholder.text()
    assert "choose a sequence model" not in placeholder.text()
    assert placeholder.heightForWidth(placeholder.width()) <= placeholder.height()
    plot = docks.posterior
    assert "Add at least 3 points" in plot.placeholder.toPlainText()
    qtbot.waitUntil(lambda: plot.view_box.sceneBoundingRect().adjusted(-1, -2, 1, 2).contains(
        plot.placeholder.sceneBoundingRect()))
