"""Nearest centres of many 2-D points through a grid of cells.

A filtering K-Means (in the spirit of Kanungo et al. 2002, with a fixed
grid instead of a k-d tree): the points are binned once per data set into
cells of about `_POINTS_PER_CELL` points, and each cell keeps its count,
the mean m of its points, its radius r (the largest ||x - m||), its sum of
x and its scatter sum ||x - m||^2. In an E-step, a cell whose mean is
nearer to one centre c1 than to every other by more than 2 r is *pure*: by
the triangle inequality every point x of it has ||x - c1|| <= d1 + r <
d2 - r <= ||x - cj||. Its points take label c1 without being looked at,
and its share of the distortion and of the cluster sums comes from the cell
sums. Only the points of the other cells (near a boundary between clusters,
a few percent) are measured one by one: against just the two centres that
compete there when no third one comes near enough, else against all.

The labels are exactly those of :func:`nearest_direct` on every point: a
cell is called pure only with a margin (`_MARGIN`, `_TINY`) far above the
round-off of either computation, and coordinates whose squares could
overflow (`_HUGE`) are not put through a grid at all. A grid is a pure
function of the data's content and keeps their mean; it is cached under a
checksum of their bits (:func:`fingerprint`) while the array it was built
from lives, so data edited in place or copied with a change get a new grid.
On the very array it last served, K-Means works on the grid while another
thread checks the content (:func:`fingerprint_later`).
"""
from __future__ import annotations

import functools
import os
import threading
import weakref
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

#: Fewest points for which a grid pays for itself (below: measure every point).
MIN_POINTS = 1 << 15
#: Most centres for which a grid is used (its cell table is K x cells).
MAX_CENTRES = 64
_POINTS_PER_CELL = 32
_MAX_SIDE = 256  # cell numbers fit in 16 bits
#: A cell is pure when d2 - d1 > 2 r + _MARGIN (d2 + r) + _TINY: a relative
#: margin some 10^6 times the round-off of the squared distances (about
#: 1e-15), and an absolute one that leaves distances whose squares are
#: subnormal (below 1e-308, where round-off is no longer relative) to be measured.
_MARGIN = 1e-9
_TINY = 1e-150
#: Coordinates (centred) at or beyond this could overflow a squared distance: no grid.
_HUGE = 1e150
#: Points per block in the direct computation, divided by the number of centres.
_BLOCK_VALUES = 1 << 19
_CACHE_SIZE = 4

# Overflow in extreme data is not warned about: it shows up as a non-finite
# distortion, which the model turns into a ModelError a student reads.
_quiet = np.errstate(over="ignore", invalid="ignore")


# --------------------------------------------------------------------------
# Every point measured
# --------------------------------------------------------------------------
def _n_bits(n_clusters: int) -> int:
    return max(1, (n_clusters - 1).bit_length())


def packed_min(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row of the smallest value, that value) in every column of ``d`` (K x n,
    non-negative, overwritten).

    A non-negative float sorts like its bit pattern, so writing the row
    index into the lowest mantissa bits lets one ``np.minimum.reduce`` find
    both; values equal up to those bits go to the lower row. The value
    returned has those bits cleared (relative error below 2^-45 for K <= 128).
    """
    n_clusters = d.shape[0]
    low = np.int64((1 << _n_bits(n_clusters)) - 1)
    bits = d.view(np.int64)
    np.bitwise_and(bits, ~low, out=bits)
    np.bitwise_or(bits, np.arange(n_clusters, dtype=np.int64)[:, None], out=bits)
    best = np.minimum.reduce(bits, axis=0)
    labels = (best & low).astype(np.int32)
    best &= ~low
    return labels, best.view(np.float64)


def _sq_distances(x: np.ndarray, y: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """K x n squared distances of the 2-D points (x, y) to the centres, as
    differences (never the expansion ||p||^2 - 2 p.c + ||c||^2, which loses digits)."""
    d = np.subtract(x, centers[:, 0, None])
    d *= d
    dy = np.subtract(y, centers[:, 1, None])
    dy *= dy
    d += dy
    return d


def _sq_distances_to(x: np.ndarray, y: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Squared distances of the points (x, y) to one centre (cx, cy) each,
    with the operations of :func:`_sq_distances`."""
    d = np.subtract(x, cx)
    d *= d
    dy = np.subtract(y, cy)
    dy *= dy
    d += dy
    return d


