"""Background layers: decision regions and mixture density under the points."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QCheckBox

from clusterviz.data import Dataset
from clusterviz.ui.canvas.layers import DENSITY_FRACTIONS, GRID_LONG_SIDE, REGION_ALPHA
from clusterviz.ui.canvas.palette import cluster_colour

from .conftest import tiny_dataset
from ui_helpers import regions_rgba_at


def _checks(window):
    return (window.findChild(QCheckBox, "regionsCheck"), window.findChild(QCheckBox, "densityCheck"))


def _tint(k: int) -> tuple[int, int, int, int]:
    c = cluster_colour(k)
    return (c.red(), c.green(), c.blue(), REGION_ALPHA)


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "soft-kmeans"])
def test_regions_toggle_an_image_tinted_like_the_centroid_under_it(make_window, qtbot, algorithm):
    window = make_window(algorithm=algorithm, show=True)
    window.controller.step()
    regions, _ = _checks(window)
    image = window.layers.regions_image
    assert regions.isEnabled()
    assert not image.isVisible()
    regions.click()
    assert regions.isChecked() and image.isVisible()
    assert image in window.canvas.getPlotItem().items
    assert image.zValue() < window.canvas.points.zValue()
    n_rows, n_cols = image.image.shape[:2]
    assert max(n_rows, n_cols) == GRID_LONG_SIDE and min(n_rows, n_cols) >= 2
    # The cell under each centroid has that cluster's tint.
    for k, (x, y) in enumerate(window.session.entry.means):
        assert regions_rgba_at(window.layers, x, y) == _tint(k)
    # Every cell is one of the cluster tints, and more than one appears.
    colours = {tuple(int(v) for v in c) for c in image.image.reshape(-1, 4)}
    assert colours <= {_tint(k) for k in range(window.session.n_clusters)}
    assert len(colours) == window.session.n_clusters
    regions.click()
    assert not image.isVisible()


def test_regions_follow_every_step(make_window, qtbot):
    window = make_window(algorithm="kmeans")
    _checks(window)[0].setChecked(True)
    before = window.layers.regions_image.image.copy()
    with qtbot.waitSignal(window.layers.updated, timeout=2000):
        window.controller.step()
    after = window.layers.regions_image.image
    assert not np.array_equal(before, after)  # the centroids moved, so did the cells
    for k, (x, y) in enumerate(window.session.entry.means):
        assert regions_rgba_at(window.layers, x, y) == _tint(k)


def test_density_is_disabled_for_kmeans_with_a_reason(make_window):
    window = make_window(algorithm="kmeans")
    _, density = _checks(window)
    assert not density.isEnabled()
    assert "K-Means" in density.toolTip()
    window.controls.algorithm_combo.setCurrentIndex(window.controls.algorithm_combo.findData("gmm"))
    assert density.isEnabled()
    assert "log p(x)" in density.toolTip()


@pytest.mark.parametrize("algorithm", ["gmm", "soft-kmeans"])
def test_density_draws_contours_for_mixtures(make_window, algorithm):
    window = make_window(algorithm=algorithm)
    window.controller.step()
    _, density = _checks(window)
    density.setChecked(True)
    layers = window.layers
    assert layers.density_image.isVisible()
    assert layers.density_image.zValue() < window.canvas.points.zValue()
    levels = layers.levels
    assert len(levels) == len(layers.contours) == len(DENSITY_FRACTIONS)
    assert np.all(np.isfinite(levels)) and np.all(np.diff(levels) < 0)  # inner contour first
    assert all(c.isVisible() and c.zValue() < window.canvas.points.zValue() for c in layers.contours)
    # every contour is drawn, and the inner one closes around the data near a mean
    assert all(len(c.xData) > 0 for c in layers.contours)
    inner = layers.contours[0]
    assert np.all(np.isfinite(inner.xData)) and np.all(np.isfinite(inner.yData))
    # Switching to K-Means hides the density (and greys the box).
    window.controls.algorithm_combo.setCurrentIndex(window.controls.algorithm_combo.findData("kmeans"))
    assert not density.isEnabled()
    assert not layers.density_image.isVisible()
    assert not any(c.isVisible() for c in layers.contours)


def test_panning_recomputes_the_layer_for_the_new_view(make_window, qtbot):
    window = make_window(algorithm="gmm", show=True)
    window.controller.step()
    _checks(window)[0].setChecked(True)
    image = window.layers.regions_image
    vb = window.canvas.view_box
    (x0, x1), (y0, y1) = vb.viewRange()
    dx = 0.4 * (x1 - x0)
    with qtbot.waitSignal(window.layers.updated, timeout=3000):
        vb.translateBy(x=dx)
    rect = image.mapRectToParent(image.boundingRect())
    (nx0, nx1), _ = vb.viewRange()
    assert rect.left() == pytest.approx(nx0) and rect.right() == pytest.approx(nx1)
    assert nx0 > x0 + 0.2 * (x1 - x0)  # the view did move, and the image with it
    for k, (x, y) in enumerate(window.session.entry.means):
        if nx0 < x < nx1:
            assert regions_rgba_at(window.layers, x, y) == _tint(k)


def test_zooming_recomputes_once_after_the_last_change(make_window, qtbot):
    window = make_window(algorithm="kmeans", show=True)
    _checks(window)[0].setChecked(True)
    timer = window.findChild(QTimer, "layersTimer")
    QApplication.processEvents()  # the layout settles after showing; then fix the view's size, so
    window.canvas.setFixedSize(window.canvas.size())  # neither a late layout nor tick labels that widen
    plot = window.canvas.getPlotItem()  # with the zoom can resize it (a new pixel grid: a real recomputation)
    plot.getAxis("left").setWidth(plot.getAxis("left").width())
    plot.getAxis("bottom").setHeight(plot.getAxis("bottom").height())
    QApplication.processEvents()
    qtbot.waitUntil(lambda: not timer.isActive(), timeout=3000)
    calls = []
    window.layers.updated.connect(lambda: calls.append(1))
    vb = window.canvas.view_box
    with qtbot.waitSignal(window.layers.updated, timeout=3000):
        for _ in range(5):
            vb.scaleBy(s=(0.9, 0.9))
        assert timer.isActive() and not calls  # debounced: nothing recomputed while zooming
    QApplication.processEvents()  # anything the recomputation queued
    # one recomputation, and none pending: the timer was not restarted after it
    assert len(calls) == 1 and not timer.isActive()
    image = window.layers.regions_image
    rect = image.mapRectToParent(image.boundingRect())
    (x0, x1), (y0, y1) = vb.viewRange()
    assert rect.width() == pytest.approx(x1 - x0) and rect.height() == pytest.approx(y1 - y0)


def test_layers_are_disabled_for_data_with_more_than_two_columns(make_window):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 3))
    window = make_window(dataset=Dataset("three-d", X, ("a", "b", "c")), algorithm="gmm")
    regions, density = _checks(window)
    assert not regions.isEnabled() and not density.isEnabled()
    assert "2-D" in regions.toolTip() and "3 columns" in regions.toolTip()
    regions.setChecked(True)  # even if forced on, nothing is drawn
    assert not window.layers.regions_image.isVisible()


def test_layers_hide_when_there_is_no_fit_and_come_back(make_window):
    window = make_window(dataset=tiny_dataset(1), algorithm="kmeans", n_clusters=3)
    window.session.remove_points([0])
    window.controller.data_changed.emit()
    regions, _ = _checks(window)
    regions.setChecked(True)
    assert window.session.entry is None
    assert regions.isEnabled()
    assert not window.layers.regions_image.isVisible()
    window.controller.add_point(1.0, 1.0)
    assert window.session.entry is not None
    assert window.layers.regions_image.isVisible()


def test_keys_v_and_d_toggle_the_layers(make_window, qtbot):
    from PySide6.QtCore import Qt

    window = make_window(algorithm="gmm", show=True)
    regions, density = _checks(window)
    qtbot.keyClick(window, Qt.Key.Key_V)
    assert regions.isChecked() and window.layers.regions_image.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_D)
    assert density.isChecked() and window.layers.density_image.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_V)
    assert not regions.isChecked() and not window.layers.regions_image.isVisible()


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm"])
def test_layers_wait_for_the_kmeans_plus_plus_picks_and_say_why(make_window, algorithm):
    window = make_window(algorithm=algorithm)
    regions, density = _checks(window)
    regions.setChecked(True)
    if algorithm == "gmm":
        density.setChecked(True)
    window.controller.set_show_seeding(True)
    s, layers = window.session, window.layers
    assert s.entry.phase == "seed"
    assert not layers.regions_image.isVisible() and not layers.density_image.isVisible()
    assert "k-means++ picks" in layers.problem
    assert window.statusBar().currentMessage() == layers.problem
    assert regions.isEnabled() and density.isEnabled() == (algorithm == "gmm")  # ready for the fit
    window.controller.seek(s.n_seed_entries)  # the fit's start: every centre picked
    assert layers.problem is None and layers.regions_image.isVisible()
    assert layers.density_image.isVisible() == (algorithm == "gmm")
