"""Gaussian mixture EM: parity with scikit-learn, the FitState contract,
properties (monotone likelihood, finiteness, purity) and input checks."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky_from_precisions

from clusterviz.model.gaussian import compact_covariances, expand_covariances
from clusterviz.model.gmm import GaussianMixture
from clusterviz.model.state import FitState, ModelError
from clusterviz.model.validation import check_state_finite

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")
_REPO = Path(__file__).resolve().parents[2]
DATA = _REPO / "resources" / "datasets"  # the app's copies of the Old Faithful and Iris tables


# --------------------------------------------------------------------------
# data


def read_csv(name: str, columns: tuple[str, ...]) -> np.ndarray:
    """The named numeric columns of a shared CSV file, as float64 (n, len(columns))."""
    path = DATA / name
    header = path.read_text().splitlines()[0].split(",")
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=[header.index(c) for c in columns], ndmin=2)


def blobs(n=300, k=3, d=2, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-6, 6, size=(k, d))
    return centres[rng.integers(k, size=n)] + spread * rng.normal(size=(n, d))


def offset_data():
    """Values near 1e4 with spread near 1e-3: digits survive only on centred data."""
    return blobs(n=240, k=3, seed=5) * 1e-3 + 1e4


DATASETS = {
    "faithful": lambda: read_csv("old_faithful.csv", ("eruptions", "waiting")),
    "iris": lambda: read_csv("iris.csv", ("sepal_length", "sepal_width", "petal_length", "petal_width")),
    "blobs": lambda: blobs(),
    "offset": offset_data,
}


def initial_parameters(X, K, ct, seed=0):
    """Weights, means (data points) and scikit-learn-shaped precisions."""
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.5, 1.5, size=K)
    weights /= weights.sum()
    means = X[rng.choice(len(X), size=K, replace=False)].copy()
    cov = np.cov(X.T).reshape(X.shape[1], X.shape[1])
    scales = rng.uniform(0.3, 1.0, size=K)
    if ct == "full":
        rot = [np.linalg.qr(rng.normal(size=cov.shape))[0] for _ in range(K)]
        mats = [s * (cov + 0.2 * np.trace(cov) / len(cov) * (r @ r.T)) for s, r in zip(scales, rot)]
        precisions = np.stack([np.linalg.inv(m) for m in mats])
        precisions = 0.5 * (precisions + precisions.transpose(0, 2, 1))
    elif ct == "tied":
        precisions = np.linalg.inv(cov)
        precisions = 0.5 * (precisions + precisions.T)
    elif ct == "diag":
        precisions = 1.0 / (scales[:, None] * np.diag(cov)[None, :])
    else:
        precisions = 1.0 / (scales * np.diag(cov).mean())
    return weights, means, precisions


def sk_fit(X, K, ct, w, m, p, t, reg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return SkGaussianMixture(n_components=K, covariance_type=ct, weights_init=w, means_init=m, precisions_init=p,
                                 max_iter=t, tol=0, reg_covar=reg).fit(X)


def assert_rel(actual, expected, rtol=1e-8, scale=None):
    """Equal to ``rtol`` relative to the largest entry (``scale``) of ``expected``."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    scale = np.abs(expected).max() if scale is None else scale
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def run(model, X, t):
    """The initial state and t full steps."""
    states = [model.initialize(X)]
    for _ in range(t):
        states.append(model.step(X, states[-1]))
    return states


