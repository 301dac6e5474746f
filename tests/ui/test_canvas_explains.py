"""The canvas explains itself: an honest first frame, a hint on empty data,
a legend, numbered centroids, an ambiguity layer that keeps cluster colours,
and a scale for presenter mode."""
from __future__ import annotations

import numpy as np
import pytest
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication, QSlider

from clusterviz.data import Dataset, builtin_dataset
from clusterviz.ui.canvas.palette import cluster_colour


def _grab(window) -> np.ndarray:
    QApplication.processEvents()
    image = window.canvas.grab().toImage().convertToFormat(pg.QtGui.QImage.Format.Format_RGBA8888)
    ptr = image.constBits()
    return np.array(ptr, dtype=np.uint8).reshape(image.height(), image.width(), 4).copy()


def _text_items(canvas) -> list[pg.TextItem]:
    return [item for item in canvas.scene().items() if isinstance(item, pg.TextItem) and item.isVisible()]


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm"])
def test_dragging_the_timeline_back_to_zero_looks_exactly_like_reset(make_window, qtbot, algorithm):
    window = make_window(builtin_dataset("three_blobs"), algorithm=algorithm, show=True)
    window.resize(1100, 700)
    window.controller.reset_fit()
    qtbot.waitUntil(lambda: window.canvas.isVisible())
    after_reset = _grab(window)
    for _ in range(3):
        window.controller.step()
    stepped = _grab(window)
    assert not np.array_equal(stepped, after_reset)  # the steps coloured the points
    slider = window.findChild(QSlider, "timelineSlider")
    slider.setValue(0)
    assert window.session.cursor == 0
    np.testing.assert_array_equal(_grab(window), after_reset)


def test_the_empty_data_set_shows_a_hint_to_click_on_the_canvas(make_window, qtbot):
    window = make_window(builtin_dataset("empty"), show=True)
    hints = [item for item in _text_items(window.canvas) if "click" in item.toPlainText().lower()]
    assert len(hints) == 1
    # inside the plot area, in view
    view = window.canvas.view_box
    assert view.sceneBoundingRect().contains(hints[0].sceneBoundingRect().center())
    window.controller.add_point(0.2, 0.3)
    assert not any("click" in item.toPlainText().lower() for item in _text_items(window.canvas))


def test_legend_lists_numbered_centroids_and_class_shapes(make_window, qtbot):
    iris = builtin_dataset("iris")
    window = make_window(iris, algorithm="gmm", show=True)
    window.controller.step()
    texts = window.canvas.legend.texts()
    assert [t for t in texts if t.startswith("C")][:3] == ["C1", "C2", "C3"]
    for name in iris.class_names:
        assert name in texts
    assert any("1σ" in t for t in texts) and any("2σ" in t for t in texts)
    # the classes are drawn as three different marker shapes
    symbols = window.canvas.points.data["symbol"]
    assert len(set(symbols)) == len(iris.class_names) == 3
    labels = np.asarray(window.session.dataset.labels)
    for code in range(3):
        assert len(set(symbols[labels == code])) == 1
    assert window.canvas.legend.isVisible()
    assert view_contains(window.canvas.view_box, window.canvas.legend)
    # without classes every point is a disc again and the legend names no class
    window.canvas.set_classes(None, None)
    assert {spot.symbol() for spot in window.canvas.points.points()} == {"o"}
    assert not set(iris.class_names) & set(window.canvas.legend.texts())


def view_contains(view, item) -> bool:
    return view.sceneBoundingRect().contains(item.sceneBoundingRect())


def test_twelve_centroids_carry_twelve_distinct_numbers_beside_them(make_window, qtbot):
    rng = np.random.default_rng(3)
    centres = rng.uniform(-10, 10, size=(12, 2))
    X = np.vstack([c + 0.3 * rng.standard_normal((15, 2)) for c in centres])
    window = make_window(Dataset(name="twelve", X=X, columns=("x", "y"), labels=None, class_names=None),
                         n_clusters=12, show=True)
    window.controller.step()
    canvas = window.canvas
    numbers = [item for item in canvas.numbers.labels if item.isVisible()]
    assert [item.toPlainText() for item in numbers] == [f"C{k}" for k in range(1, 13)]
    means = window.session.shown_means()
    for k, item in enumerate(numbers):
        star = canvas.view_box.mapViewToScene(QPointF(*means[k]))
        box = item.sceneBoundingRect()
        # beside its own star: the box starts just right of it and ends just above it
        assert 0 < box.left() - star.x() < 20 and 0 < star.y() - box.bottom() < 20
    assert [t for t in canvas.legend.texts() if t.startswith("C")] == [f"C{k}" for k in range(1, 13)]
    # C3 and C11 share a teal under deuteranopia: their points differ in shape too
    labels = np.asarray(window.session.state.labels)
    symbols = np.array([spot.symbol() for spot in canvas.points.points()])
    assert set(symbols[labels == 2]) == {"o"} and set(symbols[labels == 10]) == {"s"}
    assert "points of C8–C12" in canvas.legend.texts()
    window.controller.reset_fit()  # no assignment yet: every point a disc again
    assert {spot.symbol() for spot in canvas.points.points()} == {"o"}


