"""The grid behind the background layers agrees with the models (no Qt)."""
from __future__ import annotations

import numpy as np
import pytest

from clusterviz.model import GaussianMixture, KMeans, ModelError, SoftKMeans
from clusterviz.model.fields import contour_segments, density_levels, evaluate_layers, grid_points, grid_shape

X_RANGE, Y_RANGE, SHAPE = (-3.0, 8.0), (-2.5, 7.0), (37, 53)


def _blobs(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [5.0, 0.5], [2.0, 5.0]])
    return np.vstack([c + rng.standard_normal((40, 2)) * [0.6, 1.1] for c in centres])


def test_grid_points_are_cell_centres_row_major():
    xs, ys, P = grid_points((0.0, 4.0), (10.0, 12.0), (2, 4))
    np.testing.assert_allclose(xs, [0.5, 1.5, 2.5, 3.5])
    np.testing.assert_allclose(ys, [10.5, 11.5])
    assert P.shape == (8, 2)
    np.testing.assert_allclose(P[5], [xs[1], ys[1]])


@pytest.mark.parametrize("bad", [(1.0, 1.0), (2.0, 1.0), (0.0, np.inf), (np.nan, 1.0), "ab"])
def test_bad_ranges_are_refused_with_a_message(bad):
    with pytest.raises(ValueError, match="x_range"):
        grid_points(bad, (0.0, 1.0), (3, 3))


def test_grid_shape_keeps_cells_square():
    assert grid_shape(800.0, 400.0, 240) == (120, 240)
    assert grid_shape(300.0, 600.0, 240) == (240, 120)
    assert grid_shape(0.0, 5.0, 50) == (50, 50)


