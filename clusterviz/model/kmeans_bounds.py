"""Nearest centres of data of other than 2 columns, with Hamerly's bounds
carried from one step to the next.

Every point keeps an upper bound u on its distance to its centre and a
lower bound l on its distance to every other centre (Hamerly, "Making
k-means even faster", SDM 2010). When the centres move by delta_k, the
triangle inequality keeps u + delta_a (a the point's centre) an upper and
l - max_{k != a} delta_k a lower bound; a point whose bounds stay apart
keeps its centre without being measured. Once the centres settle that is
nearly every point, and a step reads the data only where it must.

The labels are exactly those of measuring every point (:func:`measure`):
measuring decides a point by the expansion ||x||^2 - 2 x.c + ||c||^2 when
its two nearest centres are farther apart than `tolerance` (far above the
expansion's round-off), else by the distances summed as squared
differences in a fixed order (the same bits whichever rows are measured
with it); and bounds skip a point only with twice that margin.

The bounds live on the :class:`~clusterviz.model.prepared.Prepared` data
(:func:`bounds_of`): one set per number of centres, valid for whatever
centres they were last updated to, so any run on the same data (a reset, a
restart, the other side of a comparison) may continue from them; they are
taken out while a step updates them, so two threads never share a set.
"""
from __future__ import annotations

import threading

import numpy as np

from ._common import block_rows, squared_norms
from .kmeans_grid import _n_bits
from .prepared import Prepared

#: Fewest points for which bounds are kept (below, measuring all is as quick).
MIN_POINTS = 2048
#: Sets of bounds kept per data (for the numbers of centres stepped last;
#: each holds 12 bytes a point).
_MAX_SETS = 2
#: Most rows per block of the expansion (the K x block matrix stays in cache).
_CHUNK = 8192
#: Relative margin of a decision by the expansion, as a share of
#: max ||x||^2 + max ||c||^2: some 10^6 times the expansion's round-off.
_MARGIN = 1e-9

_quiet = np.errstate(over="ignore", invalid="ignore")


def tolerance(data: Prepared, centres_c: np.ndarray) -> float:
    """The margin (in squared distance) below which two centres count as
    equally near for the expansion."""
    return _MARGIN * (largest_norm(data) + float(np.einsum("ij,ij->i", centres_c, centres_c).max()))


def largest_norm(data: Prepared) -> float:
    """max ||x - mean||^2 over the rows, computed once per data."""
    def build(d: Prepared) -> float:
        norms = squared_norms(d)
        return float(norms.max()) if norms.size else 0.0
    return data.derived("largest_norm", build)


@_quiet
def _direct(rows: np.ndarray, centres_c: np.ndarray) -> np.ndarray:
    """K x m squared distances as sums of squared differences, one column
    after another (elementwise operations: each point's value does not
    depend on the other rows)."""
    d = np.zeros((centres_c.shape[0], rows.shape[0]))
    for j in range(rows.shape[1]):
        diff = rows[:, j] - centres_c[:, j, None]
        diff *= diff
        d += diff
    return d


