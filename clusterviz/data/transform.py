"""Column transforms for many-column data: standardising, PCA, and projecting
Gaussians onto the two shown axes (numpy only, never Qt).

Why standardise? Distances add up squared differences of every column, so a
column measured in large units dominates. In the Old Faithful table the
waiting time (43-96 minutes) swamps the eruption length (1.6-5.1 minutes):
unscaled, K-Means splits the data by waiting time alone. Standardising gives
every column mean 0 and standard deviation 1.

A view of D-dimensional data is either a pair of columns ``(i, j)`` or a
linear projection ``W`` of shape (2, D) (the first two principal axes). A
Gaussian N(mu, Sigma) seen through the view is again Gaussian:

- column pair: mean ``mu[[i, j]]``, covariance the 2x2 marginal block
  ``Sigma[[i, j]][:, [i, j]]``;
- projection: mean ``W (mu - c)`` (c the centre the view subtracts),
  covariance ``W Sigma W^T``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "PC1_DOMINANCE",
    "explained_variance",
    "pca_dominance_warning",
    "standardise",
    "pca_projection",
    "project_points",
    "project_gaussian",
    "project_gaussians",
]


def _as_matrix(X, what: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{what} should be a 2-D array (n_samples, n_features); got shape {X.shape}.")
    if not np.isfinite(X).all():
        i, j = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"{what}[{i}, {j}] is {X[i, j]}; every value must be finite.")
    return X


def standardise(
    X, columns: Sequence[str] | None = None, warnings: list[str] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Give every column mean 0 and standard deviation 1.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    columns : sequence of str, optional
        Column names, used in the warnings.
    warnings : list of str, optional
        Receives one sentence per constant column (e.g. "Column 'x' is
        constant; it was centred but not scaled.").

    Returns
    -------
    Z : ndarray of shape (n_samples, n_features)
        ``(X - mean) / scale``.
    mean : ndarray of shape (n_features,)
    scale : ndarray of shape (n_features,)
        The population standard deviation of each column; 1 for a constant
        column (which becomes all zeros rather than NaN).
    """
    X = _as_matrix(X)
    n, d = X.shape
    names = tuple(columns) if columns is not None else tuple(f"column {j + 1}" for j in range(d))
    if n == 0:
        return X.copy(), np.zeros(d), np.ones(d)
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    exact = np.ptp(X, axis=0) == 0.0
    # A spread so small that its standard deviation underflows counts as constant too.
    constant = exact | ~(scale > np.finfo(np.float64).tiny)
    for j in np.flatnonzero(constant):
        if warnings is not None:
            warnings.append(f"Column {names[j]!r} is constant; it was centred but not scaled.")
        scale[j] = 1.0
        if exact[j]:
            mean[j] = X[0, j]  # so the column becomes exactly 0
    Z = (X - mean) / scale
    return Z, mean, scale


