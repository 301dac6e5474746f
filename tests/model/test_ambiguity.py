"""Per-point ambiguity: entropy / ln K for soft models, d1/d2 for K-Means."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from clusterviz.model.ambiguity import (ambiguity, centroid_distances, distance_ambiguity, distance_margin,
                                        entropy_ambiguity)

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@st.composite
def responsibility_matrices(draw):
    n = draw(st.integers(1, 20))
    k = draw(st.integers(1, 8))
    raw = draw(arrays(np.float64, (n, k), elements=st.floats(0.0, 1.0, allow_nan=False)))
    raw[:, 0] += 1e-9  # no all-zero rows
    return raw / raw.sum(axis=1, keepdims=True)


@given(responsibility_matrices())
@settings(max_examples=200, deadline=None)
def test_entropy_ambiguity_is_in_unit_interval(R):
    a = entropy_ambiguity(R)
    assert a.shape == (R.shape[0],)
    assert np.all(np.isfinite(a)) and np.all((a >= 0.0) & (a <= 1.0))


@given(st.integers(1, 30), st.integers(2, 12), st.data())
@settings(max_examples=100, deadline=None)
def test_entropy_ambiguity_is_zero_for_one_hot_and_one_for_uniform(n, k, data):
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    one_hot = np.eye(k)[labels]
    np.testing.assert_allclose(entropy_ambiguity(one_hot), 0.0, atol=1e-12)
    np.testing.assert_allclose(entropy_ambiguity(np.full((n, k), 1.0 / k)), 1.0, rtol=1e-12)


def test_entropy_ambiguity_known_value_and_single_cluster():
    # H(1/2, 1/2, 0) = ln 2, over ln 3.
    assert entropy_ambiguity(np.array([[0.5, 0.5, 0.0]]))[0] == pytest.approx(np.log(2) / np.log(3))
    np.testing.assert_array_equal(entropy_ambiguity(np.ones((4, 1))), np.zeros(4))


@given(arrays(np.float64, st.tuples(st.integers(1, 25), st.just(2)), elements=finite),
       arrays(np.float64, st.tuples(st.integers(1, 6), st.just(2)), elements=finite))
@settings(max_examples=200, deadline=None)
def test_distance_ambiguity_is_in_unit_interval(X, means):
    a = distance_ambiguity(centroid_distances(X, means))
    assert a.shape == (X.shape[0],)
    assert np.all(np.isfinite(a)) and np.all((a >= 0.0) & (a <= 1.0))
    np.testing.assert_allclose(distance_margin(centroid_distances(X, means)), 1.0 - a)


def test_distance_ambiguity_is_zero_at_a_centroid_and_one_on_the_bisector():
    means = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 10.0]])
    X = np.array([[0.0, 0.0], [2.0, 1.0], [1.0, 0.0]])
    a = distance_ambiguity(centroid_distances(X, means))
    assert a[0] == 0.0
    assert a[1] == pytest.approx(1.0)
    assert a[2] == pytest.approx(1.0 / 3.0)  # d1 = 1, d2 = 3


def test_distance_ambiguity_of_coincident_centroids_is_one():
    means = np.array([[1.0, 1.0], [1.0, 1.0]])
    a = distance_ambiguity(centroid_distances(np.array([[1.0, 1.0], [3.0, 2.0]]), means))
    np.testing.assert_array_equal(a, [1.0, 1.0])


def test_centroid_distances_keep_their_digits_far_from_the_origin():
    X = np.array([[1e4 + 1e-3, 1e4]])
    means = np.array([[1e4, 1e4], [1e4, 1e4 + 2e-3]])
    np.testing.assert_allclose(centroid_distances(X, means), [[1e-3, np.sqrt(5) * 1e-3]], rtol=1e-6)


def test_centroid_distances_reject_mismatched_columns():
    with pytest.raises(ValueError, match="same columns"):
        centroid_distances(np.zeros((3, 2)), np.zeros((2, 3)))


def test_ambiguity_dispatch():
    X = np.array([[0.0, 0.0], [1.0, 0.0]])
    means = np.array([[0.0, 0.0], [2.0, 0.0]])
    np.testing.assert_allclose(ambiguity(X, means, None, hard=True), [0.0, 1.0])
    assert ambiguity(X, means, None, hard=False) is None
    R = np.array([[1.0, 0.0], [0.5, 0.5]])
    np.testing.assert_allclose(ambiguity(X, means, R, hard=False), [0.0, 1.0])


def test_kmeans_states_on_real_data_give_finite_values():
    from clusterviz.data import builtin_dataset
    from clusterviz.model import GaussianMixture, KMeans

    X = builtin_dataset("three_blobs").X
    km = KMeans(n_clusters=3, random_state=0)
    state = km.e_step(X, km.initialize(X))
    a = ambiguity(X, state.means, state.responsibilities, hard=True)
    assert a.shape == (X.shape[0],) and 0.0 <= a.min() and a.max() <= 1.0
    gm = GaussianMixture(n_components=3, random_state=0)
    g = gm.e_step(X, gm.initialize(X))
    b = ambiguity(X, g.means, g.responsibilities, hard=False)
    assert b.shape == (X.shape[0],) and 0.0 <= b.min() and b.max() <= 1.0
