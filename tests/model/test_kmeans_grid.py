"""K-Means on large 2-D data: the grid of cells gives the labels of measuring
every point, keeps scikit-learn's results, lives on the prepared data, is
never built for a raw array, and never serves an array edited in place from
an old grid."""
import copy
import dataclasses
import gc
import weakref
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans as SkKMeans

from clusterviz.model import kmeans as kmeans_module
from clusterviz.model import FitState, kmeans_grid
from clusterviz.model.kmeans import KMeans, assign_labels
from clusterviz.model.kmeans_grid import nearest_direct
from clusterviz.model.prepared import prepare

BIG = kmeans_grid.MIN_POINTS + 7  # enough points for the grid (and a ragged tail)


def blobs(n, k=6, seed=0, spread=1.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=5.0, size=(k, 2))
    return centres[rng.integers(k, size=n)] + spread * rng.normal(size=(n, 2))


@contextmanager
def grid_on_small_data(points_per_cell: int = 4):
    """Use the grid from 1 point on, with small cells (many pure and mixed ones)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kmeans_module, "MIN_POINTS", 1)
        patch.setattr(kmeans_grid, "_POINTS_PER_CELL", points_per_cell)
        yield


def direct_labels(X, means):
    """Nearest centres measured point by point, about the mean K-Means uses
    (the centring decides exact ties)."""
    mean = prepare(X).mean
    return nearest_direct(X - mean, means - mean)[0]


def has_grid(prepared) -> bool:
    """Whether K-Means built its grid of cells on these prepared data."""
    return "kmeans_grid" in prepared._derived


def assert_same_state(a, b):
    for name in ("means", "weights", "labels"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (a.objective, a.converged, a.notes, a.iteration) == (b.objective, b.converged, b.notes, b.iteration)


def exact_distortion(X, means, labels):
    return float(((X - means[labels]) ** 2).sum())


def assert_close_state(a, b):
    """The same labels, counts and flags; parameters and objective equal up
    to the round-off of adding the same numbers in another order (the grid
    adds a cell's points as one sum, measuring every point adds them one by one)."""
    for name in ("weights", "labels"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_allclose(a.means, b.means, rtol=1e-12, atol=1e-12 * float(np.abs(a.means).max()))
    assert a.objective == pytest.approx(b.objective, rel=1e-9, abs=1e-12)
    assert (a.converged, a.notes, a.iteration) == (b.converged, b.notes, b.iteration)


def assert_step_is_exact(model, data, state):
    """One E-step and M-step on prepared ``data``: the labels of measuring
    every point, the exact distortion, the M-step with the E-step's sums
    (the full step) equal to one without, and the distortion never rising."""
    X = data.X
    e = model.e_step(data, state)
    np.testing.assert_array_equal(e.labels, direct_labels(X, state.means))
    # the round-off of a distortion: a few ulps of the coordinates, squared, a point
    tiny = 1e-12 * float(((X - X.mean(axis=0)) ** 2).sum()) + 16 * X.shape[0] * np.spacing(np.abs(X).max()) ** 2
    assert e.objective == pytest.approx(exact_distortion(X, e.means, e.labels), rel=1e-9, abs=tiny)
    assert e.objective <= state.objective * (1 + 1e-12) + tiny
    m = model.m_step(data, e)
    assert m.objective <= e.objective * (1 + 1e-12) + tiny
    assert_same_state(m, model.step(data, state))  # the step's E-step sums are the M-step's
    halves = model.step_halves(data, state)
    assert_same_state(e, halves[0])
    assert_same_state(m, halves[1])
    return m


@st.composite
def grid_problems(draw):
    """Blobs, integer grids (duplicates and exact ties), points on a line
    (also along an axis: cells of zero width), one point repeated, data far
    from the origin, and starts with far-away (empty) centres."""
    n = draw(st.integers(1, 600))
    kind = draw(st.sampled_from(["blobs", "integers", "line", "axis", "same", "offset"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    k = draw(st.integers(1, min(n, 8)))
    if kind == "integers":
        X = rng.integers(0, 5, size=(n, 2)).astype(float)
    elif kind == "line":
        X = np.outer(rng.integers(-5, 5, size=n), rng.normal(size=2)) + rng.normal(size=2)
    elif kind == "axis":
        X = np.column_stack([rng.normal(size=n), np.full(n, 3.0)])
    elif kind == "same":
        X = np.tile(rng.normal(size=2), (n, 1))
    else:
        X = blobs(n, k=k, seed=int(rng.integers(1000)))
        if kind == "offset":
            X = X * 1e-3 + 1e4
    start = draw(st.sampled_from(["points", "far", "k-means++"]))
    if start == "k-means++":
        init = "k-means++"
    else:
        init = X[rng.choice(n, size=k, replace=False)]
        if start == "far":
            init[: max(1, k // 2)] += 50 * (np.ptp(X, axis=0) + 1.0)
    return X, KMeans(n_clusters=k, init=init, random_state=int(rng.integers(1000)), tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(grid_problems(), st.sampled_from([1, 3, 8]))
def test_the_grid_gives_the_labels_of_measuring_every_point(problem, points_per_cell):
    X, model = problem
    with grid_on_small_data(points_per_cell):
        data = prepare(X)
        state = model.initialize(data)
        np.testing.assert_array_equal(model.e_step(data, state).labels, direct_labels(X, state.means))
        assert has_grid(data)
        for _ in range(12):
            state = assert_step_is_exact(model, data, state)


@pytest.mark.parametrize("t", [1, 3, 10])
def test_large_data_match_sklearn_step_by_step(t):
    X = blobs(BIG, k=6, seed=1)
    C = X[:6].copy()
    theirs = SkKMeans(n_clusters=6, algorithm="lloyd", n_init=1, init=C, max_iter=t, tol=0).fit(X)
    model = KMeans(n_clusters=6, init=C, tol=0)
    prepared = prepare(X)
    state = model.initialize(prepared)
    for _ in range(t):
        state = model.step(prepared, state)
    assert has_grid(prepared)
    scale = X.std(axis=0).max()
    np.testing.assert_allclose(state.means / scale, theirs.cluster_centers_ / scale, rtol=1e-8, atol=1e-8)
    ours = KMeans(n_clusters=6, init=C).fit(X)
    theirs = SkKMeans(n_clusters=6, algorithm="lloyd", n_init=1, init=C).fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-8)


@pytest.mark.parametrize("kind", ["blobs", "constant column"])
def test_most_points_are_settled_by_their_cell(kind, monkeypatch):
    """Only points near a boundary are measured; a column that never varies
    (cells of zero width that way) keeps its cells tight too."""
    X = blobs(4 * BIG, k=8, seed=2)
    if kind == "constant column":
        X[:, 1] = 3.0
        X[:, 0] *= 1e-3
    model = KMeans(n_clusters=8, init=X[:8].copy(), tol=0)
    data = prepare(X)
    state = model.initialize(data)
    for _ in range(5):
        state = model.step(data, state)
    measured = []  # sizes of the arrays of points measured; the first: the cells' means
    for name in ("_sq_distances", "_sq_distances_to"):
        original = getattr(kmeans_grid, name)

        def counting(x, *rest, original=original):
            measured.append(x.size)
            return original(x, *rest)

        monkeypatch.setattr(kmeans_grid, name, counting)
    e = model.e_step(data, state)
    monkeypatch.undo()
    np.testing.assert_array_equal(e.labels, direct_labels(X, state.means))
    n_cells = measured.pop(0)
    assert n_cells < X.shape[0] / 10
    # points near a boundary are measured: to two centres (two calls) where
    # only two compete, else to all of them
    pairs, again, others = measured
    assert pairs == again and 0 < pairs + others < 0.2 * X.shape[0]


def test_an_array_edited_in_place_between_steps_is_measured_as_it_is():
    """A raw array is measured afresh on every call: edits in place between
    steps (even a swap, which keeps every sum) give the labels of measuring
    every point."""
    X = blobs(BIG, k=5, seed=3)
    model = KMeans(n_clusters=5, init=X[:5].copy(), tol=0)
    state = model.step(X, model.step(X, model.initialize(X)))
    for edit in range(3):
        if edit == 0:
            X[[10, 20000]] = X[[20000, 10]]
        elif edit == 1:
            X[30000] += 7.0
        else:
            X[:100] += 50.0
        e = model.e_step(X, state)
        np.testing.assert_array_equal(e.labels, direct_labels(X, state.means))
        assert e.objective == pytest.approx(exact_distortion(X, state.means, e.labels), rel=1e-12)
        state = model.step(X, state)
        np.testing.assert_array_equal(state.labels, direct_labels(X, e.means))


def test_a_full_step_takes_the_e_steps_sums(monkeypatch):
    """On the grid, step() does not read the labels again for the M-step's
    sums, and gives what the two half-steps give."""
    X = prepare(blobs(BIG, k=4, seed=4))
    model = KMeans(n_clusters=4, init=X.X[:4].copy(), tol=0)
    state = model.initialize(X)
    halves = model.m_step(X, model.e_step(X, state))

    def no_pass(*args):
        raise AssertionError("the M-step read the labels again")

    monkeypatch.setattr(kmeans_module, "_cluster_sums", no_pass)
    assert_same_state(model.step(X, state), halves)
    with pytest.raises(AssertionError, match="read the labels again"):
        model.m_step(X, model.e_step(X, state))


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.sampled_from(["big", "small", "far"]))
def test_the_m_step_is_a_pure_function_of_data_and_state(seed, k, size):
    """m_step(X, e) equals m_step on a state rebuilt field by field, the step,
    both halves of step_halves and the M-step on another prepared copy of the
    data, bit for bit, on large 2-D data (the grid) and small ones; on the
    raw array (measured point by point) the same labels and the numbers up to
    the order of their sums."""
    rng = np.random.default_rng(seed)
    n = {"big": BIG, "small": int(rng.integers(k, 400)), "far": BIG}[size]
    X = blobs(n, k=max(1, k - 1), seed=seed % 1000)
    init = X[rng.choice(n, size=k, replace=False)]
    if size == "far":
        init[-1] += 1e3  # an empty cluster to relocate
    model = KMeans(n_clusters=k, init=init, tol=0)
    prepared = prepare(X)
    state = model.initialize(prepared)
    for _ in range(2):
        e = model.e_step(prepared, state)
        m = model.m_step(prepared, e)
        rebuilt = FitState(**{f.name: copy.deepcopy(getattr(e, f.name)) for f in dataclasses.fields(e)})
        for other in (model.m_step(prepared, rebuilt), model.m_step(prepare(X.copy()), e),
                      model.step(prepared, state), model.step_halves(prepared, state)[1]):
            assert_same_state(m, other)
        assert_same_state(e, model.step_halves(prepared, state)[0])
        for other in (model.m_step(X, e), model.step(X, state)):
            assert_close_state(m, other)
        state = m


def test_many_centres_are_measured_point_by_point():
    X = blobs(BIG, k=8, seed=5)
    k = kmeans_grid.MAX_CENTRES + 1
    model = KMeans(n_clusters=k, init=X[:k].copy(), tol=0)
    prepared = prepare(X)
    e = model.e_step(prepared, model.initialize(prepared))
    assert not has_grid(prepared)
    np.testing.assert_array_equal(e.labels, direct_labels(X, e.means))


def test_elkan_is_the_same_computation():
    X = blobs(BIG, k=4, seed=6)
    lloyd = KMeans(n_clusters=4, init=X[:4].copy()).fit(X)
    elkan = KMeans(n_clusters=4, init=X[:4].copy(), algorithm="elkan").fit(X)
    np.testing.assert_array_equal(elkan.labels_, lloyd.labels_)
    np.testing.assert_array_equal(elkan.cluster_centers_, lloyd.cluster_centers_)
    with pytest.raises(ValueError, match=r"algorithm='hamerly' is not known"):
        KMeans(n_clusters=2, algorithm="hamerly").fit(X)


def test_tight_clusters_far_apart_keep_the_digits_of_their_distortion():
    """Spread 1e-6 around centres 1e3 apart: a cell's distortion comes from
    its scatter about its own mean, so nothing cancels."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(5, 2)) * 1e3
    X = centres[rng.integers(5, size=BIG)] + 1e-6 * rng.normal(size=(BIG, 2))
    model = KMeans(n_clusters=5, init=centres + 1e-6, tol=0)
    prepared = prepare(X)
    state = model.initialize(prepared)
    assert not has_grid(prepared)  # a start measures point by point; the first step builds the grid
    for _ in range(3):
        e = model.e_step(prepared, state)
        assert has_grid(prepared)
        np.testing.assert_array_equal(e.labels, direct_labels(X, state.means))
        assert e.objective == pytest.approx(exact_distortion(X, e.means, e.labels), rel=1e-9)
        state = model.m_step(prepared, e)
        assert state.objective == pytest.approx(exact_distortion(X, state.means, state.labels), rel=1e-9)


def test_a_move_below_the_sums_round_off_is_seen():
    """Far from the origin a move of 2e-9 changes no sum; the point is still
    measured where it is."""
    rng = np.random.default_rng(0)
    X = 1e4 + 1e-3 * rng.normal(size=(BIG, 2))
    X[100] = (1e4 - 1e-9, 1e4)  # just left of the bisector x = 1e4
    C = np.array([[1e4 - 1e-3, 1e4], [1e4 + 1e-3, 1e4]])
    model = KMeans(n_clusters=2, init=C)
    state = model.initialize(X)
    for data in (X, prepare(X)):
        assert model.e_step(data, state).labels[100] == 0
    moved = X.copy()
    moved[100, 0] = 1e4 + 1e-9
    prepared = prepare(moved)
    e = model.e_step(prepared, state)
    assert has_grid(prepared) and e.labels[100] == 1
    assert model.e_step(moved, state).labels[100] == 1
    np.testing.assert_array_equal(e.labels, direct_labels(moved, state.means))


@pytest.mark.parametrize("scale", [1e-160, 5e149, 2e150])
def test_tiny_and_huge_coordinates_keep_the_exact_labels(scale):
    """Squared distances that would be subnormal are measured point by point;
    coordinates whose squares could overflow skip the grid."""
    rng = np.random.default_rng(8)
    X = rng.uniform(-1, 1, size=(BIG, 2)) * scale
    C = rng.uniform(-1, 1, size=(4, 2)) * scale
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kmeans_grid, "_POINTS_PER_CELL", 4)
        data = prepare(X)
        labels = KMeans(n_clusters=4, init=C).e_step(data, KMeans(n_clusters=4, init=C).initialize(data)).labels
        np.testing.assert_array_equal(labels, direct_labels(X, C))


def test_a_grid_lives_and_dies_with_its_prepared_data():
    X = blobs(BIG, k=3, seed=9)
    model = KMeans(n_clusters=3, init=X[:3].copy())
    prepared = prepare(X)
    model.step(prepared, model.initialize(prepared))
    grid = weakref.ref(prepared._derived["kmeans_grid"])
    model.step(prepared, model.initialize(prepared))
    assert prepared._derived["kmeans_grid"] is grid()  # built once, kept
    del prepared
    gc.collect()
    assert grid() is None
    model.step(X, model.initialize(X))
    gc.collect()
    assert not any(type(o).__name__ == "Grid" for o in gc.get_objects())  # a raw array's grid is not kept


def test_results_do_not_depend_on_how_the_data_come():
    """assign_labels, a step and fit give the same bits on prepared data
    (the grid built or already there, or a prepared copy), and on the raw
    array or a copy of it; between the two, the same labels and the same
    numbers up to the order of their sums (a raw array is measured point by
    point, prepared data through the grid)."""
    X = blobs(BIG, k=4, seed=10)
    C = X[:4].copy()
    model = KMeans(n_clusters=4, init=C)

    def everything(data):
        labels, distortion = assign_labels(data, C)
        state = model.step(data, model.initialize(data))
        fitted = KMeans(n_clusters=4, init=C).fit(data)
        return labels, distortion, state.means, state.objective, fitted.cluster_centers_, fitted.inertia_

    prepared = prepare(X)
    grid = everything(prepared)
    assert has_grid(prepared)
    for other in (everything(prepared), everything(prepare(X.copy()))):
        for a, b in zip(grid, other):
            np.testing.assert_array_equal(a, b)
    raw = everything(X)
    for a, b in zip(raw, everything(X.copy())):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(raw[0], grid[0])
    np.testing.assert_array_equal(raw[0], direct_labels(X, C))
    for a, b in zip(raw[1:], grid[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("edit", ["negate", "negate a column", "swap a sign", "double", "shuffle"])
def test_structured_edits_get_a_new_grid(edit):
    """Edits that change only the sign or exponent bits of many values: the
    edited copy is measured as itself."""
    n = 38720  # even, and a size where doubling every value cancels in the bits
    rng = np.random.default_rng(11)
    X = rng.integers(-5, 6, size=(n, 2)).astype(float) + 0.25 * rng.normal(size=(n, 2))
    X[0], X[1] = (3.0, 1.0), (-3.0, 1.0)
    C = np.array([[-4.0, 0.0], [0.5, 1.0], [4.0, -2.0]])
    model = KMeans(n_clusters=3, init=C)
    data = prepare(X)
    model.e_step(data, model.initialize(data))
    assert has_grid(data)
    edited = {"negate": lambda: -X, "negate a column": lambda: X * [-1.0, 1.0],
              "swap a sign": lambda: X[[1, 0, *range(2, n)]], "double": lambda: 2.0 * X,
              "shuffle": lambda: X[rng.permutation(n)]}[edit]()
    data = prepare(edited)
    e = model.e_step(data, model.initialize(data))
    assert has_grid(data)
    np.testing.assert_array_equal(e.labels, direct_labels(edited, C))
    assert e.objective == pytest.approx(exact_distortion(edited, C, e.labels), rel=1e-12)


def test_a_raw_array_is_measured_without_building_a_grid(monkeypatch):
    """Only data made by prepare() get a grid (built once, on the first step
    that needs it); a raw array is measured point by point on every call,
    and fit prepares its data once for the whole run."""
    X = blobs(BIG, k=4, seed=12)
    model = KMeans(n_clusters=4, init=X[:4].copy(), tol=0)
    builds = []
    original = kmeans_grid.build_grid

    def counting(*args):
        builds.append(args[0].shape)
        return original(*args)

    monkeypatch.setattr(kmeans_grid, "build_grid", counting)
    state = model.initialize(X)
    for _ in range(3):
        state = model.step(X, state)
    model.m_step(X, model.e_step(X, state))
    model.step_halves(X, state)
    assign_labels(X, state.means)
    assert builds == []
    data = prepare(X)
    for _ in range(3):
        state = model.step(data, state)
    assert builds == [X.shape]
    KMeans(n_clusters=4, init=X[:4].copy()).fit(X)
    assert builds == [X.shape, X.shape]
