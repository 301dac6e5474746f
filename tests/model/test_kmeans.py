"""K-Means: parity with scikit-learn, the FitState contract, properties, input checks."""
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans as SkKMeans

from clusterviz.model.kmeans import KMeans, assign_labels, kmeans_plusplus, random_init, update_centers
from clusterviz.model.state import FitState, ModelError

DATA = Path(__file__).resolve().parents[2] / "resources" / "datasets"  # Old Faithful and Iris


def read_table(name: str, columns: tuple[str, ...]) -> np.ndarray:
    """The named numeric columns of a shared CSV file, as float64."""
    path = DATA / name
    header = path.read_text().splitlines()[0].split(",")
    return np.loadtxt(path, delimiter=",", skiprows=1, usecols=[header.index(c) for c in columns], ndmin=2)


def blobs(n=300, k=4, d=2, seed=0, spread=0.6):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-6, 6, size=(k, d))
    return centres[rng.integers(k, size=n)] + spread * rng.normal(size=(n, d))


def offset_data():
    """Values near 1e4 with spread near 1e-3: digits survive only on centred data."""
    rng = np.random.default_rng(3)
    X = blobs(n=200, k=3, seed=3, spread=1.0) * 1e-3 + 1e4
    return X[rng.permutation(len(X))]


def datasets():
    faithful = read_table("old_faithful.csv", ("eruptions", "waiting"))
    iris4 = read_table("iris.csv", ("sepal_length", "sepal_width", "petal_length", "petal_width"))
    petals = read_table("iris.csv", ("petal_length", "petal_width"))
    return {
        "faithful": (faithful, faithful[[0, 1, 2]]),
        "iris4": (iris4, iris4[[0, 50, 100]]),
        # petal sizes come in steps of 0.1, so a point can lie exactly halfway
        # between two centres; these starts avoid such ties, which each side
        # breaks by its own round-off
        "iris_petals": (petals, petals[[3, 60, 110, 130]]),
        "blobs": (blobs(), blobs()[[0, 1, 2, 3, 4, 5]]),
        "offset": (offset_data(), offset_data()[[0, 1, 2]]),
        # the third centre is far from every point: its cluster is empty
        # after the first E-step and must be relocated as scikit-learn does
        "empty_cluster": (blobs(seed=5), np.vstack([blobs(seed=5)[[0, 1]], [[60.0, 60.0]]])),
    }


DATASETS = datasets()


def run_steps(model: KMeans, X, n_steps: int) -> list[FitState]:
    """States after initialize and after every full step, stopping at
    convergence as scikit-learn does."""
    states = [model.initialize(X)]
    while states[-1].iteration < n_steps and not states[-1].converged:
        states.append(model.step(X, states[-1]))
    return states


def assert_close_centres(ours, theirs, X):
    # relative to the spread of the data, on centred coordinates (for the
    # offset set the absolute coordinates themselves only carry ~1e-12)
    mean, scale = X.mean(axis=0), X.std(axis=0).max()
    np.testing.assert_allclose((ours - mean) / scale, (theirs - mean) / scale, rtol=1e-8, atol=1e-8)


# ---------------------------------------------------------------------------
# Parity with scikit-learn
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("t", [1, 2, 5, 20])
def test_means_match_sklearn_step_by_step(name, t):
    X, C = DATASETS[name]
    theirs = SkKMeans(n_clusters=len(C), algorithm="lloyd", n_init=1, init=C, max_iter=t, tol=0).fit(X)
    states = run_steps(KMeans(n_clusters=len(C), init=C, tol=0), X, t)
    assert_close_centres(states[-1].means, theirs.cluster_centers_, X)


def test_empty_cluster_is_relocated_with_a_note():
    X, C = DATASETS["empty_cluster"]
    model = KMeans(n_clusters=3, init=C, tol=0)
    e = model.e_step(X, model.initialize(X))
    assert not np.any(e.labels == 2)
    m = model.m_step(X, e)
    assert any("Cluster C3 lost all its points and was moved to the point farthest from its centre" in note
               for note in m.notes)
    moved = int(np.flatnonzero(m.labels == 2)[0])
    np.testing.assert_allclose(m.means[2], X[moved], rtol=1e-12)
    # the moved point was the farthest from its centre
    d = ((X - e.means[e.labels]) ** 2).sum(axis=1)
    assert d[moved] == d.max()
    assert m.objective <= e.objective
    np.testing.assert_allclose(m.objective, exact_distortion(X, m.means, m.labels), rtol=1e-9)


