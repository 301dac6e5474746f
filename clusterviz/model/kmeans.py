"""K-Means (Lloyd's algorithm) as two half-steps, PRML §9.1.

E-step: assign every point to its nearest centre (PRML (9.2)).
M-step: move every centre to the mean of its points (PRML (9.4)).

The numerics are small module-level functions over arrays; :class:`KMeans`
only holds the settings and builds :class:`FitState` objects. Every function
works on data centred on its column mean (the mean is added back to the
centres it returns), so data far from the origin keep their digits. Large
2-D data go through a grid of cells (:mod:`.kmeans_grid`) that settles most
points a cell at a time, with the same labels.
"""
from __future__ import annotations

import functools
import math
import numbers
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .base import SteppableModel
from .kmeans_grid import (MAX_CENTRES, MIN_POINTS, ClusterStats, grid_for, nearest_direct, nearest_on_grid,
                          cached_grid, column_sums, fingerprint, fingerprint_later, guessed_grid, packed_min,
                          usable)
from .state import FitState, ModelError
from .validation import as_generator, check_data, check_n_clusters, check_state_finite

__all__ = ["KMeans", "kmeans_plusplus", "random_init", "assign_labels", "update_centers"]

# Rows per block in the distance computation (data of other than 2 columns):
# the K x block distance matrix stays in cache, and the N x K matrix is never
# built whole.
_CHUNK = 8192
_EPS = float(np.finfo(np.float64).eps)

# numpy releases the GIL inside its loops, so runs of blocks can go to a few
# threads (a full step at N = 10^6 measured 11-13 % faster on 2 busy cores).
# Every run writes its own slice and partial sums are added in run order;
# runs start at multiples of the block size, so the blocks, and the labels,
# do not depend on the threads.
_N_THREADS = max(1, min(4, os.cpu_count() or 1))
_PARALLEL_MIN = 1 << 17  # rows; below this threads cost more than they save


@functools.lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=_N_THREADS, thread_name_prefix="clusterviz-kmeans")


# Large data are cut into this many runs of rows whatever the machine's
# thread count, so partial sums (and so the last bits) are the same everywhere.
_N_RUNS = 8


# A child process inherits the pool but not its threads: it makes its own.
os.register_at_fork(after_in_child=_pool.cache_clear)