def test_kmeans_regions_are_the_nearest_centre():
    X = _blobs()
    model = KMeans(n_clusters=3, random_state=0)
    state = model.step(X, model.initialize(X))
    result = evaluate_layers(model, state, X_RANGE, Y_RANGE, SHAPE, "both")
    assert result.log_density is None
    assert result.labels.shape == SHAPE
    _, _, P = grid_points(X_RANGE, Y_RANGE, SHAPE)
    expected = model.e_step(P, state).labels
    np.testing.assert_array_equal(result.labels.ravel(), expected)
    brute = np.argmin(((P[:, None, :] - state.means[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(brute == expected) > 0.999


def test_kinds_compute_only_what_they_name():
    X = _blobs()
    model = GaussianMixture(n_components=3, random_state=1, max_iter=3).fit(X)
    state = model._fitted()
    both = evaluate_layers(model, state, X_RANGE, Y_RANGE, SHAPE, "both")
    regions = evaluate_layers(model, state, X_RANGE, Y_RANGE, SHAPE, "regions")
    density = evaluate_layers(model, state, X_RANGE, Y_RANGE, SHAPE, "density")
    assert regions.log_density is None and density.labels is None
    np.testing.assert_array_equal(regions.labels, both.labels)
    np.testing.assert_array_equal(density.log_density, both.log_density)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "tied", "spherical"])
def test_gmm_regions_and_density_match_predict_and_score_samples(covariance_type):
    X = _blobs()
    gmm = GaussianMixture(n_components=3, covariance_type=covariance_type, random_state=0, max_iter=5).fit(X)
    state = gmm._fitted()
    result = evaluate_layers(gmm, state, X_RANGE, Y_RANGE, SHAPE, "both")
    _, _, P = grid_points(X_RANGE, Y_RANGE, SHAPE)
    np.testing.assert_array_equal(result.labels.ravel(), gmm.predict(P))
    np.testing.assert_allclose(result.log_density.ravel(), gmm.score_samples(P), rtol=1e-10, atol=1e-10)
    # and the posterior's argmax from the responsibilities the model reports
    np.testing.assert_array_equal(result.labels.ravel(), np.argmax(gmm.predict_proba(P), axis=1))


def test_gmm_density_integrates_to_about_one():
    X = _blobs()
    gmm = GaussianMixture(n_components=3, random_state=0, max_iter=20).fit(X)
    xr, yr, shape = (-8.0, 13.0), (-8.0, 12.0), (300, 300)
    result = evaluate_layers(gmm, gmm._fitted(), xr, yr, shape, "density")
    cell = (xr[1] - xr[0]) / shape[1] * (yr[1] - yr[0]) / shape[0]
    assert np.exp(result.log_density).sum() * cell == pytest.approx(1.0, abs=1e-3)


def test_soft_kmeans_regions_match_predict_and_density_is_the_equal_weight_mixture():
    X = _blobs()
    beta = 0.7
    model = SoftKMeans(n_clusters=3, beta=beta, random_state=0, max_iter=4).fit(X)
    state = model.step(X, model.initialize(X))
    result = evaluate_layers(model, state, X_RANGE, Y_RANGE, SHAPE, "both")
    _, _, P = grid_points(X_RANGE, Y_RANGE, SHAPE)
    expected = model.e_step(P, state).labels
    np.testing.assert_array_equal(result.labels.ravel(), expected)
    # log p(x) = logsumexp_k(-beta ||x - mu_k||^2) - log K + (D/2) log(beta/pi)
    d = ((P[:, None, :] - state.means[None]) ** 2).sum(axis=2)
    a = -beta * d
    m = a.max(axis=1)
    log_p = m + np.log(np.exp(a - m[:, None]).sum(axis=1)) - np.log(3) + np.log(beta / np.pi)
    np.testing.assert_allclose(result.log_density.ravel(), log_p, rtol=1e-9, atol=1e-9)


def test_density_levels_enclose_the_stated_fractions_of_the_data():
    X = _blobs()
    gmm = GaussianMixture(n_components=3, random_state=0, max_iter=20).fit(X)
    state = gmm._fitted()
    levels = density_levels(gmm, state, X, (0.1, 0.5, 0.9))
    assert np.all(np.diff(levels) < 0)
    log_p = gmm.score_samples(X)
    for f, level in zip((0.1, 0.5, 0.9), levels):
        assert np.mean(log_p >= level) == pytest.approx(f, abs=0.02)


def test_density_levels_need_a_mixture_and_refuse_bad_fractions():
    X = _blobs()
    kmeans = KMeans(n_clusters=3, random_state=0)
    with pytest.raises(ValueError, match="KMeans defines no density"):
        density_levels(kmeans, kmeans.initialize(X), X)
    gmm = GaussianMixture(n_components=3, random_state=0)
    gmm_state = gmm.initialize(X)
    with pytest.raises(ValueError, match="fractions"):
        density_levels(gmm, gmm_state, X, (0.0, 0.5))
    assert density_levels(gmm, gmm_state, np.empty((0, 2))).shape == (0,)


def test_more_than_two_columns_is_refused_with_a_message():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    model = KMeans(n_clusters=2, random_state=0)
    state = model.initialize(X)
    with pytest.raises(ValueError, match="2-D"):
        evaluate_layers(model, state, (0.0, 1.0), (0.0, 1.0), (4, 4))


def test_a_bad_kind_is_refused():
    X = _blobs()
    model = KMeans(n_clusters=3, random_state=0)
    state = model.initialize(X)
    with pytest.raises(ValueError, match="kind"):
        evaluate_layers(model, state, (0.0, 1.0), (0.0, 1.0), (4, 4), "contours")


def test_results_are_finite_far_from_the_data():
    X = _blobs()
    gmm = GaussianMixture(n_components=3, random_state=0, max_iter=3).fit(X)
    result = evaluate_layers(gmm, gmm._fitted(), (-1e3, 1e3), (-1e3, 1e3), (50, 50), "both")
    assert np.all(np.isfinite(result.log_density))
    assert set(np.unique(result.labels)) <= {0, 1, 2}


def test_a_broken_covariance_is_a_model_error():
    X = _blobs()
    gmm = GaussianMixture(n_components=3, random_state=0)
    state = gmm.initialize(X)
    bad = np.array(state.covariances)
    bad[1] = -np.eye(2)
    import dataclasses

    with pytest.raises(ModelError):
        evaluate_layers(gmm, dataclasses.replace(state, covariances=bad), X_RANGE, Y_RANGE, SHAPE, "density")


def test_contour_of_a_paraboloid_is_the_circle():
    xs, ys = np.linspace(-2.0, 2.0, 161), np.linspace(-1.5, 1.5, 121)
    gx, gy = np.meshgrid(xs, ys)
    seg = contour_segments(xs, ys, -(gx ** 2 + gy ** 2), -1.0)
    assert seg.shape[1:] == (2, 2) and seg.shape[0] > 100
    np.testing.assert_allclose(np.hypot(seg[..., 0], seg[..., 1]), 1.0, atol=2e-3)
    length = np.linalg.norm(seg[:, 1] - seg[:, 0], axis=1).sum()
    assert length == pytest.approx(2 * np.pi, rel=1e-3)


def test_contour_through_a_saddle_stays_on_the_level_set():
    xs = ys = np.linspace(-1.0, 1.0, 8)  # the saddle point falls inside a cell
    gx, gy = np.meshgrid(xs, ys)
    seg = contour_segments(xs, ys, gx * gy + 0.01, 0.02)
    assert seg.shape[0] > 0
    # both ends of every segment lie on grid edges where the interpolated value is the level
    values = seg[..., 0] * seg[..., 1] + 0.01
    assert np.all(np.abs(values - 0.02) < 0.05)
    # no segment jumps across the cell
    assert np.all(np.linalg.norm(seg[:, 1] - seg[:, 0], axis=1) <= np.hypot(2 / 7, 2 / 7) + 1e-12)


def test_contour_of_a_flat_field_or_tiny_grid_is_empty():
    xs, ys = np.arange(4.0), np.arange(3.0)
    assert contour_segments(xs, ys, np.zeros((3, 4)), 1.0).shape == (0, 2, 2)
    assert contour_segments(xs[:1], ys, np.zeros((3, 1)), 0.0).shape == (0, 2, 2)
    with pytest.raises(ValueError, match="shape"):
        contour_segments(xs, ys, np.zeros((4, 3)), 0.0)