@pytest.mark.parametrize("name", ["faithful", "iris4", "blobs", "offset"])
def test_fit_matches_sklearn_with_default_tolerance(name):
    X, C = DATASETS[name]
    theirs = SkKMeans(n_clusters=len(C), algorithm="lloyd", n_init=1, init=C).fit(X)
    ours = KMeans(n_clusters=len(C), init=C).fit(X)
    assert_close_centres(ours.cluster_centers_, theirs.cluster_centers_, X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-8)
    np.testing.assert_array_equal(ours.predict(X), ours.labels_)


# ---------------------------------------------------------------------------
# The FitState contract
# ---------------------------------------------------------------------------
def exact_distortion(X, centres, labels):
    return float(((X - centres[labels]) ** 2).sum())


def test_states_follow_the_contract():
    X, C = DATASETS["faithful"]
    model = KMeans(n_clusters=3, init=C)
    init = model.initialize(X)
    assert (init.phase, init.iteration, init.labels, init.covariances) == ("init", 0, None, None)
    assert init.responsibilities is None
    nearest = np.argmin(((X[:, None] - C) ** 2).sum(axis=2), axis=1)
    np.testing.assert_allclose(init.objective, exact_distortion(X, C, nearest), rtol=1e-10)
    np.testing.assert_array_equal(init.means, C)

    e = model.e_step(X, init)
    assert (e.phase, e.iteration) == ("E", 0)
    np.testing.assert_array_equal(e.means, init.means)
    np.testing.assert_array_equal(e.labels, nearest)
    assert e.soft_responsibilities is None and e.covariances is None
    np.testing.assert_array_equal(e.responsibilities.argmax(axis=1), e.labels)
    np.testing.assert_allclose(e.objective, exact_distortion(X, e.means, e.labels), rtol=1e-10)
    np.testing.assert_allclose(e.weights, np.bincount(e.labels, minlength=3) / len(X))

    m = model.m_step(X, e)
    assert (m.phase, m.iteration) == ("M", 1)
    np.testing.assert_array_equal(m.labels, e.labels)
    for k in range(3):
        np.testing.assert_allclose(m.means[k], X[e.labels == k].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(m.objective, exact_distortion(X, m.means, m.labels), rtol=1e-10)
    np.testing.assert_allclose(m.weights.sum(), 1.0)


def test_converges_when_labels_stop_changing():
    X, C = DATASETS["faithful"]
    states = list(KMeans(n_clusters=3, init=C, tol=0).iterate(X))
    last = states[-1]
    assert last.converged and last.phase == "M"
    assert any("No point changed its cluster" in note or "less than the tolerance" in note for note in last.notes)
    model = KMeans(n_clusters=3, init=C, tol=0)
    e = model.e_step(X, states[-2])
    assert e.converged
    np.testing.assert_array_equal(e.labels, states[-2].labels)


def test_m_step_needs_labels():
    X, C = DATASETS["faithful"]
    model = KMeans(n_clusters=3, init=C)
    with pytest.raises(ModelError, match="E-step"):
        model.m_step(X, model.initialize(X))


def test_module_functions():
    X, C = DATASETS["blobs"]
    labels, distortion = assign_labels(X, C)
    np.testing.assert_allclose(distortion, exact_distortion(X, C, labels), rtol=1e-10)
    centres, labels2, notes = update_centers(X, labels, C)
    assert notes == ()
    np.testing.assert_array_equal(labels2, labels)
    np.testing.assert_allclose(centres[0], X[labels == 0].mean(axis=0), rtol=1e-12)


def test_large_data_far_from_origin_keeps_digits():
    X, C = DATASETS["offset"]
    state = run_steps(KMeans(n_clusters=3, init=C, tol=0), X, 50)[-1]
    for k in range(3):
        members = X[state.labels == k]
        np.testing.assert_allclose(state.means[k] - 1e4, (members - 1e4).mean(axis=0), rtol=0, atol=1e-11)
    assert state.objective > 0
    np.testing.assert_allclose(state.objective, exact_distortion(X - 1e4, state.means - 1e4, state.labels),
                               rtol=1e-6)


# ---------------------------------------------------------------------------
# Initialisation
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("init", [kmeans_plusplus, random_init])
def test_init_picks_distinct_data_points_reproducibly(init):
    X = blobs(n=500, k=5, seed=1)
    centres, idx = init(X, 5, np.random.default_rng(7))
    assert len(set(idx.tolist())) == 5
    np.testing.assert_array_equal(centres, X[idx])
    again, idx_again = init(X, 5, np.random.default_rng(7))
    np.testing.assert_array_equal(idx, idx_again)
    np.testing.assert_array_equal(centres, again)
    others = {tuple(init(X, 5, np.random.default_rng(s))[1]) for s in range(10)}
    assert len(others) > 1


def test_kmeans_plusplus_spreads_the_centres():
    # two tight groups far apart: k-means++ must put one centre in each,
    # whichever point it starts from
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(95, 2)) * 0.1, rng.normal(size=(5, 2)) * 0.1 + 50])
    for seed in range(50):
        _, idx = kmeans_plusplus(X, 2, np.random.default_rng(seed))
        assert sorted(i >= 95 for i in idx) == [False, True]


