"""The restarts gallery (runs on a worker thread, best objective, loading a
run's start) and k-means++ seeding shown step by step."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QDockWidget, QToolButton

from clusterviz.data import builtin_dataset
from clusterviz.model import KMeans
from clusterviz.model.selection import best_reached


def _run(qtbot, panel, R=6, timeout=60000):
    panel.restarts_spin.setValue(R)
    with qtbot.waitSignal(panel.job.finished, timeout=timeout):
        assert panel.run()
    assert not panel.job.is_running()
    return panel.runs


def test_dock_is_hidden_and_in_the_view_menu(make_window, qtbot):
    window = make_window()
    dock = window.findChild(QDockWidget, "restartsPanel")
    assert dock is not None and dock.isHidden()
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View")
    assert dock.toggleViewAction() in view_menu.actions()
    assert window.restarts_panel.restarts_spin.value() == 20


def test_panels_are_built_when_their_docks_first_open(make_window, qtbot):
    window = make_window(show=True)
    docks = window.docks
    assert not docks.restarts_dock.built and not docks.choosing_k_dock.built
    assert window.findChild(QCheckBox, "seedingCheck") is None and docks.built_panels() == []
    window.findChild(QAction, "restartsPanelAction").trigger()
    assert docks.restarts_dock.built and docks.restarts_dock.widget() is docks.restarts
    assert docks.restarts_dock.isVisible() and not docks.choosing_k_dock.built
    assert docks.built_panels() == [docks.restarts]
    window.findChild(QAction, "selectionPanelAction").trigger()
    assert docks.choosing_k_dock.widget() is docks.choosing_k and len(docks.built_panels()) == 2


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "soft-kmeans"])
def test_gallery_best_objective_is_the_best_over_restarts(make_window, qtbot, algorithm):
    window = make_window(builtin_dataset("three_blobs"), algorithm=algorithm)
    panel = window.restarts_panel
    runs = _run(qtbot, panel, R=5)
    assert len(runs) == 10 and len(panel.thumbnails) == 10
    objectives = np.array([run.objective for run in runs])
    expected = objectives.min() if algorithm == "kmeans" else objectives.max()
    assert panel.best_objective() == expected
    assert runs[0].objective == expected  # sorted, best first
    assert [b.objectName() for b in panel.thumbnails] == [f"restartThumb_{i}" for i in range(10)]
    inits = {run.init for run in runs}
    assert len(inits) == 2
    for method, label in panel.best_labels.items():
        x, total = panel.reached(method)
        assert total == 5 and label.text().endswith(f"best objective reached in {x} / 5 runs")
    assert sum(panel.reached(m)[0] for m in panel.best_labels) == best_reached(
        runs, rtol=1e-6 if algorithm == "kmeans" else 1e-4)[0]
    # the histogram counts every run once
    total = sum(float(np.sum(item.yData)) for item in panel.bars.values())
    assert total == 10


def test_kmeans_on_three_blobs_kmeans_plus_plus_always_reaches_the_best(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"))
    panel = window.restarts_panel
    runs = _run(qtbot, panel, R=20)
    best = min(run.objective for run in runs)
    assert panel.reached("k-means++") == (20, 20)
    assert best == pytest.approx(KMeans(n_clusters=3, n_init=10, random_state=0).fit(window.session.X).inertia_)


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm"])
def test_clicking_a_thumbnail_loads_that_start(make_window, qtbot, algorithm):
    window = make_window(builtin_dataset("old_faithful"), algorithm=algorithm, show=True)
    window.restarts_dock.show()
    panel = window.restarts_panel
    runs = _run(qtbot, panel, R=4)
    session = window.session
    for i in (len(runs) - 1, 0):
        run = runs[i]
        qtbot.mouseClick(panel.thumbnails[i], Qt.MouseButton.LeftButton)
        assert session.seed == run.seed and window.controls.seed_spin.value() == run.seed
        assert len(session.timeline) == 1 and session.cursor == 0
        np.testing.assert_array_equal(session.timeline[0].means, run.initial_means)
        assert panel.status_label.text().startswith("Loaded run")
        # ready to step: running it to the end reproduces the run
        window.controller.run_to_convergence()
        np.testing.assert_allclose(session.entry.means, run.final_means, rtol=1e-10, atol=1e-10)
        if algorithm == "gmm":
            assert session.entry.objective == pytest.approx(run.objective, rel=1e-12)


def test_loading_restores_the_runs_settings(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"))
    panel = window.restarts_panel
    runs = _run(qtbot, panel, R=3)
    window.controller.set_n_clusters(5)
    window.controller.set_init("random")
    assert panel.load_run(runs[0])
    assert window.session.n_clusters == 3
    np.testing.assert_array_equal(window.session.timeline[0].means, runs[0].initial_means)


def test_loading_a_run_with_seeding_shown_compares_the_fits_start(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"))
    panel = window.restarts_panel
    runs = _run(qtbot, panel, R=3)
    run = next(r for r in runs if r.init == "k-means++")
    window.controller.set_show_seeding(True)
    assert panel.load_run(run)
    s = window.session
    assert s.n_seed_entries == 3 and s.entry.phase == "seed"
    np.testing.assert_array_equal(s.timeline[s.n_seed_entries].means, run.initial_means)
    assert panel.status_label.text().startswith("Loaded run")


def test_restarts_can_be_cancelled_and_leave_no_thread(make_window, qtbot):
    window = make_window(builtin_dataset("old_faithful"), algorithm="gmm")
    panel = window.restarts_panel
    panel.restarts_spin.setValue(200)
    panel.job.progressed.connect(lambda done, total: done == 1 and panel.cancel_button.click())
    with qtbot.waitSignal(panel.job.cancelled, timeout=60000):
        panel.run()
        threads = job_threads("restarts")
    assert threads and not any(thread.is_alive() for thread in threads)
    assert not panel.job.is_running()
    assert panel.runs == [] and "cancelled" in panel.status_label.text().lower()
    assert panel.run_button.isEnabled()


def test_data_change_clears_the_gallery(make_window, qtbot):
    window = make_window()
    panel = window.restarts_panel
    _run(qtbot, panel, R=2)
    window.controller.add_point(0.5, 0.5)
    assert panel.runs == [] and panel.thumbnails == []
    assert "run the restarts again" in panel.status_label.text()


def test_no_state_gives_a_message(make_window, qtbot):
    window = make_window(builtin_dataset("empty"))
    panel = window.restarts_panel
    assert not panel.run()
    assert panel.status_label.text().startswith("Add at least")


# ----------------------------------------------------------- seeding
def test_seeding_step_by_step_then_lloyd(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), init="random", n_clusters=4, seed=5)
    view = window.seeding_view
    window.restarts_dock.show()  # the panel, with its seedingCheck, is built when its dock first opens
    check = window.findChild(QCheckBox, "seedingCheck")
    session, c = window.session, window.controller
    check.setChecked(True)
    assert view.enabled and window.seeding_view.action.isChecked()
    assert session.init == "k-means++" and window.controls.init_combo.currentText() == "k-means++"
    assert session.n_seed_entries == 4 and session.cursor == 0 and view.active  # the picks are timeline entries
    assert not window.canvas.points.isVisible() and view.prob_points.isVisible()
    sizes0 = view.prob_points.data["size"]
    assert np.ptp(sizes0) == 0  # the first pick: every point equally likely
    for k in range(1, 5):
        if k > 1:
            c.step()
        pick = session.entry.seeding
        assert session.cursor == k - 1 and session.entry.phase == "seed" and pick.number == k - 1
        assert len(view.centres.data) == k
        assert len(view.candidate_marks.data) == (0 if k == 1 else len(pick.candidates))
        assert view.chosen_mark.data["x"][0] == session.X[pick.chosen, 0]
        assert f"Pick {k} of 4" in view.label.text()
    sizes = view.prob_points.data["size"]
    assert sizes[pick.indices[0]] == sizes.min()  # a chosen centre has D = 0
    c.step_back()
    assert session.cursor == 2 and "Pick 3 of 4" in view.label.text()
    c.step()
    c.step()  # leaves the seeding: the fit's own start, with the same centres
    assert session.entry.phase == "init" and not view.active and window.canvas.points.isVisible()
    assert "seeding done" in view.label.text()
    np.testing.assert_array_equal(session.entry.means, pick.centers)
    c.step()  # Lloyd's iterations continue as usual
    assert session.entry.iteration == 1 and view.label.isHidden()


def test_seeding_restarts_on_reset_and_turns_off_for_other_starts(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"))
    view, c = window.seeding_view, window.controller
    view.action.trigger()  # the action works before the restarts panel exists
    assert not window.docks.restarts_dock.built and view.enabled
    window.restarts_dock.show()  # built now: its seedingCheck mirrors the mode
    assert window.findChild(QCheckBox, "seedingCheck").isChecked()
    c.step()
    c.step()
    c.set_seed(9)
    s = window.session
    assert s.cursor == 0 and view.active
    np.testing.assert_array_equal(s.timeline[s.n_seed_entries].means, s.timeline[s.n_seed_entries - 1].means)
    c.set_init("random")
    assert not view.enabled and not view.action.isChecked()
    assert not window.findChild(QCheckBox, "seedingCheck").isChecked()
    assert window.canvas.points.isVisible() and s.n_seed_entries == 0
    c.set_algorithm("gmm")  # EM starts from k-means++ picks too: the mode is there for every algorithm
    assert view.action.isEnabled() and window.findChild(QCheckBox, "seedingCheck").isEnabled()
    view.action.trigger()
    assert view.enabled and s.algorithm == "gmm" and s.entry.phase == "seed"


def test_seeding_back_button_walks_back_through_picks(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True)
    view = window.seeding_view
    view.action.trigger()
    window.controller.step()
    back = window.findChild(QToolButton, "stepBackButton") or window.controls.step_back_button
    assert back.isEnabled()
    qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
    assert window.session.cursor == 0 and view.pick.number == 0


def test_data_change_during_restarts_stops_them(make_window, qtbot):
    window = make_window(builtin_dataset("old_faithful"), algorithm="gmm")
    panel = window.restarts_panel
    panel.restarts_spin.setValue(200)
    with qtbot.waitSignal(panel.job.cancelled, timeout=60000):
        panel.run()
        window.controller.add_point(3.0, 70.0)
    assert panel.runs == [] and not panel.job.is_running()
    assert panel.status_label.text() == "The data changed: run the restarts again."


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm"])
def test_objectives_are_written_as_the_status_line_writes_them(make_window, qtbot, algorithm):
    from clusterviz.session import format_number

    window = make_window(builtin_dataset("three_blobs"), algorithm=algorithm)
    panel = window.restarts_panel
    runs = _run(qtbot, panel, R=4)
    symbol = window.session.algorithm_entry.objective_symbol
    best = format_number(runs[0].objective)
    assert best.count(".") == 1 and len(best.split(".")[1]) == 2  # 322.00, -1166.41
    assert f"{symbol} = {best}," in panel.status_label.text()
    assert panel.thumbnails[0].text().split("\n")[0] == f"{symbol} = {best}"
    assert f"{symbol} = {best} " in panel.thumbnails[0].toolTip()
    # the best run, loaded and run again, reads the same in the status line
    assert panel.load_run(runs[0])
    window.controller.run_to_convergence()
    qtbot.waitUntil(lambda: not window.controller.busy)
    assert f"{symbol} = {best}" in window.session.info_text()


def job_threads(name: str) -> list[threading.Thread]:
    """The live worker threads of the background job ``name``."""
    return [t for t in threading.enumerate() if t.name == f"clusterviz-{name}"]


def test_a_cancelled_quit_keeps_a_running_job(make_window, qtbot, tmp_path):
    """Save / Discard / Cancel on quit, answered Cancel: the window stays, and
    so do the restarts it is running; the results still arrive."""
    from PySide6.QtWidgets import QMessageBox

    window = make_window(builtin_dataset("old_faithful"), algorithm="gmm", show=True)
    recovery = window.start_crash_recovery(tmp_path, delay_ms=1000)
    answers = []
    recovery.ask = lambda question, text: answers.append(question) or (
        QMessageBox.StandardButton.Cancel if len(answers) == 1 else QMessageBox.StandardButton.Discard)
    window.controller.add_point(3.0, 70.0)  # unsaved painted points: quitting asks
    panel = window.restarts_panel
    panel.restarts_spin.setValue(4)
    with qtbot.waitSignal(panel.job.finished, timeout=60000):
        assert panel.run()
        assert not window.close() and answers == ["quit"]  # Cancel: the window stays open
        assert panel.job.is_running() and not panel.run_button.isEnabled()
    assert len(panel.runs) == 8 and panel.run_button.isEnabled()
    recovery.finish()