def _map_blocks(fn, n_samples: int, align: int) -> list:
    """``[fn(start, stop) for each run of rows]``, runs starting at multiples
    of ``align``: `_N_RUNS` runs for large data, shared among the threads."""
    if n_samples < _PARALLEL_MIN:
        return [fn(0, n_samples)]
    n_units = -(-n_samples // align)
    bounds = np.unique(np.linspace(0, n_units, _N_RUNS + 1).round().astype(int) * align)
    bounds[-1] = n_samples
    if _N_THREADS > 1:
        try:
            return list(_pool().map(fn, bounds[:-1], bounds[1:]))
        except RuntimeError:  # the pool is shut down: Python is exiting
            pass
    return [fn(start, stop) for start, stop in zip(bounds[:-1], bounds[1:])]


# Overflow in extreme data is not warned about: it shows up as a non-finite
# objective, which check_state_finite turns into a ModelError a student reads.
_quiet = np.errstate(over="ignore", invalid="ignore")


# --------------------------------------------------------------------------
# Data preparation
# --------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _ones(n: int) -> np.ndarray:
    ones = np.ones(n)
    ones.flags.writeable = False
    return ones


@_quiet
def _prepare(X, n_clusters: int | None, keyed: bool = False):
    """Return (X as C-contiguous float64, column mean of X), and with
    ``keyed`` also X's fingerprint, or None when X is not measured through a
    grid (see :func:`_prepare_keyed`).

    The full validation (:func:`check_data`) runs only when the cheap one
    fails: a mean that is not finite means X holds NaN or inf somewhere.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0 or (
            n_clusters is not None and X.shape[0] < n_clusters):
        check_data(X, n_clusters)  # raises with the precise message
    X = np.ascontiguousarray(X)
    key = None
    if keyed and X.shape[1] == 2 and X.shape[0] >= MIN_POINTS:
        key = fingerprint(X)
        grid = cached_grid(key)  # it keeps the mean of these very values
        mean = grid.mean if grid is not None else column_sums(X) / X.shape[0]
    else:
        mean = (_ones(X.shape[0]) @ X) / X.shape[0]
    if not np.all(np.isfinite(mean)):
        check_data(X, n_clusters)  # names the offending value
        raise ModelError("The coordinates are too large to add up (their sum overflows); "
                         "rescale the data, for example divide every value by 1000.")
    return (X, mean, key) if keyed else (X, mean)


def _prepare_keyed(X, n_clusters: int | None) -> tuple[np.ndarray, np.ndarray, bytes | None]:
    """(X, mean, fingerprint or None): what every K-Means computation starts from.

    2-D data of at least ``kmeans_grid.MIN_POINTS`` points are measured
    through a grid of cells, cached under a checksum of the data
    (:func:`kmeans_grid.fingerprint`); the grid keeps their mean, so a step
    on known data reads them only for the checksum. Every K-Means function
    centres on this mean (:func:`kmeans_grid.column_sums` / N), so they all
    agree on ties.
    """
    return _prepare(X, n_clusters, keyed=True)


def _speculate(X, n_clusters: int):
    """(X, grid, key, checksum Future) when X is the very array whose grid
    the last K-Means computation on it used, else None.

    The E-step then runs on that grid while another thread checks that X
    still has the grid's content (its fingerprint equals ``key``); on a
    mismatch (X edited in place) the caller starts over with
    :func:`_prepare_keyed`. Either way the result is the same; the check
    just no longer comes before the work.
    """
    if not (isinstance(X, np.ndarray) and X.dtype == np.float64 and X.ndim == 2 and X.shape[1] == 2
            and X.flags.c_contiguous and X.shape[0] >= max(MIN_POINTS, n_clusters)):
        return None
    guess = guessed_grid(X)
    if guess is None:
        return None
    grid, key = guess
    return X, grid, key, fingerprint_later(X)


def _check_centers(centers, n_clusters: int, n_features: int, name: str = "init") -> np.ndarray:
    centers = np.array(centers, dtype=np.float64)  # a copy: never keep the caller's array
    if centers.shape != (n_clusters, n_features):
        raise ModelError(f"{name} has shape {centers.shape} but should be (n_clusters, n_features) = "
                         f"({n_clusters}, {n_features}).")
    if not np.all(np.isfinite(centers)):
        raise ModelError(f"{name} holds a non-finite value (NaN or inf); every centre coordinate must be "
                         "a finite number.")
    return centers


# --------------------------------------------------------------------------
# E-step: nearest centres
# --------------------------------------------------------------------------
@_quiet
def _nearest_rows(X, mean, centers_c, cc, first: int, last: int, labels: np.ndarray) -> tuple[float, float]:
    """Nearest centres of rows ``first:last`` (``first`` a multiple of _CHUNK),
    for data of other than 2 columns.

    Squared distances are ||x||^2 - 2 x.c + ||c||^2 over blocks of rows, one
    matrix product per block, in a K x block layout. A per-block constant
    s = max ||x||^2 replaces ||x||^2, so all values are >= 0, and
    :func:`kmeans_grid.packed_min` finds the nearest centre and (almost
    exactly) its distance. Ties go to the lower index.

    Writes ``labels[i - first]``. Returns (distortion, sum of n_block * s).
    """
    n_samples, n_features = X.shape
    n_clusters = centers_c.shape[0]
    # W @ [x - mean; 1] = ||c||^2 - 2 c.(x - mean) (+ s, set per block)
    W = np.empty((n_clusters, n_features + 1))
    W[:, :n_features] = -2.0 * centers_c
    width = min(_CHUNK, n_samples)
    A = np.empty((n_features + 1, width))
    A[n_features] = 1.0
    distortion = scale = 0.0
    for start in range(first, last, _CHUNK):
        stop = min(start + _CHUNK, last)
        a = A[:, :stop - start]
        np.subtract(X[start:stop].T, mean[:, None], out=a[:n_features])
        xx = np.einsum("ij,ij->j", a[:n_features], a[:n_features])
        s = float(xx.max())
        W[:, n_features] = cc + s
        labels[start - first:stop - first], best = packed_min(W @ a)
        # distance = value - s + ||x||^2; clamp round-off below zero
        dist = best - s
        dist += xx
        np.maximum(dist, 0.0, out=dist)
        distortion += float(dist.sum())
        scale += (stop - start) * s
    return distortion, scale


@_quiet
def _nearest(X: np.ndarray, mean: np.ndarray, centers_c: np.ndarray,
             key: bytes | None = None) -> tuple[np.ndarray, float]:
    """Labels of the nearest centres and the distortion, for centred centres.

    2-D data are measured as differences (:func:`kmeans_grid.nearest_direct`),
    through the data's grid when ``key`` (from :func:`_prepare_keyed`) says
    it has one; other data through the expansion, in runs of blocks.
    """
    if X.shape[1] == 2:
        grid = _grid(X, mean, centers_c, key)
        if grid is not None:
            return nearest_on_grid(centers_c, grid)[:2]
        labels, dist = nearest_direct(X - mean, centers_c)
        return labels, float(dist.sum())
    n_samples = X.shape[0]
    cc = np.einsum("ij,ij->i", centers_c, centers_c)
    labels = np.empty(n_samples, dtype=np.int32)
    parts = _map_blocks(lambda first, last: _nearest_rows(X, mean, centers_c, cc, first, last,
                                                          labels[first:last]), n_samples, _CHUNK)
    distortion = math.fsum(p[0] for p in parts)
    scale = math.fsum(p[1] for p in parts)
    # The expansion's round-off is about eps (s + ||c||^2) a point; when that
    # would cost more than ~3 of the distortion's digits (tight clusters far
    # apart, K = N), add the exact squares instead.
    round_off = _EXPANSION_ERROR * (scale + n_samples * float(cc.max()))
    if distortion < 1e3 * round_off:
        distortion = _distortion(X, mean, centers_c, labels)
    return labels, distortion


def _grid(X, mean, centers_c, key):
    """X's grid of cells if these centres are to be measured through it, else None."""
    if key is None or centers_c.shape[0] > MAX_CENTRES:
        return None
    grid = grid_for(X, mean, key)
    return grid if usable(grid, centers_c) else None


_EXPANSION_ERROR = 4 * _EPS


@_quiet
def _distortion(X, mean, centers_c, labels) -> float:
    """sum_n ||x_n - c_{label_n}||^2, computed exactly (block by block)."""

    @_quiet
    def run(first: int, last: int) -> float:
        total = 0.0
        for start in range(first, last, _CHUNK):
            stop = min(start + _CHUNK, last)
            diff = X[start:stop] - mean
            diff -= np.take(centers_c, labels[start:stop], axis=0)
            total += float(np.einsum("ij,ij->", diff, diff))
        return total

    return math.fsum(_map_blocks(run, X.shape[0], _CHUNK))


def assign_labels(X, centers) -> tuple[np.ndarray, float]:
    """The E-step of K-Means: the nearest centre of every point.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)

    Returns
    -------
    labels : ndarray of shape (n_samples,)
        Index of the nearest centre (ties go to the lower index).
    distortion : float
        Sum of squared distances of the points to their nearest centres.
    """
    X, mean, key = _prepare_keyed(X, None)
    centers = _check_centers(centers, np.shape(centers)[0], X.shape[1], "centers")
    return _nearest(X, mean, centers - mean, key)


# --------------------------------------------------------------------------
# M-step: means, with empty clusters relocated
# --------------------------------------------------------------------------
_SUM_CHUNK = 8 * _CHUNK


def _centred_blocks(X: np.ndarray, mean: np.ndarray, first: int, last: int):
    """Yield (start, stop, centred block as a D x rows view) over rows first:last."""
    n_samples, n_features = X.shape
    buf = np.empty((n_features, min(_SUM_CHUNK, n_samples)))
    for start in range(first, last, _SUM_CHUNK):
        stop = min(start + _SUM_CHUNK, last)
        xc = buf[:, :stop - start]
        np.subtract(X[start:stop].T, mean[:, None], out=xc)
        yield start, stop, xc


def _cluster_sums(X: np.ndarray, mean: np.ndarray, labels: np.ndarray, n_clusters: int):
    """Per-cluster point counts and sums of the centred coordinates, and the
    sum of the squared centred coordinates (n_samples x the mean variance)."""
    n_features = X.shape[1]

    @_quiet
    def run(first: int, last: int):
        sums = np.zeros((n_features, n_clusters))
        total_sq = 0.0
        for start, stop, xc in _centred_blocks(X, mean, first, last):
            part = labels[start:stop]
            for j in range(n_features):
                sums[j] += np.bincount(part, weights=xc[j], minlength=n_clusters)
            total_sq += float(np.einsum("ij,ij->", xc, xc))
        return sums, total_sq

    parts = _map_blocks(run, X.shape[0], _SUM_CHUNK)
    sums = parts[0][0]
    for part in parts[1:]:
        sums += part[0]
    counts = np.bincount(labels, minlength=n_clusters).astype(np.float64)
    return counts, np.ascontiguousarray(sums.T), math.fsum(p[1] for p in parts)


def _relocate_empty(X, mean, centers_c, labels, counts, sums):
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
    xc = X - mean
    distances = ((xc - centers_c[labels]) ** 2).sum(axis=1)
    if np.max(distances) == 0:
        names = ", ".join(str(k) for k in empty)
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
        change += float(((xc[idx] - centers_c[new]) ** 2).sum()) - float(distances[idx])
        notes.append(f"Cluster {new} lost all its points and was moved to the point farthest from its "
                     f"centre (point {idx}, which belonged to cluster {old}).")
    return tuple(notes), change


def _average(sums, counts):
    """Means from sums; a cluster left with no points (possible only in
    corner cases of the relocation) takes the largest cluster's mean."""
    centers = np.empty_like(sums)
    full = counts > 0
    centers[full] = sums[full] / counts[full, None]
    if not full.all():
        centers[~full] = centers[np.argmax(counts)]
    return centers


def update_centers(X, labels, centers):
    """The M-step of K-Means: every centre moves to the mean of its points.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
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
    X, mean, _ = _prepare_keyed(X, None)
    centers = _check_centers(centers, np.shape(centers)[0], X.shape[1], "centers")
    labels = np.array(labels, dtype=np.intp)
    new_c, labels, _, notes, _, _ = _move_centres(X, mean, centers - mean, labels)
    return new_c + mean, labels, notes


@_quiet
def _move_centres(X, mean, centers_c, labels):
    """Return (new centred centres, labels, counts, notes, change in the
    distortion to the old centres from relocation, mean column variance)."""
    n_clusters = centers_c.shape[0]
    counts, sums, total_sq = _cluster_sums(X, mean, labels, n_clusters)
    notes, change = (), 0.0
    if np.any(counts == 0):
        labels = labels.copy()
        notes, change = _relocate_empty(X, mean, centers_c, labels, counts, sums)
    new_c = _average(sums, counts)
    mean_var = total_sq / (X.shape[0] * X.shape[1])
    return new_c, labels, counts, notes, change, mean_var


# --------------------------------------------------------------------------
# Initialisation
# --------------------------------------------------------------------------
@_quiet
def _sq_dist_to(xc: np.ndarray, xx: np.ndarray, points_c: np.ndarray) -> np.ndarray:
    """Squared distances (len(points), n_samples), clamped at 0."""
    d = points_c @ xc.T
    d *= -2.0
    d += np.einsum("ij,ij->i", points_c, points_c)[:, None]
    d += xx
    np.maximum(d, 0.0, out=d)
    return d


@_quiet
def kmeans_plusplus(X, n_clusters: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii 2007).

    The first centre is a uniformly chosen point; each further centre is the
    best (lowest resulting distortion) of 2 + floor(ln K) candidates drawn
    with probability proportional to the squared distance to the nearest
    centre chosen so far, as scikit-learn does.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    rng : np.random.Generator, int or None
        The only source of randomness.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    indices : ndarray of shape (n_clusters,)
        ``X[indices] == centers``.
    """
    # The picks are made one at a time by the seeding module (which the UI
    # steps through); here only the last one matters.
    from .seeding import kmeans_plusplus_picks

    X = np.asarray(X, dtype=np.float64)
    pick = None
    for pick in kmeans_plusplus_picks(X, n_clusters, rng):
        pass
    indices = np.array(pick.indices, dtype=np.intp)
    return np.ascontiguousarray(X)[indices].copy(), indices


def random_init(X, n_clusters: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Forgy initialisation: K distinct data points chosen uniformly.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    indices : ndarray of shape (n_clusters,)
    """
    n_clusters = check_n_clusters(n_clusters)
    X, _ = _prepare(X, n_clusters)
    rng = as_generator(rng)
    indices = np.sort(rng.choice(X.shape[0], size=n_clusters, replace=False))
    return X[indices].copy(), indices


# --------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------
_INITS = ("k-means++", "random")


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
        both run the same computation. Large 2-D data (at least
        ``kmeans_grid.MIN_POINTS`` points, K <= ``kmeans_grid.MAX_CENTRES``)
        go through a grid of cells that settles whole cells at once (see
        :mod:`clusterviz.model.kmeans_grid`), with the labels of measuring
        every point.

    Attributes (after :meth:`fit`)
    ------------------------------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
    n_iter_ : int
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
            if self.init not in _INITS:
                raise ModelError(f"init={self.init!r} is not known; use 'k-means++', 'random' or an array "
                                 "of starting centres.")
        for name in ("n_init", "max_iter"):
            check_n_clusters(getattr(self, name), name)
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0 or not math.isfinite(tol):
            raise ModelError(f"tol={tol!r} should be a number >= 0.")
        self._check_algorithm()
        return k

    def _check_algorithm(self) -> None:
        if self.algorithm not in ("lloyd", "elkan"):
            raise ModelError(f"algorithm={self.algorithm!r} is not known; use 'lloyd' or 'elkan'.")

    def _initial_centers(self, X, k, rng) -> np.ndarray:
        if isinstance(self.init, str):
            init = kmeans_plusplus if self.init == "k-means++" else random_init
            return init(X, k, rng)[0]
        return _check_centers(self.init, k, X.shape[1])

    # -- half-steps ----------------------------------------------------------
    def initialize(self, X, rng=None) -> FitState:
        """The initial state: centres placed by ``init``, no labels yet.

        ``rng`` (a Generator) overrides ``random_state``; :meth:`fit` uses it
        to draw a different start for every restart.
        """
        k = self._check_params()
        X, mean, key = _prepare_keyed(X, k)
        rng = as_generator(self.random_state if rng is None else rng)
        centers = self._initial_centers(X, k, rng)
        labels, distortion = _nearest(X, mean, centers - mean, key)
        state = FitState(iteration=0, phase="init", means=centers,
                         weights=np.bincount(labels, minlength=k) / X.shape[0], objective=distortion)
        check_state_finite(state)
        return state

    def e_step(self, X, state: FitState) -> FitState:
        """Assign every point to its nearest centre (PRML (9.2)).

        Converged when no label changed since ``state``. On large 2-D data
        the per-cluster sums come out of the same pass and go to the M-step
        in ``carry`` (a :class:`kmeans_grid.ClusterStats`); on the array the
        last step used, the content is checked alongside (see `_speculate`).
        """
        guessed = self._guessed_e_step(X, state)
        if guessed is not None:
            return guessed[3]
        return self._e_step(*_prepare_keyed(X, state.means.shape[0]), state)

    def m_step(self, X, state: FitState) -> FitState:
        """Move every centre to the mean of its points (PRML (9.4)).

        Empty clusters are moved to the points farthest from their centres.
        Converged when ``state`` was, or when the summed squared centre shift
        is at most ``tol`` times the mean variance of the columns. With the
        E-step's cluster sums in ``state.carry`` the data are read only for
        their checksum.
        """
        return self._m_step(*_prepare_keyed(X, state.means.shape[0]), state)

    def step(self, X, state: FitState) -> FitState:
        """One full iteration: :meth:`e_step`, then :meth:`m_step` (the data
        are checked once)."""
        guessed = self._guessed_e_step(X, state)
        if guessed is not None:
            X, mean, key, e = guessed
            return self._m_step(X, mean, key, e)
        prepared = _prepare_keyed(X, state.means.shape[0])
        return self._m_step(*prepared, self._e_step(*prepared, state))

    def _guessed_e_step(self, X, state: FitState):
        """(X, mean, key, E-state) computed on the grid the last K-Means call
        on this very array used, once another thread has confirmed,
        meanwhile, that X still has that grid's content; None when there is
        no such grid or X was edited in place (start over, from the data).

        The result is the one the full path gives; only the order differs:
        the content check no longer comes before the work.
        """
        k = state.means.shape[0]
        guess = _speculate(X, k)
        if guess is None:
            return None
        X, grid, key, checked = guess
        e = error = None
        try:
            means_c = _check_centers(state.means, k, 2, "state.means") - grid.mean
            if k <= MAX_CENTRES and usable(grid, means_c):
                e = self._e_step(X, grid.mean, key, state, grid=grid)
        except ModelError as exc:  # raised once the data are known to be the same
            error = exc
        if checked.result() != key:  # always wait: the check reads X
            return None
        if error is not None:
            raise error
        return None if e is None else (X, grid.mean, key, e)

    def _e_step(self, X, mean, key, state: FitState, grid=None) -> FitState:
        """The E-step on prepared data; ``grid``: a grid already known to be
        X's and usable for these centres (see `_guessed_e_step`)."""
        k = state.means.shape[0]
        means = _check_centers(state.means, k, X.shape[1], "state.means")
        centers_c = means - mean
        carry = None
        if grid is None:
            grid = _grid(X, mean, centers_c, key)
        if grid is not None:
            labels, distortion, counts, sums = nearest_on_grid(centers_c, grid)
            labels.flags.writeable = False  # the carry belongs to this very array
            carry = ClusterStats(key=key, labels=labels, counts=counts, sums=sums, total_sq=grid.total_sq)
        else:
            labels, distortion = _nearest(X, mean, centers_c, key)
            counts = np.bincount(labels, minlength=k)
        converged = state.labels is not None and np.array_equal(labels, state.labels)
        notes = ("No point changed its cluster, so K-Means has converged.",) if converged else ()
        new = FitState(iteration=state.iteration, phase="E", means=means,
                       weights=counts / X.shape[0], objective=distortion,
                       labels=labels, converged=converged, notes=notes, carry=carry)
        check_state_finite(new)
        return new

    def _m_step(self, X, mean, key, state: FitState) -> FitState:
        k = state.means.shape[0]
        if state.labels is None:
            raise ModelError("The centres can only move once every point has a cluster: run an E-step "
                             "(assign the points) first.")
        labels = np.asarray(state.labels)
        if labels.shape != (X.shape[0],):
            raise ModelError(f"state.labels has shape {labels.shape} but X has {X.shape[0]} points; "
                             "the state does not belong to this data.")
        old_c = _check_centers(state.means, k, X.shape[1], "state.means") - mean
        stats = state.carry
        if (isinstance(stats, ClusterStats) and key is not None and stats.key == key
                and stats.labels is state.labels and stats.counts.shape[0] == k and np.all(stats.counts > 0)):
            counts, notes, change = stats.counts, (), 0.0
            new_c = stats.sums / counts[:, None]
            mean_var = stats.total_sq / (X.shape[0] * X.shape[1])
        else:
            new_c, labels, counts, notes, change, mean_var = _move_centres(X, mean, old_c, labels)
        # Distortion of the labels to the new centres without another pass
        # over the data: for each cluster, sum ||x - c||^2 = sum ||x - m||^2
        # + n ||m - c||^2 (m its mean), so J(new) = J(old) - sum n ||m - c||^2.
        shift_sq = ((new_c - old_c) ** 2).sum(axis=1)
        before = state.objective + change
        distortion = before - float(counts @ shift_sq)
        if distortion < 1e-3 * before:  # cancellation would cost digits: compute it exactly
            distortion = _distortion(X, mean, new_c, labels)
        shift = float(shift_sq.sum())
        converged = state.converged or shift <= self.tol * mean_var
        if state.converged:
            notes = notes + ("No point changed its cluster, so the centres stay where they are: "
                             "K-Means has converged.",)
        elif converged:
            notes = notes + (f"The centres moved by less than the tolerance (total squared shift {shift:.3g}), "
                             "so K-Means has converged.",)
        new = FitState(iteration=state.iteration + 1, phase="M", means=new_c + mean,
                       weights=counts / X.shape[0], objective=distortion, labels=labels,
                       converged=converged, notes=notes)
        check_state_finite(new)
        return new

    # -- fitting ------------------------------------------------------------
    def _run_from(self, X, state: FitState) -> FitState:
        while not state.converged and state.iteration < self.max_iter:
            state = self.step(X, state)
        return state

    def fit(self, X, y=None):
        """Run Lloyd's algorithm ``n_init`` times; keep the lowest distortion."""
        k = self._check_params()
        X, _ = _prepare(X, k)
        rng = as_generator(self.random_state)
        n_init = self.n_init if isinstance(self.init, str) else 1
        best = None
        for _ in range(n_init):
            state = self._run_from(X, self.initialize(X, rng))
            labels, inertia = assign_labels(X, state.means)
            if best is None or inertia < best[2]:
                best = (state, labels, inertia)
        state, labels, inertia = best
        self.cluster_centers_ = state.means.copy()
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = state.iteration
        self.converged_ = state.converged
        return self

    def _set_fitted(self, X, state: FitState) -> None:
        labels, inertia = assign_labels(X, state.means)
        self.cluster_centers_ = state.means.copy()
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = state.iteration
        self.converged_ = state.converged

    def predict(self, X) -> np.ndarray:
        """Index of the nearest fitted centre for every row of X."""
        if not hasattr(self, "cluster_centers_"):
            raise ModelError("This KMeans is not fitted yet; call fit(X) first.")
        return assign_labels(X, self.cluster_centers_)[0]

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).labels_