@_quiet
def nearest_direct(points: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels of the nearest centres of 2-D points and the squared distances.

    Parameters
    ----------
    points : ndarray of shape (n, 2)
    centers : ndarray of shape (K, 2)

    Returns
    -------
    labels : ndarray of shape (n,)
        Ties (up to the last few bits, see :func:`packed_min`) go to the lower index.
    sq_distances : ndarray of shape (n,)
    """
    n = points.shape[0]
    labels = np.empty(n, dtype=np.int32)
    dist = np.empty(n)
    block = max(1, _BLOCK_VALUES // centers.shape[0])
    for start in range(0, n, block):
        stop = min(start + block, n)
        part = points[start:stop]
        labels[start:stop], dist[start:stop] = packed_min(_sq_distances(part[:, 0], part[:, 1], centers))
    return labels, dist


# --------------------------------------------------------------------------
# Fingerprint: a checksum of the bits
# --------------------------------------------------------------------------
_ROW = 64  # values per row of the reshaped data (32 points of 2-D)


@functools.lru_cache(maxsize=2)
def _bit_weights(n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Odd pseudo-random 64-bit weights: per place in a row, and per row."""
    rng = np.random.default_rng(20261127)
    by_place = rng.integers(0, 2**62, _ROW, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    by_row = rng.integers(0, 2**62, n_rows, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    by_place.flags.writeable = by_row.flags.writeable = False
    return by_place, by_row


def fingerprint(X: np.ndarray) -> bytes:
    """A checksum of the content of C-contiguous N x 2 data.

    The data's bytes are read as 64-bit words that start 4 bytes into the
    values: each word holds the high half of one value (sign, exponent, the
    top of the mantissa) as its low 32 bits and the low half of the next
    value as its high 32 bits. The checksum is sum_k w_k word_k modulo 2^64
    with odd weights w_k that depend on the place. It changes with any
    single change of the data (a change below 2^32 times an odd number is
    not 0 modulo 2^64). A value's sign lands in bit 31 and its exponent in
    bits 20-30, where the weights still differ, so negating, doubling or
    reordering values changes it too, but for a chance of about 2^-32; the
    same chance applies to edits of the lowest bits of several values
    (which move points by a few ulps).
    """
    raw = X.reshape(-1).view(np.uint8)
    n_words = (raw.size - 8) // 8  # whole words between the first and the last 4 bytes
    n_main = n_words - n_words % _ROW
    words = raw[4:4 + 8 * n_main].view(np.uint64).reshape(-1, _ROW)
    by_place, by_row = _bit_weights(words.shape[0])
    # unsigned integer arrays wrap around silently: arithmetic modulo 2^64
    check = by_row @ np.einsum("ij,j->i", words, by_place)
    edges = raw[:4].tobytes() + raw[4 + 8 * n_main:].tobytes()  # the bytes around the words, as they are
    return X.shape[0].to_bytes(8, "little") + np.uint64(check).tobytes() + edges


def column_sums(X: np.ndarray) -> np.ndarray:
    """Column sums of C-contiguous N x 2 data (without BLAS, whose threads
    spin for a while after a parallel product and take a core from the GUI)."""
    flat = X.reshape(-1)
    n_main = flat.size - flat.size % _ROW
    per_place = flat[:n_main].reshape(-1, _ROW).sum(axis=0)  # x at even places, y at odd ones
    return np.array([per_place[0::2].sum(), per_place[1::2].sum()]) + flat[n_main:].reshape(-1, 2).sum(axis=0)


# --------------------------------------------------------------------------
# The grid
# --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Grid:
    """Cells of the centred data (see the module docstring); arrays read-only.

    Attributes
    ----------
    cell_of_point : (N,) the cell of every point.
    order, starts : the points sorted by cell (stable); cell i holds
        ``order[starts[i]:starts[i + 1]]``.
    sorted_points : (2, N) the centred points in that order, x and y rows.
    counts, radius, scatter : (M,) per cell: number of points, max ||x - m||
        (m the mean of the cell's points), sum ||x - m||^2.
    means, sums, sum_rel : (2, M) per cell: m, sum x, sum (x - m) (round-off sized).
    total_sq : sum over all points of ||x||^2 (x centred).
    extent : largest |coordinate| of the centred points.
    mean : (2,) the data's column mean (:func:`column_sums` / N), the origin of the centred points.
    """

    cell_of_point: np.ndarray
    order: np.ndarray
    starts: np.ndarray
    sorted_points: np.ndarray
    counts: np.ndarray
    radius: np.ndarray
    scatter: np.ndarray
    means: np.ndarray
    sums: np.ndarray
    sum_rel: np.ndarray
    total_sq: float
    extent: float
    mean: np.ndarray


@_quiet
def build_grid(X: np.ndarray, mean: np.ndarray) -> Grid:
    """Bin the centred points ``X - mean`` (N x 2) into cells."""
    n = X.shape[0]
    xc = np.empty((2, n))  # centred x and y as contiguous rows
    np.subtract(X.T, mean[:, None], out=xc)
    lo, hi = xc.min(axis=1), xc.max(axis=1)
    side = int(np.clip(np.sqrt(n / _POINTS_PER_CELL), 1, _MAX_SIDE))
    width = (hi - lo) / side
    width[~(width > 0)] = 1.0  # all points share that coordinate
    cell = np.zeros(n, dtype=np.uint16)  # side <= 256: a stable argsort of 16-bit keys is a radix sort
    for j in range(2):
        index = xc[j] - lo[j]
        index /= width[j]
        np.clip(index, 0, side - 1, out=index)
        cell = cell * np.uint16(side) + index.astype(np.uint16)
    order = np.argsort(cell, kind="stable")
    starts = np.concatenate(([0], np.flatnonzero(np.diff(cell[order])) + 1, [n]))
    first = starts[:-1]
    counts = np.diff(starts)
    cell_of_point = np.empty(n, dtype=np.intp)
    cell_of_point[order] = np.repeat(np.arange(counts.size), counts)
    sorted_points = np.stack([xc[0].take(order), xc[1].take(order)])
    sums = np.add.reduceat(sorted_points, first, axis=1)
    # About the cells' own means the sums below hold no cancellation (PRML (9.1)'s
    # distortion of a cell = its scatter + n ||m - c||^2, see nearest_on_grid).
    means = sums / counts
    rel = sorted_points - np.repeat(means, counts, axis=1)
    r2 = np.einsum("ij,ij->j", rel, rel)
    arrays = dict(cell_of_point=cell_of_point, order=order, starts=starts, sorted_points=sorted_points,
                  counts=counts.astype(np.float64), radius=np.sqrt(np.maximum.reduceat(r2, first)),
                  scatter=np.add.reduceat(r2, first), means=means, sums=sums,
                  sum_rel=np.add.reduceat(rel, first, axis=1))
    for value in arrays.values():
        value.flags.writeable = False
    mean = np.array(mean)
    mean.flags.writeable = False
    return Grid(total_sq=float(np.einsum("ij,ij->", xc, xc)), extent=float(np.abs(np.r_[lo, hi]).max()),
                mean=mean, **arrays)


_cache: OrderedDict[bytes, Grid] = OrderedDict()
_watched: dict[tuple[int, bytes], weakref.finalize] = {}
_seen: dict[int, tuple[weakref.ref, bytes]] = {}  # id(array) -> (the array, the key of its grid)
# Re-entrant: a finalizer or weak reference callback may run, on this very
# thread, while the lock is held (when the cyclic collector runs there).
_cache_lock = threading.RLock()


def _forget(key: bytes, token: tuple[int, bytes]) -> None:
    with _cache_lock:
        _cache.pop(key, None)
        _watched.pop(token, None)


def _unsee(ident: int, ref: weakref.ref) -> None:
    with _cache_lock:
        if _seen.get(ident, (None,))[0] is ref:
            del _seen[ident]


def _remember(X: np.ndarray, key: bytes) -> None:
    """Note that array X had fingerprint ``key`` (for :func:`guessed_grid`)."""
    with _cache_lock:
        entry = _seen.get(id(X))
        if entry is None or entry[0]() is not X or entry[1] != key:
            _seen[id(X)] = (weakref.ref(X, functools.partial(_unsee, id(X))), key)


def cached_grid(key: bytes) -> Grid | None:
    """The cached grid of the data with fingerprint ``key``, if there is one."""
    with _cache_lock:
        return _cache.get(key)


def guessed_grid(X: np.ndarray) -> tuple[Grid, bytes] | None:
    """(grid, key) last used for this very array object, if still cached.

    Only a guess: X may have been edited in place since; check it with
    :func:`fingerprint` (see :func:`fingerprint_later`).
    """
    with _cache_lock:
        entry = _seen.get(id(X))
        if entry is None or entry[0]() is not X:
            return None
        grid = _cache.get(entry[1])
        return None if grid is None else (grid, entry[1])


@functools.lru_cache(maxsize=1)
def _checksum_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="clusterviz-checksum")


def fingerprint_later(X: np.ndarray) -> Future:
    """:func:`fingerprint` of X on another thread (numpy lets go of the GIL
    while it adds), to overlap with work done on a guessed grid."""
    try:
        return _checksum_thread().submit(fingerprint, X)
    except RuntimeError:  # the thread is shut down: Python is exiting
        done = Future()
        done.set_result(fingerprint(X))
        return done


def _after_fork_in_child() -> None:
    """A child process inherits the executor but not its thread, and maybe a
    lock another thread held: it makes its own."""
    global _cache_lock
    _cache_lock = threading.RLock()
    _checksum_thread.cache_clear()


os.register_at_fork(after_in_child=_after_fork_in_child)


def grid_for(X: np.ndarray, mean: np.ndarray, key: bytes) -> Grid:
    """The grid of X, from the cache when X's fingerprint ``key`` is known.

    A grid stays cached (at most `_CACHE_SIZE` of them) while the array it
    was built from lives.
    """
    with _cache_lock:
        grid = _cache.get(key)
        if grid is not None:
            _cache.move_to_end(key)
            _remember(X, key)
            return grid
    grid = build_grid(X, mean)  # outside the lock: another thread may build too
    token = (id(X), key)
    with _cache_lock:
        _cache[key] = grid
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        if token not in _watched:  # one watch per array and content
            _watched[token] = weakref.finalize(X, _forget, key, token)
        _remember(X, key)
    return grid


def usable(grid: Grid, centers_c: np.ndarray) -> bool:
    """Whether the grid's arithmetic holds for these centres: no squared
    distance can overflow (the margin is relative; see `_TINY` for underflow)."""
    return grid.extent < _HUGE and float(np.abs(centers_c).max()) < _HUGE


@dataclass(frozen=True, eq=False)
class ClusterStats:
    """Per-cluster sums an E-step hands to the M-step (in ``FitState.carry``).

    Valid for the labels array ``labels`` (by identity) of the data with
    fingerprint ``key``: counts n_k, sums of the centred points, and the
    sum over all points of ||x - mean||^2.
    """

    key: bytes
    labels: np.ndarray
    counts: np.ndarray
    sums: np.ndarray
    total_sq: float


def _beyond(far: np.ndarray, near: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Whether a centre at distance ``far`` from a cell's centre is farther
    from every point of the cell than the centre at ``near`` (with margin)."""
    # far - near > 2 r + _MARGIN (far + r) + _TINY, written so that far = inf is beyond
    return far * (1.0 - _MARGIN) - near > (2.0 + _MARGIN) * radius + _TINY


@_quiet
def _nearer(x, y, centers, a, b) -> tuple[np.ndarray, np.ndarray]:
    """For points whose nearest centre is ``a`` or ``b`` (per point): the
    one :func:`packed_min` over all centres picks, and its squared distance,
    computed with the same operations bit for bit."""
    cx, cy = centers[:, 0].copy(), centers[:, 1].copy()
    d_a, d_b = (_sq_distances_to(x, y, cx.take(c), cy.take(c)) for c in (a, b))
    low = np.int64((1 << _n_bits(centers.shape[0])) - 1)
    packed_a = (d_a.view(np.int64) & ~low) | a
    packed_b = (d_b.view(np.int64) & ~low) | b
    best = np.minimum(packed_a, packed_b)
    labels = (best & low).astype(np.int32)
    best &= ~low
    return labels, best.view(np.float64)


@_quiet
def nearest_on_grid(centers_c: np.ndarray, grid: Grid) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Labels, distortion, counts and centred sums per cluster, through ``grid``.

    ``centers_c`` are the centres minus the data's mean (check
    :func:`usable` first). The labels equal those of :func:`nearest_direct`
    on the centred data.
    """
    n_clusters = centers_c.shape[0]
    d = _sq_distances(grid.means[0], grid.means[1], centers_c)
    # from here on d holds the values with the row index in their last bits
    cell_label, d1 = packed_min(d)
    if n_clusters > 1:
        d.reshape(-1)[cell_label * d.shape[1] + np.arange(d.shape[1])] = np.inf
        near, radius = np.sqrt(d1), grid.radius
        pure = _beyond(np.sqrt(np.minimum.reduce(d, axis=0)), near, radius)
    else:
        pure = np.ones(d.shape[1], dtype=bool)
    labels = cell_label[grid.cell_of_point]  # (indexing is faster than take here)

    # The points of the other cells, one by one, in cell order. Where only
    # one other centre comes close enough to matter, measure just those two.
    mixed = np.flatnonzero(~pure)
    sizes = grid.starts[mixed + 1] - grid.starts[mixed]
    ends = np.cumsum(sizes)
    at = np.repeat(grid.starts[mixed] - ends + sizes, sizes) + np.arange(ends[-1] if ends.size else 0)
    px, py = grid.sorted_points[0].take(at), grid.sorted_points[1].take(at)
    point_label = np.empty(at.size, dtype=np.int32)
    point_sq = np.empty(at.size)
    if at.size:
        others = d[:, mixed]
        rivals = ~_beyond(np.sqrt(others), near[mixed], radius[mixed])
        pair = np.repeat(rivals.sum(axis=0) == 1, sizes)
        rival = np.repeat(packed_min(others)[0], sizes)[pair]  # the nearest other centre
        point_label[pair], point_sq[pair] = _nearer(px[pair], py[pair], centers_c,
                                                    np.repeat(cell_label[mixed], sizes)[pair], rival)
        many = ~pair
        point_label[many], point_sq[many] = packed_min(_sq_distances(px[many], py[many], centers_c))
        labels[grid.order.take(at)] = point_label

    # the pure cells count whole, the points of the others one by one
    cells = np.flatnonzero(pure)
    lab = cell_label.take(cells)
    n_c = grid.counts.take(cells)
    counts = np.bincount(lab, weights=n_c, minlength=n_clusters) + np.bincount(point_label, minlength=n_clusters)
    sums = np.empty((n_clusters, 2))
    for j, coord in enumerate((px, py)):
        sums[:, j] = (np.bincount(lab, weights=grid.sums[j].take(cells), minlength=n_clusters)
                      + np.bincount(point_label, weights=coord, minlength=n_clusters))
    # over a cell with mean m: sum ||x - c||^2 = sum ||x - m||^2 + 2 (m - c).sum (x - m) + n ||m - c||^2,
    # where sum (x - m) is only round-off: no term cancels another
    distortion = grid.scatter.take(cells).sum() + point_sq.sum()
    for j in range(2):
        offset = grid.means[j].take(cells) - centers_c[:, j].take(lab)
        distortion += np.einsum("i,i->", offset, 2.0 * grid.sum_rel[j].take(cells) + n_c * offset)
    return labels, max(float(distortion), 0.0), counts, sums