def test_ambiguity_halos_keep_each_points_cluster_colour(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True, init="random", seed=1)
    for _ in range(2):
        window.controller.step()
    window.controls.view_group.ambiguity_check.setChecked(True)
    canvas = window.canvas
    a = canvas.ambiguity
    i = int(np.argmax(a))
    label = int(window.session.state.labels[i])
    image = _grab(window)
    pos = canvas.mapFromScene(canvas.view_box.mapViewToScene(QPointF(*window.session.shown_points()[i])))
    ratio = canvas.devicePixelRatioF()
    r, g, b, _ = image[int(pos.y() * ratio), int(pos.x() * ratio)]
    want = cluster_colour(label)
    # the centre of the most ambiguous point is still its cluster's colour (within antialiasing)
    assert abs(r - want.red()) + abs(g - want.green()) + abs(b - want.blue()) < 60
    assert any("halo" in t for t in canvas.legend.texts())


def test_set_scale_enlarges_markers_stars_numbers_and_ticks(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), show=True)
    window.controller.step()
    window.controls.view_group.trails_check.setChecked(True)
    canvas = window.canvas
    sizes = (canvas.points.opts["size"], canvas.centroids.opts["size"], canvas.numbers.labels[0].boundingRect().height(),
             canvas.getPlotItem().getAxis("left").style["tickFont"])
    canvas.set_scale(1.6)
    assert canvas.points.opts["size"] == pytest.approx(1.6 * sizes[0])
    assert canvas.centroids.opts["size"] == pytest.approx(1.6 * sizes[1])
    assert canvas.numbers.labels[0].boundingRect().height() > 1.3 * sizes[2]
    font = canvas.getPlotItem().getAxis("left").style["tickFont"]
    assert font is not None and (sizes[3] is None or font.pointSizeF() > sizes[3].pointSizeF())
    trail = canvas.trails.items[0].opts["pen"]
    assert trail.widthF() >= 1.6 * 2.0 and canvas.trails.casings[0].opts["pen"].widthF() > trail.widthF()
    canvas.set_scale(1.0)
    assert canvas.points.opts["size"] == pytest.approx(sizes[0])


def test_under_a_dark_palette_the_canvas_stays_light_and_its_texts_dark(make_window, qtbot):
    from PySide6.QtGui import QColor, QPalette

    app = QApplication.instance()
    old = app.palette()
    dark = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#202020"), (QPalette.ColorRole.WindowText, "#EEEEEE"),
                         (QPalette.ColorRole.Base, "#181818"), (QPalette.ColorRole.Text, "#EEEEEE")):
        dark.setColor(role, QColor(colour))
    app.setPalette(dark)
    try:
        window = make_window(builtin_dataset("empty"), show=True)
        image = _grab(window)
        view = window.canvas.view_box.sceneBoundingRect()
        ratio = window.canvas.devicePixelRatioF()
        corner = image[int((view.top() + 5) * ratio), int((view.left() + 5) * ratio)]
        assert corner[:3].mean() > 230  # the plot area is light on purpose
        hint = window.canvas.hint
        assert hint.isVisible() and hint.textItem.defaultTextColor().lightness() < 90
        note = window.objective_plot.empty_note
        assert note.isVisible() and note.textItem.defaultTextColor().lightness() < 110
    finally:
        app.setPalette(old)


def test_a_title_set_just_before_a_grab_is_drawn_whole(make_window, qtbot):
    """As the animation export does for every frame: setTitle, then grab."""
    window = make_window(builtin_dataset("three_blobs"), show=True)
    window.controller.step()
    canvas = window.canvas
    plot = canvas.getPlotItem()
    plot.setTitle("Iteration 1 · M-step · J = 322.00", color="#222222", size="11pt")
    canvas.grab()
    text = plot.titleLabel.item.sceneBoundingRect()
    assert text.top() >= 0 and text.height() > 10
    assert canvas.view_box.sceneBoundingRect().top() >= text.bottom() - 1  # the plot area sits below it


def test_big_data_get_their_halos_as_a_raster_under_the_points_raster(make_window, qtbot):
    rng = np.random.default_rng(1)
    X = np.vstack([c + rng.standard_normal((4000, 2)) for c in ([0, 0], [4, 0], [2, 3])])
    window = make_window(Dataset(name="big", X=X, columns=("x", "y"), labels=None, class_names=None), show=True)
    window.controller.step()
    canvas = window.canvas
    assert canvas.raster.active
    window.controls.view_group.ambiguity_check.setChecked(True)
    halos = canvas.halos.raster
    assert halos.active and halos.item.image is not None
    assert halos.item.zValue() < canvas.raster.item.zValue() or \
        canvas.halos.scatter.zValue() < canvas.points.zValue()
    # dark halos where the blobs meet, none around the sure points far out
    image = halos.item.image
    assert image[..., 3].max() > 150 and np.mean(image[..., 3] > 0) < 0.5
    window.controls.view_group.ambiguity_check.setChecked(False)
    assert not halos.active