@_quiet
def measure(xc: np.ndarray, centres_c: np.ndarray, tol: float, rows: np.ndarray | None = None,
            norms: np.ndarray | None = None, out: tuple[np.ndarray, np.ndarray] | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nearest and second-nearest centres of the rows of ``xc`` (all, or
    those indexed by ``rows``), measuring every distance; ``norms``, if
    given, are the squared norms of all rows of ``xc`` (`_common.squared_norms`);
    ``out``, if given, two arrays of the rows' length for the distances.

    Returns
    -------
    labels : ndarray of int32, shape (m,)
        The nearest centre (ties go to the lower index).
    nearest, second : ndarray of shape (m,)
        Squared distances to the nearest and to the second-nearest centre,
        each within ``tol`` of the exact value.
    """
    n_clusters, n_features = centres_c.shape
    m = xc.shape[0] if rows is None else rows.size
    labels = np.empty(m, dtype=np.int32)
    nearest, second = (np.empty(m), np.empty(m)) if out is None else out
    cc = np.einsum("ij,ij->i", centres_c, centres_c)
    W = -2.0 * centres_c
    # The product in slices that OpenBLAS computes on this thread (block_rows),
    # everything else a block of _CHUNK rows at a time (fewer numpy calls);
    # the rows go to the product transposed as they are (no copy).
    part = block_rows(_CHUNK, n_clusters * n_features)
    values_all = np.empty((n_clusters, min(_CHUNK, m)))
    index, low = np.arange(n_clusters, dtype=np.int64)[:, None], np.int64((1 << _n_bits(n_clusters)) - 1)
    columns = np.arange(values_all.shape[1])
    for start in range(0, m, _CHUNK):
        stop = min(start + _CHUNK, m)
        block = xc[start:stop] if rows is None else np.take(xc, rows[start:stop], axis=0)
        if norms is None:
            xx = np.einsum("ij,ij->i", block, block)
        else:
            xx = norms[start:stop] if rows is None else np.take(norms, rows[start:stop])
        s = float(xx.max()) if xx.size else 0.0
        values = values_all[:, :stop - start]
        for i in range(0, stop - start, part):
            np.matmul(W, block[i:i + part].T, out=values[:, i:i + part])
        values += (cc + s)[:, None]  # every value >= 0, as _two_smallest needs
        lab, best, runner_up = _two_smallest(values, index, low, columns[:stop - start])
        close = np.flatnonzero(runner_up - best <= tol)
        d1 = best - s + xx
        d2 = runner_up - s + xx
        if close.size:  # a near tie: decided by the differences, the same bits in any block
            direct = _direct(block[close], centres_c)
            lab[close] = np.argmin(direct, axis=0)
            d1[close] = direct[lab[close], np.arange(close.size)]
            direct[lab[close], np.arange(close.size)] = np.inf
            d2[close] = direct.min(axis=0) if n_clusters > 1 else np.inf
        labels[start:stop] = lab
        np.maximum(d1, 0.0, out=nearest[start:stop])
        np.maximum(d2, 0.0, out=second[start:stop])
    return labels, nearest, second


_INF_BITS = np.float64(np.inf).view(np.int64)


def _two_smallest(values, index, low, columns):
    """(row of the smallest value, that value, the second smallest value)
    in every column of ``values`` (K x n, non-negative, overwritten).

    A non-negative float sorts like its bit pattern: the row index written
    into the lowest mantissa bits (``index``, ``low`` = those bits) lets one
    ``np.minimum.reduce`` find both row and value (values equal up to those
    bits go to the lower row; the second value keeps its row's bits, a
    relative error below 2^-42 at K = 1024, far below `tolerance`).
    """
    bits = values.view(np.int64)
    np.bitwise_and(bits, ~low, out=bits)
    np.bitwise_or(bits, index, out=bits)
    best = np.minimum.reduce(bits, axis=0)
    labels = (best & low).astype(np.int32)
    bits[labels, columns] = _INF_BITS
    runner_up = np.minimum.reduce(bits, axis=0)
    best &= ~low
    return labels, best.view(np.float64), runner_up.view(np.float64)


class _Bounds:
    """Labels of every point for ``centres_c`` and the gap l - u between
    its Hamerly bounds (only the gap decides whether a point is settled, so
    only the gap is kept: one array to update instead of two), with a
    buffer of the same size for the update's per-point decrements."""

    __slots__ = ("centres_c", "labels", "gap", "scratch")

    def __init__(self, centres_c, labels, gap, scratch=None):
        self.centres_c = centres_c
        self.labels = labels
        self.gap = gap
        self.scratch = np.empty_like(gap) if scratch is None else scratch


class _Store:
    """The bounds kept on one Prepared: one set per number of centres (the
    `_MAX_SETS` used last)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sets: dict[int, _Bounds] = {}


def bounds_of(data: Prepared) -> _Store:
    return data.derived("kmeans_bounds", lambda _data: _Store())


def _gap(d1: np.ndarray, d2: np.ndarray, tol: float) -> np.ndarray:
    """l - u from :func:`measure`'s squared distances (each within ``tol``):
    sqrt(max(d2 - tol, 0)) - sqrt(d1 + tol), computed in place in ``d2``."""
    d2 -= tol
    np.maximum(d2, 0.0, out=d2)
    np.sqrt(d2, out=d2)
    d1 += tol
    np.sqrt(d1, out=d1)
    d2 -= d1
    return d2


def _fresh(xc, norms, centres_c, tol, old: _Bounds | None = None) -> _Bounds:
    """Bounds from measuring every point (into the arrays of ``old``, if given)."""
    out = None if old is None else (old.scratch, old.gap)
    labels, d1, d2 = measure(xc, centres_c, tol, norms=norms, out=out)
    return _Bounds(centres_c.copy(), labels, _gap(d1, d2, tol), d1)


@_quiet
def nearest_with_bounds(data: Prepared, centres_c: np.ndarray) -> np.ndarray:
    """Labels of the nearest centres (centred coordinates), the same as
    ``measure(data.centred(), centres_c, tolerance(data, centres_c), norms=squared_norms(data))[0]``,
    measuring only the points whose carried bounds do not settle them.

    Returns an array never changed afterwards (the last call's when the
    centres are the same).
    """
    store = bounds_of(data)
    k = centres_c.shape[0]
    with store.lock:
        old = store.sets.pop(k, None)
    xc, norms = data.centred(), squared_norms(data)
    tol = tolerance(data, centres_c)
    if old is None or old.centres_c.shape != centres_c.shape:
        new = _fresh(xc, norms, centres_c, tol)
    elif np.array_equal(old.centres_c, centres_c):  # the same centres (a step after a start): the same labels
        new = old
    else:
        shift = np.sqrt(((centres_c - old.centres_c) ** 2).sum(axis=1))
        # every other centre came at most this much nearer to a point of centre j
        nearer = np.zeros(k)
        if k > 1:
            order = np.argsort(shift)
            nearer[:] = shift[order[-1]]
            nearer[order[-1]] = shift[order[-2]]
        # u grows by the shift of the point's centre, l shrinks by `nearer`.
        gap, decrement = old.gap, old.scratch
        if _mostly_unsure(gap, old.labels, shift + nearer, np.sqrt(2.0 * tol)):
            new = _fresh(xc, norms, centres_c, tol, old)
            with store.lock:
                _keep(store, k, new)
            return new.labels
        (shift + nearer).take(old.labels, out=decrement, mode="clip")  # into a kept buffer: 3x quicker
        gap -= decrement
        # Settled: l - u > sqrt(2 tol), so l^2 - u^2 > 2 tol and the expansion
        # decides the point the same way (then l > 0 too).
        unsure = np.flatnonzero(gap <= np.sqrt(2.0 * tol))
        if 2 * unsure.size > old.labels.size:  # most points: measuring all in order is quicker
            new = _fresh(xc, norms, centres_c, tol, old)
            with store.lock:
                _keep(store, k, new)
            return new.labels
        labels = old.labels.copy()
        if unsure.size:
            lab, d1, d2 = measure(xc, centres_c, tol, unsure, norms)
            labels[unsure] = lab
            gap[unsure] = _gap(d1, d2, tol)
        new = _Bounds(centres_c.copy(), labels, gap, decrement)
    with store.lock:
        _keep(store, k, new)
    return new.labels


#: Every how many points :func:`_mostly_unsure` looks at.
_SAMPLE_STEP = 61


def _mostly_unsure(gap, labels, decrement, margin) -> bool:
    """Whether clearly most points (two in three of an evenly spread sample)
    will be unsure once their gap shrinks by ``decrement`` (per centre): then
    updating every gap first would be wasted work."""
    sample = gap[::_SAMPLE_STEP] - decrement.take(labels[::_SAMPLE_STEP])
    return 3 * np.count_nonzero(sample <= margin) > 2 * sample.size


def _keep(store: _Store, k: int, bounds: _Bounds) -> None:
    """Store ``bounds`` as the latest set (the caller holds the lock)."""
    store.sets[k] = bounds
    while len(store.sets) > _MAX_SETS:  # a sweep over K keeps only the latest
        del store.sets[next(iter(store.sets))]
