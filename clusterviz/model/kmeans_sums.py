"""Per-cluster counts and sums of many points (what the K-Means M-step
needs, PRML (9.4)), held as exact integers so that a step whose labels
changed for few points updates them instead of adding every point again.

Every centred column j is kept in fixed point, q = rint(x 2^s_j), with the
largest s_j for which n max|q| stays below 2^61: a value is off by at most
2^-(61 - b) of its column's largest |x|, b the bit length of n (2^-41 at
10^6 points; a sum of n such values, far less than adding the floats in
order can lose in the worst case). Integer sums are exact in any
order, so the sums of a labelling are one number whether every point was
added (:func:`sums_of`) or another labelling's sums were updated by the
points that moved (:func:`kept_sums`): the M-step stays a pure function of
the labels, bit for bit.
"""
from __future__ import annotations

import numpy as np

from .prepared import Prepared

#: Sums: (counts as float64, centred sums of shape (K, D)).
Sums = tuple[np.ndarray, np.ndarray]

#: Largest share of points that may change cluster for the kept sums to be
#: updated (more: adding every point again is as quick).
_UPDATE_SHARE = 0.125
#: Rows read as one long row by :func:`_largest_magnitudes` and
#: :func:`fixed_point`.
_ROWS = 4096


class _Kept:
    """The labels of the last call and their integer counts and sums."""

    __slots__ = ("labels", "counts", "sums", "result")

    def __init__(self, labels, counts, sums, result):
        self.labels, self.counts, self.sums, self.result = labels, counts, sums, result


def fixed_point(data: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """The centred data as int64 fixed point, and each column's power of two:
    ``q[:, j] = rint(xc[:, j] * 2**shifts[j])``, built once per data."""
    def build(d: Prepared) -> tuple[np.ndarray, np.ndarray]:
        xc = d.centred()
        n, n_features = xc.shape
        largest = _largest_magnitudes(xc)
        shifts = 61 - int(n).bit_length() - np.frexp(largest)[1]  # largest < 2**(61 - shift)
        q = np.empty(xc.shape, dtype=np.int64)
        # a block at a time, as one long row times the factors repeated
        # (quicker than broadcasting a short row over many rows)
        factors = [np.tile(f, _ROWS) for f in _powers_of_two(shifts)]
        scaled = np.empty(_ROWS * n_features)
        for start in range(0, n, _ROWS):
            block = xc[start:start + _ROWS].reshape(-1)
            out = scaled[:block.size]
            np.multiply(block, factors[0][:block.size], out=out)
            for factor in factors[1:]:
                out *= factor[:block.size]
            np.rint(out, out=out)
            q[start:start + _ROWS] = out.reshape(-1, n_features)
        q.flags.writeable = False
        shifts.flags.writeable = False
        return q, shifts
    return data.derived("kmeans_fixed_point", build)


def _largest_magnitudes(xc: np.ndarray) -> np.ndarray:
    """max |xc[:, j]| of every column; the rows taken _ROWS at a time, as
    one long row each (numpy reduces long rows quicker than many short ones)."""
    n, d = xc.shape
    whole = n - n % _ROWS
    parts = [xc[whole:]]
    if whole:
        wide = xc[:whole].reshape(whole // _ROWS, _ROWS * d)
        parts += [wide.max(axis=0).reshape(_ROWS, d), wide.min(axis=0).reshape(_ROWS, d)]
    stacked = np.concatenate(parts)
    return np.maximum(stacked.max(axis=0), -stacked.min(axis=0)) if stacked.size else np.zeros(d)


def _product(rows: np.ndarray, labels: np.ndarray, n_clusters: int, away: np.ndarray | None = None) -> np.ndarray:
    """Integer sums of ``rows`` per label: a one-hot K x m matrix (a 1 in
    each column, in CSC form) times the rows. With ``away``, the change in
    the sums when each row moves from cluster ``away`` to ``labels`` (a -1
    beside each 1)."""
    from scipy.sparse import csc_matrix  # here: importing scipy.sparse costs start-up time

    m = labels.size
    if away is None:
        values, at = np.ones(m, dtype=np.int64), np.asarray(labels, dtype=np.int32)
    else:
        values, at = np.tile(np.array([1, -1], dtype=np.int64), m), np.empty(2 * m, dtype=np.int32)
        at[0::2], at[1::2] = labels, away
    per_column = at.size // max(m, 1)
    matrix = csc_matrix((values, at, np.arange(0, per_column * m + 1, per_column, dtype=np.int32)),
                        shape=(n_clusters, m), copy=False)
    return np.asarray(matrix @ rows)


def _powers_of_two(shifts: np.ndarray) -> list[np.ndarray]:
    """Factors whose product is 2**shifts, each a normal float64: one, or
    two for shifts beyond +-1022 (columns of subnormal or of huge values)."""
    if np.all(np.abs(shifts) <= 1022):
        return [np.exp2(shifts)]
    half = shifts // 2
    return [np.exp2(half), np.exp2(shifts - half)]


def _as_floats(counts: np.ndarray, sums: np.ndarray, shifts: np.ndarray) -> Sums:
    sums_f = sums.astype(np.float64)
    for factor in _powers_of_two(-shifts):
        sums_f *= factor
    counts_f = counts.astype(np.float64)
    counts_f.flags.writeable = False
    sums_f.flags.writeable = False
    return counts_f, sums_f


def sums_of(data: Prepared, labels: np.ndarray, n_clusters: int) -> Sums:
    """Counts and centred sums per cluster of ``labels``, adding every point.

    Returns
    -------
    counts : ndarray of shape (n_clusters,)
    sums : ndarray of shape (n_clusters, n_features)
        The sums of the fixed-point values, converted to float once.
    """
    return _fresh(data, labels, n_clusters).result


def _fresh(data: Prepared, labels: np.ndarray, n_clusters: int) -> _Kept:
    q, shifts = fixed_point(data)
    counts = np.bincount(labels, minlength=n_clusters)
    sums = _product(q, labels, n_clusters)
    return _Kept(np.array(labels), counts, sums, _as_floats(counts, sums, shifts))


def kept_sums(data: Prepared, labels: np.ndarray, n_clusters: int) -> Sums:
    """:func:`sums_of`, the same numbers, from the sums of the labels of the
    last call on these data when few points changed cluster since (every step
    once the labels settle)."""
    box = data.derived("kmeans_kept_sums", lambda _data: [None])
    kept = box[0]  # replaced whole, never changed in place
    if kept is None or kept.counts.size != n_clusters:
        new = _fresh(data, labels, n_clusters)
    else:
        moved = np.flatnonzero(labels != kept.labels)
        if moved.size == 0:
            return kept.result
        if moved.size > _UPDATE_SHARE * labels.size:
            new = _fresh(data, labels, n_clusters)
        else:
            q, shifts = fixed_point(data)
            rows = np.take(q, moved, axis=0)
            to, away = np.take(labels, moved), np.take(kept.labels, moved)
            counts = kept.counts + np.bincount(to, minlength=n_clusters) - np.bincount(away, minlength=n_clusters)
            sums = kept.sums + _product(rows, to, n_clusters, away)
            new = _Kept(np.array(labels), counts, sums, _as_floats(counts, sums, shifts))
    box[0] = new
    return new.result
