"""A fit's parameters evaluated over the plane: decision regions and mixture
density on a regular 2-D grid of pixels (no Qt).

The canvas's background layers -- decision regions and mixture density --
need, for every cell of a grid laid over the visible part of the plane, the
cluster a point there would be assigned to and log p(x) of the model. The
model answers both itself (:meth:`~clusterviz.model.base.SteppableModel.region_labels`,
:meth:`~clusterviz.model.base.SteppableModel.log_density`, one pass where it
can with ``layer_values``), with its own numerics, so a region's colour
always agrees with the assignment a point placed there would get: the
nearest mean for K-Means (which has no density), the most responsible
component for the mixtures (PRML (9.23)), and log p(x) of the mixture
(PRML (9.14)).

:func:`evaluate_layers` and :func:`density_levels` take the model (for
example a session's ``model``), so nothing here depends on which algorithm
it is.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .state import FitState

__all__ = ["KINDS", "GridResult", "contour_segments", "density_levels", "evaluate_layers", "grid_points",
           "grid_shape"]

KINDS: tuple[str, ...] = ("regions", "density", "both")

#: At most this many data points are used to place the density contours.
MAX_LEVEL_POINTS = 20000


class GridResult(NamedTuple):
    """Values on the cell centres of a grid (row i is y, column j is x).

    Attributes
    ----------
    xs : ndarray of shape (n_cols,)
        x of the cell centres, increasing.
    ys : ndarray of shape (n_rows,)
        y of the cell centres, increasing.
    labels : ndarray of shape (n_rows, n_cols) or None
        The cluster a point in each cell would be assigned to (None unless
        ``kind`` asked for regions).
    log_density : ndarray of shape (n_rows, n_cols) or None
        log p(x) of the mixture (None for K-Means or unless asked for).
    """

    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray | None
    log_density: np.ndarray | None


def grid_shape(x_span: float, y_span: float, long_side: int = 240) -> tuple[int, int]:
    """(n_rows, n_cols) of a grid with ``long_side`` cells along the longer of
    two lengths (for example the view's size in pixels), so cells are square.

    Parameters
    ----------
    x_span, y_span : float
        Width and height (any unit, > 0; anything else counts as equal sides).
    long_side : int >= 2
    """
    long_side = max(2, int(long_side))
    if not (np.isfinite(x_span) and np.isfinite(y_span) and x_span > 0 and y_span > 0):
        return long_side, long_side
    if x_span >= y_span:
        return max(2, round(long_side * y_span / x_span)), long_side
    return long_side, max(2, round(long_side * x_span / y_span))


def grid_points(x_range: Sequence[float], y_range: Sequence[float], shape: tuple[int, int]):
    """Cell centres of a grid covering ``x_range`` x ``y_range``.

    Parameters
    ----------
    x_range, y_range : (float, float)
        (low, high) of each axis; low < high.
    shape : (int, int)
        (n_rows, n_cols): cells along y and along x.

    Returns
    -------
    xs : ndarray of shape (n_cols,)
    ys : ndarray of shape (n_rows,)
    points : ndarray of shape (n_rows * n_cols, 2)
        Row-major: point ``i * n_cols + j`` is ``(xs[j], ys[i])``.

    Raises
    ------
    ValueError
        If a range is not two finite increasing numbers or the shape is not
        two whole numbers >= 1.
    """
    x0, x1 = _check_range("x_range", x_range)
    y0, y1 = _check_range("y_range", y_range)
    try:
        n_rows, n_cols = (int(v) for v in shape)
    except (TypeError, ValueError):
        raise ValueError(f"shape={shape!r} should be two whole numbers (n_rows, n_cols).") from None
    if n_rows < 1 or n_cols < 1:
        raise ValueError(f"shape={shape!r} should be two whole numbers >= 1.")
    xs = x0 + (np.arange(n_cols) + 0.5) * ((x1 - x0) / n_cols)
    ys = y0 + (np.arange(n_rows) + 0.5) * ((y1 - y0) / n_rows)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([gx.ravel(), gy.ravel()])


def evaluate_layers(model, state: FitState, x_range, y_range, shape, kind: str = "both") -> GridResult:
    """Assignments and log-density of ``state``'s parameters on a grid.

    Parameters
    ----------
    model : SteppableModel
        The estimator whose numerics apply (its ``layer_values``).
    state : FitState
        Only the parameters are used. Must be 2-D (means of shape (n_clusters, 2)).
    x_range, y_range : (float, float)
        The area covered (see :func:`grid_points`).
    shape : (int, int)
        (n_rows, n_cols).
    kind : {"regions", "density", "both"}
        What to compute. The density is None for a model without one.

    Returns
    -------
    GridResult

    Raises
    ------
    ValueError
        If the state is not 2-D or an argument is not allowed.
    ModelError
        If the model cannot be evaluated (a covariance is not positive
        definite, or the grid lies so far from every component that p(x)
        underflows).
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not allowed; choose one of {', '.join(map(repr, KINDS))}.")
    means = np.asarray(state.means, dtype=np.float64)
    if means.ndim != 2 or means.shape[1] != 2:
        raise ValueError(f"Background layers need 2-D parameters; the means have shape {means.shape}.")
    xs, ys, P = grid_points(x_range, y_range, shape)
    n_rows, n_cols = ys.shape[0], xs.shape[0]
    labels, log_density = model.layer_values(P, state, labels=kind in ("regions", "both"),
                                             density=kind in ("density", "both"))
    if labels is not None:
        labels = np.asarray(labels, dtype=np.intp).reshape(n_rows, n_cols)
    if log_density is not None:
        log_density = log_density.reshape(n_rows, n_cols)
    return GridResult(xs, ys, labels, log_density)


def density_levels(model, state: FitState, X, fractions: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9)) -> np.ndarray:
    """log p(x) levels whose contours enclose given fractions of the data.

    The contour at the level for fraction f encloses the region where
    log p(x) is at least the (1 - f) quantile of log p(x_n) over the data, so
    it holds the densest ``f`` of the points: a view-independent, readable
    choice ("the inner line holds the densest 10 % of the points").

    Parameters
    ----------
    model : SteppableModel
        A model with a density (its ``log_density``).
    state : FitState
    X : ndarray of shape (n_samples, n_features)
        The data (at most ``MAX_LEVEL_POINTS`` evenly spaced rows are used).
    fractions : sequence of float in (0, 1), default (0.1, 0.25, 0.5, 0.75, 0.9)

    Returns
    -------
    ndarray of shape (len(fractions),)
        Levels, increasing with decreasing fraction; empty when X is empty.

    Raises
    ------
    ValueError
        If the model defines no density, or a fraction is not in (0, 1).
    """
    X = np.asarray(X, dtype=np.float64)
    f = np.asarray(fractions, dtype=np.float64)
    if f.ndim != 1 or not np.all((f > 0) & (f < 1)):
        raise ValueError(f"fractions={fractions!r} should be numbers strictly between 0 and 1.")
    if X.ndim != 2 or X.shape[0] == 0:
        return np.empty(0)
    stride = max(1, -(-X.shape[0] // MAX_LEVEL_POINTS))
    log_p = model.log_density(X[::stride], state)
    if log_p is None:
        raise ValueError(f"{type(model).__name__} defines no density; density levels need a mixture's state.")
    return np.quantile(log_p, 1.0 - f)


def contour_segments(xs: np.ndarray, ys: np.ndarray, values: np.ndarray, level: float) -> np.ndarray:
    """Line segments of the contour ``values == level`` (marching squares).

    Every grid cell whose corners straddle ``level`` contributes one segment
    (two at a saddle, split by the value at the cell centre), with ends
    interpolated linearly along the cell's edges. The segments are not
    joined into polylines: drawing them as pairs looks the same and the
    whole computation stays a few array operations.

    Parameters
    ----------
    xs : ndarray of shape (n_cols,)
        Increasing x of the grid columns.
    ys : ndarray of shape (n_rows,)
        Increasing y of the grid rows.
    values : ndarray of shape (n_rows, n_cols)
        Finite values; ``values[i, j]`` is at ``(xs[j], ys[i])``.
    level : float

    Returns
    -------
    ndarray of shape (n_segments, 2, 2)
        ``[k, e]`` is the (x, y) of end ``e`` of segment ``k``.
    """
    V = np.asarray(values, dtype=np.float64)
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    if V.ndim != 2 or V.shape != (ys.shape[0], xs.shape[0]):
        raise ValueError(f"values should have shape (len(ys), len(xs)) = ({ys.shape[0]}, {xs.shape[0]}); "
                         f"got {V.shape}.")
    if V.shape[0] < 2 or V.shape[1] < 2:
        return np.empty((0, 2, 2))
    # Corners of a cell: a (i, j), b (i, j+1), c (i+1, j+1), d (i+1, j); only
    # the cells the level passes through (corners on both sides) are visited.
    up = V >= level
    code = up[:-1, :-1] * 1 + up[:-1, 1:] * 2 + up[1:, 1:] * 4 + up[1:, :-1] * 8
    I, J = np.nonzero((code != 0) & (code != 15))
    a, b, c, d = V[I, J], V[I, J + 1], V[I + 1, J + 1], V[I + 1, J]
    ua, ub, uc, ud = a >= level, b >= level, c >= level, d >= level
    x0, x1, y0, y1 = xs[J], xs[J + 1], ys[I], ys[I + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        def lerp(p, q, v, w):  # where v + t (w - v) == level between positions p and q
            t = np.clip((level - v) / (w - v), 0.0, 1.0)
            return p + t * (q - p)

        # Crossing points on the edges bottom (a-b), right (b-c), top (d-c), left (a-d).
        ex = np.stack([lerp(x0, x1, a, b), x1, lerp(x0, x1, d, c), x0], axis=-1)
        ey = np.stack([y0, lerp(y0, y1, b, c), y1, lerp(y0, y1, a, d)], axis=-1)
    crossed = np.stack([ua != ub, ub != uc, ud != uc, ua != ud], axis=-1)
    n_crossed = crossed.sum(axis=-1)
    points = np.stack([ex, ey], axis=-1)  # (cells, 4 edges, 2)

    # Cells crossed on two edges: one segment between them.
    two = n_crossed == 2
    order = np.argsort(~crossed[two], axis=1, kind="stable")[:, :2]  # the two crossed edges, in order
    single = np.take_along_axis(points[two], order[:, :, None], axis=1)
    # Saddles (all four edges crossed): cut off the two corners whose side
    # differs from the centre's (edges: 0 bottom, 1 right, 2 top, 3 left).
    four = n_crossed == 4
    p4 = points[four]
    centre_up = ((a + b + c + d) / 4.0)[four] >= level
    cut_a_c = centre_up != ua[four]
    first = np.where(cut_a_c[:, None], [3, 0], [0, 1])  # a: left-bottom, else b: bottom-right
    second = np.where(cut_a_c[:, None], [1, 2], [2, 3])  # c: right-top, else d: top-left
    saddle = [np.take_along_axis(p4, idx[:, :, None], axis=1) for idx in (first, second)]
    return np.concatenate([single, *saddle], axis=0)


# --------------------------------------------------------------------------
def _check_range(name: str, r) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in r)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={r!r} should be two numbers (low, high).") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"{name}={r!r} should be two finite numbers with low < high.")
    return low, high
