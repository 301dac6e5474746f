"""Silhouette and adjusted Rand index against scikit-learn (the test-time oracle)."""
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist
from sklearn import metrics as skm

from clusterviz.data import builtin_dataset
from clusterviz.model.metrics import adjusted_rand_index, silhouette_samples, silhouette_score

IRIS = Path(__file__).resolve().parents[2] / "resources" / "datasets" / "iris.csv"


def _iris():
    X = np.loadtxt(IRIS, delimiter=",", skiprows=1, usecols=(0, 1, 2, 3))
    species = np.loadtxt(IRIS, delimiter=",", skiprows=1, usecols=4, dtype=str)
    return X, species


def _blobs(rng, n=240, k=4, d=2):
    centres = rng.normal(scale=6.0, size=(k, d))
    labels = rng.integers(0, k, size=n)
    return centres[labels] + rng.normal(size=(n, d)), labels


# --------------------------------------------------------------------------
# silhouette_samples
# --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(3))
def test_silhouette_matches_sklearn_on_blobs(seed):
    rng = np.random.default_rng(seed)
    X, labels = _blobs(rng)
    noisy = np.where(rng.random(labels.size) < 0.2, rng.integers(0, 4, labels.size), labels)
    for lab in (labels, noisy):
        np.testing.assert_allclose(silhouette_samples(X, lab), skm.silhouette_samples(X, lab), rtol=0, atol=1e-10)


def test_silhouette_matches_sklearn_on_three_blobs():
    ds = builtin_dataset("three_blobs")
    np.testing.assert_allclose(silhouette_samples(ds.X, ds.labels), skm.silhouette_samples(ds.X, ds.labels),
                               rtol=0, atol=1e-10)


def test_silhouette_matches_sklearn_on_iris_4d_with_string_labels():
    X, species = _iris()
    assert X.shape == (150, 4)
    ours = silhouette_samples(X, species)
    np.testing.assert_allclose(ours, skm.silhouette_samples(X, species), rtol=0, atol=1e-10)
    score, used = silhouette_score(X, species)
    assert not used
    assert score == pytest.approx(skm.silhouette_score(X, species), abs=1e-12)


def test_silhouette_singletons_get_zero_like_sklearn():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    labels = np.arange(40) % 5
    labels[[0, 7, 13]] = [10, 11, 12]  # three clusters of one point
    ours = silhouette_samples(X, labels)
    assert np.all(ours[[0, 7, 13]] == 0.0)
    np.testing.assert_allclose(ours, skm.silhouette_samples(X, labels), rtol=0, atol=1e-10)


def test_silhouette_with_duplicates_and_chunking():
    rng = np.random.default_rng(4)
    X = np.repeat(rng.normal(size=(20, 3)), 5, axis=0)  # every point five times
    labels = rng.integers(0, 3, size=100)
    labels[:5] = 0  # one group of duplicates entirely in cluster 0
    ours = silhouette_samples(X, labels)
    # scikit-learn's default Euclidean uses ||x||^2 - 2 x.y + ||y||^2, whose
    # round-off turns the distance 0 between duplicates into ~1e-8 and its
    # silhouettes move by ~1e-9. With exact distances (precomputed) its
    # conventions agree with ours to round-off.
    exact = skm.silhouette_samples(cdist(X, X), labels, metric="precomputed")
    np.testing.assert_allclose(ours, exact, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours, skm.silhouette_samples(X, labels), rtol=0, atol=1e-7)
    for rows in (1, 7, 33, 100, 1000):
        np.testing.assert_allclose(silhouette_samples(X, labels, chunk_rows=rows), ours, rtol=0, atol=1e-14)


def test_silhouette_all_points_identical_is_zero():
    X = np.ones((6, 2))
    np.testing.assert_array_equal(silhouette_samples(X, [0, 0, 0, 1, 1, 1]), np.zeros(6))


