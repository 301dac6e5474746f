"""The Gaussian HMM: parity with hmmlearn (the oracle), the numerics of the
scans against direct recursions, and the properties a student relies on
(the likelihood never falls, nothing becomes NaN, order matters)."""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterviz.data import builtin_dataset
from clusterviz.model import GaussianHMM, GaussianMixture, ModelError, prepare
from clusterviz.model.hmm import stationary_distribution
from clusterviz.model.hmm_scan import forward_backward, viterbi

hmm = pytest.importorskip("hmmlearn.hmm")

FAITHFUL = builtin_dataset("old_faithful").X
START = np.array([0.6, 0.4])
TRANSMAT = np.array([[0.7, 0.3], [0.2, 0.8]])
MEANS = np.array([[2.0, 55.0], [4.3, 80.0]])
SPREAD = np.cov(FAITHFUL.T)
SEQUENCES = [100, 72, 100]


def _compact(ct):
    full = np.array([SPREAD, SPREAD * 0.5])
    return {"full": full, "diag": np.diagonal(full, axis1=1, axis2=2).copy(), "tied": SPREAD,
            "spherical": np.array([4.0, 9.0])}[ct]


def _oracle(ct, n_iter, X, lengths, start=START, transmat=TRANSMAT, means=MEANS, covars=None):
    h = hmm.GaussianHMM(len(start), covariance_type=ct, init_params="", covars_prior=0, tol=-np.inf,
                        n_iter=n_iter, params="stmc")
    h.startprob_, h.transmat_, h.means_ = start, transmat, means
    h.covars_ = _compact(ct) if covars is None else covars
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h.fit(X, lengths)
    return h


def _ours(ct, n_iter, X, lengths, start=START, transmat=TRANSMAT, means=MEANS, covars=None):
    return GaussianHMM(len(start), covariance_type=ct, reg_covar=0.0, tol=-np.inf, max_iter=n_iter,
                       startprob_init=start, transmat_init=transmat, means_init=means,
                       covars_init=_compact(ct) if covars is None else covars).fit(X, lengths)