# --------------------------------------------------------------------------
# parity with scikit-learn


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
@pytest.mark.parametrize("name", sorted(DATASETS))
def test_steps_match_scikit_learn(name, ct):
    X = DATASETS[name]()
    K = 3
    reg = 1e-12 if name == "offset" else 1e-6
    w, m, p = initial_parameters(X, K, ct)
    ours = GaussianMixture(K, covariance_type=ct, weights_init=w, means_init=m, precisions_init=p,
                           reg_covar=reg, tol=0.0, max_iter=10)
    states = run(ours, X, 10)
    # scikit-learn's tied/diag/spherical moment formulas lose digits far from
    # the origin, so it gets centred data (DESIGN.md); we keep the raw data.
    shift = X.mean(axis=0) if name == "offset" else np.zeros(X.shape[1])
    for t in (1, 2, 5, 10):
        sk = sk_fit(X - shift, K, ct, w, m - shift, p, t, reg)
        state = states[t]
        assert state.iteration == t and state.phase == "M"
        assert_rel(state.weights, sk.weights_)
        spread = np.abs(X - X.mean(axis=0)).max()
        assert_rel(state.means - shift, sk.means_, scale=spread)
        assert_rel(compact_covariances(np.asarray(state.covariances), ct), sk.covariances_)
        assert_rel(state.covariances, expand_covariances(sk.covariances_, ct, K, X.shape[1]))
        # objectives: ours are the log-likelihoods of theta_0 .. theta_t;
        # scikit-learn's lower bounds are those of theta_0 .. theta_{t-1}.
        objectives = np.array([s.objective for s in states[:t]]) / len(X)
        assert_rel(objectives, np.asarray(sk.lower_bounds_), rtol=1e-10)


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_initialize_with_given_parameters_is_scikit_learns_starting_point(ct):
    X = DATASETS["faithful"]()
    K = 3
    w, m, p = initial_parameters(X, K, ct, seed=4)
    ours = GaussianMixture(K, covariance_type=ct, weights_init=w, means_init=m, precisions_init=p)
    state = ours.initialize(X)
    assert state.phase == "init" and state.iteration == 0 and state.labels is None
    assert state.soft_responsibilities is None
    np.testing.assert_array_equal(state.weights, w)
    np.testing.assert_array_equal(state.means, m)
    # scikit-learn keeps the Cholesky factor of the given precisions
    sk = SkGaussianMixture(n_components=K, covariance_type=ct)
    sk.weights_, sk.means_ = w, m
    sk.precisions_cholesky_ = _compute_precision_cholesky_from_precisions(p, ct, xp=np)
    log_prob_norm, log_resp = sk._estimate_log_prob_resp(X)
    assert_rel(state.objective, log_prob_norm.sum(), rtol=1e-12)
    e = ours.e_step(X, state)
    assert_rel(e.soft_responsibilities, np.exp(log_resp), rtol=1e-10, scale=1.0)
    # covariance = precision^-1 (checked here with an explicit inverse)
    if ct == "full":
        expected = np.linalg.inv(p)
    elif ct == "tied":
        expected = np.broadcast_to(np.linalg.inv(p), (K, 2, 2))
    else:
        expected = expand_covariances(1.0 / p, ct, K, 2)
    assert_rel(state.covariances, expected, rtol=1e-12)


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_offset_data_keep_their_digits(ct):
    """A fit on data near 1e4 equals the same fit on the data moved to 0."""
    X = offset_data()
    shift = X.mean(axis=0)
    K = 3
    w, m, p = initial_parameters(X, K, ct, seed=2)
    kw = dict(covariance_type=ct, weights_init=w, reg_covar=1e-12, tol=0.0, max_iter=8, precisions_init=p)
    far = run(GaussianMixture(K, means_init=m, **kw), X, 8)[-1]
    near = run(GaussianMixture(K, means_init=m - shift, **kw), X - shift, 8)[-1]
    assert_rel(far.covariances, near.covariances, rtol=1e-8)
    assert_rel(far.weights, near.weights, rtol=1e-8)
    assert_rel(far.means - shift, near.means, rtol=1e-8, scale=1e-3)


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_tight_clusters_far_from_the_centre_keep_their_digits(ct):
    """E[x x^T] - mu mu^T would cancel ~14 digits here; the M-step must not."""
    rng = np.random.default_rng(13)
    X = np.vstack([rng.normal(size=(100, 2)) * 1e-4 + 1e3, rng.normal(size=(100, 2)) * 1e-4 - 1e3])
    gm = GaussianMixture(2, covariance_type=ct, reg_covar=0.0, means_init=[[1e3, 1e3], [-1e3, -1e3]],
                         init_params="random", random_state=0)
    e = gm.e_step(X, gm.initialize(X))
    m = gm.m_step(X, e)
    R = np.asarray(e.soft_responsibilities)
    nk = R.sum(axis=0) + 10 * np.finfo(float).eps
    expected = []
    for k in range(2):
        mu = R[:, k] @ X / nk[k]
        diff = X - mu
        expected.append((R[:, k] * diff.T) @ diff / nk[k])  # two passes, as scikit-learn's "full"
    expected = np.array(expected)
    if ct == "tied":
        expected = np.broadcast_to((expected * nk[:, None, None]).sum(axis=0) / nk.sum(), (2, 2, 2))
    elif ct in ("diag", "spherical"):
        var = np.diagonal(expected, axis1=1, axis2=2)
        expected = expand_covariances(var if ct == "diag" else var.mean(axis=1), ct, 2, 2)
    assert_rel(m.covariances, expected, rtol=1e-9)


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_scores_bic_aic_match_scikit_learn_for_the_same_parameters(ct):
    X = DATASETS["iris"]()
    ours = GaussianMixture(3, covariance_type=ct, random_state=0, init_params="random").fit(X)
    sk = SkGaussianMixture(n_components=3, covariance_type=ct)
    sk.weights_, sk.means_, sk.covariances_ = ours.weights_, ours.means_, ours.covariances_
    sk.precisions_cholesky_, sk.precisions_ = ours.precisions_cholesky_, ours.precisions_
    sk.converged_, sk.n_iter_, sk.lower_bound_, sk.n_features_in_ = True, ours.n_iter_, ours.lower_bound_, 4
    assert_rel(ours.score_samples(X), sk.score_samples(X), rtol=1e-12)
    assert ours.score(X) == pytest.approx(sk.score(X), rel=1e-12)
    assert ours.bic(X) == pytest.approx(sk.bic(X), rel=1e-12)
    assert ours.aic(X) == pytest.approx(sk.aic(X), rel=1e-12)
    assert_rel(ours.predict_proba(X), sk.predict_proba(X), rtol=1e-10, scale=1.0)
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))


