"""Standardising, PCA and projecting Gaussians onto the shown axes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clusterviz.data import load_csv
from clusterviz.data.transform import (explained_variance, pca_projection, project_gaussian, project_gaussians,
                                       project_points, standardise)

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def random_spd(rng, d):
    A = rng.standard_normal((d, d))
    return A @ A.T + 1e-3 * np.eye(d)


def test_standardise_gives_mean_zero_unit_std():
    rng = np.random.default_rng(0)
    X = rng.normal([1.0, 70.0, -5.0], [0.5, 13.0, 2.0], size=(200, 3))
    Z, mean, scale = standardise(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(Z * scale + mean, X, rtol=1e-12)


def test_standardise_constant_column_scale_one_with_warning():
    X = np.array([[1.0, 0.1], [2.0, 0.1], [4.0, 0.1]])
    notes: list[str] = []
    Z, mean, scale = standardise(X, ("a", "flat"), notes)
    assert scale[1] == 1.0
    assert np.all(Z[:, 1] == 0.0)
    assert np.isfinite(Z).all()
    assert len(notes) == 1 and "'flat'" in notes[0] and "constant" in notes[0]


def test_old_faithful_lesson_waiting_dominates_unscaled():
    """Unscaled, waiting time (minutes) carries almost all the variance; after
    standardising both columns weigh the same."""
    ds = load_csv("resources/datasets/old_faithful.csv")
    share = ds.X.var(axis=0) / ds.X.var(axis=0).sum()
    assert share.max() > 0.95
    Z, _, _ = standardise(ds.X)
    np.testing.assert_allclose(Z.var(axis=0), 1.0)


def test_pca_axes_are_orthonormal_and_ordered():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((300, 4)) @ np.diag([5.0, 2.0, 1.0, 0.1])
    W, mean, ratio = pca_projection(X)
    assert W.shape == (2, 4)
    np.testing.assert_allclose(W @ W.T, np.eye(2), atol=1e-12)
    assert 1 > ratio[0] > ratio[1] > 0
    np.testing.assert_allclose(abs(W[0, 0]), 1.0, atol=0.02)  # the long axis is column 0
    np.testing.assert_allclose(explained_variance(X, W), ratio, rtol=1e-10)
    P = project_points(X, W, mean)
    np.testing.assert_allclose(P.mean(axis=0), 0.0, atol=1e-12)


def test_pca_matches_sklearn():
    from sklearn.decomposition import PCA

    X = load_csv("resources/datasets/iris.csv").X
    W, _, ratio = pca_projection(X)
    ref = PCA(n_components=2).fit(X)
    np.testing.assert_allclose(np.abs(W), np.abs(ref.components_), atol=1e-10)
    np.testing.assert_allclose(ratio, ref.explained_variance_ratio_, rtol=1e-10)


def test_pca_needs_two_columns():
    with pytest.raises(ValueError, match="at least 2 columns"):
        pca_projection(np.ones((5, 1)))


def test_column_pair_projection_is_the_marginal_block():
    rng = np.random.default_rng(2)
    mean, cov = rng.standard_normal(4), random_spd(rng, 4)
    m2, c2 = project_gaussian(mean, cov, (2, 0))
    np.testing.assert_array_equal(m2, mean[[2, 0]])
    np.testing.assert_array_equal(c2, np.array([[cov[2, 2], cov[2, 0]], [cov[0, 2], cov[0, 0]]]))


def test_projection_of_a_gaussian_is_w_sigma_wt_and_matches_samples():
    rng = np.random.default_rng(3)
    mean, cov = rng.standard_normal(3), random_spd(rng, 3)
    W = np.linalg.qr(rng.standard_normal((3, 2)))[0].T
    center = rng.standard_normal(3)
    m2, c2 = project_gaussian(mean, cov, W, center)
    np.testing.assert_allclose(m2, W @ (mean - center))
    np.testing.assert_allclose(c2, W @ cov @ W.T)
    samples = rng.multivariate_normal(mean, cov, size=200_000)
    P = project_points(samples, W, center)
    np.testing.assert_allclose(P.mean(axis=0), m2, atol=0.03)
    np.testing.assert_allclose(np.cov(P.T), c2, atol=0.05 * np.abs(c2).max())


def test_kmeans_means_without_covariances():
    means = np.arange(12.0).reshape(3, 4)
    m2, c2 = project_gaussians(means, None, (1, 3))
    assert c2 is None
    np.testing.assert_array_equal(m2, means[:, [1, 3]])


@settings(max_examples=60, deadline=None)
@given(d=st.integers(2, 6), seed=st.integers(0, 2**31 - 1), rank=st.integers(0, 6),
       scale=st.floats(1e-6, 1e6))
def test_projected_covariances_stay_symmetric_psd(d, seed, rank, scale):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, min(rank, d)))
    cov = scale * (A @ A.T)  # PSD, possibly singular
    W = rng.standard_normal((2, d))
    for view in (W, (int(rng.integers(d)), int(rng.integers(d)))):
        _, c2 = project_gaussian(np.zeros(d), cov, view)
        np.testing.assert_array_equal(c2, c2.T)
        assert np.linalg.eigvalsh(c2).min() >= -1e-9 * max(1.0, np.abs(c2).max())


@settings(max_examples=40, deadline=None)
@given(X=arrays(np.float64, st.tuples(st.integers(3, 30), st.integers(2, 5)), elements=finite))
def test_pca_never_nan(X):
    W, mean, ratio = pca_projection(X)
    assert np.isfinite(W).all() and np.isfinite(ratio).all()
    np.testing.assert_allclose(W @ W.T, np.eye(2), atol=1e-9)
    Z, _, scale = standardise(X)
    assert np.isfinite(Z).all() and (scale > 0).all()


def test_pca_on_unstandardised_columns_warns_when_pc1_is_one_column():
    from clusterviz.data.transform import pca_dominance_warning

    rng = np.random.default_rng(0)
    n = 300
    X = np.column_stack([rng.normal(44, 5, n), rng.normal(17, 2, n), rng.normal(200, 14, n),
                         rng.normal(4200, 800, n)])  # penguins: body mass in grams dwarfs the rest
    warning = pca_dominance_warning(X, ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"])
    assert warning is not None and "'body_mass_g'" in warning and "standardise" in warning
    assert "PC1 explains 99." in warning or "PC1 explains 100." in warning
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    assert pca_dominance_warning(Z) is None  # standardised: no column dominates
    # points on one line with comparable spreads: PC1 is ~100 % for a real reason, no warning
    t = rng.normal(size=n)
    assert pca_dominance_warning(np.column_stack([t, 1.5 * t + 1e-3 * rng.normal(size=n)])) is None
