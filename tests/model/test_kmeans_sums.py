"""Cluster sums in exact fixed point: updating the last labels' sums by the
points that moved gives the numbers of adding every point, bit for bit, and
those numbers are as close to the true sums as adding the floats in order."""
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterviz.model import kmeans_sums
from clusterviz.model.prepared import prepare

columns = st.sampled_from([1.0, 1e-6, 1e6, 1e-300, 1e300, 5e-324])


@st.composite
def labellings(draw):
    """Data with columns of very different scales (subnormal to near the
    largest float), and a chain of labellings, each moving a few points."""
    n = draw(st.integers(1, 300))
    d = draw(st.integers(1, 5))
    k = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scales = np.array([draw(columns) for _ in range(d)])
    X = rng.normal(size=(n, d)) * scales
    chain = [rng.integers(k, size=n).astype(np.int32)]
    for _ in range(draw(st.integers(1, 6))):
        labels = chain[-1].copy()
        moved = rng.choice(n, size=int(rng.integers(0, n + 1)), replace=False)
        labels[moved] = rng.integers(k, size=moved.size)
        chain.append(labels)
    return X, k, chain


@settings(max_examples=150, deadline=None)
@given(labellings())
def test_updated_sums_equal_the_sums_of_every_point(case):
    X, k, chain = case
    data = prepare(X)
    for labels in chain:
        counts, sums = kmeans_sums.kept_sums(data, labels, k)
        fresh_counts, fresh_sums = kmeans_sums.sums_of(prepare(X), labels, k)
        np.testing.assert_array_equal(counts, fresh_counts)
        np.testing.assert_array_equal(sums, fresh_sums)
        np.testing.assert_array_equal(counts, np.bincount(labels, minlength=k))


@settings(max_examples=100, deadline=None)
@given(labellings())
def test_fixed_point_sums_are_close_to_the_exact_sums(case):
    """Every cluster's sum is within 2^-(61 - log2 n) n max|x| of the exact
    sum (Fractions), per column: the bound the module promises."""
    X, k, chain = case
    data = prepare(X)
    xc = data.centred()
    n = X.shape[0]
    _, sums = kmeans_sums.sums_of(data, chain[-1], k)
    for j in range(X.shape[1]):
        largest = float(np.abs(xc[:, j]).max())
        bound = Fraction(n) * Fraction(largest) * Fraction(2) ** -(61 - int(n).bit_length()) + Fraction(5e-324)
        for c in range(k):
            exact = sum((Fraction(float(v)) for v in xc[chain[-1] == c, j]), Fraction(0))
            assert abs(Fraction(float(sums[c, j])) - exact) <= bound + abs(exact) * Fraction(2) ** -52


def test_sums_updated_after_a_few_points_moved_give_the_exact_means():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50_000, 6))
    data = prepare(X)
    labels = rng.integers(4, size=50_000).astype(np.int32)
    kmeans_sums.kept_sums(data, labels, 4)
    moved = labels.copy()
    moved[:100] = (moved[:100] + 1) % 4
    counts, sums = kmeans_sums.kept_sums(data, moved, 4)
    kept = data.derived("kmeans_kept_sums", lambda _d: None)[0]
    np.testing.assert_array_equal(kept.labels, moved)
    np.testing.assert_array_equal(sums, kmeans_sums.sums_of(prepare(X), moved, 4)[1])
    means = sums / counts[:, None]
    exact = np.stack([data.centred()[moved == c].mean(axis=0) for c in range(4)])
    np.testing.assert_allclose(means, exact, rtol=1e-12, atol=1e-15)
