"""The compare window on a small screen: it opens within the screen, shows
both sides, keeps its titles whole, and counts changed points in the info
line's words."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QLabel

from clusterviz.data import builtin_dataset
from clusterviz.ui.canvas.teaching import changed_words
from clusterviz.ui.windows.compare import SCREEN_SHARE


def _open(window, qtbot):
    view = window.open_compare()
    qtbot.addWidget(view)
    qtbot.waitExposed(view)
    return view


def _inside(widget, top) -> bool:
    corner = widget.mapTo(top, QPoint(0, 0))
    return top.rect().contains(QRect(corner, widget.size()))


def test_opens_within_the_available_screen_and_shows_both_sides(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True)
    view = _open(window, qtbot)
    available = view.screen().availableGeometry()
    assert view.width() <= SCREEN_SHARE * available.width() + 1
    assert view.height() <= SCREEN_SHARE * available.height() + 1
    assert available.contains(view.geometry())
    for canvas in view.canvases.values():
        assert canvas.width() >= 200 and canvas.height() >= 120
        assert _inside(canvas, view)
    for plot in view.plots.values():
        assert _inside(plot, view)
    lesson = view.findChild(QLabel, "compareLesson")
    assert _inside(lesson, view)


@pytest.mark.parametrize("width", [1152, 720])
def test_sequence_model_title_is_whole(make_window, qtbot, width):
    window = make_window(builtin_dataset("geyser"), algorithm="hmm", show=True)
    view = _open(window, qtbot)
    view.resize(width, 648)
    qtbot.waitUntil(lambda: view.width() == width)
    for entry in view.entries.values():
        name = "".join(ch for ch in entry.short_label if ch.isalnum())
        title = view.findChild(QLabel, f"compare{name}Title")
        text = title.text()
        assert "…" not in text and entry.short_label in text
        assert title.fontMetrics().horizontalAdvance(text) <= title.width()
        assert text in title.toolTip() or title.toolTip().startswith(entry.label)


def test_changed_points_read_the_same_in_the_info_line_and_the_compare_window(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), algorithm="gmm", init="random", seed=0, show=True)
    view = _open(window, qtbot)
    view.step()
    view.step()
    s = view.sessions["gmm"]
    n = s.n_changed
    assert n is not None
    words = changed_words(n, s.n_points, hard=False)
    assert "most likely cluster" in words
    assert words in view.readouts["gmm"].full_text()
    window.controller.step()
    window.controller.step()
    info = window.findChild(QLabel, "infoLabel").text()
    n_main = window.session.n_changed
    assert changed_words(n_main, window.session.n_points, hard=False) in info
    left = view.sessions["kmeans"]
    if left.n_changed is not None and not left.entry.converged:
        assert changed_words(left.n_changed, left.n_points, hard=True) in view.readouts["kmeans"].full_text()


def test_changed_words_name_what_is_counted():
    assert changed_words(3, 300, hard=True) == "3 of 300 points changed cluster"
    assert changed_words(3, 300, hard=False) == "3 of 300 points changed their most likely cluster"
    assert changed_words(1, 300, hard=False) == "1 of 300 points changed its most likely cluster"