def test_kmeans_plusplus_with_duplicate_points():
    X = np.array([[0.0, 0.0]] * 3 + [[1.0, 1.0]] * 3)
    centres, idx = kmeans_plusplus(X, 4, np.random.default_rng(0))
    assert len(set(idx.tolist())) <= 4 and np.all(np.isfinite(centres))


def test_seeded_model_is_reproducible_and_n_init_keeps_the_best():
    X = blobs(n=400, k=6, seed=2)
    a = KMeans(n_clusters=6, random_state=11).fit(X)
    b = KMeans(n_clusters=6, random_state=11).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    for init in ("random", "k-means++"):
        single = KMeans(n_clusters=6, init=init, random_state=3).fit(X)
        many = KMeans(n_clusters=6, init=init, n_init=8, random_state=3).fit(X)
        assert many.inertia_ <= single.inertia_
    s1 = KMeans(n_clusters=6, random_state=5).initialize(X)
    s2 = KMeans(n_clusters=6, random_state=5).initialize(X)
    np.testing.assert_array_equal(s1.means, s2.means)


# ---------------------------------------------------------------------------
# Properties on random data
# ---------------------------------------------------------------------------
@st.composite
def problems(draw):
    """Small data sets with duplicates, collinear points, K up to N, and a
    start that is either data points or arbitrary (often empty) centres."""
    n = draw(st.integers(1, 25))
    d = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["float", "duplicates", "collinear"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "float":
        X = rng.normal(size=(n, d)) * draw(st.sampled_from([1e-3, 1.0, 1e3]))
    elif kind == "duplicates":
        X = rng.integers(0, 3, size=(n, d)).astype(float)
    else:
        X = np.outer(rng.integers(-5, 5, size=n), rng.normal(size=d)) + rng.normal(size=d)
    X = X + draw(st.sampled_from([0.0, 1e4]))
    k = draw(st.integers(1, n))
    init_kind = draw(st.sampled_from(["k-means++", "random", "array"]))
    if init_kind == "array":
        init = X.mean(axis=0) + rng.normal(size=(k, d)) * (np.ptp(X) + 1.0) * 3
    else:
        init = init_kind
    return X, KMeans(n_clusters=k, init=init, random_state=int(rng.integers(1000)), tol=0)


def all_finite(state: FitState) -> bool:
    return all(np.all(np.isfinite(a)) for a in (state.means, state.weights, state.objective))


@settings(max_examples=50, deadline=None)
@given(problems())
def test_distortion_never_rises_and_states_stay_finite(problem):
    X, model = problem
    scale = float(((X - X.mean(axis=0)) ** 2).sum())
    state = model.initialize(X)
    assert all_finite(state)
    for _ in range(8):
        for half in (model.e_step, model.m_step):
            new = half(X, state)
            assert all_finite(new)
            assert new.objective >= 0
            assert new.objective <= state.objective + 1e-9 * scale + 1e-300
            assert new.labels is not None and new.labels.min() >= 0 and new.labels.max() < model.n_clusters
            np.testing.assert_allclose(new.objective, exact_distortion(X, new.means, new.labels),
                                       rtol=1e-7, atol=1e-9 * scale)
            state = new
        if state.converged:
            break


@settings(max_examples=50, deadline=None)
@given(problems())
def test_steps_are_pure_and_deterministic(problem):
    X, model = problem
    X_copy = X.copy()
    state = model.initialize(X)
    for _ in range(3):
        means, labels = state.means.copy(), None if state.labels is None else state.labels.copy()
        full = model.step(X, state)
        halves = model.m_step(X, model.e_step(X, state))
        again = model.step(X, state)
        for other in (halves, again):
            np.testing.assert_array_equal(full.means, other.means)
            np.testing.assert_array_equal(full.labels, other.labels)
            np.testing.assert_array_equal(full.weights, other.weights)
            assert full.objective == other.objective and full.converged == other.converged
            assert full.notes == other.notes
        np.testing.assert_array_equal(X, X_copy)
        np.testing.assert_array_equal(state.means, means)
        if labels is not None:
            np.testing.assert_array_equal(state.labels, labels)
        state = full


def test_init_array_is_copied_not_mutated():
    X, C = DATASETS["blobs"]
    C_copy = C.copy()
    model = KMeans(n_clusters=len(C), init=C)
    state = model.step(X, model.initialize(X))
    np.testing.assert_array_equal(C, C_copy)
    assert not np.shares_memory(state.means, C)


def test_k_equals_n_gives_zero_distortion():
    X = np.array([[0.0, 1.0], [2.0, 3.0], [5.0, -1.0], [2.0, 2.5]])
    state = KMeans(n_clusters=4, init="random", random_state=0, tol=0).fit(X)
    assert state.inertia_ == pytest.approx(0.0, abs=1e-12)
    assert sorted(state.labels_.tolist()) == [0, 1, 2, 3]


# ---------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------
def test_input_checks_quote_the_values():
    X = blobs(n=20)
    with pytest.raises(ModelError, match=r"2-D array.*shape \(20,\)"):
        KMeans(n_clusters=2).initialize(X[:, 0])
    bad = X.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ModelError, match=r"non-finite value \(nan\) at row 4, column 1"):
        KMeans(n_clusters=2).initialize(bad)
    bad[4, 1] = np.inf
    with pytest.raises(ModelError, match=r"non-finite value \(inf\) at row 4, column 1"):
        KMeans(n_clusters=2).initialize(bad)
    with pytest.raises(ModelError, match=r"n_samples=3 should be >= n_clusters=5"):
        KMeans(n_clusters=5).initialize(X[:3])
    with pytest.raises(ModelError, match=r"init has shape \(2, 3\) but should be \(n_clusters, n_features\) "
                                         r"= \(3, 2\)"):
        KMeans(n_clusters=3, init=np.zeros((2, 3))).initialize(X)
    with pytest.raises(ModelError, match=r"init='kmeans\+\+\+' is not known"):
        KMeans(n_clusters=3, init="kmeans+++").initialize(X)
    with pytest.raises(ModelError, match=r"n_clusters=0 should be a whole number >= 1"):
        KMeans(n_clusters=0).initialize(X)
    with pytest.raises(ModelError, match=r"tol=-1 should be a number >= 0"):
        KMeans(n_clusters=2, tol=-1).fit(X)
    with pytest.raises(ModelError, match="not fitted"):
        KMeans(n_clusters=2).predict(X)
    with pytest.raises(ModelError, match=r"init holds a non-finite value"):
        KMeans(n_clusters=2, init=np.array([[0.0, np.nan], [1.0, 1.0]])).initialize(X)


def test_step_on_data_that_no_longer_fits_the_state():
    X = blobs(n=20)
    model = KMeans(n_clusters=3, init="random", random_state=0)
    state = model.e_step(X, model.initialize(X))
    with pytest.raises(ModelError, match="does not belong"):
        model.m_step(X[:10], state)


def test_overflowing_data_raise_a_model_error():
    X = np.array([[1e308, 0.0], [1.7e308, 1.0], [-1e308, 2.0]])
    with pytest.raises(ModelError, match="rescale"):
        KMeans(n_clusters=2, init="random", random_state=0).fit(X)
