"""Data prepared once for many steps, owned by whoever owns the data.

scikit-learn hands ``x_squared_norms`` to its Lloyd loop instead of
recomputing them; here :func:`prepare` makes a :class:`Prepared` object
that the owner of the data (the session, or ``fit`` for one call) keeps and
passes to every step in place of the array. It holds a read-only copy of
the data and their column mean; algorithms attach what they build from the
data on first use with :meth:`Prepared.derived` (K-Means' grid of cells,
the centred data), which lives and dies with the object.

Nothing is cached anywhere else. A raw array passed to a step is wrapped by
:func:`as_prepared` for that one call only (without a copy, and marked not
:attr:`~Prepared.reusable`, so no algorithm builds a structure such as
K-Means' grid for it): an array edited in place between two calls is
always measured as it is now, and a single call pays for nothing it cannot
reuse. Whoever steps big data many times (a notebook, the session) should
``prepare(X)`` once and pass the result to every step.

Sequence models (hidden Markov models) also read :attr:`Prepared.lengths`:
how the rows split into consecutive sequences, as hmmlearn's ``lengths``
(None: all rows are one sequence, in order). The i.i.d. algorithms ignore it.
"""
from __future__ import annotations

import numbers

import numpy as np

from .state import ModelError

__all__ = ["Prepared", "as_prepared", "check_lengths", "column_mean", "prepare"]

_ROW_POINTS = 32  # points per row of the reshaped data in column_mean


