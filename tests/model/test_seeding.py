"""k-means++ seeding one pick at a time: the same centres as K-Means starts from
(ours and scikit-learn's), and probabilities that are a D^2 distribution."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterviz.data import builtin_dataset
from clusterviz.model import KMeans, ModelError
from clusterviz.model.kmeans import kmeans_plusplus
from clusterviz.model.seeding import kmeans_plusplus_picks


def _all_picks(X, k, seed):
    return list(kmeans_plusplus_picks(X, k, np.random.default_rng(seed)))


@pytest.mark.parametrize("name", ["three_blobs", "old_faithful"])
@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("seed", [0, 1, 42])
def test_same_centres_as_kmeans_init(name, k, seed):
    X = builtin_dataset(name).X
    picks = _all_picks(X, k, seed)
    assert len(picks) == k
    start = KMeans(n_clusters=k, init="k-means++", random_state=seed).initialize(X)
    np.testing.assert_array_equal(picks[-1].centers, start.means)
    centers, indices = kmeans_plusplus(X, k, np.random.default_rng(seed))
    np.testing.assert_array_equal(picks[-1].indices, indices)
    np.testing.assert_array_equal(picks[-1].centers, centers)


@pytest.mark.parametrize("seed", [0, 3, 11])
@pytest.mark.parametrize("k", [2, 4, 7])
def test_same_centres_as_scikit_learn(seed, k):
    """scikit-learn's k-means++ draws from a legacy RandomState, so its random
    numbers differ from a Generator's. Fed the very same draws (our first
    index and our uniform numbers, in its call order) its greedy seeding picks
    the same points as ours, so the rule is the same."""
    from sklearn.cluster._kmeans import _kmeans_plusplus

    X = builtin_dataset("old_faithful").X
    picks = _all_picks(X, k, seed)
    n_trials = 2 + int(np.log(k))

    class Replay:
        """A RandomState stand-in that returns our draws in sklearn's call order."""

        def __init__(self):
            rng = np.random.default_rng(seed)
            self.first = int(rng.integers(X.shape[0]))
            self.uniforms = [rng.random(n_trials) for _ in range(k - 1)]

        def choice(self, n, p=None):
            return self.first

        def uniform(self, size):
            assert size == n_trials
            return self.uniforms.pop(0)

    centers, indices = _kmeans_plusplus(X, k, (X ** 2).sum(axis=1), np.ones(X.shape[0]), Replay(),
                                        n_local_trials=n_trials)
    np.testing.assert_array_equal(indices, picks[-1].indices)
    np.testing.assert_allclose(centers, picks[-1].centers)


def test_each_pick_is_explained():
    X = builtin_dataset("three_blobs").X
    picks = _all_picks(X, 3, 5)
    first = picks[0]
    np.testing.assert_allclose(first.probabilities, 1.0 / X.shape[0])
    assert list(first.candidates) == [first.chosen]
    for number, pick in enumerate(picks):
        assert pick.number == number
        assert pick.probabilities.shape == (X.shape[0],)
        assert np.isclose(pick.probabilities.sum(), 1.0)
        assert pick.chosen in pick.candidates
        assert pick.centers.shape == (number + 1, 2)
        np.testing.assert_array_equal(pick.centers[-1], X[pick.chosen])
        # greedy: the chosen candidate leaves the lowest total D^2
        assert pick.potential == pytest.approx(pick.candidate_potentials.min())
    for before, pick in zip(picks, picks[1:]):
        # D^2 of a chosen centre is 0, so it can never be drawn again
        assert np.all(pick.probabilities[before.indices] == 0.0)
        d2 = ((X[:, None, :] - before.centers[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        np.testing.assert_allclose(pick.probabilities, d2 / d2.sum(), atol=1e-12)
        assert len(pick.candidates) == 2 + int(np.log(3))


def test_duplicate_points_do_not_break_seeding():
    X = np.zeros((5, 2))
    picks = _all_picks(X, 3, 0)
    assert len(picks) == 3
    assert all(np.all(np.isfinite(p.probabilities)) for p in picks)


def test_too_few_points_is_a_clear_error():
    with pytest.raises(ModelError, match="n_samples=2 should be >= n_clusters=3"):
        next(kmeans_plusplus_picks(np.zeros((2, 2)), 3, 0))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), k=st.integers(1, 6), n=st.integers(6, 40))
def test_property_same_as_kmeans_plusplus(seed, k, n):
    X = np.random.default_rng(seed).normal(size=(n, 2)) * 3.0 + 100.0
    picks = _all_picks(X, k, seed)
    _, indices = kmeans_plusplus(X, k, np.random.default_rng(seed))
    np.testing.assert_array_equal(picks[-1].indices, indices)