@pytest.mark.parametrize("labels, count", [([0, 0, 0, 0], 1), ([0, 1, 2, 3], 4), (["a"] * 4, 1)])
def test_silhouette_label_count_errors_quote_the_count(labels, count):
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match=f"Number of labels is {count}"):
        silhouette_samples(X, labels)


def test_silhouette_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="one label per point"):
        silhouette_samples(np.zeros((4, 2)), [0, 1, 0])


# --------------------------------------------------------------------------
# silhouette_score
# --------------------------------------------------------------------------
def test_silhouette_score_is_exact_up_to_sample_size():
    rng = np.random.default_rng(5)
    X, labels = _blobs(rng, n=200)
    score, used = silhouette_score(X, labels, sample_size=200)
    assert not used
    assert score == pytest.approx(skm.silhouette_score(X, labels), abs=1e-12)
    assert silhouette_score(X, labels, sample_size=None) == (score, False)


def test_silhouette_score_subsamples_above_sample_size_reproducibly():
    rng = np.random.default_rng(6)
    X, labels = _blobs(rng, n=400)
    score, used = silhouette_score(X, labels, sample_size=100, random_state=11)
    assert used
    assert silhouette_score(X, labels, sample_size=100, random_state=11) == (score, True)
    assert silhouette_score(X, labels, sample_size=100, random_state=12)[0] != score
    # the subsample is np.random.default_rng(random_state).choice(N, size, replace=False)
    idx = np.random.default_rng(11).choice(400, size=100, replace=False)
    assert score == pytest.approx(skm.silhouette_score(X[idx], labels[idx]), abs=1e-12)
    exact, _ = silhouette_score(X, labels, sample_size=None)
    assert abs(score - exact) < 0.1


# --------------------------------------------------------------------------
# adjusted_rand_index
# --------------------------------------------------------------------------
labelings = st.integers(1, 60).flatmap(
    lambda n: st.tuples(st.lists(st.integers(0, 6), min_size=n, max_size=n),
                        st.lists(st.integers(-2, 4), min_size=n, max_size=n)))


@settings(max_examples=150, deadline=None)
@given(labelings)
def test_ari_matches_sklearn_on_random_labelings(pair):
    a, b = (np.array(x) for x in pair)
    expected = skm.adjusted_rand_score(a, b)
    assert adjusted_rand_index(a, b) == pytest.approx(expected, rel=0, abs=1e-12)
    assert adjusted_rand_index(b, a) == pytest.approx(expected, rel=0, abs=1e-12)


@pytest.mark.parametrize("a, b", [
    ([0, 0, 1, 1], [1, 1, 0, 0]),          # same partition, renamed
    ([0, 0, 0], [5, 5, 5]),                # one cluster vs one cluster
    ([0, 1, 2, 3], [3, 2, 1, 0]),          # all singletons
    ([7], [3]),                            # one point
    ([], []),                              # no points
    (["x", "y", "y"], [2, 1, 1]),          # mixed label types
])
def test_ari_special_cases_are_one_like_sklearn(a, b):
    assert adjusted_rand_index(a, b) == 1.0
    assert skm.adjusted_rand_score(a, b) == 1.0


def test_ari_known_values():
    assert adjusted_rand_index([0, 0, 0, 0], [0, 1, 2, 3]) == 0.0
    assert adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1]) == -0.5


def test_ari_large_labelings_match_sklearn_without_overflow():
    rng = np.random.default_rng(7)
    a = rng.integers(0, 3, size=200_000)
    b = np.where(rng.random(a.size) < 0.9, a, rng.integers(0, 3, size=a.size))
    assert adjusted_rand_index(a, b) == pytest.approx(skm.adjusted_rand_score(a, b), rel=0, abs=1e-12)


def test_ari_rejects_different_lengths():
    with pytest.raises(ValueError, match="one label per point"):
        adjusted_rand_index([0, 1, 1], [0, 1])
