"""Soft K-Means: EM for equal-weight, fixed-covariance Gaussians (PRML §9.3.2)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from clusterviz.model.kmeans import KMeans
from clusterviz.model.soft_kmeans import SoftKMeans, soft_responsibilities
from clusterviz.model.state import ModelError


def blobs(n=300, k=4, d=2, seed=0, spread=0.6):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-6, 6, size=(k, d))
    return centres[rng.integers(k, size=n)] + spread * rng.normal(size=(n, d))


def mixture_loglik(X, means, beta):
    K, D = means.shape
    cov = np.eye(D) / (2 * beta)
    logs = np.column_stack([multivariate_normal(m, cov).logpdf(X) for m in means]) - np.log(K)
    return float(logsumexp(logs, axis=1).sum())


def test_objective_is_the_mixture_log_likelihood_and_covariances_are_fixed():
    X = blobs()
    C = X[:4].copy()
    model = SoftKMeans(n_clusters=4, beta=0.7, init=C)
    state = model.initialize(X)
    np.testing.assert_allclose(state.objective, mixture_loglik(X, C, 0.7), rtol=1e-10)
    for _ in range(3):
        state = model.step(X, state)
        np.testing.assert_allclose(state.objective, mixture_loglik(X, state.means, 0.7), rtol=1e-10)
    np.testing.assert_allclose(state.covariances, np.broadcast_to(np.eye(2) / 1.4, (4, 2, 2)))
    np.testing.assert_allclose(state.weights, 0.25)


def test_states_follow_the_contract():
    X = blobs()
    model = SoftKMeans(n_clusters=3, beta=2.0, init="k-means++", random_state=0)
    init = model.initialize(X)
    assert (init.phase, init.iteration, init.labels, init.soft_responsibilities) == ("init", 0, None, None)
    e = model.e_step(X, init)
    assert (e.phase, e.iteration) == ("E", 0)
    np.testing.assert_array_equal(e.means, init.means)
    assert e.objective == init.objective
    np.testing.assert_allclose(e.soft_responsibilities.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(e.labels, e.soft_responsibilities.argmax(axis=1))
    # PRML (9.23): r_nk proportional to exp(-beta ||x_n - mu_k||^2)
    d = ((X[:, None] - init.means) ** 2).sum(axis=2)
    expected = np.exp(-2.0 * d - logsumexp(-2.0 * d, axis=1, keepdims=True))
    np.testing.assert_allclose(e.soft_responsibilities, expected, rtol=1e-9, atol=1e-300)
    m = model.m_step(X, e)
    assert (m.phase, m.iteration) == ("M", 1)
    r = e.soft_responsibilities
    np.testing.assert_allclose(m.means, (r.T @ X) / r.sum(axis=0)[:, None], rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_large_beta_is_kmeans_step_by_step(seed):
    X = blobs(n=120, k=4, seed=seed, spread=0.3) / 6  # unit scale
    C = X[:4].copy()
    beta = 1e6
    hard = KMeans(n_clusters=4, init=C, tol=0)
    soft = SoftKMeans(n_clusters=4, beta=beta, init=C, tol=0)
    a, b = hard.initialize(X), soft.initialize(X)
    for _ in range(10):
        # precondition: no point within exp(-50) of a tie between two centres
        d = np.sort(((X[:, None] - a.means) ** 2).sum(axis=2), axis=1)
        assert beta * (d[:, 1] - d[:, 0]).min() > 50
        a, b = hard.e_step(X, a), soft.e_step(X, b)
        np.testing.assert_array_equal(a.labels, b.labels)
        a, b = hard.m_step(X, a), soft.m_step(X, b)
        np.testing.assert_allclose(b.means, a.means, rtol=1e-12, atol=1e-14)


def test_large_beta_relocates_like_kmeans():
    X = blobs(n=100, seed=4) / 6
    C = np.vstack([X[:2], [[20.0, 20.0]]])
    hard = KMeans(n_clusters=3, init=C, tol=0)
    soft = SoftKMeans(n_clusters=3, beta=1e6, init=C, tol=0)
    a = hard.step(X, hard.initialize(X))
    b = soft.step(X, soft.initialize(X))
    np.testing.assert_allclose(b.means, a.means, rtol=1e-12)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert any("Component C3 got no responsibility" in note for note in b.notes)
    assert np.all(np.isfinite(b.soft_responsibilities))
    np.testing.assert_allclose(b.soft_responsibilities.sum(axis=1), 1.0)


def test_small_beta_pulls_every_mean_to_the_data_mean():
    X = blobs()
    model = SoftKMeans(n_clusters=4, beta=1e-6, init=X[:4].copy(), tol=0)
    state = model.step(X, model.initialize(X))
    spread = np.ptp(X, axis=0).max()
    assert np.abs(state.means - X.mean(axis=0)).max() < 1e-3 * spread


@st.composite
def problems(draw):
    n = draw(st.integers(1, 25))
    d = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["float", "duplicates", "collinear"]))
    if kind == "float":
        X = rng.normal(size=(n, d))
    elif kind == "duplicates":
        X = rng.integers(0, 3, size=(n, d)).astype(float)
    else:
        X = np.outer(rng.integers(-5, 5, size=n), rng.normal(size=d))
    X = X * draw(st.sampled_from([1e-2, 1.0, 10.0])) + draw(st.sampled_from([0.0, 1e4]))
    k = draw(st.integers(1, n))
    beta = draw(st.sampled_from([1e-3, 0.1, 1.0, 10.0, 1e4]))
    return X, SoftKMeans(n_clusters=k, beta=beta, init=draw(st.sampled_from(["k-means++", "random"])),
                         random_state=int(rng.integers(1000)), tol=0)


@settings(max_examples=50, deadline=None)
@given(problems())
def test_log_likelihood_never_falls_and_states_stay_finite(problem):
    X, model = problem
    X_copy = X.copy()
    state = model.initialize(X)
    for _ in range(6):
        e = model.e_step(X, state)
        assert e.objective == state.objective
        np.testing.assert_allclose(e.soft_responsibilities.sum(axis=1), 1.0, rtol=1e-12)
        new = model.m_step(X, e)
        for s in (e, new):
            assert np.all(np.isfinite(s.means)) and np.isfinite(s.objective)
            assert np.all(np.isfinite(s.soft_responsibilities))
        assert new.objective >= state.objective - 1e-9 * abs(state.objective) - 1e-9
        again = model.step(X, state)
        np.testing.assert_array_equal(again.means, new.means)
        np.testing.assert_array_equal(again.soft_responsibilities, new.soft_responsibilities)
        assert again.objective == new.objective
        state = new
    np.testing.assert_array_equal(X, X_copy)


def test_fit_predict_and_predict_proba():
    X = blobs()
    model = SoftKMeans(n_clusters=4, beta=2.0, random_state=0).fit(X)
    assert model.cluster_centers_.shape == (4, 2) and model.n_iter_ >= 1 and model.converged_
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), proba.argmax(axis=1))
    np.testing.assert_array_equal(model.labels_, model.predict(X))
    np.testing.assert_allclose(soft_responsibilities(X, model.cluster_centers_, 2.0), proba)


def test_input_checks():
    X = blobs(n=20)
    for beta in (0, -1.0, np.inf, "1"):
        with pytest.raises(ModelError, match=r"beta=.* should be a finite number > 0"):
            SoftKMeans(n_clusters=2, beta=beta).initialize(X)
    with pytest.raises(ModelError, match=r"n_samples=3 should be >= n_clusters=5"):
        SoftKMeans(n_clusters=5).initialize(X[:3])
    with pytest.raises(ModelError, match=r"init has shape \(2, 3\) but should be \(n_clusters, n_features\)"):
        SoftKMeans(n_clusters=3, init=np.zeros((2, 3))).initialize(X)
    model = SoftKMeans(n_clusters=2, random_state=0)
    with pytest.raises(ModelError, match="E-step"):
        model.m_step(X, model.initialize(X))
    with pytest.raises(ModelError, match="not fitted"):
        SoftKMeans(n_clusters=2).predict(X)
