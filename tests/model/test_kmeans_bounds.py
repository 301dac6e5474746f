"""K-Means on data of more than two columns with bounds carried between
steps: the same labels, means and distortion as measuring every distance,
bounds that skip most points once the centres settle, and bounds that stay
valid whatever run steps next on the same data."""
import dataclasses
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans as SkKMeans

from clusterviz.model import kmeans as kmeans_module
from clusterviz.model import kmeans_bounds
from clusterviz.model.kmeans import KMeans
from clusterviz.model.prepared import prepare


@contextmanager
def bounds_from_few_points():
    """Keep bounds on prepared data of any size (not only from MIN_POINTS on),
    and the cluster sums of the last labels too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kmeans_module, "BOUNDS_MIN_POINTS", 1)
        patch.setattr(kmeans_module, "_FIXED_POINT_SUMS", 1)
        yield


def blobs(n, d, k, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=5.0, size=(k, d))
    return centres[rng.integers(k, size=n)] + spread * rng.normal(size=(n, d))


def assert_same_state(a, b):
    for name in ("means", "weights", "labels"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (a.objective, a.converged, a.notes, a.iteration) == (b.objective, b.converged, b.notes, b.iteration)


@st.composite
def problems(draw):
    """Blobs, integer lattices (duplicates and exact ties), points on a line,
    one point repeated, data far from the origin; starts at data points,
    far away (empty clusters) or k-means++."""
    d = draw(st.integers(3, 12))
    n = draw(st.integers(1, 400))
    kind = draw(st.sampled_from(["blobs", "integers", "line", "same", "offset"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.integers(1, min(n, 8)))
    if kind == "integers":
        X = rng.integers(0, 3, size=(n, d)).astype(float)
    elif kind == "line":
        X = np.outer(rng.integers(-5, 5, size=n), rng.normal(size=d)) + rng.normal(size=d)
    elif kind == "same":
        X = np.tile(rng.normal(size=d), (n, 1))
    else:
        X = blobs(n, d, k, seed=int(rng.integers(1000)))
        if kind == "offset":
            X = X * 1e-3 + 1e4
    start = draw(st.sampled_from(["points", "far", "k-means++"]))
    if start == "k-means++":
        init = "k-means++"
    else:
        init = X[rng.choice(n, size=k, replace=False)]
        if start == "far":
            init[: max(1, k // 2)] += 50 * (np.ptp(X, axis=0) + 1.0)
    return X, KMeans(n_clusters=k, init=init, random_state=int(rng.integers(1000)), tol=0)


@settings(max_examples=80, deadline=None)
@given(problems())
def test_bounds_give_the_results_of_measuring_every_distance(problem):
    """Prepared data keep bounds between steps; a raw array is measured
    point by point on every call: every state is the same, bit for bit."""
    with bounds_from_few_points():
        check_bounds_against_plain(*problem)


def check_bounds_against_plain(X, model):
    data = prepare(X)
    carried = model.initialize(data)
    plain = model.restart(X, carried)
    assert_same_state(carried, plain)
    for _ in range(10):
        e_carried, carried = model.step_halves(data, carried)
        e_plain, plain = model.step_halves(X, plain)
        assert_same_state(e_carried, e_plain)
        assert_same_state(carried, plain)
    assert "kmeans_bounds" in data._derived


def test_once_the_centres_settle_most_points_are_not_measured(monkeypatch):
    X = blobs(20_000, 10, 10, seed=4)
    data = prepare(X)
    model = KMeans(n_clusters=10, init=X[:10].copy(), tol=0)
    state = model.initialize(data)
    for _ in range(6):
        state = model.step(data, state)
    measured = []
    original = kmeans_bounds.measure

    def counting(xc, centres_c, tol, rows=None, norms=None):
        measured.append(xc.shape[0] if rows is None else rows.size)
        return original(xc, centres_c, tol, rows, norms)

    monkeypatch.setattr(kmeans_bounds, "measure", counting)
    for _ in range(5):
        state = model.step(data, state)
    assert len(measured) == 5 and max(measured) < 0.2 * X.shape[0]


def test_another_run_on_the_same_data_keeps_the_results():
    """Two runs take turns on one Prepared (as a comparison or a restart
    would): each continues from the other's bounds and still gets the
    labels of measuring every point."""
    X = blobs(kmeans_bounds.MIN_POINTS + 900, 5, 4, seed=2)
    data = prepare(X)
    runs = [KMeans(n_clusters=4, init=X[i:i + 4].copy(), tol=0) for i in (0, 100)]
    states = [m.initialize(data) for m in runs]
    plains = [m.initialize(X) for m in runs]
    for _ in range(6):
        for i, model in enumerate(runs):
            states[i] = model.step(data, states[i])
            plains[i] = model.step(X, plains[i])
            assert_same_state(states[i], plains[i])


@pytest.mark.parametrize("t", [1, 4, 12])
def test_large_data_match_sklearn_step_by_step(t):
    X = blobs(30_000, 8, 6, seed=5)
    init = X[:6].copy()
    ours = KMeans(n_clusters=6, init=init, tol=0)
    data = prepare(X)
    state = ours.initialize(data)
    for _ in range(t):
        state = ours.step(data, state)
    theirs = SkKMeans(n_clusters=6, init=init, n_init=1, max_iter=t, tol=0, algorithm="lloyd").fit(X)
    np.testing.assert_allclose(state.means, theirs.cluster_centers_, rtol=1e-10, atol=1e-10)


def test_a_sweep_over_k_keeps_bounds_for_the_latest_two_only():
    X = blobs(kmeans_bounds.MIN_POINTS + 100, 4, 5, seed=3)
    data = prepare(X)
    for k in range(2, 7):
        model = KMeans(n_clusters=k, init=X[:k].copy(), tol=0)
        model.step(data, model.initialize(data))
    assert sorted(kmeans_bounds.bounds_of(data).sets) == [5, 6]


def test_runs_of_other_numbers_of_clusters_taking_turns_keep_the_results():
    """Runs with K = 3, 4 and again 3 step in turn on one Prepared (as the
    choosing-K panel and the main run would): bounds and the cluster sums
    kept for the last labels never leak from one run into another."""
    X = blobs(3000, 6, 4, seed=7)
    data = prepare(X)
    with bounds_from_few_points():
        runs = [KMeans(n_clusters=k, init=X[i:i + k].copy(), tol=0) for i, k in ((0, 3), (50, 4), (90, 3))]
        states = [m.initialize(data) for m in runs]
        plains = [m.initialize(X) for m in runs]
        for _ in range(8):
            for i, model in enumerate(runs):
                e_state, states[i] = model.step_halves(data, states[i])
                e_plain, plains[i] = model.step_halves(X, plains[i])
                assert_same_state(e_state, e_plain)
                assert_same_state(states[i], plains[i])
        assert all(state.converged for state in states)



def test_the_same_labels_with_more_clusters_get_sums_for_every_cluster():
    """Labels that leave the last cluster empty, given with K = 3 and then
    K = 4: the M-step sees four clusters (and relocates the empty one)."""
    X = blobs(3000, 5, 3, seed=8)
    data = prepare(X)
    labels = np.arange(3000, dtype=np.int32) % 3
    means = {}
    with bounds_from_few_points():
        models = {k: KMeans(n_clusters=k, init=X[:k].copy()) for k in (3, 4)}
        states = {k: dataclasses.replace(model.initialize(data), labels=labels) for k, model in models.items()}
        for k, model in models.items():
            means[k] = model.m_step(data, states[k])
    assert means[3].means.shape == (3, 5) and means[4].means.shape == (4, 5)
    assert np.bincount(means[4].labels, minlength=4).min() == 1  # the empty cluster took one point
