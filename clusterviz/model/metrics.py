"""Cluster-quality numbers: the silhouette (no true classes needed) and the
adjusted Rand index (agreement with true classes). numpy and scipy only.

Both follow scikit-learn's definitions and conventions exactly
(``sklearn.metrics.silhouette_samples``, ``silhouette_score`` and
``adjusted_rand_score``), so a student can check one against the other.
"""
from __future__ import annotations

import numpy as np

from .validation import as_generator


def cdist(XA, XB, metric="euclidean"):
    """``scipy.spatial.distance.cdist``, imported on first use: scipy.spatial
    costs about 0.15 s to import, which the app's start-up would pay before the window shows."""
    from scipy.spatial.distance import cdist as _cdist

    return _cdist(XA, XB, metric)


__all__ = ["silhouette_samples", "silhouette_score", "adjusted_rand_index"]

# Distance rows per chunk: a chunk holds at most ~_CHUNK_ELEMENTS distances
# (32 MB), so memory stays O(chunk x N) however large N is.
_CHUNK_ELEMENTS = 1 << 22


def _encode(labels, n_samples: int | None = None, name: str = "labels",
            other: str = "X") -> tuple[np.ndarray, int]:
    """Labels as codes 0..L-1 (in sorted order of the values) and L."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"{name} should be a 1-D array; got an array with shape {labels.shape}.")
    if n_samples is not None and labels.shape[0] != n_samples:
        raise ValueError(f"{name} has {labels.shape[0]} entries but {other} has {n_samples} points; "
                         "there must be one label per point.")
    classes, codes = np.unique(labels, return_inverse=True)
    return codes.reshape(-1).astype(np.intp), int(classes.shape[0])


def _check_X(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X should be a 2-D array (n_samples, n_features); got an array with shape {X.shape}.")
    if not np.all(np.isfinite(X)):
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"X holds a non-finite value ({X[row, col]}) at row {row}, column {col}.")
    return np.ascontiguousarray(X)


def silhouette_samples(X, labels, *, chunk_rows: int | None = None) -> np.ndarray:
    """Silhouette coefficient of every point (Rousseeuw 1987).

    For point i in cluster C, a(i) is the mean Euclidean distance to the
    other points of C and b(i) the smallest mean distance to the points of
    another cluster; s(i) = (b - a) / max(a, b), in [-1, 1]. As in
    scikit-learn, a point alone in its cluster gets s = 0 (and so does a point
    with a = b = 0).

    Distances are exact (``scipy.spatial.distance.cdist``, Euclidean),
    computed a block of rows at a time so memory stays O(chunk x N); the
    per-cluster sums of every block are one matrix product with the one-hot
    label matrix.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
        Any hashable, sortable values (ints, strings).
    chunk_rows : int, optional
        Rows per distance block (default: about 4 million distances per block).

    Returns
    -------
    ndarray of shape (n_samples,)

    Raises
    ------
    ValueError
        If the number of distinct labels is not between 2 and n_samples - 1.
    """
    X = _check_X(X)
    n_samples = X.shape[0]
    codes, n_labels = _encode(labels, n_samples)
    if not 1 < n_labels < n_samples:
        raise ValueError(f"Number of labels is {n_labels}. Valid values are 2 to n_samples - 1 (inclusive); "
                         f"here n_samples = {n_samples}.")
    counts = np.bincount(codes, minlength=n_labels).astype(np.float64)
    one_hot = np.zeros((n_samples, n_labels))
    one_hot[np.arange(n_samples), codes] = 1.0
    if chunk_rows is None:
        chunk_rows = max(1, _CHUNK_ELEMENTS // n_samples)
    a = np.empty(n_samples)
    b = np.empty(n_samples)
    for start in range(0, n_samples, chunk_rows):
        stop = min(start + chunk_rows, n_samples)
        D = cdist(X[start:stop], X, "euclidean")
        sums = D @ one_hot  # (chunk, L): summed distance to every cluster
        rows = np.arange(stop - start)
        own = codes[start:stop]
        a[start:stop] = sums[rows, own]
        sums[rows, own] = np.inf
        sums /= counts
        b[start:stop] = sums.min(axis=1)
    own_size = counts[codes]
    single = own_size <= 1.0
    a /= np.where(single, 1.0, own_size - 1.0)  # mean over the *other* points
    top = np.maximum(a, b)
    s = np.zeros(n_samples)
    ok = ~single & (top > 0.0)
    s[ok] = (b[ok] - a[ok]) / top[ok]
    return s


def silhouette_score(X, labels, sample_size: int | None = 5000,
                     random_state=None) -> tuple[float, bool]:
    """Mean silhouette coefficient, on a random subsample when N is large.

    Exact costs O(N^2) distances, so above ``sample_size`` points the mean is
    taken over ``sample_size`` points drawn without replacement (both the
    points scored and the points they are compared with), as
    ``sklearn.metrics.silhouette_score(..., sample_size=...)`` does.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
    sample_size : int or None, default=5000
        None means always exact.
    random_state : None, int or np.random.Generator
        Seeds ``np.random.default_rng`` for the subsample.

    Returns
    -------
    score : float
    used_subsample : bool
        True when the score came from a subsample (the UI says so).
    """
    X = _check_X(X)
    n_samples = X.shape[0]
    labels = np.asarray(labels)
    if labels.shape != (n_samples,):
        raise ValueError(f"labels has shape {labels.shape} but X has {n_samples} points; "
                         "there must be one label per point.")
    if sample_size is not None and sample_size < n_samples:
        if sample_size < 3:
            raise ValueError(f"sample_size={sample_size} is too small; the silhouette needs at least 3 points.")
        rng = as_generator(random_state)
        idx = np.sort(rng.choice(n_samples, size=sample_size, replace=False))
        return float(np.mean(silhouette_samples(X[idx], labels[idx]))), True
    return float(np.mean(silhouette_samples(X, labels))), False


def adjusted_rand_index(labels_true, labels_pred) -> float:
    """Adjusted Rand index (Hubert & Arabie 1985) between two labelings.

    Counts pairs of points: ``tp`` together in both, ``fp`` together only in
    ``labels_pred``, ``fn`` together only in ``labels_true``, ``tn`` apart in
    both (ordered pairs, as scikit-learn's ``pair_confusion_matrix``). Then
    ARI = 2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn)):
    1 for identical partitions (up to renaming), about 0 for random ones,
    negative for worse than chance. When no pair disagrees (fp = fn = 0:
    identical partitions, including one cluster vs one cluster, all
    singletons vs all singletons, or no points) it is 1.0, as in scikit-learn.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n_samples,)

    Returns
    -------
    float
    """
    t, n_t = _encode(labels_true, None, "labels_true")
    p, n_p = _encode(labels_pred, t.shape[0], "labels_pred", "labels_true")
    n = t.shape[0]
    if n == 0:
        return 1.0
    # contingency table n_ij, flattened; integer arithmetic is exact.
    table = np.bincount(t * n_p + p, minlength=n_t * n_p).astype(np.int64)
    sum_sq = int(np.dot(table, table))
    rows = np.bincount(t, minlength=n_t).astype(np.int64)
    cols = np.bincount(p, minlength=n_p).astype(np.int64)
    rows_sq = int(np.dot(rows, rows))
    cols_sq = int(np.dot(cols, cols))
    tp = sum_sq - n
    fp = cols_sq - sum_sq
    fn = rows_sq - sum_sq
    tn = n * n - fp - fn - sum_sq
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))
