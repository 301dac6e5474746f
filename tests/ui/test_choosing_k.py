"""The "Choosing K" dock: the sweep runs on a worker thread and can be
cancelled; its charts mark the knee and the best K; a click on a K sets K;
the silhouette diagram follows the shown clustering."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QDockWidget

from clusterviz.data import Dataset, builtin_dataset
from clusterviz.model.metrics import silhouette_score
from ui_helpers import drawn_ticks


@pytest.fixture
def blobs_window(make_window):
    return make_window(builtin_dataset("three_blobs"), show=True)


def _run_sweep(qtbot, panel, timeout=30000):
    with qtbot.waitSignal(panel.job.finished, timeout=timeout):
        assert panel.run_sweep()
    return panel.result


def _click_k(qtbot, chart, k: float):
    vb = chart.getPlotItem().getViewBox()
    qtbot.waitUntil(lambda: vb.viewRange()[0][0] < k < vb.viewRange()[0][1])  # the chart has framed its data
    y = float(np.mean(vb.viewRange()[1]))
    pos = chart.mapFromScene(vb.mapViewToScene(QPointF(k, y)))
    qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_dock_is_hidden_and_toggled_from_view_menu(make_window, qtbot):
    window = make_window(show=True)
    dock = window.findChild(QDockWidget, "selectionPanel")
    assert dock is not None and not dock.isVisible()
    action = dock.toggleViewAction()
    assert action.objectName() == "selectionPanelAction"
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View")
    assert action in view_menu.actions()
    action.trigger()
    qtbot.waitUntil(dock.isVisible)
    assert window.docks.choosing_k.k_max_spin.value() == 10


def test_sweep_on_three_blobs_marks_knee_and_silhouette_at_3(blobs_window, qtbot):
    window = blobs_window
    window.docks.choosing_k_dock.show()
    panel = window.docks.choosing_k
    result = _run_sweep(qtbot, panel)
    assert not panel.job.is_running()
    assert list(result.ks) == list(range(1, 11))
    assert result.knee == 3 and result.best_silhouette == 3
    assert list(panel.elbow_chart.marker.data["x"]) == [3.0]
    assert list(panel.silhouette_chart.marker.data["x"]) == [3.0]
    elbow_title = panel.elbow_chart.getPlotItem().titleLabel.text
    assert "knee at K = 3" in elbow_title and "Kneedle" in elbow_title
    assert "maximum at K = 3" in panel.silhouette_chart.getPlotItem().titleLabel.text
    assert "subsample" not in panel.silhouette_chart.getPlotItem().titleLabel.text
    # four BIC curves, the full-covariance minimum marked at 3
    assert all(panel.criterion_chart.curves[ct].xData.shape == (10,) for ct in panel.criterion_chart.curves)
    assert list(panel.criterion_chart.markers["full"].data["x"]) == [3.0]
    assert panel.progress.value() == panel.progress.maximum()
    assert "K = 3" in panel.status_label.text()
    panel.criterion_combo.setCurrentText("AIC")
    assert "AIC" in panel.criterion_chart.getPlotItem().titleLabel.text


def test_sweep_on_old_faithful_full_bic_chooses_2(make_window, qtbot):
    window = make_window(builtin_dataset("old_faithful"))
    panel = window.docks.choosing_k
    result = _run_sweep(qtbot, panel)
    assert result.best_bic["full"] == 2
    assert list(panel.criterion_chart.markers["full"].data["x"]) == [2.0]
    assert "full 2" in panel.criterion_chart.getPlotItem().titleLabel.text


def test_sweep_can_be_cancelled_midway_and_leaves_no_thread(blobs_window, qtbot):
    panel = blobs_window.docks.choosing_k
    panel.k_max_spin.setValue(30)  # 150 units of work: long enough to stop in the middle
    reports = []
    panel.job.progressed.connect(lambda done, total: reports.append((done, total)))
    panel.job.progressed.connect(lambda done, total: len(reports) == 1 and panel.cancel_button.click())
    with qtbot.waitSignal(panel.job.cancelled, timeout=30000):
        panel.run_sweep()
        threads = job_threads("choosing-k")
        assert threads and panel.cancel_button.isEnabled() and not panel.run_button.isEnabled()
    assert not any(thread.is_alive() for thread in threads)
    assert not panel.job.is_running()
    assert reports and reports[0][0] < reports[0][1]  # stopped mid-way
    assert panel.result is None
    assert "cancelled" in panel.status_label.text().lower()
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()
    # and a new sweep still runs to the end
    panel.k_max_spin.setValue(4)
    _run_sweep(qtbot, panel)
    assert panel.result is not None and not panel.job.is_running()


def test_clicking_a_k_sets_k_and_resets_the_run(blobs_window, qtbot):
    window = blobs_window
    window.docks.choosing_k_dock.show()
    panel = window.docks.choosing_k
    _run_sweep(qtbot, panel)
    qtbot.waitUntil(lambda: panel.elbow_chart.width() > 100)
    session = window.session
    window.controller.step()
    window.controller.step()
    assert session.cursor > 0
    with qtbot.waitSignal(window.controller.reset):
        _click_k(qtbot, panel.elbow_chart, 5)
    assert session.n_clusters == 5 and window.controls.k_spin.value() == 5
    assert len(session.timeline) == 1 and session.cursor == 0
    assert panel.elbow_chart.current_line.value() == 5
    _click_k(qtbot, panel.silhouette_chart, 2)
    assert session.n_clusters == 2
    _click_k(qtbot, panel.criterion_chart, 4)
    assert session.n_clusters == 4
    # the current K again: the run restarts from its initialisation
    window.controller.step()
    _click_k(qtbot, panel.criterion_chart, 4)
    assert session.n_clusters == 4 and len(session.timeline) == 1


def _wait_silhouette(qtbot, window, timeout=10000):
    """Until the diagram shows the silhouette of the shown state (computed on a worker thread)."""
    panel = window.docks.choosing_k
    s = window.session
    qtbot.waitUntil(lambda: panel._silhouette_key == (s.version, s.cursor, s.n_points)
                    and not panel.silhouette_job.is_running(), timeout=timeout)
    return panel.silhouette_diagram


def test_silhouette_diagram_follows_the_shown_state(blobs_window, qtbot):
    window = blobs_window
    window.docks.choosing_k_dock.show()
    panel = window.docks.choosing_k
    panel.tabs.setCurrentIndex(1)
    diagram = panel.silhouette_diagram
    qtbot.waitUntil(diagram.isVisible)
    assert diagram.mean is None and "step once" in diagram.message.textItem.toPlainText().lower()
    window.controller.step()
    state = window.session.state
    expected, _ = silhouette_score(window.session.X, state.labels, sample_size=None)
    _wait_silhouette(qtbot, window)
    assert diagram.mean == pytest.approx(expected, abs=1e-12)
    assert diagram.n_groups == 3
    assert sum(len(bar.opts["width"]) for bar in diagram.bars) == window.session.n_points
    assert "updating" not in diagram.getPlotItem().titleLabel.text
    first = diagram.mean
    window.controller.step_back()
    assert diagram.mean is None  # back at the start: no clusters
    window.controller.run_to_convergence()
    qtbot.waitUntil(lambda: not window.controller.busy)
    final, _ = silhouette_score(window.session.X, window.session.state.labels, sample_size=None)
    _wait_silhouette(qtbot, window)
    assert diagram.mean == pytest.approx(final, abs=1e-12) and final >= first - 1e-9


class _Gate:
    """Wraps ``silhouette_layout``: records the thread of every call and holds
    each call until the test opens the gate."""

    def __init__(self, monkeypatch):
        import clusterviz.ui.panels.choosing_k as sp

        self.threads, self.open = [], threading.Event()
        real = sp.silhouette_layout

        def layout(*args, **kwargs):
            self.threads.append(threading.current_thread())
            assert self.open.wait(20)
            return real(*args, **kwargs)

        monkeypatch.setattr(sp, "silhouette_layout", layout)


def test_silhouette_is_computed_off_the_gui_thread_and_says_updating(blobs_window, qtbot, monkeypatch):
    window = blobs_window
    gate = _Gate(monkeypatch)
    window.docks.choosing_k_dock.show()
    panel = window.docks.choosing_k
    panel.tabs.setCurrentIndex(1)
    diagram = panel.silhouette_diagram
    qtbot.waitUntil(diagram.isVisible)
    window.controller.step()
    qtbot.waitUntil(lambda: len(gate.threads) == 1)
    # the GUI thread is free while the worker computes: the window still answers
    assert gate.threads[0] is not threading.main_thread()
    state = window.session.state
    assert f"updating to iteration {state.iteration} (after" in diagram.getPlotItem().titleLabel.text
    assert diagram.mean is None
    gate.open.set()
    _wait_silhouette(qtbot, window)
    expected, _ = silhouette_score(window.session.X, window.session.state.labels, sample_size=None)
    assert diagram.mean == pytest.approx(expected, abs=1e-12)
    title = diagram.getPlotItem().titleLabel.text
    assert "updating" not in title and f"iteration {window.session.state.iteration}" in title


def test_stale_silhouettes_are_dropped_and_the_newest_wins(blobs_window, qtbot, monkeypatch):
    window = blobs_window
    gate = _Gate(monkeypatch)
    window.docks.choosing_k_dock.show()
    panel = window.docks.choosing_k
    panel.tabs.setCurrentIndex(1)
    diagram = panel.silhouette_diagram
    qtbot.waitUntil(diagram.isVisible)
    c = window.controller
    c.step()
    qtbot.waitUntil(lambda: len(gate.threads) == 1)
    first_cursor = window.session.cursor
    for _ in range(3):  # more steps (until converged) while the first silhouette is computed
        if c.can_step():
            c.step()
            qtbot.waitUntil(lambda: not c.busy)
    assert window.session.cursor > first_cursor
    assert len(gate.threads) == 1  # one computation at a time, none queued up per step
    shown = window.session.state
    gate.open.set()
    _wait_silhouette(qtbot, window)
    assert len(gate.threads) == 2  # the stale one, then only the newest
    expected, _ = silhouette_score(window.session.X, shown.labels, sample_size=None)
    assert diagram.mean == pytest.approx(expected, abs=1e-12)
    assert f"iteration {shown.iteration} " in diagram.getPlotItem().titleLabel.text


def test_slow_silhouettes_wait_while_playing_and_update_on_pause(blobs_window, qtbot, monkeypatch):
    import clusterviz.ui.panels.choosing_k as sp

    monkeypatch.setattr(sp, "SILHOUETTE_LIVE_S", 0.0)  # every computation counts as too slow to follow play
    window = blobs_window
    window.docks.choosing_k_dock.show()
    panel = window.docks.choosing_k
    panel.tabs.setCurrentIndex(1)
    diagram = panel.silhouette_diagram
    c = window.controller
    c.step()
    _wait_silhouette(qtbot, window)
    started_while_playing = []
    panel.silhouette_job.started.connect(lambda: started_while_playing.append(c.playing))
    steps = []
    c.stepped.connect(lambda: steps.append(window.session.cursor))
    notes = []
    c.stepped.connect(lambda: notes.append(diagram.getPlotItem().titleLabel.text))
    c.play()
    qtbot.waitUntil(lambda: len(steps) >= 2 or not c.playing, timeout=10000)
    assert "updates when playing stops" in notes[-1]
    c.pause()
    _wait_silhouette(qtbot, window)
    assert started_while_playing and not any(started_while_playing)
    expected, _ = silhouette_score(window.session.X, window.session.state.labels, sample_size=None)
    assert diagram.mean == pytest.approx(expected, abs=1e-12)
    assert "playing" not in diagram.getPlotItem().titleLabel.text


def test_silhouette_diagram_waits_until_visible(make_window, qtbot):
    window = make_window(show=True)
    panel = window.docks.choosing_k
    window.controller.step()
    assert panel.silhouette_diagram.mean is None  # hidden: nothing computed
    assert not panel.silhouette_job.is_running()
    window.docks.choosing_k_dock.show()
    panel.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: panel.silhouette_diagram.mean is not None)


def test_large_data_uses_a_subsample_and_says_so(make_window, qtbot):
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(c, 0.5, size=(2100, 2)) for c in ((0, 0), (5, 0), (0, 5))])
    window = make_window(Dataset(name="big", X=X, columns=("x", "y"), labels=None, class_names=None), show=True)
    window.docks.choosing_k_dock.show()
    panel = window.docks.choosing_k
    panel.tabs.setCurrentIndex(1)
    window.controller.step()
    qtbot.waitUntil(lambda: panel.silhouette_diagram.mean is not None)
    assert "5,000-point subsample" in panel.silhouette_diagram.getPlotItem().titleLabel.text
    assert sum(len(bar.opts["width"]) for bar in panel.silhouette_diagram.bars) == 5000
    panel.k_max_spin.setValue(3)
    result = _run_sweep(qtbot, panel, timeout=60000)
    assert result.silhouette_subsampled
    assert "(on a 5,000-point subsample)" in panel.silhouette_chart.getPlotItem().titleLabel.text


def test_too_few_points_gives_a_message(make_window, qtbot):
    window = make_window(builtin_dataset("empty"))
    panel = window.docks.choosing_k
    assert not panel.run_sweep()
    assert "at least 2 points" in panel.status_label.text()
    assert not panel.job.is_running()


def test_data_change_clears_the_sweep(make_window, qtbot):
    window = make_window()
    panel = window.docks.choosing_k
    _run_sweep(qtbot, panel)
    window.controller.add_point(1.0, 1.0)
    assert panel.result is None and "run the sweep again" in panel.status_label.text()
    assert panel.elbow_chart.curve.xData is None or len(panel.elbow_chart.curve.xData) == 0


def test_data_change_during_a_sweep_stops_it(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"))
    panel = window.docks.choosing_k
    panel.k_max_spin.setValue(30)
    with qtbot.waitSignal(panel.job.cancelled, timeout=30000):
        panel.run_sweep()
        window.controller.add_point(1.0, 1.0)
    assert panel.result is None and not panel.job.is_running()
    assert panel.status_label.text() == "The data changed: run the sweep again."


def test_a_k_beyond_the_palette_is_refused_with_a_message(make_window):
    window = make_window(builtin_dataset("three_blobs"))
    panel = window.docks.choosing_k
    panel.use_k(20)
    assert window.session.n_clusters == 3
    assert "more than the 12 clusters" in panel.status_label.text()


def test_closing_the_window_stops_a_running_sweep(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"))
    panel = window.docks.choosing_k
    panel.k_max_spin.setValue(30)
    panel.run_sweep()
    threads = job_threads("choosing-k")
    window.close()
    assert threads and not any(thread.is_alive() for thread in threads)


def test_closing_the_window_waits_for_a_silhouette_being_computed(make_window, qtbot):
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(c, 0.5, size=(2000, 2)) for c in ((0, 0), (5, 0), (0, 5))])
    window = make_window(Dataset(name="big", X=X, columns=("x", "y"), labels=None, class_names=None), show=True)
    window.docks.choosing_k_dock.show()
    panel = window.docks.choosing_k
    panel.tabs.setCurrentIndex(1)
    threads = []
    panel.silhouette_job.started.connect(lambda: threads.extend(job_threads("silhouette")))
    window.controller.step()
    qtbot.waitUntil(lambda: len(threads) == 1)
    window.close()
    assert not threads[0].is_alive()


def test_identical_points_give_no_knee_and_no_crash(make_window, qtbot):
    X = np.zeros((6, 2))
    window = make_window(Dataset(name="same", X=X, columns=("x", "y"), labels=None, class_names=None))
    panel = window.docks.choosing_k
    result = _run_sweep(qtbot, panel)
    assert result.knee is None and result.best_silhouette is None
    assert "no knee" in panel.elbow_chart.getPlotItem().titleLabel.text
    assert "Elbow: no clear knee" in panel.status_label.text()


# --------------------------------------------------------------------------
# The docks leave the canvas room; toggling one on brings it to the front
# --------------------------------------------------------------------------
def test_docks_open_floating_so_the_main_window_stays_narrow(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True)
    window.resize(1024, 700)
    for dock in (window.docks.choosing_k_dock, window.restarts_dock):
        dock.toggleViewAction().trigger()
        qtbot.waitUntil(dock.isVisible)
        assert dock.isFloating()  # a tool window of its own, not a slice of the main window
        assert dock.width() >= 400 and dock.height() >= 400
        assert window.minimumSizeHint().width() <= 900
    assert window.width() <= 1024
    # docked again by the user, each panel is narrow enough to leave the canvas most of the window
    for dock in (window.docks.choosing_k_dock, window.restarts_dock):
        assert dock.widget().minimumSizeHint().width() <= 300


def test_floating_geometry_is_beside_the_window_or_against_the_screen_edge():
    from PySide6.QtCore import QRect

    from clusterviz.ui.panels.docks import floating_geometry

    main = QRect(0, 0, 1000, 700)
    beside = floating_geometry(main, QRect(0, 0, 1920, 1080))
    assert beside.left() > main.right() and (beside.width(), beside.height()) == (520, 720)
    edge = floating_geometry(main, QRect(0, 0, 1280, 768))
    assert edge.right() <= 1279 and edge.bottom() <= 767 and edge.height() <= 728
    assert edge.left() > 500  # over the side panel, not the canvas on the left
    second = floating_geometry(main, QRect(0, 0, 1280, 768), offset=32)
    assert second.topLeft() != edge.topLeft() and second.right() <= 1279  # cascaded, still on screen


def test_restarts_shortcut_brings_its_tab_to_the_front(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True)
    sel, res = window.docks.choosing_k_dock, window.restarts_dock
    sel.setFloating(False)
    res.setFloating(False)  # docked, tabbed together on the right
    res.show()
    sel.show()
    sel.raise_()
    assert window.tabifiedDockWidgets(sel) == [res]

    def in_front(dock):
        return dock.isVisible() and not dock.visibleRegion().isEmpty()

    qtbot.waitUntil(lambda: in_front(sel) and not in_front(res))  # restarts is the tab behind
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: in_front(res) and not in_front(sel))
    assert res.toggleViewAction().isChecked()
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: in_front(sel))  # and back to Choosing K
    # in front already: the shortcut hides it
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(sel.isHidden)


# --------------------------------------------------------------------------
# Honest about weak structure; no SI prefixes on the axes
# --------------------------------------------------------------------------
def test_uniform_data_warn_of_weak_structure_and_an_unclear_elbow(make_window, qtbot):
    window = make_window(builtin_dataset("uniform"), show=True)
    window.docks.choosing_k_dock.show()
    panel = window.docks.choosing_k
    assert not panel.warning_label.isVisible()
    result = _run_sweep(qtbot, panel)
    qtbot.waitUntil(panel.warning_label.isVisible)
    text = panel.warning_label.text()
    assert "Weak structure" in text and f"{np.nanmax(result.silhouette):.2f}" in text and "no clusters" in text
    assert "elbow is not clear" in text
    assert "no clear knee" in panel.elbow_chart.getPlotItem().titleLabel.text
    assert "knee at" not in panel.elbow_chart.getPlotItem().titleLabel.text
    assert "weak" in panel.silhouette_chart.getPlotItem().titleLabel.text
    assert "no clear knee" in panel.status_label.text()


def test_three_blobs_sweep_shows_no_warning(blobs_window, qtbot):
    window = blobs_window
    window.docks.choosing_k_dock.show()
    panel = window.docks.choosing_k
    _run_sweep(qtbot, panel)
    assert not panel.warning_label.isVisible() and panel.warning_label.text() == ""
    assert "weak" not in panel.silhouette_chart.getPlotItem().titleLabel.text


def test_no_axis_of_the_charts_shows_an_si_prefix(make_window, qtbot):
    window = make_window(show=True)
    window.docks.choosing_k_dock.show()
    panel = window.docks.choosing_k
    plots = [panel.elbow_chart, panel.criterion_chart, panel.silhouette_chart, panel.silhouette_diagram,
             window.restarts_panel.histogram]
    for widget in plots:
        for side in ("left", "bottom"):
            axis = widget.getPlotItem().getAxis(side)
            assert not axis.autoSIPrefix
            assert "(x" not in axis.labelString()  # the empty state showed "K (click to use it) (x0.001)"


def job_threads(name: str) -> list[threading.Thread]:
    """The live worker threads of the background job ``name``."""
    return [t for t in threading.enumerate() if t.name == f"clusterviz-{name}"]


def test_chart_titles_wrap_in_a_narrow_dock_instead_of_being_cut(make_window, qtbot):
    from clusterviz.ui.panels.objective_plot import title_text

    window = make_window(builtin_dataset("uniform"), show=True)
    dock = window.findChild(QDockWidget, "selectionPanel")
    dock.show()
    dock.resize(300, 800)
    panel = window.docks.choosing_k
    _run_sweep(qtbot, panel)
    qtbot.waitUntil(lambda: panel.elbow_chart.width() < 320)
    for chart in (panel.elbow_chart, panel.criterion_chart, panel.silhouette_chart):
        plot = chart.getPlotItem()
        label = plot.titleLabel
        qtbot.waitUntil(lambda: label.item.boundingRect().width() <= label.rect().width() + 1)
        text = title_text(plot)
        assert text.endswith(("method)", ")", "4", "3", "2", "5", "6", "7", "8", "9", "10")), text
        # every line of the title lies inside the chart
        box = label.item.sceneBoundingRect()
        assert box.left() >= -1 and box.right() <= chart.width() + 1
        # the title row grows to the height of its lines
        qtbot.waitUntil(lambda: label.item.boundingRect().height() <= label.rect().height() + 1)
    long_title = title_text(panel.elbow_chart.getPlotItem())
    assert "Kneedle" in long_title and (long_title.endswith("method)") or long_title.endswith("?)")
                                        or "K =" in long_title)


def test_before_a_sweep_the_charts_show_a_placeholder_not_made_up_axes(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True)
    dock = window.findChild(QDockWidget, "selectionPanel")
    dock.show()
    panel = window.docks.choosing_k
    charts = (panel.elbow_chart, panel.criterion_chart, panel.silhouette_chart)
    for chart in charts:
        assert chart.placeholder.isVisible() and "Run the sweep" in chart.placeholder.toPlainText()
        assert drawn_ticks(chart, "left") == [] and drawn_ticks(chart, "bottom") == []
    _run_sweep(qtbot, panel)
    for chart in charts:
        assert not chart.placeholder.isVisible()
        qtbot.waitUntil(lambda: len(drawn_ticks(chart, "bottom")) > 0)
