"""K-Means (Lloyd's algorithm) as two half-steps, PRML §9.1.

E-step: assign every point to its nearest centre (PRML (9.2)).
M-step: move every centre to the mean of its points (PRML (9.4)).

The numerics are small module-level functions over prepared data
(:class:`~clusterviz.model.prepared.Prepared`); :class:`KMeans` only holds
the settings and builds :class:`FitState` objects. Every public method takes
an array or a Prepared: the owner of the data (the session) prepares them
once and passes the same object to every step; an array is wrapped for that
one call and measured point by point, so an array edited in place is always
measured as it is now.

Every function works on data centred on the prepared column mean (the mean
is added back to the centres it returns), so data far from the origin keep
their digits. Large 2-D data made by
:func:`~clusterviz.model.prepared.prepare` go through a grid of cells
(:mod:`.kmeans_grid`), built on first use and kept on the Prepared, that
settles most points a cell at a time, with the same labels. The M-step is a
pure function of the data and the E-step's state: its cluster sums have one
definition (:func:`.kmeans_grid.cluster_sums` on the grid, exact
fixed-point sums (:mod:`.kmeans_sums`) for many points, a bincount per
column for few); :meth:`KMeans.step` and :meth:`KMeans.step_halves` reuse the
identical sums their E-step made.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._common import INITS, check_centres, checked_data, cluster_name, quiet, squared_norms
from .base import SteppableModel
from .kmeans_bounds import MIN_POINTS as BOUNDS_MIN_POINTS
from .kmeans_bounds import measure, nearest_with_bounds, tolerance
from .kmeans_grid import MAX_CENTRES, MIN_POINTS, cluster_sums, grid_of, nearest_direct, nearest_on_grid, usable
from .kmeans_sums import kept_sums, sums_of
from .prepared import Prepared, prepare
from .seeding import kmeans_plusplus, random_init
from .state import FitState, ModelError
from .validation import as_generator, check_n_clusters, check_state_finite

__all__ = ["KMeans", "kmeans_plusplus", "random_init", "assign_labels", "update_centers"]

# Rows per block of the exact distortion.
_CHUNK = 8192
# Fewest points whose cluster sums are kept in fixed point (kmeans_sums; below,
# a bincount per column is as quick and scipy.sparse is not imported).
_FIXED_POINT_SUMS = 1 << 15
_EPS = float(np.finfo(np.float64).eps)
_EXPANSION_ERROR = 4 * _EPS

#: (counts, centred sums, sum of ||x - mean||^2): what the M-step needs of the data.
Sums = tuple[np.ndarray, np.ndarray, float]


def _uses_grid(data: Prepared, n_clusters: int) -> bool:
    """Whether K-Means measures these data through their grid of cells:
    large 2-D data prepared for many steps (building the grid costs about
    ten steps' worth of arithmetic, repaid only when it is kept)."""
    return (data.reusable and data.n_features == 2 and data.n_samples >= MIN_POINTS
            and n_clusters <= MAX_CENTRES)


# --------------------------------------------------------------------------
# E-step: nearest centres
# --------------------------------------------------------------------------
@quiet
def _nearest(data: Prepared, centres_c: np.ndarray) -> tuple[np.ndarray, float, Sums | None]:
    """Labels of the nearest centres, the distortion, and the M-step's
    cluster sums of those labels when they came out of the same pass.

    2-D data are measured as differences (:func:`kmeans_grid.nearest_direct`),
    through the data's grid when it applies. Other data through the
    expansion (:func:`kmeans_bounds.measure`), with bounds carried between
    steps when the data are prepared and large
    (:func:`kmeans_bounds.nearest_with_bounds`: the same labels); their
    distortion comes from the cluster sums, which the M-step reuses.
    """
    if data.n_features == 2:
        if _uses_grid(data, centres_c.shape[0]):
            grid = grid_of(data)
            if usable(grid, centres_c):
                labels, distortion, counts, sums = nearest_on_grid(centres_c, grid)
                return labels, distortion, (counts, sums, grid.total_sq)
        labels, dist = nearest_direct(data.centred(), centres_c)
        return labels, float(dist.sum()), None
    labels = _labels_by_expansion(data, centres_c)
    sums = _cluster_sums(data, labels, centres_c.shape[0])
    return labels, _distortion_of_sums(data, centres_c, labels, sums), sums


def _labels_by_expansion(data: Prepared, centres_c: np.ndarray) -> np.ndarray:
    """Nearest centres of data of other than 2 columns (centred coordinates)."""
    if data.reusable and data.n_samples >= BOUNDS_MIN_POINTS:
        return nearest_with_bounds(data, centres_c)
    return measure(data.centred(), centres_c, tolerance(data, centres_c), norms=squared_norms(data))[0]


@quiet
def _distortion_of_sums(data: Prepared, centres_c, labels, sums: Sums) -> float:
    """sum_n ||x_n - c_{label_n}||^2 from the cluster sums: sum_n ||x_n||^2
    - sum_k (2 c_k.sum_{n in k} x_n - n_k ||c_k||^2); computed point by point
    (:func:`_distortion`) when that would cancel to a few digits."""
    counts, centred_sums, squares = sums  # sum_n ||x_n||^2 over all clusters: one number, whatever the labels
    cc = np.einsum("ij,ij->i", centres_c, centres_c)
    distortion = float(squares - 2.0 * np.einsum("ij,ij->", centres_c, centred_sums) + counts @ cc)
    if not distortion >= 1e3 * _EXPANSION_ERROR * float(squares + counts @ cc):
        distortion = _distortion(data, centres_c, labels)
    return distortion


@quiet
def _distortion(data: Prepared, centres_c, labels) -> float:
    """sum_n ||x_n - c_{label_n}||^2, computed exactly (block by block)."""
    xc = data.centred()
    total = 0.0
    for start in range(0, xc.shape[0], _CHUNK):
        diff = xc[start:start + _CHUNK] - np.take(centres_c, labels[start:start + _CHUNK], axis=0)
        total += float(np.einsum("ij,ij->", diff, diff))
    return total


def assign_labels(X, centers) -> tuple[np.ndarray, float]:
    """The E-step of K-Means: the nearest centre of every point.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or Prepared
    centers : ndarray of shape (n_clusters, n_features)

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Index of the nearest centre (ties go to the lower index).
    distortion : float
        Sum of squared distances of the points to their nearest centres.
    """
    data = checked_data(X, None)
    centres = check_centres(centers, np.shape(centers)[0], data.n_features, "centers")
    return _nearest(data, centres - data.mean)[:2]


# --------------------------------------------------------------------------
# M-step: means, with empty clusters relocated
# --------------------------------------------------------------------------
@quiet
def _cluster_sums(data: Prepared, labels: np.ndarray, n_clusters: int) -> Sums:
    """Per-cluster point counts and sums of the centred coordinates, and the
    sum of the squared centred coordinates (n_samples x the mean variance).

    On the grid: :func:`kmeans_grid.cluster_sums`, the numbers the E-step's
    pass gives too; else a bincount per column for few points, and for
    many the exact fixed-point sums of :mod:`.kmeans_sums` (on prepared
    data updated from the last labels' sums when few points moved).
    """
    if _uses_grid(data, n_clusters):
        grid = grid_of(data)
        return (*cluster_sums(grid, labels, n_clusters), grid.total_sq)
    if data.n_samples < _FIXED_POINT_SUMS:  # few points: a bincount per column, no scipy.sparse to import
        xc = data.centred()
        sums = np.stack([np.bincount(labels, weights=xc[:, j], minlength=n_clusters)
                         for j in range(data.n_features)], axis=1)
        counts = np.bincount(labels, minlength=n_clusters).astype(np.float64)
    elif data.reusable:
        counts, sums = kept_sums(data, labels, n_clusters)
    else:
        counts, sums = sums_of(data, labels, n_clusters)
    return counts, sums, data.derived("total_sq", lambda d: float(squared_norms(d).sum()))


def _relocate_empty(data: Prepared, centres_c, labels, counts, sums):
    """Move every empty cluster onto one of the points farthest from their
    centres, as scikit-learn's ``_relocate_empty_clusters_dense`` does.

    Works in place on copies owned by the caller (labels, counts, sums).
    Returns the notes and the change in the distortion of the labels to the
    old centres caused by the moved points.
    """
    empty = np.flatnonzero(counts == 0)
    if empty.size == 0:
        return (), 0.0
    n_empty = empty.size
    xc = data.centred()
    distances = ((xc - centres_c[labels]) ** 2).sum(axis=1)
    if np.max(distances) == 0:
        names = ", ".join(cluster_name(k) for k in empty)
        return (f"Cluster{'s' if n_empty > 1 else ''} {names} lost all {'their' if n_empty > 1 else 'its'} "
                "points, but every point already sits exactly on its centre (there are more clusters than "
                "different points), so it stays on the largest cluster's centre.",), 0.0
    far = np.argpartition(distances, -n_empty)[:-n_empty - 1:-1]
    notes = []
    change = 0.0
    for new, idx in zip(empty, far):
        old = labels[idx]
        sums[old] -= xc[idx]
        sums[new] = xc[idx]
        counts[new] = 1.0
        counts[old] -= 1.0
        labels[idx] = new
        change += float(((xc[idx] - centres_c[new]) ** 2).sum()) - float(distances[idx])
        notes.append(f"Cluster {cluster_name(new)} lost all its points and was moved to the point farthest from "
                     f"its centre (point {idx}, which belonged to {cluster_name(old)}).")
    return tuple(notes), change


def _average(sums, counts):
    """Means from sums; a cluster left with no points (possible only in
    corner cases of the relocation) takes the largest cluster's mean."""
    centres = np.empty_like(sums)
    full = counts > 0
    centres[full] = sums[full] / counts[full, None]
    if not full.all():
        centres[~full] = centres[np.argmax(counts)]
    return centres


@quiet
def _move_centres(data: Prepared, centres_c, labels, given: Sums | None = None):
    """Return (new centred centres, labels, counts, notes, change in the
    distortion to the old centres from relocation, mean column variance).

    ``given``: the sums :func:`_cluster_sums` returns for these labels, when
    the E-step's pass already made them.
    """
    n_clusters = centres_c.shape[0]
    counts, sums, total_sq = _cluster_sums(data, labels, n_clusters) if given is None else given
    notes, change = (), 0.0
    if np.any(counts == 0):
        labels, counts, sums = labels.copy(), counts.copy(), sums.copy()
        notes, change = _relocate_empty(data, centres_c, labels, counts, sums)
    new_c = _average(sums, counts)
    mean_var = total_sq / (data.n_samples * data.n_features)
    return new_c, labels, counts, notes, change, mean_var


def update_centers(X, labels, centers):
    """The M-step of K-Means: every centre moves to the mean of its points.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or Prepared
    labels : ndarray of shape (n_samples,)
    centers : ndarray of shape (n_clusters, n_features)
        The centres that produced ``labels`` (used to find the farthest
        points when a cluster is empty).

    Returns
    -------
    new_centers : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,)
        ``labels`` with relocated points given their new cluster.
    notes : tuple of str
    """
    data = checked_data(X, None)
    centres = check_centres(centers, np.shape(centers)[0], data.n_features, "centers")
    labels = np.array(labels, dtype=np.intp)
    new_c, labels, _, notes, _, _ = _move_centres(data, centres - data.mean, labels)
    return new_c + data.mean, labels, notes


# --------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------
class KMeans(SteppableModel):
    """K-Means clustering by Lloyd's algorithm, one half-step at a time.

    Parameters
    ----------
    n_clusters : int, default=8
    init : {"k-means++", "random"} or ndarray of shape (n_clusters, n_features)
        "random" picks K distinct data points; "k-means++" is the greedy
        seeding of scikit-learn; an array places the centres by hand.
    n_init : int, default=1
        Restarts in :meth:`fit` (the lowest distortion wins); an array init
        always runs once.
    max_iter : int, default=300
    tol : float, default=1e-4
        Converged when the summed squared centre shift is at most
        ``tol`` times the mean variance of the data's columns (or when the
        labels stop changing).
    random_state : None, int or np.random.Generator
    algorithm : {"lloyd", "elkan"}, default="lloyd"
        Accepted as in scikit-learn, where both give the same result; here
        both run the same computation.

    Attributes (after :meth:`fit`)
    ------------------------------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
    n_iter_ : int

    Notes
    -----
    Stepping big data by hand (a notebook calling :meth:`step` in a loop):
    ``data = clusterviz.model.prepare(X)`` once and pass ``data`` to every
    call. Large 2-D prepared data (at least ``kmeans_grid.MIN_POINTS``
    points, K <= ``kmeans_grid.MAX_CENTRES``) then go through a grid of
    cells, built on the first step and kept on ``data``, that settles whole
    cells at once with the labels of measuring every point (see
    :mod:`clusterviz.model.kmeans_grid`); at 10^6 points a step is several
    times faster. A raw array is measured point by point on every call (it
    may have been edited since the last one), and :meth:`fit` and
    :meth:`iterate` prepare their data themselves.
    """

    def __init__(self, n_clusters=8, init="k-means++", n_init=1, max_iter=300, tol=1e-4, random_state=None,
                 algorithm="lloyd"):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.algorithm = algorithm

    # -- settings -----------------------------------------------------------
    def _check_params(self) -> int:
        k = check_n_clusters(self.n_clusters)
        if isinstance(self.init, str):
            if self.init not in INITS:
                raise ModelError(f"init={self.init!r} is not known; use 'k-means++', 'random' or an array "
                                 "of starting centres.")
        for name in ("n_init", "max_iter"):
            check_n_clusters(getattr(self, name), name)
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0 or not math.isfinite(tol):
            raise ModelError(f"tol={tol!r} should be a number >= 0.")
        if self.algorithm not in ("lloyd", "elkan"):
            raise ModelError(f"algorithm={self.algorithm!r} is not known; use 'lloyd' or 'elkan'.")
        return k

    def _initial_centres(self, data: Prepared, k: int, rng) -> np.ndarray:
        if isinstance(self.init, str):
            init = kmeans_plusplus if self.init == "k-means++" else random_init
            return init(data, k, rng)[0]
        return check_centres(self.init, k, data.n_features)

    def _with_labels(self, data: Prepared, means: np.ndarray, **fields) -> FitState:
        """An "init" state at ``means`` with weights and distortion measured on the data
        (2-D data point by point, never through the grid of cells: a start,
        made on the thread that loads the data, does not build the grid,
        the first step does)."""
        if data.n_features == 2:
            labels, sq_distances = nearest_direct(data.centred(), means - data.mean)
            distortion = float(sq_distances.sum())
        else:
            labels, distortion, _ = _nearest(data, means - data.mean)
        state = FitState(iteration=0, phase="init", means=means, objective=distortion,
                         weights=np.bincount(labels, minlength=means.shape[0]) / data.n_samples, **fields)
        check_state_finite(state)
        return state

    # -- half-steps ----------------------------------------------------------
    def initialize(self, X, rng=None) -> FitState:
        """The initial state: centres placed by ``init``, no labels yet.

        ``rng`` (a Generator) overrides ``random_state``; :meth:`fit` uses it
        to draw a different start for every restart.
        """
        k = self._check_params()
        data = checked_data(X, k)
        rng = as_generator(self.random_state if rng is None else rng)
        return self._with_labels(data, self._initial_centres(data, k, rng))

    def restart(self, X, snapshot: FitState) -> FitState:
        """A new "init" state at ``snapshot``'s centres: weights (cluster
        fractions) and distortion measured on ``X``."""
        k = snapshot.means.shape[0]
        data = checked_data(X, k)
        return self._with_labels(data, check_centres(snapshot.means, k, data.n_features, "snapshot.means"))

    def e_step(self, X, state: FitState) -> FitState:
        """Assign every point to its nearest centre (PRML (9.2)).

        Converged when no label changed since ``state``.
        """
        return self._e_step(checked_data(X, state.means.shape[0]), state)[0]

    def m_step(self, X, state: FitState) -> FitState:
        """Move every centre to the mean of its points (PRML (9.4)).

        Empty clusters are moved to the points farthest from their centres.
        Converged when ``state`` was, or when the summed squared centre shift
        is at most ``tol`` times the mean variance of the columns. A pure
        function of the data and the state's centres, labels and objective.
        """
        return self._m_step(checked_data(X, state.means.shape[0]), state)

    def step_halves(self, X, state: FitState) -> tuple[FitState, FitState]:
        """One full iteration: (:meth:`e_step`, then :meth:`m_step` of it),
        with the same results bit for bit; the M-step takes the cluster sums
        the E-step's pass made instead of reading the labels again."""
        data = checked_data(X, state.means.shape[0])
        e, sums = self._e_step(data, state)
        return e, self._m_step(data, e, sums)

    def _e_step(self, data: Prepared, state: FitState) -> tuple[FitState, Sums | None]:
        k = state.means.shape[0]
        means = check_centres(state.means, k, data.n_features, "state.means")
        labels, distortion, sums = _nearest(data, means - data.mean)
        counts = np.bincount(labels, minlength=k) if sums is None else sums[0]
        converged = state.labels is not None and np.array_equal(labels, state.labels)
        notes = ("No point changed its cluster.",) if converged else ()
        new = FitState(iteration=state.iteration, phase="E", means=means, weights=counts / data.n_samples,
                       objective=distortion, labels=labels, converged=converged, notes=notes)
        check_state_finite(new)
        return new, sums

    def _m_step(self, data: Prepared, state: FitState, sums: Sums | None = None) -> FitState:
        k = state.means.shape[0]
        if state.labels is None:
            raise ModelError("The centres can only move once every point has a cluster: run an E-step "
                             "(assign the points) first.")
        labels = np.asarray(state.labels)
        if labels.shape != (data.n_samples,):
            raise ModelError(f"state.labels has shape {labels.shape} but X has {data.n_samples} points; "
                             "the state does not belong to this data.")
        old_c = check_centres(state.means, k, data.n_features, "state.means") - data.mean
        new_c, labels, counts, notes, change, mean_var = _move_centres(data, old_c, labels, sums)
        # Distortion of the labels to the new centres without another pass
        # over the data: for each cluster, sum ||x - c||^2 = sum ||x - m||^2
        # + n ||m - c||^2 (m its mean), so J(new) = J(old) - sum n ||m - c||^2.
        shift_sq = ((new_c - old_c) ** 2).sum(axis=1)
        before = state.objective + change
        distortion = before - float(counts @ shift_sq)
        if distortion < 1e-3 * before:  # cancellation would cost digits: compute it exactly
            distortion = _distortion(data, new_c, labels)
        shift = float(shift_sq.sum())
        converged = state.converged or shift <= self.tol * mean_var
        if state.converged:
            notes = notes + ("No point changed its cluster, so the centres stay where they are.",)
        elif converged:
            notes = notes + (f"The centres moved by less than the tolerance (total squared shift {shift:.3g}).",)
        new = FitState(iteration=state.iteration + 1, phase="M", means=new_c + data.mean,
                       weights=counts / data.n_samples, objective=distortion, labels=labels,
                       converged=converged, notes=notes)
        check_state_finite(new)
        return new

    # -- what the layers show ---------------------------------------------------
    def region_labels(self, X, state: FitState) -> np.ndarray:
        """The nearest of ``state``'s centres for every row of X (the labels
        of the E-step; 2-D points are measured one by one, as a grid of cells
        for points seen once, such as a view's pixels, would cost more)."""
        data = checked_data(X, None)
        means = check_centres(state.means, state.means.shape[0], data.n_features, "state.means")
        if data.n_features == 2:
            return nearest_direct(data.centred(), means - data.mean)[0]
        return _labels_by_expansion(data, means - data.mean)

    # -- fitting ------------------------------------------------------------
    def fit(self, X, y=None):
        """Run Lloyd's algorithm ``n_init`` times; keep the lowest distortion."""
        k = self._check_params()
        data = checked_data(prepare(X), k)  # kept for the whole call: the grid pays for itself
        rng = as_generator(self.random_state)
        n_init = self.n_init if isinstance(self.init, str) else 1
        best = None
        for _ in range(n_init):
            state = self._run(data, self.initialize(data, rng))
            labels, inertia, _ = _nearest(data, state.means - data.mean)
            if best is None or inertia < best[2]:
                best = (state, labels, inertia)
        state, labels, inertia = best
        self.cluster_centers_ = state.means.copy()
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = state.iteration
        self.converged_ = state.converged
        return self

    def predict(self, X) -> np.ndarray:
        """Index of the nearest fitted centre for every row of X."""
        if not hasattr(self, "cluster_centers_"):
            raise ModelError("This KMeans is not fitted yet; call fit(X) first.")
        return assign_labels(X, self.cluster_centers_)[0]

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).labels_