@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_fitted_attributes_have_scikit_learns_shapes(ct):
    X = blobs(n=200, k=3, d=2, seed=1)
    gm = GaussianMixture(3, covariance_type=ct, random_state=0)
    assert gm.fit(X) is gm
    K, D = 3, 2
    shapes = {"full": (K, D, D), "tied": (D, D), "diag": (K, D), "spherical": (K,)}
    assert gm.weights_.shape == (K,) and gm.means_.shape == (K, D)
    assert gm.covariances_.shape == gm.precisions_.shape == gm.precisions_cholesky_.shape == shapes[ct]
    assert gm.converged_ and 1 <= gm.n_iter_ < gm.max_iter
    assert gm.lower_bound_ == pytest.approx(gm.score(X), rel=1e-12)
    np.testing.assert_array_equal(gm.predict(X), np.argmax(gm.predict_proba(X), axis=1))
    np.testing.assert_allclose(gm.predict_proba(X).sum(axis=1), 1.0, rtol=1e-13)
    # precisions_ are the inverses of covariances_
    full_cov = expand_covariances(gm.covariances_, ct, K, D)
    full_prec = expand_covariances(gm.precisions_, ct, K, D)
    np.testing.assert_allclose(full_cov @ full_prec, np.broadcast_to(np.eye(D), (K, D, D)), atol=1e-10)


# --------------------------------------------------------------------------
# the FitState contract


