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
    assert any("Cluster 2 lost all its points and was moved to the point farthest from its centre" in note
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
    assert any("converged" in note for note in last.notes)
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


# ---------------------------------------------------------------------------
# algorithm="elkan": bounds carried in FitState.carry; the bounded step
# equals the full one
# ---------------------------------------------------------------------------
import dataclasses  # noqa: E402
import re  # noqa: E402

from clusterviz.model import kmeans as kmeans_module  # noqa: E402


def assert_same_step(model, X, state):
    """step(X, state) with its carry equals the same step without carry:
    labels bit for bit, means to 1e-12 of the data's spread."""
    bare = dataclasses.replace(state, carry=None)
    e, e0 = model.e_step(X, state), model.e_step(X, bare)
    np.testing.assert_array_equal(e.labels, e0.labels)
    np.testing.assert_array_equal(e.weights, e0.weights)
    assert e.converged == e0.converged and e.notes == e0.notes
    scale = float(np.abs(X - X.mean(axis=0)).max()) or 1.0
    total = float(((X - X.mean(axis=0)) ** 2).sum())
    assert e.objective == pytest.approx(e0.objective, rel=1e-9, abs=1e-12 * total + 1e-300)
    if e.carry.gap is not None:  # bounds are finite or +-inf, never NaN
        assert not np.isnan(e.carry.gap).any() and np.all(np.isfinite(e.carry.upper))
    m, m0 = model.m_step(X, e), model.m_step(X, dataclasses.replace(e, carry=None))
    np.testing.assert_array_equal(m.labels, m0.labels)
    # 1e-12 of the spread, or a few ulps of the coordinates themselves (data
    # near 1e4 with spread 1e-3 hold their means to ~1e-12 absolute only)
    np.testing.assert_allclose(m.means - m0.means, 0.0, atol=1e-12 * scale + 4 * np.spacing(np.abs(X).max()))
    np.testing.assert_array_equal(m.weights, m0.weights)
    assert m.objective == pytest.approx(m0.objective, rel=1e-9, abs=1e-12 * total + 1e-300)
    assert m.converged == m0.converged
    # the notes may quote a round-off-sized shift differently (0 vs 1e-32)
    assert [re.sub(r"shift [^)]*\)", "shift)", note) for note in m.notes] == \
        [re.sub(r"shift [^)]*\)", "shift)", note) for note in m0.notes]
    return m


@st.composite
def carry_problems(draw):
    """Blobs, integer grids (duplicates and exact ties), collinear points,
    data far from the origin, and starts with far-away (empty) centres."""
    n = draw(st.integers(2, 400))
    d = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["blobs", "grid", "collinear", "offset"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.integers(1, min(n, 8)))
    if kind == "grid":
        X = rng.integers(0, 4, size=(n, d)).astype(float)
    elif kind == "collinear":
        X = np.outer(rng.integers(-5, 5, size=n), rng.normal(size=d)) + rng.normal(size=d)
    else:
        centres = rng.normal(scale=4.0, size=(k, d))
        X = centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))
        if kind == "offset":
            X = X * 1e-3 + 1e4
    init_kind = draw(st.sampled_from(["points", "far", "k-means++"]))
    if init_kind == "points":
        init = X[rng.choice(n, size=k, replace=False)]
    elif init_kind == "far":  # some clusters start empty: relocation
        init = X[rng.choice(n, size=k, replace=False)]
        init[: max(1, k // 2)] += 50 * (np.ptp(X, axis=0) + 1.0)
    else:
        init = "k-means++"
    # tol=1e-12, not 0: with tol=0 "the centres did not move" is decided by
    # the last bit (a cluster of duplicates: the bounded step's shift is exactly
    # 0, the full step's (a + a + a) / 3 - a may be one ulp), so the two could
    # flag convergence one step apart; labels and means agree either way
    return X, KMeans(n_clusters=k, init=init, random_state=int(rng.integers(1000)), tol=1e-12, algorithm="elkan")


@settings(max_examples=40, deadline=None)
@given(carry_problems())
def test_bounded_step_equals_the_full_step(problem):
    X, model = problem
    state = model.initialize(X)
    for _ in range(20):
        state = assert_same_step(model, X, state)


@pytest.mark.parametrize("threads", [False, True])
@pytest.mark.parametrize("dense", [None, 0.0, 2.0])
@pytest.mark.parametrize("kind", ["blobs", "grid", "duplicates"])
def test_bounded_steps_over_many_blocks(kind, dense, threads, monkeypatch):
    """Data spanning several blocks of rows, so near-ties are settled by
    recomputing single blocks; the carried bounds are really used (dense:
    always / never the full kernel for the unsettled points; threads: runs
    of blocks on the thread pool, as for N >= _PARALLEL_MIN)."""
    if dense is not None:
        monkeypatch.setattr(kmeans_module, "_DENSE_FRACTION", dense)
    if threads:
        monkeypatch.setattr(kmeans_module, "_PARALLEL_MIN", 1000)
        monkeypatch.setattr(kmeans_module, "_N_THREADS", 3)
    rng = np.random.default_rng(4)
    n = 3 * kmeans_module._CHUNK + 123
    if kind == "blobs":
        X = blobs(n=n, k=6, seed=4, spread=1.5)
    elif kind == "grid":
        X = rng.integers(0, 6, size=(n, 2)).astype(float)
    else:
        X = np.repeat(blobs(n=n // 20 + 1, k=6, seed=4), 20, axis=0)[:n]
    model = KMeans(n_clusters=6, init=X[rng.choice(n, size=6, replace=False)], tol=1e-12, algorithm="elkan")
    recomputed = []
    original = kmeans_module._candidates

    def counting(*args):
        recomputed.append(args[5].size)
        return original(*args)

    state = model.initialize(X)
    for _ in range(12):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(kmeans_module, "_candidates", counting)
            state = assert_same_step(model, X, state)
    assert state.carry is not None and state.carry.gap is not None
    np.testing.assert_allclose(state.objective, exact_distortion(X, state.means, state.labels), rtol=1e-9)
    if kind == "blobs" and dense != 0.0:  # once the centres settle, few points are recomputed
        assert recomputed and min(recomputed) < n // 10


def test_carried_steps_match_sklearn_and_the_exact_distortion():
    X = blobs(n=5000, k=5, seed=9, spread=1.2)
    C = X[:5]
    theirs = SkKMeans(n_clusters=5, algorithm="lloyd", n_init=1, init=C, max_iter=30, tol=0).fit(X)
    model = KMeans(n_clusters=5, init=C, tol=0, algorithm="elkan")
    states = run_steps(model, X, 30)
    assert states[-1].carry.gap is not None  # the bounded path ran
    assert_close_centres(states[-1].means, theirs.cluster_centers_, X)
    for state in states[1:]:
        np.testing.assert_allclose(state.objective, exact_distortion(X, state.means, state.labels), rtol=1e-9)


def test_a_step_with_different_data_ignores_stale_carry():
    X = blobs(n=2000, k=4, seed=6)
    model = KMeans(n_clusters=4, init=X[:4], tol=0, algorithm="elkan")
    state = model.initialize(X)
    for _ in range(4):
        state = model.step(X, state)
    assert state.carry.gap is not None
    edited = X.copy()  # same shape, other values (a data edit makes a new array)
    edited[::3] = edited[::3][::-1] + 0.5
    for half in (model.e_step, model.m_step):
        ours = half(edited, state)
        full = half(edited, dataclasses.replace(state, carry=None))
        np.testing.assert_array_equal(ours.labels, full.labels)
        np.testing.assert_array_equal(ours.means, full.means)
        assert ours.objective == full.objective
    e = model.e_step(edited, state)
    nearest = np.argmin(((edited[:, None] - state.means) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(e.labels, nearest)
    assert e.carry.X is not X


def test_carried_steps_are_pure():
    X = blobs(n=3000, k=5, seed=8)
    model = KMeans(n_clusters=5, init=X[:5], tol=0, algorithm="elkan")
    state = model.step(X, model.step(X, model.initialize(X)))
    carry = state.carry
    saved = {name: np.copy(getattr(carry, name)) for name in ("labels", "gap", "upper", "counts", "sums", "sq")}
    first, second = model.step(X, state), model.step(X, state)
    np.testing.assert_array_equal(first.labels, second.labels)
    np.testing.assert_array_equal(first.means, second.means)
    assert first.objective == second.objective
    for name, value in saved.items():
        np.testing.assert_array_equal(getattr(carry, name), value)
    assert state.without_assignments().carry is None


def test_lloyd_carries_nothing_and_ignores_carry():
    X = blobs(n=2000, k=4, seed=6)
    elkan = KMeans(n_clusters=4, init=X[:4], algorithm="elkan")
    lloyd = KMeans(n_clusters=4, init=X[:4])
    state = elkan.step(X, elkan.step(X, elkan.initialize(X)))
    assert state.carry is not None
    plain = lloyd.step(X, state)
    bare = lloyd.step(X, dataclasses.replace(state, carry=None))
    assert plain.carry is None and lloyd.initialize(X).carry is None
    np.testing.assert_array_equal(plain.means, bare.means)
    assert plain.objective == bare.objective
    with pytest.raises(ModelError, match=r"algorithm='hamerly' is not known"):
        KMeans(n_clusters=2, algorithm="hamerly").fit(X)


def test_elkan_fit_matches_lloyd_and_sklearn():
    X, C = DATASETS["faithful"]
    lloyd = KMeans(n_clusters=3, init=C).fit(X)
    elkan = KMeans(n_clusters=3, init=C, algorithm="elkan").fit(X)
    theirs = SkKMeans(n_clusters=3, algorithm="lloyd", n_init=1, init=C).fit(X)
    np.testing.assert_array_equal(elkan.labels_, lloyd.labels_)
    assert elkan.n_iter_ == lloyd.n_iter_ == theirs.n_iter_
    assert_close_centres(elkan.cluster_centers_, theirs.cluster_centers_, X)
    np.testing.assert_allclose(elkan.inertia_, theirs.inertia_, rtol=1e-8)


# 362 points of a 4 x 4 grid (x, y digits) found by hypothesis: a near-tie
# point (bounds set to "recompute") must be recomputed in the next step
_GRID_TIES = (
    "012031022301322113332223102003310200112100100212230022231022202110030113123210331312230031"
    "001020131033333311212121100102033323303123230320230311012111112012333222003200000131002033"
    "200301301033133102023233220120132032021202132001000322101111101212312103120101203131001121"
    "122232332011001221200001320213013330133230301020123301223230322330230110330311021210023003"
    "203011211303122323200321101020210331330110021111330231123333133112100213312203012010023201"
    "113302212231023100122331031223011011102301020211113030130331213311223330123112222203311122"
    "332033132001120211131020311220130301333211100002202111212231332321310302131202001202032133"
    "323333030021230000100310121333311113213011233013100331233333322133232233321330200123130230"
    "2013"
)


def test_near_ties_are_recomputed_in_the_next_step():
    X = np.array([int(c) for c in _GRID_TIES], dtype=float).reshape(-1, 2)
    model = KMeans(n_clusters=6, init="k-means++", random_state=264, tol=1e-12, algorithm="elkan")
    state = model.initialize(X)
    for _ in range(20):
        state = assert_same_step(model, X, state)
