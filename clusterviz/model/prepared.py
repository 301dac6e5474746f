"""Data prepared once for many steps, owned by whoever owns the data.

scikit-learn hands ``x_squared_norms`` to its Lloyd loop instead of
recomputing them; here :func:`prepare` makes a :class:`Prepared` object
that the owner of the data (the session, or ``fit`` for one call) keeps and
passes to every step in place of the array. It holds a read-only copy of
the data and their column mean; algorithms may attach what they build from
the data on first use (K-Means' grid of cells), which lives and dies with
the object. Nothing is cached anywhere else: a raw array passed to a step
is prepared afresh for that call.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Prepared", "prepare"]


class Prepared:
    """Data ready for many steps. Build it with :func:`prepare`.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
        Read-only, C-contiguous float64; never changes.
    mean : ndarray of shape (n_features,)
        The column mean of ``X`` (read-only).
    """

    __slots__ = ("X", "mean", "_derived")

    def __init__(self, X: np.ndarray, mean: np.ndarray):
        self.X = X
        self.mean = mean
        self._derived: dict[str, object] = {}

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def derived(self, name: str, build):
        """``build(self)`` computed on first use under ``name``, then kept
        with this object (for example K-Means' grid of cells)."""
        try:
            return self._derived[name]
        except KeyError:
            value = self._derived[name] = build(self)
            return value

    def __array__(self, dtype=None, copy=None):
        if dtype is None or np.dtype(dtype) == self.X.dtype:
            return self.X if not copy else self.X.copy()
        return self.X.astype(dtype)

    def __len__(self) -> int:
        return self.n_samples

    def __repr__(self) -> str:
        return f"Prepared(n_samples={self.n_samples}, n_features={self.n_features})"


def prepare(X) -> Prepared:
    """Prepare data ``X`` for stepping.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or Prepared
        Copied (read-only) unless it already is a read-only float64 array
        that owns its memory, such as ``Dataset.X``; a Prepared is returned
        as it is.

    Returns
    -------
    Prepared
    """
    if isinstance(X, Prepared):
        return X
    array = np.asarray(X, dtype=np.float64)
    if not (array.flags.owndata and not array.flags.writeable and array.flags.c_contiguous):
        array = np.array(array, dtype=np.float64, order="C")
        array.flags.writeable = False
    with np.errstate(over="ignore", invalid="ignore"):
        mean = array.mean(axis=0) if array.ndim == 2 and array.shape[0] else np.zeros(array.shape[-1:])
    mean = np.array(mean, dtype=np.float64)
    mean.flags.writeable = False
    return Prepared(array, mean)