def test_half_steps_follow_the_contract():
    X = blobs(seed=2)
    gm = GaussianMixture(3, random_state=0, init_params="random")
    s0 = gm.initialize(X)
    assert (s0.phase, s0.iteration, s0.labels, s0.converged) == ("init", 0, None, False)
    assert s0.covariances.shape == (3, 2, 2) and s0.notes
    e = gm.e_step(X, s0)
    assert (e.phase, e.iteration) == ("E", 0)
    assert e.means is s0.means and e.covariances is s0.covariances and e.weights is s0.weights
    assert e.objective == s0.objective
    assert e.soft_responsibilities.shape == (len(X), 3)
    np.testing.assert_allclose(e.soft_responsibilities.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(e.labels, np.argmax(e.soft_responsibilities, axis=1))
    assert e.responsibilities is e.soft_responsibilities
    m = gm.m_step(X, e)
    assert (m.phase, m.iteration) == ("M", 1)
    assert m.objective > e.objective  # one EM step improves the likelihood (PRML (9.14))
    assert gm.e_step(X, m).objective == m.objective
    # the M state keeps the responsibilities that produced it
    assert m.soft_responsibilities is e.soft_responsibilities
    with pytest.raises(ValueError):
        m.means[0, 0] = 1.0  # states are read-only


def test_iterate_and_convergence():
    X = blobs(n=400, seed=3)
    gm = GaussianMixture(3, tol=1e-3, random_state=1, init_params="random_from_data", max_iter=200)
    states = list(gm.iterate(X))
    assert states[0].phase == "init" and all(s.phase == "M" for s in states[1:])
    assert [s.iteration for s in states] == list(range(len(states)))
    assert states[-1].converged and not any(s.converged for s in states[:-1])
    change = [abs(b.objective - a.objective) / len(X) for a, b in zip(states, states[1:])]
    assert change[-1] < 1e-3 <= change[-2]
    gm.fit(X)
    assert gm.n_iter_ == states[-1].iteration and gm.converged_
    np.testing.assert_array_equal(gm.means_, states[-1].means)


def test_max_iter_zero_and_not_converged():
    X = blobs(seed=4)
    gm = GaussianMixture(3, max_iter=0, init_params="random", random_state=0).fit(X)
    assert gm.n_iter_ == 0 and not gm.converged_
    gm = GaussianMixture(3, max_iter=2, tol=0.0, init_params="random", random_state=0).fit(X)
    assert gm.n_iter_ == 2 and not gm.converged_


@pytest.mark.parametrize("init", INIT_PARAMS)
@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_every_init_gives_a_finite_fit(init, ct):
    X = blobs(n=150, seed=6)
    gm = GaussianMixture(3, covariance_type=ct, init_params=init, random_state=3)
    s0 = gm.initialize(X)
    check_state_finite(s0)
    assert s0.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert any("Initialised" in n for n in s0.notes)
    gm.fit(X)
    assert np.all(np.isfinite(gm.covariances_)) and gm.converged_
    # same seed, same start, bit for bit
    again = GaussianMixture(3, covariance_type=ct, init_params=init, random_state=3).initialize(X)
    np.testing.assert_array_equal(again.means, s0.means)
    np.testing.assert_array_equal(again.covariances, s0.covariances)


def test_seeded_inits_start_on_data_points():
    from clusterviz.model.kmeans import kmeans_plusplus

    X = blobs(n=100, seed=7)
    s0 = GaussianMixture(4, init_params="k-means++", random_state=11).initialize(X)
    _, idx = kmeans_plusplus(X, 4, np.random.default_rng(11))
    np.testing.assert_allclose(s0.means, X[idx], rtol=1e-13)
    np.testing.assert_allclose(s0.covariances, np.broadcast_to(1e-6 * np.eye(2), (4, 2, 2)), rtol=1e-6, atol=1e-20)
    s1 = GaussianMixture(4, init_params="random_from_data", random_state=11).initialize(X)
    assert all(np.any(np.all(np.isclose(X, mu, rtol=1e-13), axis=1)) for mu in s1.means)


def test_kmeans_init_uses_the_kmeans_clusters():
    from clusterviz.model.kmeans import KMeans

    X = blobs(n=120, seed=8)
    s0 = GaussianMixture(3, init_params="kmeans", random_state=5).initialize(X)
    labels = KMeans(n_clusters=3, init="k-means++", n_init=1, random_state=np.random.default_rng(5)).fit(X).labels_
    for k in range(3):
        np.testing.assert_allclose(s0.means[k], X[labels == k].mean(axis=0), rtol=1e-12)
        assert s0.weights[k] == pytest.approx(np.mean(labels == k), rel=1e-12)


def test_collapse_onto_a_point_is_kept_finite_and_explained():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(50, 2)), np.full((6, 2), 50.0)])  # far: exp(-1e3) == 0
    means = np.array([[0.0, 0.0], [50.0, 50.0]])
    gm = GaussianMixture(2, means_init=means, weights_init=[0.9, 0.1], precisions_init=np.ones(2),
                         covariance_type="spherical", reg_covar=1e-6, init_params="random")
    s = gm.step(X, gm.initialize(X))
    assert any("Component C2 collapsed onto a single point" in n and "reg_covar" in n for n in s.notes), s.notes
    assert s.covariances[1, 0, 0] == pytest.approx(1e-6, rel=1e-6)
    check_state_finite(gm.step(X, s))
    gm.reg_covar = 0.0
    with pytest.raises(ModelError, match=r"Component C2 collapsed onto a single point: its variance shrank to "
                                         r".*Set reg_covar > 0"):
        gm.step(X, gm.initialize(X))


def test_a_singular_covariance_asks_for_a_larger_reg_covar():
    X = blobs(n=30)
    gm = GaussianMixture(3, init_params="random", random_state=0)
    s = gm.initialize(X)
    bad = FitState(iteration=0, phase="init", means=s.means, weights=s.weights, objective=s.objective,
                   covariances=np.stack([np.eye(2), np.ones((2, 2)), np.eye(2)]))
    with pytest.raises(ModelError, match=r"the covariance of component C2 is not positive definite .* "
                                         r"Try a larger reg_covar \(now 1e-06\), for example 1e-05"):
        gm.e_step(X, bad)


