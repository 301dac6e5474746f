"""A fit's parameters evaluated over the plane: decision regions and mixture
density on a regular 2-D grid of pixels (no Qt).

The canvas's background layers -- decision regions and mixture density --
need, for every cell of a grid laid over the visible part of the plane, the
cluster a point there would be assigned to and log p(x) of the mixture. This
module computes both from a :class:`FitState`'s parameters with the models'
own numerics, so that a region's colour always agrees with the assignment a
point placed there would get:

- K-Means: the nearest mean (:func:`clusterviz.model.kmeans.assign_labels`,
  the K-Means E-step, PRML (9.2)); there is no density.
- Soft K-Means: the most responsible mean
  (:func:`clusterviz.model.soft_kmeans.soft_responsibilities`); the density
  is that of the equivalent mixture, equal weights and covariance I/(2 beta).
- Gaussian mixture: argmax of the posterior and log p(x) =
  logsumexp_k [log pi_k + log N(x | mu_k, Sigma_k)] (PRML (9.14), (9.23)),
  through :func:`clusterviz.model.gaussian.log_likelihood_pass`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from . import gaussian as g
from .kmeans import assign_labels
from .soft_kmeans import soft_responsibilities
from .state import FitState, ModelError

__all__ = ["ALGORITHMS", "KINDS", "GridResult", "contour_segments", "density_levels", "evaluate_grid",
           "grid_points", "grid_shape", "has_density"]

KINDS: tuple[str, ...] = ("regions", "density", "both")
ALGORITHMS: tuple[str, ...] = ("kmeans", "gmm", "soft-kmeans")

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


def has_density(algorithm: str) -> bool:
    """Whether ``algorithm`` defines a density p(x) (the mixtures do, K-Means does not)."""
    return algorithm in ("gmm", "soft-kmeans")


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


def evaluate_grid(state: FitState, x_range, y_range, shape, kind: str = "both", *, algorithm: str | None = None,
                  covariance_type: str = "full", reg_covar: float = 1e-6,
                  beta: float | None = None) -> GridResult:
    """Assignments and log-density of ``state``'s parameters on a grid.

    Parameters
    ----------
    state : FitState
        Only the parameters are used (means; for mixtures also weights and
        covariances). Must be 2-D (means of shape (n_clusters, 2)).
    x_range, y_range : (float, float)
        The area covered (see :func:`grid_points`).
    shape : (int, int)
        (n_rows, n_cols).
    kind : {"regions", "density", "both"}
        What to compute. Density is None for K-Means.
    algorithm : {"kmeans", "gmm", "soft-kmeans"} or None
        Which model's numerics to use; None guesses from the state (no
        covariances: K-Means, else a Gaussian mixture).
    covariance_type : {"full", "tied", "diag", "spherical"}
        The GMM's covariance type (how its covariances are factorised).
    reg_covar : float
        The GMM's reg_covar (quoted in error messages only).
    beta : float or None
        Soft K-Means' stiffness; None reads it from the covariances I/(2 beta).

    Returns
    -------
    GridResult

    Raises
    ------
    ValueError
        If the state is not 2-D or an argument is not allowed.
    ModelError
        If the mixture cannot be evaluated (a covariance is not positive
        definite, or the grid lies so far from every component that p(x)
        underflows).
    """
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is not allowed; choose one of {', '.join(map(repr, KINDS))}.")
    if algorithm is None:
        algorithm = "kmeans" if state.covariances is None else "gmm"
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm={algorithm!r} is not allowed; choose one of "
                         f"{', '.join(map(repr, ALGORITHMS))}.")
    means = np.asarray(state.means, dtype=np.float64)
    if means.ndim != 2 or means.shape[1] != 2:
        raise ValueError(f"Background layers need 2-D parameters; the means have shape {means.shape}.")
    xs, ys, P = grid_points(x_range, y_range, shape)
    n_rows, n_cols = ys.shape[0], xs.shape[0]
    want_labels = kind in ("regions", "both")
    want_density = kind in ("density", "both") and algorithm != "kmeans"
    labels = log_density = None
    if algorithm == "kmeans":
        if want_labels:
            labels = assign_labels(P, means)[0]
    else:
        if algorithm == "soft-kmeans" and want_labels:
            labels = np.argmax(soft_responsibilities(P, means, _beta_of(state) if beta is None else beta), axis=1)
        gmm_labels = want_labels and algorithm == "gmm"
        if gmm_labels or want_density:
            ct = covariance_type if algorithm == "gmm" else "spherical"
            labels_out, log_density = _mixture_pass(P, state, ct, reg_covar, gmm_labels, want_density)
            if gmm_labels:
                labels = labels_out
    if labels is not None:
        labels = np.asarray(labels, dtype=np.intp).reshape(n_rows, n_cols)
    if log_density is not None:
        log_density = log_density.reshape(n_rows, n_cols)
    return GridResult(xs, ys, labels, log_density)


def density_levels(state: FitState, X, fractions: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9), *,
                   covariance_type: str = "full", reg_covar: float = 1e-6) -> np.ndarray:
    """log p(x) levels whose contours enclose given fractions of the data.

    The contour at the level for fraction f encloses the region where
    log p(x) is at least the (1 - f) quantile of log p(x_n) over the data, so
    it holds the densest ``f`` of the points: a view-independent, readable
    choice ("the inner line holds the densest 10 % of the points").

    Parameters
    ----------
    state : FitState
        A mixture's state (covariances not None).
    X : ndarray of shape (n_samples, n_features)
        The data (at most ``MAX_LEVEL_POINTS`` evenly spaced rows are used).
    fractions : sequence of float in (0, 1)

    Returns
    -------
    ndarray of shape (len(fractions),)
        Levels, increasing with decreasing fraction; empty when X is empty.
    """
    if state.covariances is None:
        raise ValueError("K-Means defines no density; density levels need a mixture's state.")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] == 0:
        return np.empty(0)
    f = np.asarray(fractions, dtype=np.float64)
    if f.ndim != 1 or not np.all((f > 0) & (f < 1)):
        raise ValueError(f"fractions={fractions!r} should be numbers strictly between 0 and 1.")
    stride = max(1, -(-X.shape[0] // MAX_LEVEL_POINTS))
    sample = X[::stride]
    _, log_p = _mixture_pass(sample, state, covariance_type, reg_covar, False, True)
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
def _mixture_pass(P, state, covariance_type, reg_covar, want_labels, want_density):
    """(labels or None, log p or None) of a mixture at the rows of P, with
    the same factorisation and pass as the GMM's E-step."""
    cov = state.covariances
    if cov is None:
        raise ValueError("A mixture's state needs covariances; this one has none.")
    cov = np.asarray(cov, dtype=np.float64)
    center = np.einsum("ij->j", P) / P.shape[0]  # as the GMM centres its data
    U, log_det = g.precision_factors(cov, covariance_type, reg_covar)
    factors = g.Factors(g.log_weights(np.asarray(state.weights, dtype=np.float64)),
                        np.asarray(state.means, dtype=np.float64) - center, U, log_det)
    labels = np.empty(P.shape[0], dtype=np.intp) if want_labels else None
    log_p = np.empty(P.shape[0]) if want_density else None
    g.log_likelihood_pass(P, center, factors, labels_out=labels, per_point_out=log_p)
    return labels, log_p


def _beta_of(state: FitState) -> float:
    """Soft K-Means' stiffness from its covariance I/(2 beta)."""
    if state.covariances is None:
        raise ValueError("A soft K-Means state needs its covariances I/(2 beta); this one has none.")
    variance = float(np.asarray(state.covariances)[0, 0, 0])
    if not variance > 0:
        raise ModelError(f"The soft K-Means variance is {variance!r}; it should be 1/(2 beta) > 0.")
    return 1.0 / (2.0 * variance)


def _check_range(name: str, r) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in r)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={r!r} should be two numbers (low, high).") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"{name}={r!r} should be two finite numbers with low < high.")
    return low, high
