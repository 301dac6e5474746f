"""How undecided each point is about its cluster, on a common 0 .. 1 scale.

0 means the point is sure of its cluster, 1 means it sits on the fence.

- Soft models (EM for a Gaussian mixture, soft K-Means): the entropy of the
  point's responsibility vector divided by ln K, its largest possible value
  (PRML (1.98) for the entropy; uniform responsibilities give ln K).
- K-Means, whose responsibilities are 0/1 and so have zero entropy: the
  geometric stand-in d1 / d2, the distance to the nearest centroid over the
  distance to the second-nearest. It is 0 at a centroid and 1 on the
  perpendicular bisector between two centroids (the Voronoi boundary). The
  *margin* 1 - d1/d2 runs the other way (1 = sure); `distance_margin`
  returns it, and the ambiguity is its complement so that both scales mean
  the same.

No Qt here: the canvas only turns these numbers into colours.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "ambiguity",
    "centroid_distances",
    "distance_ambiguity",
    "distance_margin",
    "entropy_ambiguity",
]


def centroid_distances(X: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Euclidean distance of every point to every centroid.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means : ndarray of shape (n_clusters, n_features)

    Returns
    -------
    ndarray of shape (n_samples, n_clusters)
    """
    X = np.asarray(X, dtype=np.float64)
    means = np.asarray(means, dtype=np.float64)
    if X.ndim != 2 or means.ndim != 2 or X.shape[1] != means.shape[1]:
        raise ValueError(
            f"X of shape {X.shape} and means of shape {means.shape} should be 2-D with the same columns."
        )
    # Differences, not the |x|^2 - 2 x.m + |m|^2 expansion, which loses every
    # digit for data far from the origin (values near 1e4, spread near 1e-3).
    diff = X[:, None, :] - means[None, :, :]
    return np.sqrt(np.einsum("nkd,nkd->nk", diff, diff))


def distance_margin(distances: np.ndarray) -> np.ndarray:
    """1 - d1/d2 for every point: 1 at a centroid, 0 on a Voronoi boundary.

    Parameters
    ----------
    distances : ndarray of shape (n_samples, n_clusters)
        Distances to the centroids (see `centroid_distances`).

    Returns
    -------
    ndarray of shape (n_samples,), values in [0, 1]
        With a single cluster every point is sure (1). A point whose two
        nearest centroids coincide with it (d1 = d2 = 0) is on the fence (0).
    """
    return 1.0 - distance_ambiguity(distances)


def distance_ambiguity(distances: np.ndarray) -> np.ndarray:
    """d1 / d2 for every point: 0 at a centroid, 1 on a Voronoi boundary.

    Parameters
    ----------
    distances : ndarray of shape (n_samples, n_clusters)

    Returns
    -------
    ndarray of shape (n_samples,), values in [0, 1]
    """
    D = np.asarray(distances, dtype=np.float64)
    if D.ndim != 2:
        raise ValueError(f"distances should have shape (n_samples, n_clusters); got shape {D.shape}.")
    n, k = D.shape
    if k < 2 or n == 0:
        return np.zeros(n)
    two = np.partition(D, 1, axis=1)[:, :2]
    d1, d2 = two[:, 0], two[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d2 > 0.0, d1 / np.where(d2 > 0.0, d2, 1.0), 1.0)
    return np.clip(ratio, 0.0, 1.0)


def entropy_ambiguity(responsibilities: np.ndarray) -> np.ndarray:
    """Entropy of each responsibility vector divided by ln K.

    Parameters
    ----------
    responsibilities : ndarray of shape (n_samples, n_clusters)
        Rows sum to 1 (they are renormalised if they do not quite).

    Returns
    -------
    ndarray of shape (n_samples,), values in [0, 1]
        0 for a one-hot row, 1 for the uniform row; 0 for every point when
        K = 1.
    """
    R = np.asarray(responsibilities, dtype=np.float64)
    if R.ndim != 2:
        raise ValueError(f"responsibilities should have shape (n_samples, n_clusters); got shape {R.shape}.")
    n, k = R.shape
    if k < 2 or n == 0:
        return np.zeros(n)
    R = np.clip(R, 0.0, None)
    total = R.sum(axis=1, keepdims=True)
    R = np.divide(R, total, out=np.full_like(R, 1.0 / k), where=total > 0.0)
    # 0 * log 0 = 0: take the log only where r > 0.
    logs = np.log(R, out=np.zeros_like(R), where=R > 0.0)
    H = -np.einsum("nk,nk->n", R, logs)
    return np.clip(H / np.log(k), 0.0, 1.0) + 0.0  # + 0.0 turns -0.0 into 0.0


def ambiguity(X: np.ndarray, means: np.ndarray, responsibilities: np.ndarray | None,
              hard: bool) -> np.ndarray | None:
    """The ambiguity of every point for the shown state of a fit.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means : ndarray of shape (n_clusters, n_features)
    responsibilities : ndarray of shape (n_samples, n_clusters) or None
        The shown responsibilities (soft models); ignored when ``hard``.
    hard : bool
        True for K-Means (use d1/d2), False for the soft models (entropy).

    Returns
    -------
    ndarray of shape (n_samples,) or None
        Values in [0, 1]; None for a soft model whose state has no
        responsibilities yet (before the first E-step).
    """
    if hard:
        return distance_ambiguity(centroid_distances(X, means))
    if responsibilities is None:
        return None
    return entropy_ambiguity(responsibilities)