def test_collinear_component_is_flattened_onto_a_line():
    t = np.linspace(-1, 1, 30)
    X = np.vstack([np.c_[t, 2 * t], np.random.default_rng(1).normal(size=(30, 2)) + 10])
    gm = GaussianMixture(2, means_init=[[0, 0], [10, 10]], precisions_init=np.stack([np.eye(2)] * 2),
                         init_params="random", random_state=0)
    s = gm.initialize(X)
    for _ in range(3):
        s = gm.step(X, s)
    assert any("Component C1 flattened onto a line" in n for n in s.notes), s.notes
    check_state_finite(s)


def test_a_component_nobody_wants_gets_weight_zero_without_nan():
    X = blobs(n=100, seed=9)
    means = np.vstack([X[:2], [[1e4, 1e4]]])
    gm = GaussianMixture(3, means_init=means, precisions_init=np.ones(3), covariance_type="spherical",
                         init_params="random", random_state=0)
    s = gm.step(X, gm.initialize(X))
    assert any("Component C3 received (almost) no responsibility" in n for n in s.notes), s.notes
    assert s.weights[2] < 1e-15
    check_state_finite(s)
    check_state_finite(gm.step(X, s))


def test_zero_initial_weight_is_allowed():
    X = blobs(n=90, seed=10)
    gm = GaussianMixture(3, weights_init=[0.5, 0.5, 0.0], init_params="random", random_state=0)
    e = gm.e_step(X, gm.initialize(X))
    assert np.all(e.soft_responsibilities[:, 2] == 0.0)
    check_state_finite(gm.m_step(X, e))


def test_steps_evaluate_any_number_of_points():
    X = blobs(n=60, seed=11)
    gm = GaussianMixture(4, init_params="random", random_state=0)
    s = gm.initialize(X)
    e = gm.e_step(X[:2], s)  # fewer points than components (e.g. a hovered point)
    assert e.soft_responsibilities.shape == (2, 4)


