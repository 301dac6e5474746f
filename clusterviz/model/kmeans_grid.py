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
overflow (`_HUGE`) are not put through a grid at all.

A grid is built from a :class:`~clusterviz.model.prepared.Prepared` on first
use and kept on it (:func:`grid_of`), so it lives and dies with the data's
owner; there is no cache here. The per-cluster sums of the M-step have one
definition, :func:`cluster_sums` (whole cells where all points share a label,
the other points one by one); the E-step's :func:`nearest_on_grid` produces
exactly the same numbers as a by-product, so a full step need not read the
labels again.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .prepared import Prepared

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
#: Distances per block in the direct computation (its temporaries stay in a
#: core's cache: about three times faster than blocks of 2^19 at K = 10),
#: but never fewer points than _MIN_BLOCK (the per-block overhead).
_BLOCK_VALUES = 1 << 16
_MIN_BLOCK = 1024

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


def _sq_distances(x: np.ndarray, y: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """K x n squared distances of the 2-D points (x, y) to the centres, as
    differences (never the expansion ||p||^2 - 2 p.c + ||c||^2, which loses digits)."""
    d = np.subtract(x, centres[:, 0, None])
    d *= d
    dy = np.subtract(y, centres[:, 1, None])
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
def nearest_direct(points: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels of the nearest centres of 2-D points and the squared distances.

    Parameters
    ----------
    points : ndarray of shape (n, 2)
    centres : ndarray of shape (K, 2)

    Returns
    -------
    labels : ndarray of shape (n,)
        Ties (up to the last few bits, see :func:`packed_min`) go to the lower index.
    sq_distances : ndarray of shape (n,)
    """
    n = points.shape[0]
    labels = np.empty(n, dtype=np.int32)
    dist = np.empty(n)
    block = max(_MIN_BLOCK, _BLOCK_VALUES // centres.shape[0])
    for start in range(0, n, block):
        stop = min(start + block, n)
        part = points[start:stop]
        labels[start:stop], dist[start:stop] = packed_min(_sq_distances(part[:, 0], part[:, 1], centres))
    return labels, dist


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
    mean : (2,) the prepared data's column mean, the origin of the centred points.
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


def grid_of(data: Prepared) -> Grid:
    """The grid of the prepared data, built on first use and kept with them."""
    return data.derived("kmeans_grid", lambda p: build_grid(p.X, p.mean))


def usable(grid: Grid, centres_c: np.ndarray) -> bool:
    """Whether the grid's arithmetic holds for these centres: no squared
    distance can overflow (the margin is relative; see `_TINY` for underflow)."""
    return grid.extent < _HUGE and float(np.abs(centres_c).max()) < _HUGE


def _beyond(far: np.ndarray, near: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Whether a centre at distance ``far`` from a cell's centre is farther
    from every point of the cell than the centre at ``near`` (with margin)."""
    # far - near > 2 r + _MARGIN (far + r) + _TINY, written so that far = inf is beyond
    return far * (1.0 - _MARGIN) - near > (2.0 + _MARGIN) * radius + _TINY


@_quiet
def _nearer(x, y, centres, a, b) -> tuple[np.ndarray, np.ndarray]:
    """For points whose nearest centre is ``a`` or ``b`` (per point): the
    one :func:`packed_min` over all centres picks, and its squared distance,
    computed with the same operations bit for bit."""
    cx, cy = centres[:, 0].copy(), centres[:, 1].copy()
    d_a, d_b = (_sq_distances_to(x, y, cx.take(c), cy.take(c)) for c in (a, b))
    low = np.int64((1 << _n_bits(centres.shape[0])) - 1)
    packed_a = (d_a.view(np.int64) & ~low) | a
    packed_b = (d_b.view(np.int64) & ~low) | b
    best = np.minimum(packed_a, packed_b)
    labels = (best & low).astype(np.int32)
    best &= ~low
    return labels, best.view(np.float64)


def _points_of(grid: Grid, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(places in the sorted order of every point of ``cells``, in cell
    order; the number of points per cell)."""
    sizes = grid.starts[cells + 1] - grid.starts[cells]
    ends = np.cumsum(sizes)
    at = np.repeat(grid.starts[cells] - ends + sizes, sizes) + np.arange(ends[-1] if ends.size else 0)
    return at, sizes


def _sums(grid: Grid, whole: np.ndarray, cell_label: np.ndarray, at: np.ndarray, point_label: np.ndarray,
          n_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts and centred sums per cluster: cells ``whole`` (in increasing
    order) count whole under ``cell_label``, the points at sorted places
    ``at`` one by one under ``point_label`` (in that order)."""
    lab = cell_label.take(whole)
    counts = (np.bincount(lab, weights=grid.counts.take(whole), minlength=n_clusters)
              + np.bincount(point_label, minlength=n_clusters))
    sums = np.empty((n_clusters, 2))
    for j in range(2):
        sums[:, j] = (np.bincount(lab, weights=grid.sums[j].take(whole), minlength=n_clusters)
                      + np.bincount(point_label, weights=grid.sorted_points[j].take(at), minlength=n_clusters))
    return counts, sums


def cluster_sums(grid: Grid, labels: np.ndarray, n_clusters: int) -> tuple[np.ndarray, np.ndarray]:
    """Counts n_k and sums of the centred points per cluster of ``labels``.

    The definition the M-step uses: a cell whose points all carry one
    label adds its count and sums whole, the points of the other cells are
    added one by one in the grid's order. :func:`nearest_on_grid` returns
    the same numbers, bit for bit, for the labels it computes.
    """
    in_order = np.asarray(labels).take(grid.order)
    first = grid.starts[:-1]
    low = np.minimum.reduceat(in_order, first)
    whole = low == np.maximum.reduceat(in_order, first)
    at, _ = _points_of(grid, np.flatnonzero(~whole))
    return _sums(grid, np.flatnonzero(whole), low, at, in_order.take(at), n_clusters)


@_quiet
def nearest_on_grid(centres_c: np.ndarray, grid: Grid) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Labels, distortion, and the counts and centred sums per cluster of
    :func:`cluster_sums` for those labels, through ``grid``.

    ``centres_c`` are the centres minus the data's mean (check
    :func:`usable` first). The labels equal those of :func:`nearest_direct`
    on the centred data.
    """
    n_clusters = centres_c.shape[0]
    d = _sq_distances(grid.means[0], grid.means[1], centres_c)
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
    at, sizes = _points_of(grid, mixed)
    px, py = grid.sorted_points[0].take(at), grid.sorted_points[1].take(at)
    point_label = np.empty(at.size, dtype=np.int32)
    point_sq = np.empty(at.size)
    if at.size:
        others = d[:, mixed]
        rivals = ~_beyond(np.sqrt(others), near[mixed], radius[mixed])
        pair = np.repeat(rivals.sum(axis=0) == 1, sizes)
        rival = np.repeat(packed_min(others)[0], sizes)[pair]  # the nearest other centre
        point_label[pair], point_sq[pair] = _nearer(px[pair], py[pair], centres_c,
                                                    np.repeat(cell_label[mixed], sizes)[pair], rival)
        many = ~pair
        point_label[many], point_sq[many] = packed_min(_sq_distances(px[many], py[many], centres_c))
        labels[grid.order.take(at)] = point_label
        # a measured cell whose points all took one label counts whole in the sums, as in cluster_sums
        offsets = np.cumsum(sizes) - sizes
        low = np.minimum.reduceat(point_label, offsets)
        one_label = low == np.maximum.reduceat(point_label, offsets)
        whole = pure.copy()
        whole[mixed[one_label]] = True
        whole_label = cell_label.copy()
        whole_label[mixed[one_label]] = low[one_label]
        kept = np.repeat(~one_label, sizes)
        counts, sums = _sums(grid, np.flatnonzero(whole), whole_label, at[kept], point_label[kept], n_clusters)
    else:
        counts, sums = _sums(grid, np.flatnonzero(pure), cell_label, at, point_label, n_clusters)

    # over a cell with mean m: sum ||x - c||^2 = sum ||x - m||^2 + 2 (m - c).sum (x - m) + n ||m - c||^2,
    # where sum (x - m) is only round-off: no term cancels another
    cells = np.flatnonzero(pure)
    lab = cell_label.take(cells)
    n_c = grid.counts.take(cells)
    distortion = grid.scatter.take(cells).sum() + point_sq.sum()
    for j in range(2):
        offset = grid.means[j].take(cells) - centres_c[:, j].take(lab)
        distortion += np.einsum("i,i->", offset, 2.0 * grid.sum_rel[j].take(cells) + n_c * offset)
    return labels, max(float(distortion), 0.0), counts, sums