class Prepared:
    """Data ready for many steps. Build it with :func:`prepare`.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features)
        C-contiguous float64; read-only and never changing when made by
        :func:`prepare`.
    mean : ndarray of shape (n_features,)
        The column mean of ``X`` (:func:`column_mean`, read-only); every
        algorithm centres the data on it.
    reusable : bool
        True when made by :func:`prepare`: ``X`` never changes, so what is
        built from it to speed up later steps (K-Means' grid of cells) pays
        for itself. False for :func:`as_prepared`'s wrapper of a caller's
        array for one call: algorithms then measure the points directly.
    lengths : ndarray of int64 or None
        The rows as consecutive sequences (read-only, positive, summing to
        ``n_samples``; see :func:`check_lengths`); None when the rows are
        one sequence in order. Only sequence models read it.
    """

    __slots__ = ("X", "mean", "reusable", "lengths", "_derived")

    def __init__(self, X: np.ndarray, mean: np.ndarray, reusable: bool = False, lengths=None):
        self.X = X
        self.mean = mean
        self.reusable = reusable
        self.lengths = check_lengths(lengths, X.shape[0] if X.ndim else 0)
        self._derived: dict[str, object] = {}

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of :attr:`X`, (n_samples, n_features)."""
        return self.X.shape

    def derived(self, name: str, build):
        """``build(self)`` computed on first use under ``name``, then kept
        with this object (for example K-Means' grid of cells). A ``build``
        that raises stores nothing.

        Two threads asking at once may both build it; each gets a complete
        value and one of them is kept (builds are pure functions of ``X``,
        so the values are equal).
        """
        try:
            return self._derived[name]
        except KeyError:
            value = self._derived[name] = build(self)
            return value

    def centred(self) -> np.ndarray:
        """``X - mean`` (n_samples, n_features), computed on first use and kept (read-only)."""
        return self.derived("centred", _centred)

    def __array__(self, dtype=None, copy=None):
        if dtype is None or np.dtype(dtype) == self.X.dtype:
            return self.X if not copy else self.X.copy()
        return self.X.astype(dtype)

    def __len__(self) -> int:
        return self.n_samples

    def sequence_starts(self) -> np.ndarray:
        """The first row of every sequence (int array; ``[0]`` for one
        sequence, empty for no rows)."""
        if self.lengths is None:
            return np.zeros(1 if self.n_samples else 0, dtype=np.intp)
        return np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.intp)

    def __repr__(self) -> str:
        sequences = "" if self.lengths is None else f", n_sequences={len(self.lengths)}"
        return f"Prepared(n_samples={self.n_samples}, n_features={self.n_features}{sequences})"


def _centred(prepared: Prepared) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        xc = prepared.X - prepared.mean
    xc.flags.writeable = False
    return xc


def column_mean(X: np.ndarray) -> np.ndarray:
    """Column means of C-contiguous 2-D float64 data (inf or NaN when the
    data hold them or their sum overflows; zeros for no rows).

    The values are added as rows of 32 points (a fast contiguous reduction,
    without BLAS, whose threads spin for a while after a product and take a
    core from the GUI), then those partial sums.
    """
    n, d = X.shape
    if n == 0 or d == 0:
        return np.zeros(d)
    flat = X.reshape(-1)
    width = _ROW_POINTS * d
    n_main = flat.size - flat.size % width
    with np.errstate(over="ignore", invalid="ignore"):
        per_place = flat[:n_main].reshape(-1, width).sum(axis=0) if n_main else np.zeros(width)
        total = per_place.reshape(_ROW_POINTS, d).sum(axis=0) + flat[n_main:].reshape(-1, d).sum(axis=0)
        return total / n


def check_lengths(lengths, n_samples: int) -> np.ndarray | None:
    """``lengths`` as a read-only int64 array, or None for one sequence.

    Parameters
    ----------
    lengths : sequence of int or None
        Lengths of consecutive sequences, as hmmlearn's ``lengths``: whole
        numbers >= 1 that sum to ``n_samples``. None (or an empty sequence
        for no rows) means one sequence.
    n_samples : int

    Raises
    ------
    ModelError
        If a length is not a whole number >= 1 or they do not add up to
        ``n_samples``; the message quotes the offending value.
    """
    if lengths is None:
        return None
    values = np.asarray(lengths)
    if values.ndim != 1:
        raise ModelError(f"lengths should be a flat list of whole numbers; got an array of shape {values.shape}.")
    if values.size == 0:
        if n_samples:
            raise ModelError(f"lengths is empty, but there are {n_samples} rows; give the length of every "
                             "sequence, or None for one sequence.")
        return None
    for i, v in enumerate(values.tolist()):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) and not (
                isinstance(v, float) and v.is_integer()) or v < 1:
            raise ModelError(f"lengths[{i}] = {v!r} should be a whole number >= 1 (the number of rows of "
                             f"sequence {i}).")
    out = values.astype(np.int64)
    total = int(out.sum())
    if total != n_samples:
        raise ModelError(f"lengths add up to {total}, but there are {n_samples} rows; every row must belong "
                         "to exactly one sequence.")
    out.flags.writeable = False
    return out


def _same_lengths(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))


def _wrap(array: np.ndarray, reusable: bool, lengths=None) -> Prepared:
    if array.ndim == 2:
        mean = column_mean(array)
    else:  # not data; the estimators' checks say why
        mean = np.zeros(array.shape[-1:] if array.ndim else 0)
    mean.flags.writeable = False
    return Prepared(array, mean, reusable, lengths)


def prepare(X, lengths=None) -> Prepared:
    """Prepare data ``X`` for stepping.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or Prepared
        Copied (read-only) unless it already is a read-only C-contiguous
        float64 array that owns its memory, such as ``Dataset.X``; a
        reusable Prepared is returned as it is (unless ``lengths`` differ
        from its own: then a new one shares its array).
    lengths : sequence of int, optional
        How the rows split into consecutive sequences (see
        :func:`check_lengths`); None keeps a Prepared's own, or makes the
        rows of an array one sequence.

    Returns
    -------
    Prepared
        :attr:`~Prepared.reusable`; pass it to every step in place of ``X``.

    Raises
    ------
    ModelError
        If ``lengths`` are not positive whole numbers adding up to the rows.
    """
    if isinstance(X, Prepared) and X.reusable:
        if lengths is None or _same_lengths(X.lengths, check_lengths(lengths, X.n_samples)):
            return X
        return Prepared(X.X, X.mean, True, lengths)
    if isinstance(X, Prepared) and lengths is None:
        lengths = X.lengths
    array = np.asarray(X.X if isinstance(X, Prepared) else X, dtype=np.float64)
    if not (array.flags.owndata and not array.flags.writeable and array.flags.c_contiguous):
        array = np.array(array, dtype=np.float64, order="C")
        array.flags.writeable = False
    return _wrap(array, reusable=True, lengths=lengths)


def as_prepared(X, lengths=None) -> Prepared:
    """``X`` itself if it is a Prepared, else ``X`` wrapped for one call.

    The wrapper shares the array's memory when it can (no copy, not made
    read-only) and is not :attr:`~Prepared.reusable`: it must not outlive
    the call that made it, and nothing is built from it that only later
    steps would repay (an array edited between two calls is never measured
    through an old grid, and one call never pays for building one).
    ``lengths`` (see :func:`check_lengths`) replace a Prepared's own, in a
    new object sharing its array.
    """
    if isinstance(X, Prepared):
        if lengths is None or _same_lengths(X.lengths, check_lengths(lengths, X.n_samples)):
            return X
        return Prepared(X.X, X.mean, X.reusable, lengths)
    return _wrap(np.ascontiguousarray(np.asarray(X, dtype=np.float64)), reusable=False, lengths=lengths)