def test_large_data_in_chunks_equal_small_pieces():
    """Chunking does not change the answer beyond round-off."""
    X = blobs(n=50_000, k=4, seed=12)
    gm = GaussianMixture(4, init_params="random", random_state=0)
    s = gm.step(X, gm.initialize(X))
    e = gm.e_step(X, s)
    part = gm.e_step(X[:1000], s)
    np.testing.assert_allclose(e.soft_responsibilities[:1000], part.soft_responsibilities, rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(e.labels[:1000], part.labels)
    gm.fit(X)
    pp = gm.score_samples(X)
    np.testing.assert_allclose(pp.sum(), gm.score(X) * len(X), rtol=1e-12)


# --------------------------------------------------------------------------
# properties


@st.composite
def clustered_data(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    K = draw(st.integers(1, 4))
    D = draw(st.integers(1, 3))
    n = draw(st.integers(25 * K, 60 * K))
    rng = np.random.default_rng(seed)
    X = rng.uniform(-5, 5, size=(K, D))[rng.integers(K, size=n)] + rng.normal(size=(n, D)) * rng.uniform(0.3, 2.0)
    return X, K, seed


@settings(max_examples=40, deadline=None)
@given(data=clustered_data(), ct=st.sampled_from(COVARIANCE_TYPES), init=st.sampled_from(["random", "kmeans"]))
def test_log_likelihood_never_falls(data, ct, init):
    X, K, seed = data
    gm = GaussianMixture(K, covariance_type=ct, reg_covar=0.0, init_params=init, random_state=seed)
    states = run(gm, X, 6)
    for a, b in zip(states, states[1:]):
        assert b.objective >= a.objective - 1e-10 * (abs(a.objective) + len(X))


@st.composite
def awkward_data(draw):
    """Small data sets with duplicates, collinear points and K up to N."""
    D = draw(st.integers(1, 3))
    n = draw(st.integers(1, 25))
    values = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
    X = np.array(draw(st.lists(st.lists(values, min_size=D, max_size=D), min_size=n, max_size=n)))
    kind = draw(st.sampled_from(["as is", "duplicates", "collinear", "all equal"]))
    if kind == "duplicates":
        X = X[np.arange(n) // 2]
    elif kind == "collinear":
        t = X[:, 0]
        X = t[:, None] * np.linspace(1.0, -0.5, D)[None, :] + 3.0
    elif kind == "all equal":
        X = np.repeat(X[:1], n, axis=0)
    K = draw(st.integers(1, n))
    return X, K


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=awkward_data(), ct=st.sampled_from(COVARIANCE_TYPES), init=st.sampled_from(INIT_PARAMS),
       seed=st.integers(0, 1000))
def test_no_state_holds_nan_or_inf(data, ct, init, seed):
    X, K = data
    gm = GaussianMixture(K, covariance_type=ct, init_params=init, random_state=seed)
    state = gm.initialize(X)
    for _ in range(4):
        e = gm.e_step(X, state)
        state = gm.m_step(X, e)
        for s in (e, state):
            check_state_finite(s)
            for a in (s.means, s.weights, s.covariances, s.soft_responsibilities):
                assert np.all(np.isfinite(a))
        np.testing.assert_allclose(e.soft_responsibilities.sum(axis=1), 1.0, rtol=1e-13)
        assert np.all(e.soft_responsibilities >= 0.0)
        assert state.weights.sum() == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(data=clustered_data(), ct=st.sampled_from(COVARIANCE_TYPES))
def test_steps_are_pure_and_step_is_e_then_m(data, ct):
    X, K, seed = data
    X_before = X.copy()
    gm = GaussianMixture(K, covariance_type=ct, init_params="random", random_state=seed)
    s0 = gm.initialize(X)
    s1 = gm.step(X, s0)
    e = gm.e_step(X.copy(), s1)
    again = gm.e_step(X, s1)
    full = gm.step(X, s1)
    halves = gm.m_step(X, e)
    for a, b in ((e, again), (full, halves)):
        for name in ("means", "weights", "covariances", "soft_responsibilities", "labels"):
            x, y = getattr(a, name), getattr(b, name)
            assert x.tobytes() == y.tobytes(), name
        assert a.objective == b.objective and a.notes == b.notes and a.converged == b.converged
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_allclose(e.soft_responsibilities.sum(axis=1), 1.0, rtol=1e-13)
    np.testing.assert_array_equal(e.labels, np.argmax(e.soft_responsibilities, axis=1))


# --------------------------------------------------------------------------
# input checks


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_components=0), r"n_components=0 should be a whole number >= 1"),
    (dict(covariance_type="round"), r"covariance_type='round' should be one of 'full', 'tied'"),
    (dict(init_params="kmeans+"), r"init_params='kmeans\+' should be one of"),
    (dict(reg_covar=-1.0), r"reg_covar=-1.0 should be a finite number >= 0"),
    (dict(tol=float("nan")), r"tol=nan should be a finite number"),
    (dict(max_iter=2.5), r"max_iter=2.5 should be a whole number >= 0"),
    (dict(random_state="x"), r"random_state='x' should be None, an int seed or a numpy Generator"),
])
def test_settings_are_checked(kwargs, message):
    with pytest.raises(ModelError, match=message):
        GaussianMixture(**kwargs)


@pytest.mark.parametrize("ct, precisions, message", [
    ("full", np.ones((2, 2)), r"precisions_init for covariance_type='full' should have shape \(3, 2, 2\), "
                              r"but has shape \(2, 2\)"),
    ("tied", np.ones((3, 2, 2)), r"should have shape \(2, 2\), but has shape \(3, 2, 2\)"),
    ("diag", np.ones(3), r"covariance_type='diag' should have shape \(3, 2\), but has shape \(3,\)"),
    ("spherical", np.ones((3, 2)), r"should have shape \(3,\), but has shape \(3, 2\)"),
    ("full", np.stack([np.eye(2), [[1.0, 0.5], [0.0, 1.0]], np.eye(2)]),
     r"precisions_init\[1\] should be symmetric, but differs from its transpose by up to 0.5"),
    ("full", np.stack([np.eye(2), np.eye(2), [[1.0, 2.0], [2.0, 1.0]]]),
     r"precisions_init\[2\] should be positive definite, but its smallest eigenvalue is -1"),
    ("tied", np.diag([1.0, 0.0]), r"precisions_init should be positive definite"),
    ("diag", np.array([[1.0, 1.0], [1.0, -2.0], [1.0, 1.0]]), r"should be positive, but its smallest value is -2"),
    ("spherical", np.array([1.0, 0.0, 1.0]), r"should be positive, but its smallest value is 0"),
])
def test_precisions_init_is_checked(ct, precisions, message):
    X = blobs(n=30)
    with pytest.raises(ModelError, match=message):
        GaussianMixture(3, covariance_type=ct, precisions_init=precisions).initialize(X)


