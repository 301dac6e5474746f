"""K-Means (Lloyd's algorithm) as two half-steps, PRML §9.1.

E-step: assign every point to its nearest centre (PRML (9.2)).
M-step: move every centre to the mean of its points (PRML (9.4)).

The numerics are small module-level functions over arrays; :class:`KMeans`
only holds the settings and builds :class:`FitState` objects. Every function
works on data centred on its column mean (the mean is added back to the
centres it returns), so data far from the origin keep their digits.
"""
from __future__ import annotations

import functools
import math
import numbers
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .base import SteppableModel
from .state import FitState, ModelError
from .validation import as_generator, check_data, check_n_clusters, check_state_finite

__all__ = ["KMeans", "kmeans_plusplus", "random_init", "assign_labels", "update_centers"]

# Rows per block in the distance computation: the K x block distance matrix
# stays in cache, and the N x K matrix is never built whole. Blocks start at
# multiples of _CHUNK, so one block can be recomputed alone, bit for bit.
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


def _map_blocks(fn, n_samples: int, align: int) -> list:
    """``[fn(start, stop) for each run of rows]``, runs starting at multiples
    of ``align``: `_N_RUNS` runs for large data, shared among the threads."""
    if n_samples < _PARALLEL_MIN:
        return [fn(0, n_samples)]
    n_units = -(-n_samples // align)
    bounds = np.unique(np.linspace(0, n_units, _N_RUNS + 1).round().astype(int) * align)
    bounds[-1] = n_samples
    if _N_THREADS == 1:
        return [fn(start, stop) for start, stop in zip(bounds[:-1], bounds[1:])]
    return list(_pool().map(fn, bounds[:-1], bounds[1:]))


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
def _prepare(X, n_clusters: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Return (X as C-contiguous float64, column mean of X).

    The full validation (:func:`check_data`) runs only when the cheap one
    fails: a mean that is not finite means X holds NaN or inf somewhere.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0 or (
            n_clusters is not None and X.shape[0] < n_clusters):
        check_data(X, n_clusters)  # raises with the precise message
    X = np.ascontiguousarray(X)
    mean = (_ones(X.shape[0]) @ X) / X.shape[0]
    if not np.all(np.isfinite(mean)):
        check_data(X, n_clusters)  # names the offending value
        raise ModelError("The coordinates are too large to add up (their sum overflows); "
                         "rescale the data, for example divide every value by 1000.")
    return X, mean


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
def _n_bits(n_clusters: int) -> int:
    """Low mantissa bits that hold the centre index in the packed minimum."""
    return max(1, (n_clusters - 1).bit_length())


@_quiet
def _nearest_rows(X, mean, centers_c, cc, first: int, last: int, labels: np.ndarray,
                  top2: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[float, float, float]:
    """Nearest centres of rows ``first:last`` (``first`` a multiple of _CHUNK).

    Squared distances are ||x||^2 - 2 x.c + ||c||^2 over blocks of rows, one
    matrix product per block, in a K x block layout. A per-block constant
    s = max ||x||^2 replaces ||x||^2, so all values are >= 0; a non-negative
    float sorts like its bit pattern, so writing the centre index into the
    lowest mantissa bits lets one ``np.minimum.reduce`` return the nearest
    centre and (almost exactly) its distance. Ties go to the lower index.

    A block's result depends only on its rows (s is per block) and the
    buffers' shapes depend only on N, so recomputing one block alone gives
    the same labels bit for bit (the bounded E-step relies on this).

    Writes ``labels[i - first]``; with ``top2 = (best, second)`` also the
    squared distances to the nearest and the second-nearest centre (``inf``
    when K = 1). Returns (distortion, sum of n_block * s, max s).
    """
    n_samples, n_features = X.shape
    n_clusters = centers_c.shape[0]
    n_bits = _n_bits(n_clusters)
    low = np.int64((1 << n_bits) - 1)
    keep = ~low
    index = np.arange(n_clusters, dtype=np.int64)[:, None]
    # W @ [x - mean; 1] = ||c||^2 - 2 c.(x - mean) (+ s, set per block)
    W = np.empty((n_clusters, n_features + 1))
    W[:, :n_features] = -2.0 * centers_c
    width = min(_CHUNK, n_samples)
    A = np.empty((n_features + 1, width))
    A[n_features] = 1.0
    distortion = scale = s_max = 0.0
    for start in range(first, last, _CHUNK):
        stop = min(start + _CHUNK, last)
        out = slice(start - first, stop - first)
        a = A[:, :stop - start]
        np.subtract(X[start:stop].T, mean[:, None], out=a[:n_features])
        xx = np.einsum("ij,ij->j", a[:n_features], a[:n_features])
        s = float(xx.max())
        W[:, n_features] = cc + s
        d = W @ a
        bits = d.view(np.int64)
        np.bitwise_and(bits, keep, out=bits)
        np.bitwise_or(bits, index, out=bits)
        best = np.minimum.reduce(bits, axis=0)
        np.bitwise_and(best, low, out=labels[out])
        if top2 is not None:
            if n_clusters > 1:
                # the nearest out of the way (flat index: much faster than 2-D indexing)
                bits.reshape(-1)[labels[out] * (stop - start) + np.arange(stop - start)] = np.iinfo(np.int64).max
                second = np.minimum.reduce(bits, axis=0)
                second &= keep
                np.subtract(second.view(np.float64), s, out=top2[1][out])
                top2[1][out] += xx
            else:
                top2[1][out] = np.inf
        best &= keep
        # distance = value - s + ||x||^2; clamp round-off below zero
        dist = best.view(np.float64) - s
        dist += xx
        np.maximum(dist, 0.0, out=dist)
        if top2 is not None:
            top2[0][out] = dist
        distortion += float(dist.sum())
        scale += (stop - start) * s
        s_max = max(s_max, s)
    return distortion, scale, s_max


def _nearest_full(X, mean, centers_c, top2=None) -> tuple[np.ndarray, float, float]:
    """(labels, distortion, max ||x - mean||^2) of every point; see _nearest_rows."""
    n_samples = X.shape[0]
    cc = np.einsum("ij,ij->i", centers_c, centers_c)
    labels = np.empty(n_samples, dtype=np.intp)

    def run(first, last):
        part = None if top2 is None else (top2[0][first:last], top2[1][first:last])
        return _nearest_rows(X, mean, centers_c, cc, first, last, labels[first:last], part)

    parts = _map_blocks(run, n_samples, _CHUNK)
    distortion = math.fsum(p[0] for p in parts)
    scale = math.fsum(p[1] for p in parts)
    s_max = max(p[2] for p in parts)
    # The expansion's round-off is about eps (s + ||c||^2) a point; when that
    # would cost more than ~3 of the distortion's digits (tight clusters far
    # apart, K = N), add the exact squares instead.
    round_off = _EXPANSION_ERROR * (scale + n_samples * float(cc.max()))
    if distortion < 1e3 * round_off:
        distortion = _distortion(X, mean, centers_c, labels)
    return labels, distortion, s_max


def _nearest(X: np.ndarray, mean: np.ndarray, centers_c: np.ndarray) -> tuple[np.ndarray, float]:
    """Labels of the nearest centres and the distortion, for centred centres."""
    return _nearest_full(X, mean, centers_c)[:2]


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
    X, mean = _prepare(X, None)
    centers = _check_centers(centers, np.shape(centers)[0], X.shape[1], "centers")
    return _nearest(X, mean, centers - mean)


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


def _total_sq(X: np.ndarray, mean: np.ndarray) -> float:
    """The third value of :func:`_cluster_sums`, bit for bit, without the sums."""

    @_quiet
    def run(first: int, last: int) -> float:
        total_sq = 0.0
        for _, _, xc in _centred_blocks(X, mean, first, last):
            total_sq += float(np.einsum("ij,ij->", xc, xc))
        return total_sq

    return math.fsum(_map_blocks(run, X.shape[0], _SUM_CHUNK))

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
    X, mean = _prepare(X, None)
    centers = _check_centers(centers, np.shape(centers)[0], X.shape[1], "centers")
    labels = np.array(labels, dtype=np.intp)
    new_c, labels, _, notes, _, _ = _m_step(X, mean, centers - mean, labels)
    return new_c + mean, labels, notes


@_quiet
def _m_step(X, mean, centers_c, labels):
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
# Carried bounds: skip the points whose label provably cannot change
# --------------------------------------------------------------------------
# The distortion of a bounded step comes from per-cluster statistics; when
# their estimated round-off exceeds this fraction of it, they are recomputed
# from the data (a full pass).
_STATS_RTOL = 1e-9


@dataclass(frozen=True, eq=False)
class _Carry:
    """What a K-Means step with ``algorithm="elkan"`` hands to the next one
    in ``FitState.carry`` ("lloyd" neither makes nor reads it).

    Trusted only by a step given the very same data object (``X is
    carry.X``, same shape) and, for the bounds, a state whose labels are the
    very same array (``state.labels is carry.labels``). The session makes a
    new array for every data edit, so the identity check is sound there; an
    edit of X *in place* between steps is not detected: pass a new array
    instead, or drop the carry (``dataclasses.replace(state, carry=None)``).
    The arrays here are never written after they are made (the per-point
    ones are read-only), so steps stay pure.

    A *seed* (only X and mean; made by ``initialize`` and by full steps)
    marks a chain of steps on the same data: the next E-step then also finds
    every point's second-nearest centre and the per-cluster statistics (the
    cost of about 1.5 plain steps), and the steps after it recompute only
    the points the bounds cannot settle. A state without carry (what the
    session's timeline keeps) is stepped in full and builds nothing.

    Attributes
    ----------
    X, shape, mean : the data, its shape and its column mean (the centring origin).
    labels : the labels everything below belongs to.
    s_max, total_sq : max and sum over the points of ||x - mean||^2.
    gap, upper : per point, upper bounds on ||x - c_own|| - min_{j != own} ||x - c_j||
        (Hamerly's u - l; < 0: settled) and on ||x - c_own||, for the centred
        centres ``gap_centres``.
    counts, sums, sq, stat_centres : per cluster n_k, sum (x - c_k) and
        sum ||x - c_k||^2 over its points, about the centred centres ``stat_centres``.
    error : estimated bound on the round-off in ``sq.sum()``.
    """

    X: np.ndarray
    shape: tuple
    mean: np.ndarray
    labels: np.ndarray | None = None
    s_max: float = 0.0
    total_sq: float = 0.0
    gap: np.ndarray | None = None
    upper: np.ndarray | None = None
    gap_centres: np.ndarray | None = None
    counts: np.ndarray | None = None
    sums: np.ndarray | None = None
    sq: np.ndarray | None = None
    stat_centres: np.ndarray | None = None
    error: float = 0.0


def _seed(X, mean) -> _Carry:
    return _Carry(X=X, shape=X.shape, mean=mean)


def _trusted_carry(X, state: FitState, n_clusters: int) -> _Carry | None:
    """``state.carry`` if it belongs to this very X (see _Carry), else None."""
    carry = state.carry
    if (isinstance(carry, _Carry) and X is carry.X and carry.X.shape == carry.shape
            and carry.shape[0] >= n_clusters):
        return carry
    return None


def _value_error(s: float, cc_max: float, n_features: int, n_clusters: int) -> float:
    """Bound on the error of one squared distance as the kernels compute it,
    for points with ||x||^2 <= s and centres with ||c||^2 <= cc_max: the
    expansion's round-off ((D + 1) eps r2, r2 = (sqrt s + sqrt cc_max)^2
    bounds the sum of the terms' sizes), the index in the low mantissa bits
    (2^bits ulp), the conversion back to a distance; doubled for safety."""
    r2 = (math.sqrt(s) + math.sqrt(cc_max)) ** 2
    return 2.0 * (2 * n_features + 4 + (1 << _n_bits(n_clusters))) * _EPS * r2


@_quiet
def _gap_bound(best, second, err: float, pad: float) -> np.ndarray:
    """sqrt(best + err) - sqrt(second - err) + pad: an upper bound on the
    difference of the true distances when each computed square is within err."""
    gap = np.sqrt(best + err)
    lower = second - err
    np.maximum(lower, 0.0, out=lower)
    np.sqrt(lower, out=lower)
    gap -= lower
    gap += pad
    return gap


@_quiet
def _stats(X, mean, centers_c, labels):
    """Per-cluster counts, sums of x - c and sums of ||x - c||^2, and the
    bound on sq.sum()'s round-off.

    Two passes: the clusters' means m first (as the full M-step has them),
    then exact differences about m, moved to c with _rebase. Summing x - c
    directly would lose digits in proportion to the distance from c to the
    points (a start far from the data)."""
    n_samples, n_features = X.shape
    n_clusters = centers_c.shape[0]
    counts, totals, _ = _cluster_sums(X, mean, labels, n_clusters)
    means = np.zeros_like(totals)
    np.divide(totals, counts[:, None], out=means, where=counts[:, None] > 0)
    sums = np.zeros((n_clusters, n_features))
    sq = np.zeros(n_clusters)
    for start in range(0, n_samples, _CHUNK):
        stop = min(start + _CHUNK, n_samples)
        part = labels[start:stop]
        diff = X[start:stop].T - mean[:, None]
        diff -= np.take(means.T, part, axis=1)
        sq += np.bincount(part, weights=np.einsum("ij,ij->j", diff, diff), minlength=n_clusters)
        for j in range(n_features):
            sums[:, j] += np.bincount(part, weights=diff[j], minlength=n_clusters)
    n_blocks = -(-n_samples // _CHUNK)
    # a sum of n terms is off by at most n eps times their total
    error = (min(_CHUNK, n_samples) + n_blocks + 4) * _EPS * float(sq.sum())
    return _rebase(counts, sums, sq, error, means, centers_c)


@_quiet
def _checked_distortion(X, mean, centers_c, labels, counts, sums, sq, error: float):
    """The distortion from per-cluster statistics, recounted exactly over the
    data when their running round-off estimate passes ``_STATS_RTOL`` of it.

    Returns (counts, sums, sq, error, distortion).
    """
    distortion = max(float(sq.sum()), 0.0)
    if error > _STATS_RTOL * distortion:
        counts, sums, sq, error = _stats(X, mean, centers_c, labels)
        distortion = float(sq.sum())
    return counts, sums, sq, error, distortion


def _rebase(counts, sums, sq, error: float, old_c, new_c):
    """The statistics about other centres, as new arrays:
    sum ||x - c'||^2 = sum ||x - c||^2 - 2 (c' - c).sum (x - c) + n ||c' - c||^2
    and sum (x - c') = sum (x - c) - n (c' - c)."""
    delta = new_c - old_c
    if not delta.any():
        return counts.copy(), sums.copy(), sq.copy(), error
    dd = np.einsum("ij,ij->i", delta, delta)
    cross = np.einsum("ij,ij->i", delta, sums)
    new_sq = sq - 2.0 * cross
    new_sq += counts * dd
    new_sums = sums - counts[:, None] * delta
    # round-off of this sum, and the carried sums' own error (at most
    # (_CHUNK + 4) eps sum |x - c| <= ... sqrt(n sq)) times the shift
    error += 4 * _EPS * float(np.abs(sq).sum() + 2 * np.abs(cross).sum() + counts @ dd)
    error += 2 * (_CHUNK + 4) * _EPS * float(np.sqrt(dd * counts * np.maximum(sq, 0.0)).sum())
    return counts.copy(), new_sums, new_sq, error


@_quiet
def _move(X, mean, centers_c, moved, old, new, counts, sums, sq, error: float):
    """Update the statistics in place (the caller's own copies) for the
    points ``moved`` from clusters ``old`` to clusters ``new``."""
    n_clusters, n_features = centers_c.shape
    size = 0.0
    for start in range(0, moved.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        a = np.take(X, moved[part], axis=0)
        a -= mean
        for labels, sign in ((old[part], -1.0), (new[part], 1.0)):
            diff = a - np.take(centers_c, labels, axis=0)
            d2 = np.einsum("ij,ij->i", diff, diff)
            size += float(d2.sum())
            counts += sign * np.bincount(labels, minlength=n_clusters)
            sq += sign * np.bincount(labels, weights=d2, minlength=n_clusters)
            for j in range(n_features):
                sums[:, j] += sign * np.bincount(labels, weights=diff[:, j], minlength=n_clusters)
    n_blocks = -(-moved.size // _CHUNK)
    error += _EPS * ((min(_CHUNK, moved.size) + n_blocks + 4) * size + 4 * float(np.abs(sq).sum()))
    return counts, sums, sq, error


@_quiet
def _candidates(X, mean, centers_c, cc, s_max: float, idx, err: float, pad: float):
    """Nearest centres of the points ``idx``, a gap bound for each, and which
    are near-ties (the two nearest within 4 err: their label must come from
    the full computation's own arithmetic, see _resolve_ties).

    Returns (labels, gap bounds, upper bounds, near-ties)."""
    n_clusters = centers_c.shape[0]
    n_bits = _n_bits(n_clusters)
    low = np.int64((1 << n_bits) - 1)
    keep = ~low
    index = np.arange(n_clusters, dtype=np.int64)[:, None]
    n_features = centers_c.shape[1]
    # W @ [x - mean; 1] = ||x - c||^2 - ||x||^2 + s_max >= 0 (as in _nearest_rows)
    W = np.empty((n_clusters, n_features + 1))
    W[:, :n_features] = -2.0 * centers_c
    W[:, n_features] = cc + s_max
    width = min(_CHUNK, idx.size)
    A = np.empty((n_features + 1, width))
    A[n_features] = 1.0
    labels = np.empty(idx.size, dtype=np.intp)
    best = np.empty(idx.size)
    second = np.empty(idx.size)
    columns = np.arange(width)
    for start in range(0, idx.size, _CHUNK):
        stop = min(start + _CHUNK, idx.size)
        a = A[:, :stop - start]
        np.subtract(np.take(X, idx[start:stop], axis=0).T, mean[:, None], out=a[:n_features])
        d = W @ a
        bits = d.view(np.int64)
        bits &= keep
        bits |= index
        b = np.minimum.reduce(bits, axis=0)
        lab = labels[start:stop]
        np.bitwise_and(b, low, out=lab)
        b &= keep
        best[start:stop] = b.view(np.float64)
        if n_clusters > 1:
            # the nearest out of the way (flat index: much faster than bits[lab, columns])
            bits.reshape(-1)[lab * (stop - start) + columns[:stop - start]] = np.iinfo(np.int64).max
            b = np.minimum.reduce(bits, axis=0)
            b &= keep
            second[start:stop] = b.view(np.float64)
        else:
            second[start:stop] = np.inf
        # back to distances: value - s_max + ||x||^2; clamp round-off below zero
        xx = np.einsum("ij,ij->j", a[:n_features], a[:n_features])
        xx -= s_max
        best[start:stop] += xx
        second[start:stop] += xx
    np.maximum(best, 0.0, out=best)
    np.maximum(second, 0.0, out=second)
    near = second - best <= 4.0 * err
    gap = _gap_bound(best, second, err, pad)
    # the full kernel's pick (for a near-tie, maybe not ours) has a computed
    # value <= that of ours, so its true squared distance is <= best + 3 err;
    # bounds stay finite or +-inf, never NaN (upper - gap is taken later)
    upper = np.sqrt(best + 4.0 * err)
    upper += pad
    gap[near] = np.inf  # recomputed again next step
    return labels, gap, upper, near


def _resolve_ties(X, mean, centers_c, cc, points, labels) -> None:
    """Set ``labels`` of the near-tie ``points`` to what the full computation
    gives: recompute their blocks with the very same kernel (bit for bit)."""
    n_samples = X.shape[0]
    blocks = points // _CHUNK
    for block in np.unique(blocks):
        start = int(block) * _CHUNK
        stop = min(start + _CHUNK, n_samples)
        out = np.empty(stop - start, dtype=np.intp)
        _nearest_rows(X, mean, centers_c, cc, start, stop, out)
        here = blocks == block
        labels[here] = out[points[here] - start]


@_quiet
def _build_e(X, mean, centers_c):
    """A full E-step that also builds the bounds and statistics (see _Carry)."""
    n_samples, n_features = X.shape
    n_clusters = centers_c.shape[0]
    best = np.empty(n_samples)
    second = np.empty(n_samples)
    labels, distortion, s_max = _nearest_full(X, mean, centers_c, (best, second))
    cc_max = float(np.einsum("ij,ij->i", centers_c, centers_c).max())
    err = _value_error(s_max, cc_max, n_features, n_clusters)
    pad = 8 * _EPS * (math.sqrt(s_max) + math.sqrt(cc_max))
    gap = _gap_bound(best, second, err, pad)
    upper = np.sqrt(best + err, out=best)
    upper += pad
    del second
    gap.flags.writeable = False
    upper.flags.writeable = False
    counts, sums, sq, error = _stats(X, mean, centers_c, labels)
    carry = _Carry(X=X, shape=X.shape, mean=mean, labels=labels, s_max=s_max, total_sq=_total_sq(X, mean),
                   gap=gap, upper=upper, gap_centres=centers_c, counts=counts, sums=sums, sq=sq,
                   stat_centres=centers_c, error=error)
    return labels, distortion, carry


# Above this fraction of unsettled points the bounded E-step runs the full
# kernel over all points instead (see _dense_e).
_DENSE_FRACTION = 0.5


@_quiet
def _dense_e(X, mean, centers_c, carry: _Carry, counts, sums, sq, error):
    """The bounded E-step done in full: the full kernel with second-nearest
    distances (fresh bounds for every point); the statistics are updated
    for the points that changed cluster. Same returns as _bounded_e."""
    n_samples, n_features = X.shape
    n_clusters = centers_c.shape[0]
    best = np.empty(n_samples)
    second = np.empty(n_samples)
    labels = _nearest_full(X, mean, centers_c, (best, second))[0]
    cc_max = float(np.einsum("ij,ij->i", centers_c, centers_c).max())
    err = _value_error(carry.s_max, cc_max, n_features, n_clusters)
    pad = 8 * _EPS * (math.sqrt(carry.s_max) + math.sqrt(cc_max))
    gap = _gap_bound(best, second, err, pad)
    upper = np.sqrt(best + err, out=best)
    upper += pad
    del second
    moved = np.flatnonzero(labels != carry.labels)
    if moved.size:
        counts, sums, sq, error = _move(X, mean, centers_c, moved, np.take(carry.labels, moved),
                                        np.take(labels, moved), counts, sums, sq, error)
    else:
        labels = carry.labels
    counts, sums, sq, error, distortion = _checked_distortion(X, mean, centers_c, labels, counts, sums, sq, error)
    gap.flags.writeable = False
    upper.flags.writeable = False
    carry = _Carry(X=X, shape=X.shape, mean=mean, labels=labels, s_max=carry.s_max, total_sq=carry.total_sq,
                   gap=gap, upper=upper, gap_centres=centers_c, counts=counts, sums=sums, sq=sq,
                   stat_centres=centers_c, error=error)
    return labels, distortion, int(moved.size), carry


@_quiet
def _bounded_e(X, mean, centers_c, carry: _Carry):
    """The E-step from carried bounds (Hamerly 2010, vectorised).

    Every point carries u >= ||x - c_own|| and g >= u - l with l <= min_{j !=
    own} ||x - c_j||. When centre j moves by d_j, u grows by at most d_own
    and g by at most d_own + max_{j != own} d_j (triangle inequality). A point
    keeps its label when g < -tau, or when u <= s_own - tau / 2 (s: half the
    distance from its centre to the nearest other one): then its centre beats
    every other by tau in distance, so by tau^2 > 2 err in squared distance,
    more than the full computation's round-off (err per value, with the
    index bits), which therefore picks the same centre. For the other points
    u is first tightened to the exact distance; only those still unsettled
    get all K distances, and those whose two nearest are within round-off
    take their label from the full computation's own kernel on their block.

    Returns (labels, distortion, number of points that changed cluster, carry).
    """
    n_samples, n_features = X.shape
    n_clusters = centers_c.shape[0]
    cc = np.einsum("ij,ij->i", centers_c, centers_c)
    cc_max = float(cc.max())
    err = _value_error(carry.s_max, cc_max, n_features, n_clusters)
    tau = 1.5 * math.sqrt(err)
    old = carry.gap_centres
    root = math.sqrt(carry.s_max) + math.sqrt(max(cc_max, float(np.einsum("ij,ij->i", old, old).max())))
    delta = centers_c - old
    shift = np.sqrt(np.einsum("ij,ij->i", delta, delta))
    # every bound below is rounded up by pad: more than the round-off of
    # the few operations on values of size <= root + shifts
    pad = 16 * _EPS * (root + 2 * float(shift.max()))
    others = np.full(n_clusters, float(shift.max()))
    if n_clusters > 1:
        top = int(np.argmax(shift))
        others[top] = float(np.max(np.delete(shift, top)))
    grow_u = shift * (1 + 8 * _EPS) + pad
    grow_g = (shift + others) * (1 + 8 * _EPS) + pad
    # half the distance to the nearest other centre, rounded down, less tau / 2
    if n_clusters > 1:
        between = centers_c[:, None, :] - centers_c[None, :, :]
        between = np.sqrt(np.einsum("ijk,ijk->ij", between, between))
        np.fill_diagonal(between, np.inf)
        settled = 0.5 * between.min(axis=1) * (1 - 8 * _EPS) - pad - 0.5 * tau
    else:
        settled = np.full(1, np.inf)
    labels = carry.labels
    gap = np.take(grow_g, labels)
    gap += carry.gap
    upper = np.take(grow_u, labels)
    upper += carry.upper
    todo = gap > -tau
    todo &= upper > np.take(settled, labels)
    todo = np.flatnonzero(todo)
    counts, sums, sq, error = _rebase(carry.counts, carry.sums, carry.sq, carry.error, carry.stat_centres,
                                      centers_c)
    if todo.size > _DENSE_FRACTION * n_samples:
        # most points are unsettled (early steps): one pass of the full
        # kernel is cheaper than picking them out (measured)
        return _dense_e(X, mean, centers_c, carry, counts, sums, sq, error)
    n_moved = 0
    if todo.size:
        # tighten u to the exact distance (computed: within (D + 4) eps relative, + pad)
        own = labels[todo]
        diff = np.take(X, todo, axis=0)
        diff -= mean
        diff -= np.take(centers_c, own, axis=0)
        exact = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        exact *= 1 + (n_features + 4) * _EPS
        exact += pad
        lower = upper[todo] - gap[todo]  # <= min over the other centres
        lower -= pad
        tight = exact - lower
        upper[todo] = exact
        gap[todo] = tight
        still = tight > -tau
        still &= exact > np.take(settled, own)
        todo = todo[still]
    if todo.size:
        new, todo_gap, todo_upper, near = _candidates(X, mean, centers_c, cc, carry.s_max, todo, err, pad)
        if near.any():
            tied = new[near]
            _resolve_ties(X, mean, centers_c, cc, todo[near], tied)
            new[near] = tied
        gap[todo] = todo_gap
        upper[todo] = todo_upper
        changed = new != labels[todo]
        n_moved = int(np.count_nonzero(changed))
        if n_moved:
            moved = todo[changed]
            before = labels[moved]
            labels = labels.copy()
            labels[moved] = new[changed]
            counts, sums, sq, error = _move(X, mean, centers_c, moved, before, new[changed],
                                            counts, sums, sq, error)
    counts, sums, sq, error, distortion = _checked_distortion(X, mean, centers_c, labels, counts, sums, sq, error)
    gap.flags.writeable = False
    upper.flags.writeable = False
    carry = _Carry(X=X, shape=X.shape, mean=mean, labels=labels, s_max=carry.s_max, total_sq=carry.total_sq,
                   gap=gap, upper=upper, gap_centres=centers_c, counts=counts, sums=sums, sq=sq,
                   stat_centres=centers_c, error=error)
    return labels, distortion, n_moved, carry


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
        As in scikit-learn, two ways to the same labels. "lloyd" computes
        every distance in every E-step (and ignores ``state.carry``).
        "elkan" carries triangle-inequality bounds from step to step in
        ``state.carry`` (Hamerly's variant: one lower bound per point) and
        recomputes only the points whose label could change: the labels are
        those of "lloyd" bit for bit, the means and the distortion agree to
        round-off (per-cluster sums are updated, not recomputed), and a state
        without carry (a timeline snapshot) is stepped in full.

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
        self._bounded()
        return k

    def _bounded(self) -> bool:
        """True for algorithm="elkan" (carried bounds), False for "lloyd"."""
        if self.algorithm not in ("lloyd", "elkan"):
            raise ModelError(f"algorithm={self.algorithm!r} is not known; use 'lloyd' or 'elkan'.")
        return self.algorithm == "elkan"

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
        X, mean = _prepare(X, k)
        rng = as_generator(self.random_state if rng is None else rng)
        centers = self._initial_centers(X, k, rng)
        labels, distortion = _nearest(X, mean, centers - mean)
        state = FitState(iteration=0, phase="init", means=centers,
                         weights=np.bincount(labels, minlength=k) / X.shape[0],
                         objective=distortion, carry=_seed(X, mean) if self._bounded() else None)
        check_state_finite(state)
        return state

    def e_step(self, X, state: FitState) -> FitState:
        """Assign every point to its nearest centre (PRML (9.2)).

        Converged when no label changed since ``state``. With
        ``algorithm="elkan"`` and bounds carried from the previous steps on
        the same X (``state.carry``, see ``_Carry``) only the points whose
        label could change are recomputed; the labels are those of the full
        computation, bit for bit.
        """
        k = state.means.shape[0]
        bounded = self._bounded()
        carry = _trusted_carry(X, state, k) if bounded else None
        if carry is None:
            X, mean = _prepare(X, k)
        else:
            mean = carry.mean
        means = _check_centers(state.means, k, X.shape[1], "state.means")
        centers_c = means - mean
        if carry is None:
            labels, distortion = _nearest(X, mean, centers_c)
            counts = np.bincount(labels, minlength=k)
            carry = _seed(X, mean) if bounded else None
            converged = state.labels is not None and np.array_equal(labels, state.labels)
        elif carry.gap is not None and state.labels is carry.labels and carry.counts.shape[0] == k:
            labels, distortion, n_moved, carry = _bounded_e(X, mean, centers_c, carry)
            counts = carry.counts
            converged = n_moved == 0
        else:
            labels, distortion, carry = _build_e(X, mean, centers_c)
            counts = carry.counts
            converged = state.labels is not None and np.array_equal(labels, state.labels)
        notes = ("No point changed its cluster, so K-Means has converged.",) if converged else ()
        new = FitState(iteration=state.iteration, phase="E", means=means,
                       weights=counts / X.shape[0], objective=distortion,
                       labels=labels, converged=converged, notes=notes, carry=carry)
        check_state_finite(new)
        return new

    def m_step(self, X, state: FitState) -> FitState:
        """Move every centre to the mean of its points (PRML (9.4)).

        Empty clusters are moved to the points farthest from their centres.
        Converged when ``state`` was, or when the summed squared centre shift
        is at most ``tol`` times the mean variance of the columns. With
        ``algorithm="elkan"`` and statistics carried from the E-step
        (``state.carry``) the data are not read again.
        """
        k = state.means.shape[0]
        bounded = self._bounded()
        carry = _trusted_carry(X, state, k) if bounded else None
        if carry is None:
            X, mean = _prepare(X, k)
        else:
            mean = carry.mean
        if state.labels is None:
            raise ModelError("The centres can only move once every point has a cluster: run an E-step "
                             "(assign the points) first.")
        labels = np.asarray(state.labels)
        if labels.shape != (X.shape[0],):
            raise ModelError(f"state.labels has shape {labels.shape} but X has {X.shape[0]} points; "
                             "the state does not belong to this data.")
        old_c = _check_centers(state.means, k, X.shape[1], "state.means") - mean
        new_c = None
        if (carry is not None and carry.counts is not None and state.labels is carry.labels
                and carry.counts.shape[0] == k):
            counts, sums, sq, error = _rebase(carry.counts, carry.sums, carry.sq, carry.error,
                                              carry.stat_centres, old_c)
            if np.all(counts > 0):  # else the full step relocates the empty clusters
                new_c = old_c + sums / counts[:, None]
                counts, sums, sq, error = _rebase(counts, sums, sq, error, old_c, new_c)
                counts, sums, sq, error, distortion = _checked_distortion(X, mean, new_c, labels, counts, sums,
                                                                          sq, error)
                notes = ()
                mean_var = carry.total_sq / (X.shape[0] * X.shape[1])
                shift_sq = ((new_c - old_c) ** 2).sum(axis=1)
                carry = _Carry(X=X, shape=X.shape, mean=mean, labels=labels, s_max=carry.s_max,
                               total_sq=carry.total_sq, gap=carry.gap, upper=carry.upper,
                               gap_centres=carry.gap_centres,
                               counts=counts, sums=sums, sq=sq, stat_centres=new_c, error=error)
        if new_c is None:
            new_c, labels, counts, notes, change, mean_var = _m_step(X, mean, old_c, labels)
            # Distortion of the labels to the new centres without another pass
            # over the data: for each cluster, sum ||x - c||^2 = sum ||x - m||^2
            # + n ||m - c||^2 (m its mean), so J(new) = J(old) - sum n ||m - c||^2.
            shift_sq = ((new_c - old_c) ** 2).sum(axis=1)
            before = state.objective + change
            distortion = before - float(counts @ shift_sq)
            if distortion < 1e-3 * before:  # cancellation would cost digits: compute it exactly
                distortion = _distortion(X, mean, new_c, labels)
            carry = _seed(X, mean) if bounded else None
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
                       converged=converged, notes=notes, carry=carry)
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