@pytest.mark.parametrize("n_iter", [1, 5, 20])
@pytest.mark.parametrize("lengths", [None, SEQUENCES], ids=["one-sequence", "three-sequences"])
@pytest.mark.parametrize("ct", ["full", "diag", "tied"])
def test_baum_welch_equals_hmmlearn(ct, lengths, n_iter):
    ours, oracle = _ours(ct, n_iter, FAITHFUL, lengths), _oracle(ct, n_iter, FAITHFUL, lengths)
    assert ours.n_iter_ == n_iter
    for name in ("startprob_", "transmat_", "means_", "covars_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(oracle, name), rtol=1e-8, err_msg=name)
    assert ours.covars_.shape == (2, 2, 2)
    assert ours.score(FAITHFUL, lengths) == pytest.approx(oracle.score(FAITHFUL, lengths), rel=1e-8)
    np.testing.assert_allclose(ours.predict_proba(FAITHFUL, lengths), oracle.predict_proba(FAITHFUL, lengths),
                               rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(FAITHFUL, lengths), oracle.predict(FAITHFUL, lengths))
    log_prob, _ = ours.decode(FAITHFUL, lengths)
    assert log_prob == pytest.approx(oracle.decode(FAITHFUL, lengths)[0], rel=1e-8)


@pytest.mark.parametrize("lengths", [None, SEQUENCES], ids=["one-sequence", "three-sequences"])
def test_spherical_is_diag_with_the_variances_averaged(lengths):
    """hmmlearn's spherical type is broken, so every spherical step is
    checked against one diag step from the same parameters, whose variances
    averaged over the features must be the spherical ones."""
    model = GaussianHMM(2, covariance_type="spherical", reg_covar=0.0, tol=-np.inf, startprob_init=START,
                        transmat_init=TRANSMAT, means_init=MEANS, covars_init=np.array([40.0, 90.0]))
    data = prepare(FAITHFUL, lengths)
    state = model.initialize(data)
    for _ in range(20):
        variances = np.diagonal(state.covariances, axis1=1, axis2=2)
        oracle = _oracle("diag", 1, FAITHFUL, lengths, state.startprob, state.transmat, state.means,
                         variances.copy())
        state = model.step(data, state)
        np.testing.assert_allclose(state.startprob, oracle.startprob_, rtol=1e-8)
        np.testing.assert_allclose(state.transmat, oracle.transmat_, rtol=1e-8)
        np.testing.assert_allclose(state.means, oracle.means_, rtol=1e-8)
        spherical = np.diagonal(oracle.covars_, axis1=1, axis2=2).mean(axis=1)
        np.testing.assert_allclose(state.covariances, spherical[:, None, None] * np.eye(2), rtol=1e-8)


def test_order_matters_on_old_faithful():
    """The lesson: a 2-state HMM beats the 2-component mixture by ~34 nats,
    and with the rows shuffled the gain all but vanishes."""
    hidden = GaussianHMM(2, max_iter=500, tol=1e-8, random_state=0).fit(FAITHFUL)
    mixture = GaussianMixture(2, tol=1e-10, max_iter=1000, random_state=0).fit(FAITHFUL)
    assert hidden.log_likelihood_ == pytest.approx(-1096.1, abs=0.05)
    assert mixture.lower_bound_ * len(FAITHFUL) == pytest.approx(-1130.3, abs=0.05)
    shuffled = FAITHFUL[np.random.default_rng(1).permutation(len(FAITHFUL))]
    gain = GaussianHMM(2, max_iter=500, tol=1e-8, random_state=0).fit(shuffled).log_likelihood_ + 1130.26
    assert 0.0 < gain < 1.5


def test_geyser_short_eruptions_are_never_followed_by_short_ones():
    waiting = builtin_dataset("geyser").X
    model = GaussianHMM(2, max_iter=500, tol=1e-8, random_state=0).fit(waiting)
    short = int(np.argmin(model.means_[:, 0]))
    assert model.transmat_[short, short] < 1e-6


# --------------------------------------------------------------------------
# the scans against direct recursions


def _reference(log_b, start, transmat, reset):
    """Forward-backward in log space, one step at a time (PRML 13.2.4)."""
    K, T = log_b.shape
    with np.errstate(divide="ignore"):
        la, lp = np.log(transmat), np.log(start)
    alpha, beta = np.empty((T, K)), np.zeros((T, K))
    for t in range(T):
        prior = lp if reset[t] else np.logaddexp.reduce(alpha[t - 1][:, None] + la, axis=0)
        alpha[t] = prior + log_b[:, t]
    for t in range(T - 2, -1, -1):
        beta[t] = 0.0 if reset[t + 1] else np.logaddexp.reduce(la + (log_b[:, t + 1] + beta[t + 1])[None], axis=1)
    ends = list(np.flatnonzero(reset)[1:] - 1) + [T - 1]
    ll = sum(np.logaddexp.reduce(alpha[e]) for e in ends)
    gamma = alpha + beta
    gamma = np.exp(gamma - np.logaddexp.reduce(gamma, axis=1)[:, None])
    xi = np.zeros((K, K))
    for t in range(1, T):
        if not reset[t]:
            x = alpha[t - 1][:, None] + la + (log_b[:, t] + beta[t])[None]
            xi += np.exp(x - np.logaddexp.reduce(x.ravel()))
    paths = None
    if T <= 7 and K ** T <= 3000:
        best = max(itertools.product(range(K), repeat=T),
                   key=lambda z: sum((lp[z[t]] if reset[t] else la[z[t - 1], z[t]]) + log_b[z[t], t]
                                     for t in range(T)))
        paths = np.array(best)
    return ll, gamma, xi, paths


@st.composite
def chains(draw):
    K = draw(st.integers(1, 4))
    T = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2 ** 31))
    rng = np.random.default_rng(seed)
    transmat = rng.dirichlet(np.ones(K), size=K)
    scale = draw(st.sampled_from([1.0, 30.0, 300.0]))
    # Forbidden transitions stay forbidden. (Only where the emissions' range at
    # one time fits in a float: a scaled recursion, like hmmlearn's "scaling",
    # counts a state e^-745 less likely than the best one at a time as
    # impossible, which matters only when the zeros force a path through it.)
    if draw(st.booleans()) and K > 1 and scale < 100:
        transmat[rng.random((K, K)) < 0.3] = 0.0
        transmat[np.arange(K), np.arange(K)] += 1e-3
        transmat /= transmat.sum(axis=1, keepdims=True)
    start = rng.dirichlet(np.ones(K))
    log_b = rng.normal(scale=scale, size=(K, T))
    reset = np.zeros(T, dtype=bool)
    reset[0] = True
    reset[rng.random(T) < draw(st.sampled_from([0.0, 0.2, 0.7]))] = True
    return log_b, start, transmat, reset


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains())
def test_scans_equal_the_step_by_step_recursions(chain):
    log_b, start, transmat, reset = chain
    post = forward_backward(log_b.copy(), start, transmat, reset)
    ll, gamma, xi, best = _reference(log_b, start, transmat, reset)
    assert post.log_likelihood == pytest.approx(ll, rel=1e-10, abs=1e-9)
    np.testing.assert_allclose(post.gamma, gamma, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(post.xi_sum, xi, rtol=1e-7, atol=1e-9)
    assert np.all(post.xi_sum[transmat == 0.0] == 0.0)
    log_prob, path = viterbi(log_b.copy(), start, transmat, reset)
    if best is not None:
        with np.errstate(divide="ignore"):
            la, lp = np.log(transmat), np.log(start)

        def score(z):
            return sum((lp[z[t]] if reset[t] else la[z[t - 1], z[t]]) + log_b[z[t], t] for t in range(len(z)))
        assert score(path) == pytest.approx(score(best), rel=1e-12, abs=1e-9)
        assert log_prob == pytest.approx(score(best), rel=1e-10, abs=1e-9)


# --------------------------------------------------------------------------
# properties of the fit


@st.composite
def sequences(draw):
    T = draw(st.integers(2, 60))
    K = draw(st.integers(1, min(4, T)))
    seed = draw(st.integers(0, 2 ** 31))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(T, 2)) * rng.uniform(0.1, 10, size=2) + rng.integers(0, 3, size=(T, 1)) * 4.0
    if draw(st.booleans()):  # duplicate points
        X[rng.integers(0, T, size=T // 2)] = X[0]
    cuts = sorted(set(rng.integers(1, T, size=draw(st.integers(0, 3))).tolist()))
    lengths = np.diff([0] + cuts + [T]).tolist()
    ct = draw(st.sampled_from(["full", "diag", "tied", "spherical"]))
    return X, lengths, K, ct, seed


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences())
def test_the_likelihood_never_falls_and_nothing_is_nan(case):
    X, lengths, K, ct, seed = case
    model = GaussianHMM(K, covariance_type=ct, random_state=seed, tol=-np.inf, max_iter=15)
    states = list(model.iterate(X, lengths))
    objectives = np.array([s.objective for s in states])
    assert np.all(np.isfinite(objectives))
    assert np.all(np.diff(objectives) >= -1e-9 * np.abs(objectives[1:]) - 1e-9)
    for s in states:
        for value in (s.means, s.covariances, s.startprob, s.transmat, s.weights):
            assert np.all(np.isfinite(value))
        np.testing.assert_allclose(s.transmat.sum(axis=1), 1.0, rtol=1e-12)
        assert s.startprob.sum() == pytest.approx(1.0, rel=1e-12)


def test_k_equals_t_and_identical_points_stay_finite():
    for X in (np.array([[0.0, 1.0], [2.0, 3.0], [5.0, -1.0]]), np.ones((6, 2))):
        model = GaussianHMM(3, random_state=0, tol=-np.inf, max_iter=10)
        states = list(model.iterate(X))
        assert len(states) == 11
        assert all(np.isfinite(s.objective) for s in states)


def test_a_state_without_posterior_mass_is_frozen_with_a_note():
    X = FAITHFUL
    means = np.array([[2.0, 55.0], [4.3, 80.0], [400.0, 9000.0]])
    model = GaussianHMM(3, means_init=means, covars_init=np.array([SPREAD] * 3) * 0.1, tol=-np.inf, max_iter=3)
    data = prepare(X)
    e = model.e_step(data, model.initialize(data))
    m = model.m_step(data, e)
    np.testing.assert_array_equal(m.means[2], means[2])
    assert any("State C3" in note and "kept" in note for note in m.notes)
    assert np.all(np.isfinite(m.covariances)) and np.isfinite(m.objective)


def test_forbidden_starts_and_transitions_stay_exactly_zero():
    start = np.array([1.0, 0.0, 0.0])
    transmat = np.array([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.3, 0.0, 0.7]])  # a cycle
    model = GaussianHMM(3, startprob_init=start, transmat_init=transmat, random_state=0, tol=-np.inf, max_iter=10)
    model.fit(FAITHFUL)
    assert model.startprob_[1] == 0.0 and model.startprob_[2] == 0.0
    assert np.all(model.transmat_[transmat == 0.0] == 0.0)