def pca_projection(X) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first two principal axes of X, by the SVD of the centred data.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features), n_features >= 2

    Returns
    -------
    W : ndarray of shape (2, n_features)
        Orthonormal rows: the directions of largest variance. Each row's sign
        is chosen so that its largest-magnitude entry is positive (stable
        pictures from run to run).
    mean : ndarray of shape (n_features,)
        The column means; the projected points are ``(X - mean) @ W.T``.
    explained_variance_ratio : ndarray of shape (2,)
        Fraction of the total variance along each axis (0 when all points
        coincide).

    Raises
    ------
    ValueError
        If X has fewer than two columns or no rows.
    """
    X = _as_matrix(X)
    n, d = X.shape
    if d < 2:
        raise ValueError(f"A PCA view needs at least 2 columns; X has {d}.")
    if n == 0:
        raise ValueError("A PCA view needs at least one point.")
    mean = X.mean(axis=0)
    if n < 2:  # one point: no direction has variance, any two axes will do
        s, vt = np.zeros(1), np.eye(2, d)
    else:  # the thin SVD: never a d x d matrix (a file may have 10^5 columns)
        _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    W = vt[:2].copy()
    for r in range(2):
        j = int(np.argmax(np.abs(W[r])))
        if W[r, j] < 0:
            W[r] = -W[r]
    variances = np.zeros(d)
    variances[: s.shape[0]] = s**2
    total = variances.sum()
    ratio = variances[:2] / total if total > 0 else np.zeros(2)
    return W, mean, ratio


#: PC1 explaining at least this fraction of the variance is "about 100 %".
PC1_DOMINANCE = 0.99


def pca_dominance_warning(X, columns: Sequence[str] | None = None,
                          threshold: float = PC1_DOMINANCE) -> str | None:
    """A warning when the first principal axis explains about all the
    variance of ``X`` (at least ``threshold``) because one column's units
    dwarf the others' -- the usual sign of PCA on unstandardised columns:
    PC1 is then that column and the picture shows nothing else.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features), n_features >= 2
    columns : sequence of str, optional
        Column names, to name the dominating column.

    Returns
    -------
    str or None
        E.g. "PC1 explains 100.0 % of the variance: the column 'body_mass_g'
        (standard deviation 802) dwarfs the others (at most 14). PCA on
        unstandardised columns shows little but that column; standardise the
        columns first." None when PC1 explains less, or the columns have
        comparable spreads (one real direction of variation).
    """
    X = _as_matrix(X)
    n, d = X.shape
    if n < 2 or d < 2:
        return None
    _, _, ratio = pca_projection(X)
    if ratio[0] < threshold:
        return None
    std = X.std(axis=0)
    order = np.argsort(std)[::-1]
    top, rest = float(std[order[0]]), float(std[order[1]])
    if not top > 3.0 * rest:  # comparable spreads: the data really lie along one direction
        return None
    names = tuple(columns) if columns is not None else tuple(f"column {j + 1}" for j in range(d))
    return (f"PC1 explains {100 * ratio[0]:.1f} % of the variance: the column {names[order[0]]!r} "
            f"(standard deviation {top:.3g}) dwarfs the others (at most {rest:.3g}). PCA on unstandardised "
            "columns shows little but that column; standardise the columns first.")


def _view_matrix(view, d: int) -> tuple[np.ndarray | None, list[int] | None]:
    """(W, None) for a projection matrix, (None, [i, j]) for a column pair."""
    arr = np.asarray(view)
    if arr.ndim == 1 and arr.shape[0] == 2 and arr.dtype.kind in "iu":
        cols = [int(c) for c in arr]
        for c in cols:
            if not 0 <= c < d:
                raise ValueError(f"view column {c} should be a column index in 0..{d - 1}.")
        return None, cols
    W = np.asarray(view, dtype=np.float64)
    if W.shape != (2, d):
        raise ValueError(f"a view should be a column pair or a (2, {d}) projection; got shape {W.shape}.")
    return W, None


def project_points(X, view, center=None) -> np.ndarray:
    """The (n_samples, 2) coordinates of X seen through ``view``.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    view : (int, int) or ndarray of shape (2, n_features)
        A column pair or a projection matrix.
    center : ndarray of shape (n_features,), optional
        Subtracted before a projection (ignored for a column pair).
    """
    X = np.asarray(X, dtype=np.float64)
    W, cols = _view_matrix(view, X.shape[1])
    if cols is not None and cols[1] == cols[0] + 1:  # neighbouring columns: a read-only view, no copy
        shown = X[:, cols[0]:cols[0] + 2].view()
        shown.flags.writeable = False
        return shown
    if cols is not None:
        return X[:, cols]
    if center is not None:
        X = X - np.asarray(center, dtype=np.float64)
    return X @ W.T


def project_gaussian(mean, cov, view, center=None) -> tuple[np.ndarray, np.ndarray | None]:
    """A Gaussian N(mean, cov) in D dimensions seen through a 2-D view.

    Parameters
    ----------
    mean : array_like of shape (n_features,)
    cov : array_like of shape (n_features, n_features) or None
        None (K-Means) gives None.
    view : (int, int) or ndarray of shape (2, n_features)
        A column pair: the marginal of a Gaussian is its sub-vector and 2x2
        sub-matrix. A projection W: the mean ``W (mean - center)`` and
        covariance ``W cov W^T`` (a linear map of a Gaussian is Gaussian).
    center : array_like of shape (n_features,), optional
        What the projection subtracts first (ignored for a column pair).

    Returns
    -------
    mean2 : ndarray of shape (2,)
    cov2 : ndarray of shape (2, 2) or None
        Symmetrised exactly, so it is symmetric positive semi-definite
        whenever ``cov`` is.
    """
    mean = np.asarray(mean, dtype=np.float64)
    m2, c2 = project_gaussians(mean[None, :], None if cov is None else np.asarray(cov)[None], view, center)
    return m2[0], None if c2 is None else c2[0]


def project_gaussians(means, covariances, view, center=None) -> tuple[np.ndarray, np.ndarray | None]:
    """`project_gaussian` for K components at once.

    Parameters
    ----------
    means : array_like of shape (K, n_features)
    covariances : array_like of shape (K, n_features, n_features) or None
    view, center : see `project_gaussian`

    Returns
    -------
    means2 : ndarray of shape (K, 2)
    covariances2 : ndarray of shape (K, 2, 2) or None
    """
    means = np.asarray(means, dtype=np.float64)
    W, cols = _view_matrix(view, means.shape[1])
    if cols is not None:
        means2 = means[:, cols]
        if covariances is None:
            return means2, None
        covs = np.asarray(covariances, dtype=np.float64)
        return means2, covs[:, cols][:, :, cols]
    shifted = means if center is None else means - np.asarray(center, dtype=np.float64)
    means2 = shifted @ W.T
    if covariances is None:
        return means2, None
    covs = np.asarray(covariances, dtype=np.float64)
    covs2 = np.einsum("ad,kde,be->kab", W, covs, W)
    covs2 = 0.5 * (covs2 + np.swapaxes(covs2, 1, 2))
    return means2, covs2


def explained_variance(X, W) -> np.ndarray:
    """Fraction of the total variance of X along each row of W.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    W : array_like of shape (m, n_features)
        Unit-length rows (e.g. from `pca_projection`).

    Returns
    -------
    ndarray of shape (m,)
        ``w^T C w / trace(C)`` for the covariance C of X; zeros when X has
        no spread.
    """
    X = np.asarray(X, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    if X.shape[0] == 0:
        return np.zeros(W.shape[0])
    Xc = X - X.mean(axis=0)
    total = float(np.sum(Xc**2))
    if total <= 0.0:
        return np.zeros(W.shape[0])
    return np.sum((Xc @ W.T) ** 2, axis=0) / total
