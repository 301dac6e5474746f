"""Canvas helpers: ellipse geometry, aspect rule, brush table."""
from __future__ import annotations

import numpy as np
import pytest


def test_ellipse_outline_lies_on_mahalanobis_contour():
    from clusterviz.ui.canvas.cluster_canvas import ellipse_outline

    mean = np.array([2.0, -1.0])
    cov = np.array([[3.0, 1.2], [1.2, 0.8]])
    for n_sigma in (1.0, 2.0):
        pts = ellipse_outline(mean, cov, n_sigma)
        d = pts - mean
        m = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
        np.testing.assert_allclose(m, n_sigma**2, rtol=1e-10)
        np.testing.assert_allclose(pts[0], pts[-1])


def test_ellipse_outline_of_degenerate_covariance_is_finite():
    from clusterviz.ui.canvas.cluster_canvas import ellipse_outline

    pts = ellipse_outline(np.zeros(2), np.array([[1.0, 1.0], [1.0, 1.0]]), 2.0)
    assert np.all(np.isfinite(pts))


@pytest.mark.parametrize("spans, expected", [((1, 1), True), ((1, 2.9), True), ((3.5, 57), False), ((0, 1), False)])
def test_equal_scales_rule(spans, expected):
    from clusterviz.ui.canvas.cluster_canvas import equal_scales_suit

    X = np.array([[0.0, 0.0], [spans[0], spans[1]]])
    assert equal_scales_suit(X) is expected


def test_brush_table_reuses_brushes(qapp):
    from clusterviz.ui.canvas.palette import ALPHA_LEVELS, BrushTable

    table = BrushTable()
    labels = np.array([0, 1, 0, 2])
    a = table.point_brushes(labels, np.array([1.0, 0.5, 1.0, 0.0]))
    b = table.point_brushes(labels, np.array([1.0, 0.5, 1.0, 0.0]))
    assert all(x is y for x, y in zip(a, b))
    assert a[0] is a[2]
    assert a[0].color().alphaF() == pytest.approx(1.0)
    assert a[3].color().alphaF() < 0.2
    assert ALPHA_LEVELS == 16


def test_palette_is_distinct_and_avoids_black():
    from clusterviz.ui.canvas.palette import CLUSTER_COLOURS

    assert len(set(CLUSTER_COLOURS)) == len(CLUSTER_COLOURS) >= 12
    assert "#000000" not in CLUSTER_COLOURS
