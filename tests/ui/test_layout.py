"""Layout at projector sizes: at 1280 x 800 and 1280 x 720, for every algorithm
in the registry, the controls a teacher uses live are fully in view, the
others are one tab away and never behind a scroll bar, the canvas keeps
most of the width and the objective plot is at least 200 px high."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction, QRegion
from PySide6.QtWidgets import QAbstractScrollArea, QStackedWidget, QTabWidget, QToolBar, QWidget

from clusterviz.model import registry

SIZES = ((1280, 800), (1280, 720))
LIVE = ("algorithmCombo", "datasetCombo", "kSpin", "stepButton", "stepBackButton", "playButton", "resetButton",
        "halfStepCheck", "timelineSlider", "regionsCheck", "densityCheck", "trailsCheck", "ambiguityCheck",
        "objectivePlot", "infoLabel", "formulaPanel")
SECONDARY = ("initCombo", "seedSpin", "convergeButton", "colourModeCombo", "speedSlider", "covarianceCombo",
             "betaSlider")


def named_widget(window, name: str) -> QWidget:
    """The widget called ``name``, or the tool bar button of the action called ``name``."""
    widget = window.findChild(QWidget, name)
    if widget is not None:
        return widget
    action = window.findChild(QAction, name)
    assert action is not None, f"nothing named {name!r}"
    for bar in window.findChildren(QToolBar):
        button = bar.widgetForAction(action)
        if button is not None:
            return button
    raise AssertionError(f"the action {name!r} is on no tool bar")


def hidden_part(widget: QWidget) -> QRegion:
    """The part of ``widget`` that is not on screen (empty: fully visible).
    A widget's own visible region leaves out what its opaque children (a
    plot's viewport) cover: those count as the widget's."""
    shown = QRegion(widget.visibleRegion())
    for child in widget.findChildren(QWidget):
        if child.isVisible():
            shown = shown.united(child.visibleRegion().translated(child.mapTo(widget, QPoint(0, 0))))
    return QRegion(widget.rect()).subtracted(shown)


def clipping_scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    """The scroll area whose viewport cuts ``widget`` off or scrolls, if any."""
    parent = widget.parentWidget()
    while parent is not None:
        area = parent.parentWidget()
        if isinstance(area, QAbstractScrollArea) and area.viewport() is parent:
            rect = widget.rect().translated(widget.mapTo(parent, widget.rect().topLeft()))
            scrolls = area.verticalScrollBar().isVisible() or area.horizontalScrollBar().isVisible()
            if scrolls or not parent.rect().contains(rect):
                return area
        parent = parent.parentWidget()
    return None


def tab_page(widget: QWidget):
    """(the QTabWidget, its page) that ``widget`` is on, or None."""
    child, parent = widget, widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QStackedWidget) and isinstance(parent.parentWidget(), QTabWidget):
            return parent.parentWidget(), child
        child, parent = parent, parent.parentWidget()
    return None


def applies(window, name: str) -> bool:
    """Whether the setting ``name`` belongs to the shown algorithm (registry fields)."""
    entry = window.session.algorithm_entry
    return {"covarianceCombo": bool(entry.covariance_types), "betaSlider": entry.uses_beta}.get(name, True)


def settle(window, qtbot, size) -> None:
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=3000)
    qtbot.waitUntil(lambda: not window.formula_panel.visibleRegion().isEmpty(), timeout=3000)


@pytest.fixture
def shown_window(make_window, qtbot):
    from clusterviz.data import builtin_dataset

    return make_window(builtin_dataset("three_blobs"), show=True)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("algorithm", registry.algorithm_names())
def test_live_controls_are_fully_visible(shown_window, qtbot, size, algorithm):
    window = shown_window
    combo = window.controls.algorithm_combo
    combo.setCurrentIndex(combo.findData(algorithm))
    window.controls.half_step_check.setChecked(True)  # the Step button's longest texts
    window.controller.advance()
    settle(window, qtbot, size)
    assert window.session.algorithm == algorithm
    for name in LIVE:
        widget = named_widget(window, name)
        assert widget.isVisible(), name
        assert hidden_part(widget).isEmpty(), f"{name} is cut off at {size}"
        assert clipping_scroll_area(widget) is None, f"{name} scrolls at {size}"
    assert window.objective_plot.height() >= 200
    assert window.canvas.width() > 0.6 * window.width()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("algorithm", registry.algorithm_names())
def test_other_settings_are_one_tab_away_and_never_scroll(shown_window, qtbot, size, algorithm):
    window = shown_window
    combo = window.controls.algorithm_combo
    combo.setCurrentIndex(combo.findData(algorithm))
    settle(window, qtbot, size)
    checked = []
    for name in SECONDARY:
        widget = named_widget(window, name)
        tab = tab_page(widget)
        if tab is not None:  # on a tab: bring it forward, as a user would
            tab[0].setCurrentWidget(tab[1])
        if not applies(window, name):
            assert not widget.isVisibleTo(window), f"{name} shows for {algorithm}"
            continue
        qtbot.waitUntil(lambda w=widget: not w.visibleRegion().isEmpty(), timeout=3000)
        assert hidden_part(widget).isEmpty(), f"{name} is cut off at {size}"
        assert clipping_scroll_area(widget) is None, f"{name} scrolls at {size}"
        checked.append(name)
    entry = window.session.algorithm_entry
    assert ("covarianceCombo" in checked) == bool(entry.covariance_types)
    assert ("betaSlider" in checked) == entry.uses_beta


def test_the_window_shrinks_to_a_scaled_laptop_screen(shown_window, qtbot):
    """A 1280 x 800 screen at 150 % is 853 x 533 logical pixels: the window,
    with its title bar, still fits (the side column may scroll there)."""
    window = shown_window
    minimum = window.minimumSizeHint().expandedTo(window.minimumSize())
    assert minimum.width() <= 853 and minimum.height() <= 533 - 40
    settle(window, qtbot, (853, 493))
    assert window.canvas.width() >= window.width() // 2


def test_tabs_take_the_height_of_the_page_shown(shown_window, qtbot):
    window = shown_window
    settle(window, qtbot, (1280, 720))
    tabs = window.controls.tabs
    heights = {}
    for page in (window.inspector, tabs.widget(0)):
        tabs.setCurrentWidget(page)
        qtbot.waitUntil(lambda p=page: p.isVisible() and tabs.height() == tabs.sizeHint().height()
                        and tabs.height() - p.height() < 60, timeout=3000)
        assert hidden_part(page).isEmpty()
        heights[page] = window.objective_plot.height()
    assert window.inspector.sizeHint().height() > tabs.widget(0).sizeHint().height()  # K-Means: 2 settings
    assert heights[tabs.widget(0)] > heights[window.inspector]


def test_ambiguity_key_shows_on_the_layers_tool_bar_with_the_layer(shown_window, qtbot):
    window = shown_window
    legend = window.controls.view_group.legend
    assert not legend.isVisible()
    window.controls.view_group.ambiguity_check.click()
    qtbot.waitUntil(legend.isVisible, timeout=3000)
    assert legend.parentWidget() is window.layers_toolbar and hidden_part(legend).isEmpty()


def test_fit_view_frames_the_points_after_a_zoom(shown_window, qtbot):
    window = shown_window
    view = window.canvas.view_box
    framed = [float(v) for r in view.viewRange() for v in r]
    view.scaleBy((0.2, 0.2))
    assert [float(v) for r in view.viewRange() for v in r] != pytest.approx(framed, rel=1e-6)
    action = window.findChild(QAction, "fitViewAction")
    assert action.shortcut().toString() == "Home" and named_widget(window, "fitViewAction").isVisible()
    action.trigger()
    assert [float(v) for r in view.viewRange() for v in r] == pytest.approx(framed, rel=1e-6)


@pytest.mark.parametrize("size", SIZES)
def test_a_docked_panel_leaves_the_canvas_half_the_window(shown_window, qtbot, size):
    window = shown_window
    settle(window, qtbot, size)
    sel, res = window.docks.choosing_k_dock, window.restarts_dock
    for dock in (sel, res):
        dock.setFloating(False)
        dock.show()
    qtbot.waitUntil(lambda: sel.isVisible() and res.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: window.canvas.width() >= window.width() // 2, timeout=3000)
    qtbot.waitUntil(lambda: not window.docks.canvas_room.timer.isActive(), timeout=3000)
    assert not sel.isFloating() and window.canvas.width() >= window.width() // 2
    for name in ("stepButton", "objectivePlot", "formulaPanel", "algorithmCombo"):
        assert hidden_part(named_widget(window, name)).isEmpty(), name


def test_a_window_too_narrow_for_a_docked_panel_floats_it_again(shown_window, qtbot):
    window = shown_window
    settle(window, qtbot, (1024, 700))
    dock = window.docks.choosing_k_dock
    dock.setFloating(False)
    dock.show()
    qtbot.waitUntil(dock.isFloating, timeout=3000)
    qtbot.waitUntil(lambda: window.canvas.width() >= window.width() // 2, timeout=3000)


def test_twelve_clusters_in_the_inspector_still_leave_the_plot_200_px(make_window, qtbot):
    from clusterviz.data import builtin_dataset

    window = make_window(builtin_dataset("three_blobs"), show=True, algorithm="gmm", n_clusters=12)
    settle(window, qtbot, (1280, 720))
    window.controls.tabs.setCurrentWidget(window.inspector)
    window.controller.step()
    window.teaching.toggle_pin(3)
    qtbot.waitUntil(lambda: window.inspector.isVisible() and hidden_part(window.inspector).isEmpty(), timeout=3000)
    assert window.objective_plot.height() >= 200
    assert hidden_part(window.formula_panel).isEmpty()