def test_sequences_add_up_and_never_share_a_transition():
    model = GaussianHMM(2, random_state=0, max_iter=5).fit(FAITHFUL)
    a, b = FAITHFUL[:150], FAITHFUL[150:]
    whole = model.score(FAITHFUL, [150, 122])
    assert whole == pytest.approx(model.score(a) + model.score(b), rel=1e-12)
    gamma = model.predict_proba(FAITHFUL, [150, 122])
    np.testing.assert_allclose(gamma[150:], model.predict_proba(b), rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(model.predict(FAITHFUL, [150, 122])[:150], model.predict(a))


def test_weights_are_the_long_run_share_of_time():
    transmat = np.array([[0.9, 0.1], [0.3, 0.7]])
    p = stationary_distribution(np.array([1.0, 0.0]), transmat)
    np.testing.assert_allclose(p, [0.75, 0.25], rtol=1e-12)
    np.testing.assert_allclose(p @ transmat, p, rtol=1e-12)
    state = GaussianHMM(2, random_state=0).initialize(FAITHFUL)
    np.testing.assert_allclose(state.weights, [0.5, 0.5])


def test_sample_follows_the_fitted_chain():
    model = GaussianHMM(2, random_state=0, max_iter=30).fit(FAITHFUL)
    X, states = model.sample(4000, random_state=3)
    assert X.shape == (4000, 2) and states.shape == (4000,)
    switches = np.mean(states[1:] != states[:-1])
    expected = np.sum(stationary_distribution(model.startprob_, model.transmat_) * (1 - np.diag(model.transmat_)))
    assert switches == pytest.approx(expected, abs=0.04)


@pytest.mark.parametrize("kwargs, match", [
    ({"startprob_init": [0.5, 0.6]}, "sum to 1"),
    ({"transmat_init": [[1.0, 0.0], [0.5, 0.4]]}, "row 1 of transmat_init"),
    ({"covars_init": np.ones((2, 3))}, "shape"),
    ({"init": "kmeans"}, "init="),
    ({"tol": float("nan")}, "tol="),
    ({"reg_covar": -1.0}, "reg_covar="),
])
def test_bad_settings_get_a_sentence(kwargs, match):
    with pytest.raises(ModelError, match=match):
        GaussianHMM(2, **kwargs).initialize(FAITHFUL)


@pytest.mark.parametrize("lengths, match", [([100, 100], "add up to 200"), ([272, 0], "lengths\\[1\\]"),
                                            ([136.5, 135.5], "whole number")])
def test_bad_lengths_are_named(lengths, match):
    with pytest.raises(ModelError, match=match):
        GaussianHMM(2).fit(FAITHFUL, lengths)


@pytest.mark.parametrize("K", [5, 7])
def test_many_states_give_the_same_posteriors(K):
    """From five states on the products go through matmul instead of K^3
    vector passes; the posteriors are the same."""
    rng = np.random.default_rng(K)
    T = 301
    log_b = rng.normal(scale=5.0, size=(K, T))
    transmat = rng.dirichlet(np.ones(K), size=K)
    start = rng.dirichlet(np.ones(K))
    reset = np.zeros(T, dtype=bool)
    reset[[0, 40, 41, 200]] = True
    post = forward_backward(log_b.copy(), start, transmat, reset)
    ll, gamma, xi, _ = _reference(log_b, start, transmat, reset)
    assert post.log_likelihood == pytest.approx(ll, rel=1e-11)
    np.testing.assert_allclose(post.gamma, gamma, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(post.xi_sum, xi, rtol=1e-8)


def test_long_sequences_are_scanned_in_blocks_alike():
    """Past a few thousand steps the vector passes run over blocks of
    columns; the posteriors are those of the step-by-step recursion."""
    rng = np.random.default_rng(7)
    K, T = 3, 20_001
    log_b = rng.normal(scale=3.0, size=(K, T))
    transmat = rng.dirichlet(np.ones(K) * 3, size=K)
    start = rng.dirichlet(np.ones(K))
    reset = np.zeros(T, dtype=bool)
    reset[[0, 9000, 9001, 15000]] = True
    post = forward_backward(log_b.copy(), start, transmat, reset)
    ll, gamma, xi, _ = _reference(log_b, start, transmat, reset)
    assert post.log_likelihood == pytest.approx(ll, rel=1e-11)
    np.testing.assert_allclose(post.gamma, gamma, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(post.xi_sum, xi, rtol=1e-8)