@pytest.mark.parametrize("kwargs, message", [
    (dict(weights_init=[0.5, 0.5]), r"weights_init should have shape \(3,\) .* but has shape \(2,\)"),
    (dict(weights_init=[0.5, 0.6, 0.1]), r"weights_init should sum to 1, but sums to 1.2"),
    (dict(weights_init=[1.5, -0.5, 0.0]), r"weights_init should hold numbers in \[0, 1\], but holds min -0.5, max 1.5"),
    (dict(means_init=np.zeros((3, 3))), r"means_init should have shape \(3, 2\) .* but has shape \(3, 3\)"),
    (dict(means_init=[[0, 0], [1, 1], [np.nan, 0]]), r"means_init holds a NaN"),
])
def test_initial_parameters_are_checked(kwargs, message):
    with pytest.raises(ModelError, match=message):
        GaussianMixture(3, **kwargs).initialize(blobs(n=30))


def test_data_and_states_are_checked():
    gm = GaussianMixture(3, init_params="random", random_state=0)
    with pytest.raises(ModelError, match=r"n_samples=2 should be >= n_clusters=3"):
        gm.initialize(np.zeros((2, 2)))
    with pytest.raises(ModelError, match=r"non-finite value \(nan\) at row 1, column 0"):
        gm.initialize([[0, 0], [np.nan, 1], [2, 2], [3, 3]])
    X = blobs(n=30)
    s = gm.initialize(X)
    with pytest.raises(ModelError, match="The M-step needs responsibilities: run an E-step"):
        gm.m_step(X, s)
    e = gm.e_step(X, s)
    with pytest.raises(ModelError, match=r"responsibilities have shape \(30, 3\), but the data need \(29, 3\)"):
        gm.m_step(X[:29], e)
    with pytest.raises(ModelError, match=r"means of length 3"):
        gm.e_step(np.zeros((5, 3)), s)
    diag = GaussianMixture(3, covariance_type="diag")
    with pytest.raises(ModelError, match="needs diagonal covariance matrices"):
        diag.e_step(X, s)
    with pytest.raises(ModelError, match=r"not fitted yet: call fit\(X\) first"):
        gm.predict(X)
    gm.fit(X)
    with pytest.raises(ModelError, match="X has 3 features, but the model was fitted on 2"):
        gm.score_samples(np.zeros((4, 3)))


def test_inputs_are_not_mutated():
    X = blobs(n=40)
    means = X[:3].copy()
    weights = np.array([0.2, 0.3, 0.5])
    prec = np.stack([np.eye(2)] * 3)
    copies = [a.copy() for a in (X, means, weights, prec)]
    gm = GaussianMixture(3, means_init=means, weights_init=weights, precisions_init=prec)
    gm.fit(X)
    for a, b in zip((X, means, weights, prec), copies):
        np.testing.assert_array_equal(a, b)
        assert a.flags.writeable
    assert isinstance(gm.initialize(X), FitState)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_data_too_tightly_spread_for_gaussians_says_so(covariance_type):
    from clusterviz.model.gmm import app_gaussian_mixture
    from clusterviz.model.registry import ModelSettings

    X = blobs(n=200) * 1e-160  # variances near 1e-320: subnormal
    spread = r"The data's spread is too small to fit Gaussians.*Rescale the data"
    app = app_gaussian_mixture(ModelSettings(n_clusters=3, covariance_type=covariance_type), X)
    with pytest.raises(ModelError, match=spread) as info:
        app.initialize(X)
    assert "precisions_init" not in str(info.value)  # a setting the user never made
    with pytest.raises(ModelError, match=spread):
        GaussianMixture(3, covariance_type=covariance_type).initialize(X)


def test_tiny_but_computable_spreads_and_identical_points_still_fit():
    from clusterviz.model.gmm import app_gaussian_mixture
    from clusterviz.model.registry import ModelSettings

    for X in (blobs(n=200) * 1e-100, np.ones((20, 2))):
        state = app_gaussian_mixture(ModelSettings(n_clusters=2), X).initialize(X)
        assert np.isfinite(state.objective)
