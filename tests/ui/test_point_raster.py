"""The raster drawing path for big data: the Qt-free core
(`rasterize`, `RasterGeometry`, `PointLocator`) without qtbot, and one
check that the canvas draws the same picture on both paths."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterviz.ui.canvas.point_locator import PointLocator
from clusterviz.ui.canvas.rasterize import RasterGeometry, disc_offsets, rasterize
from ui_helpers import viewport_pos

RED = np.array([200, 30, 40, 255], dtype=np.uint8)
BLUE = np.array([20, 60, 220, 255], dtype=np.uint8)


def covered(image: np.ndarray) -> np.ndarray:
    return image[..., 3] > 0


# --------------------------------------------------------------- the core
def test_one_point_is_a_disc_of_its_colour_at_its_place():
    # 10 x 10 pixels over [0, 10] x [0, 10]: the point (2.5, 7.5) is in column 2, row 2 (row 0 on top).
    image = rasterize([2.5], [7.5], RED, (0, 10), (0, 10), 10, 10, radius=1.5)
    assert image.shape == (10, 10, 4) and image.dtype == np.uint8
    expected = np.zeros((10, 10), dtype=bool)
    expected[1:4, 1:4] = True  # radius 1.5: a 3 x 3 square
    np.testing.assert_array_equal(covered(image), expected)
    np.testing.assert_array_equal(image[2, 2], RED)
    assert (image[~expected] == 0).all()


def test_disc_offsets():
    assert len(disc_offsets(0)) == 1
    assert len(disc_offsets(1.5)) == 9
    assert len(disc_offsets(2.5)) == 21
    assert {tuple(o) for o in disc_offsets(1)} == {(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)}


def test_translucent_point_keeps_its_colour_and_opacity():
    colour = np.array([0, 114, 178, 60], dtype=np.uint8)
    image = rasterize([5.0], [5.0], colour, (0, 10), (0, 10), 10, 10, radius=0)
    np.testing.assert_array_equal(image[5, 5], colour)


def test_overlapping_points_composite_like_painting_one_over_the_other():
    a = 0.4
    colour = np.array([10, 200, 30, round(255 * a)], dtype=np.uint8)
    image = rasterize([5.0, 5.0, 5.0], [5.0, 5.0, 5.0], colour, (0, 10), (0, 10), 10, 10, radius=0)
    alpha = colour[3] / 255
    assert image[5, 5, 3] == pytest.approx(255 * (1 - (1 - alpha) ** 3), abs=0.6)
    np.testing.assert_array_equal(image[5, 5, :3], colour[:3])  # one colour: exactly "over"


def test_order_does_not_matter_and_colours_mix_where_clusters_meet():
    x, y = [5.0, 5.0], [5.0, 5.0]
    one = rasterize(x, y, np.stack([RED, BLUE]), (0, 10), (0, 10), 10, 10, radius=0)
    other = rasterize(x, y, np.stack([BLUE, RED]), (0, 10), (0, 10), 10, 10, radius=0)
    np.testing.assert_array_equal(one, other)
    mixed = one[5, 5, :3].astype(int)
    np.testing.assert_allclose(mixed, (RED[:3].astype(int) + BLUE[:3]) / 2, atol=1)


def test_points_outside_the_view_are_dropped_and_edges_are_clipped():
    image = rasterize([-100.0, 5.0, 10.4], [5.0, 500.0, 5.0], RED, (0, 10), (0, 10), 10, 10, radius=1.5)
    # Only the disc of (10.4, 5), centred just right of the image, reaches in: column 9.
    assert covered(image)[:, 9].sum() == 3 and covered(image)[:, :9].sum() == 0


def test_indexed_colours_equal_per_point_colours():
    rng = np.random.default_rng(3)
    x, y = rng.random(500) * 10, rng.random(500) * 10
    table = rng.integers(0, 256, (7, 4)).astype(np.uint8)
    index = rng.integers(0, 7, 500)
    a = rasterize(x, y, table, (0, 10), (0, 10), 64, 48, radius=2.5, index=index)
    b = rasterize(x, y, table[index], (0, 10), (0, 10), 64, 48, radius=2.5)
    np.testing.assert_array_equal(a, b)


def test_one_geometry_draws_many_colourings():
    rng = np.random.default_rng(4)
    x, y = rng.random(300), rng.random(300)
    geometry = RasterGeometry(x, y, (0, 1), (0, 1), 40, 30, 2.0)
    for seed in range(3):
        rgba = np.random.default_rng(seed).integers(0, 256, (300, 4)).astype(np.uint8)
        np.testing.assert_array_equal(geometry.draw(rgba), rasterize(x, y, rgba, (0, 1), (0, 1), 40, 30, 2.0))


def test_transparent_and_empty_inputs_draw_nothing():
    assert not rasterize([], [], RED, (0, 1), (0, 1), 8, 8).any()
    assert not rasterize([0.5], [0.5], np.array([9, 9, 9, 0], np.uint8), (0, 1), (0, 1), 8, 8).any()
    assert rasterize([0.5], [0.5], RED, (0, 1), (0, 1), 0, 0).shape == (0, 0, 4)


@pytest.mark.parametrize("kwargs, message", [
    (dict(x=[1.0, 2.0], y=[1.0]), "same length"),
    (dict(x_range=(1.0, 1.0)), "increasing"),
    (dict(y_range=(0.0, np.nan)), "finite"),
    (dict(rgba=np.zeros((3, 4), np.uint8)), "shape"),
])
def test_bad_input_is_refused_with_a_message(kwargs, message):
    args = dict(x=[1.0], y=[1.0], rgba=RED, x_range=(0.0, 2.0), y_range=(0.0, 2.0), width=4, height=4)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        rasterize(**args)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 255), min_size=1, max_size=8))
def test_opacity_of_a_stack_is_one_minus_the_product(alphas):
    n = len(alphas)
    rgba = np.zeros((n, 4), dtype=np.uint8)
    rgba[:, 0] = 90
    rgba[:, 3] = alphas
    image = rasterize(np.full(n, 0.5), np.full(n, 0.5), rgba, (0, 1), (0, 1), 1, 1, radius=0)
    a = np.minimum(np.array(alphas) / 255, 1 - 1 / 1024)
    assert image[0, 0, 3] == pytest.approx(255 * (1 - np.prod(1 - a)), abs=0.6)
    assert image[0, 0, 0] == 90


def test_locator_finds_the_topmost_point_with_or_without_its_tree():
    rng = np.random.default_rng(5)
    x, y = rng.random(5000), rng.random(5000) * 100  # very different spans
    x[[10, 20]] = 0.5
    y[[10, 20]] = 50.0
    locator = PointLocator(x, y)
    assert locator.topmost(0.5, 50.0, 1e-6, 1e-4) == 20  # both there: the later one is on top
    locator.start_build().result(timeout=30)
    assert locator.tree is not None
    assert locator.topmost(0.5, 50.0, 1e-6, 1e-4) == 20
    probes = rng.random((50, 2)) * [1, 100]
    brute = PointLocator(x, y)  # never asked to build: scans
    brute.start_build = lambda: None
    for px, py in probes:
        assert locator.topmost(px, py, 0.01, 1.0) == brute.topmost(px, py, 0.01, 1.0)
    assert locator.topmost(5.0, 500.0, 0.01, 1.0) == -1


# ------------------------------------------------- raster vs scatter (Qt)
def _grab(canvas, qtbot) -> np.ndarray:
    from PySide6.QtGui import QImage

    canvas.repaint()
    image = canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGBA8888)
    return np.array(image.constBits(), dtype=np.uint8).reshape(image.height(), image.width(), 4)[..., :3].copy()


def test_raster_and_scatter_cover_the_same_pixels_in_the_same_colours(qtbot, monkeypatch):
    """Draw a small case both ways at the same view: the raster's discs are
    sized like the scatter's symbols, no outline pen, no antialiasing."""
    from clusterviz.model import FitState
    from clusterviz.ui.canvas import cluster_canvas as canvas_module
    from clusterviz.ui.canvas.cluster_canvas import ClusterCanvas

    canvas = ClusterCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(500, 420)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.points.setPen(None)
    canvas.points.opts["antialias"] = False
    canvas.raster.radius = canvas.points.opts["size"] / 2  # 9 px symbols: radius 4.5
    # A 6 x 5 lattice in clusters 0..4, largest responsibilities from 0.25 to 1.
    gx, gy = np.meshgrid(np.linspace(0, 10, 6), np.linspace(0, 8, 5))
    X = np.column_stack([gx.ravel(), gy.ravel()])
    n = X.shape[0]
    labels = np.arange(n) % 5
    strength = np.linspace(0.25, 1.0, n)
    R = np.repeat(((1 - strength) / 4)[:, None], 5, axis=1)
    R[np.arange(n), labels] = strength
    assert (np.argmax(R, axis=1) == labels).all()
    state = FitState(iteration=1, phase="E", means=np.zeros((5, 2)), weights=np.full(5, 0.2), objective=0.0,
                     labels=labels, soft_responsibilities=R)

    canvas.set_points(np.empty((0, 2)))
    canvas.fit_view(np.array([[-1.0, -1.0], [11.0, 9.0]]))
    background = _grab(canvas, qtbot)
    images = {}
    for path, threshold in (("scatter", 10**9), ("raster", 0)):
        monkeypatch.setattr(canvas_module, "RASTER_THRESHOLD", threshold)
        canvas.set_points(X)
        canvas.show_state(state, n)
        assert canvas.raster.active == (path == "raster")
        images[path] = _grab(canvas, qtbot)
    masks = {k: np.abs(v.astype(int) - background).max(axis=2) > 12 for k, v in images.items()}
    overlap = (masks["scatter"] & masks["raster"]).sum() / (masks["scatter"] | masks["raster"]).sum()
    assert masks["scatter"].sum() > n * 30  # 30 discs of ~60 px each were drawn
    assert overlap > 0.85, f"coverage agrees on only {overlap:.0%} of the pixels"
    for (x, y) in X:  # the colour at every centre, over the white background
        p = viewport_pos(canvas, x, y)
        a, b = images["scatter"][p.y(), p.x()].astype(int), images["raster"][p.y(), p.x()].astype(int)
        assert np.abs(a - b).max() <= 6, f"at ({x}, {y}): scatter {a}, raster {b}"


