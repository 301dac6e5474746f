"""Every view draws the points where the canvas does (Session.shown_points),
a PCA view included; Step back's enabled state; clicks on empty canvas; the
window's menus."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from clusterviz.data import Dataset


def four_d() -> Dataset:
    """Three blobs in 4-D whose spread is mostly off the first two columns."""
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0, 0.0, 0.0], [0.5, 0.2, 6.0, -4.0], [-0.3, 0.4, -5.0, -6.0]])
    X = np.vstack([c + 0.5 * rng.standard_normal((20, 4)) for c in centres])
    return Dataset("four_d", X, ("a", "b", "c", "d"))


def canvas_xy(window) -> np.ndarray:
    x, y = window.canvas.points.getData()
    return np.column_stack([x, y])


def test_seeding_overlay_follows_the_pca_view(make_window):
    window = make_window(four_d())
    s = window.session
    window.pca_view_action.trigger()
    assert s.view_projection is not None
    shown = canvas_xy(window)
    np.testing.assert_allclose(shown, s.shown_points())
    assert not np.allclose(shown, s.X[:, [0, 1]])  # really another picture than the raw columns

    seeding = window.seeding_view
    seeding.action.trigger()
    window.controller.step()
    assert seeding.active and s.cursor == 1 and s.entry.phase == "seed"
    x, y = seeding.prob_points.getData()
    np.testing.assert_allclose(np.column_stack([x, y]), shown)  # D² sizes drawn on the shown points
    pick = s.entry.seeding
    assert pick.number == 1
    cx, cy = seeding.chosen_mark.getData()
    np.testing.assert_allclose([cx[0], cy[0]], shown[pick.chosen])
    x, y = seeding.centres.getData()
    np.testing.assert_allclose(np.column_stack([x, y]), shown[pick.indices])

    # Back to a column pair: the overlay moves with the points.
    window.controls.columns_box.setEnabled(True)
    window.pca_view_action.trigger()
    assert s.view_projection is None
    x, y = seeding.prob_points.getData()
    np.testing.assert_allclose(np.column_stack([x, y]), s.X[:, list(s.view_columns)])


def test_pinned_point_and_centroids_use_the_pca_view(make_window):
    window = make_window(four_d())
    window.pca_view_action.trigger()
    window.controller.step()
    window.teaching.toggle_pin(5)
    x, y = window.pin_marker.item.getData()
    np.testing.assert_allclose([x[0], y[0]], window.session.shown_points()[5])
    cx, cy = window.canvas.centroids.getData()
    np.testing.assert_allclose(np.column_stack([cx, cy]), window.session.shown_means())


def test_restart_thumbnails_are_redrawn_for_a_new_view(make_window, qtbot):
    window = make_window(four_d())
    panel = window.restarts_panel
    panel.restarts_spin.setValue(3)
    with qtbot.waitSignal(panel.job.finished, timeout=60000):
        panel.run()
    before = [b for b in panel.thumbnails]
    window.pca_view_action.trigger()
    assert len(panel.thumbnails) == len(before) and all(b not in panel.thumbnails for b in before)


def test_step_back_follows_the_seeding_picks(make_window, qtbot):
    window = make_window(four_d(), show=True)
    c, seeding = window.controller, window.seeding_view
    back = window.controls.step_back_button
    action = window.step_back_action
    seeding.action.trigger()
    assert s_cursor(window) == 0 and seeding.pick.number == 0  # the first pick opens the timeline
    assert not back.isEnabled() and not action.isEnabled()
    c.step()
    c.step()
    assert back.isEnabled() and action.isEnabled() and c.can_step_back()
    c.reset_fit()  # the picks start again: nothing to go back to
    assert s_cursor(window) == 0 and seeding.active
    assert not back.isEnabled() and not action.isEnabled() and not c.can_step_back()
    for _ in range(4):  # picks 2 and 3, the fit's start, one Lloyd step
        c.step()
    assert window.session.entry.iteration == 1 and back.isEnabled()
    qtbot.mouseClick(back, Qt.MouseButton.LeftButton)
    assert window.session.entry.phase == "init" and back.isEnabled()  # the last pick is still behind
    while c.can_step_back():
        c.step_back()
    assert s_cursor(window) == 0 and seeding.pick.number == 0 and not back.isEnabled() and not action.isEnabled()


def s_cursor(window) -> int:
    return window.session.cursor


def test_click_on_empty_canvas_unpins_or_adds_undoably(make_window):
    window = make_window()
    tools, teaching, s = window.tools, window.teaching, window.session
    n = s.n_points
    far = s.shown_points().max(axis=0) + 3.0  # empty space
    teaching.toggle_pin(0)
    assert teaching.pinned == 0
    tools.press(*far)
    tools.release(*far)
    assert teaching.pinned == -1 and s.n_points == n  # only unpinned
    tools.press(*far)
    tools.release(*far)
    assert s.n_points == n + 1
    np.testing.assert_allclose(s.X[-1], far)
    tools.undo_stack.undo()
    assert s.n_points == n


def test_menus_are_window_attributes_in_order(make_window):
    window = make_window()
    menus = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    assert menus[:5] == [window.file_menu, window.edit_menu, window.run_menu, window.view_menu, window.help_menu]
    assert window.seeding_view.action in window.run_menu.actions()
    assert window.docks.choosing_k_dock.toggleViewAction() in window.view_menu.actions()
    assert window.tools.undo_action in window.edit_menu.actions()


def test_tool_tooltips_have_no_stray_space(make_window):
    window = make_window()
    for name in window.tools.actions:
        window.tools.set_tool(name)
        tip = window.canvas.toolTip()
        key = window.tools.actions[name].shortcut().toString()
        assert " ." not in tip and f"({key})" not in tip and tip.endswith(". Right-drag pans, the wheel zooms."), tip


def test_compare_view_plays_at_the_windows_speed(make_window):
    window = make_window()
    window.controls.speed_slider.setValue(12)
    assert window.controller.speed == 12
    view = window.open_compare()
    assert view.controller.speed == 12  # the view plays through its controller, at the window's speed
    view.close()


def test_trails_start_at_the_fits_start_after_the_picks(make_window):
    from PySide6.QtWidgets import QCheckBox

    from ui_helpers import trail_lengths

    window = make_window(four_d(), init="k-means++", show_seeding=True)
    s, c, trails = window.session, window.controller, window.canvas.trails
    window.findChild(QCheckBox, "trailsCheck").setChecked(True)
    c.step()  # a pick: picks have fewer centres than K, and no trail
    assert s.entry.phase == "seed" and trail_lengths(trails, s.n_clusters) == [0] * s.n_clusters
    while s.entry.iteration < 2:
        c.step()
    assert trail_lengths(trails, s.n_clusters) == [s.cursor - s.n_seed_entries + 1] * s.n_clusters
    np.testing.assert_allclose([trails.items[0].xData[0], trails.items[0].yData[0]],
                               s.shown_means(s.timeline[s.n_seed_entries])[0])