def test_hover_finds_points_on_the_raster_path(qtbot, monkeypatch):
    from clusterviz.ui.canvas import cluster_canvas as canvas_module
    from clusterviz.ui.canvas.cluster_canvas import ClusterCanvas

    monkeypatch.setattr(canvas_module, "RASTER_THRESHOLD", 0)
    canvas = ClusterCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(500, 420)
    canvas.show()
    qtbot.waitExposed(canvas)
    X = np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 2.0]])
    canvas.set_points(X)
    canvas.fit_view(X)
    assert canvas.raster.active
    for i, (x, y) in enumerate(X):
        scene = canvas.mapToScene(viewport_pos(canvas, x, y))
        assert canvas.point_at(scene) == i
    assert canvas.point_at(canvas.mapToScene(viewport_pos(canvas, 2.5, 2.5))) == -1


@pytest.mark.parametrize("mode", ["hard", "opacity", "blend"])
def test_raster_colours_are_the_colour_modes_colours(qtbot, mode):
    """The raster gets, per point, exactly the RGBA the colour mode defines
    (point_colours.point_rgba), whether as a table and indices or directly."""
    from clusterviz.model import FitState
    from clusterviz.ui.canvas.cluster_canvas import ClusterCanvas
    from clusterviz.ui.canvas.point_colours import point_rgba
    from clusterviz.ui.canvas.point_raster import raster_colours

    canvas = ClusterCanvas()
    qtbot.addWidget(canvas)
    canvas.set_colour_mode(mode)
    rng = np.random.default_rng(6)
    R = rng.dirichlet(np.full(4, 0.5), 400)
    for soft in (R, np.asfortranarray(R)):  # either memory order of the model's matrix
        state = FitState(iteration=1, phase="E", means=np.zeros((4, 2)), weights=np.full(4, 0.25), objective=0.0,
                         labels=np.argmax(R, axis=1), soft_responsibilities=soft)
        rgba, index = raster_colours(canvas, state, 400)
        per_point = rgba if index is None else rgba[index]
        np.testing.assert_array_equal(per_point, point_rgba(R, mode))
    assert raster_colours(canvas, None, 400)[0].tolist() == list(canvas.brushes.unassigned.color().getRgb())
