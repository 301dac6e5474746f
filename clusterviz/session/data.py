"""The data owner: the data set with its edits, true classes, and the
`Prepared` data every model call receives.

True classes (``dataset.labels``) follow the edits: removed points take
their class with them, moved points keep it, added points with classes get
theirs (without, the classes are dropped), and `set_data` with classes
restores them exactly (undo).

`DataOwner.prepared` is made with every data version, on the thread that
changes the data (every edit makes a new `Dataset`, whose ``X`` is an owned
read-only copy, so preparing it copies nothing and costs one column mean),
and passed to every step, so what an algorithm builds from the data
(K-Means' grid of cells) lives exactly as long as those data. A worker
thread computing a step therefore only reads the owner; see
`clusterviz.session.Session.prepare_step` for what the step may add to the
`Prepared` itself.

Sequences (``dataset.lengths``, read by hidden Markov models through
``prepared.lengths``) follow the edits too: added points join the last
sequence, a removed point leaves its own, moved points stay where they are.
New points given to `DataOwner.replace` without going through `with_added`
or `without` (undo) keep the sequences when only rows at the end were added
or removed, and otherwise become one sequence.
"""
from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from clusterviz.data import Dataset, builtin_dataset
from clusterviz.data.dataset import appended_lengths, kept_lengths
from clusterviz.model.prepared import Prepared, prepare

from .settings import check_points
from .text import default_class_name

__all__ = ["KEEP", "DataOwner", "check_dataset"]

KEEP = object()  # "argument not given" for the classes of set_data


def _prepared(dataset: Dataset) -> Prepared:
    """The data set prepared for stepping, with its sequences when it has several."""
    return prepare(dataset.X) if dataset.lengths is None else prepare(dataset.X, dataset.lengths)


def check_dataset(dataset) -> Dataset:
    if not isinstance(dataset, Dataset):
        raise ValueError(f"dataset={dataset!r} should be a clusterviz.data.Dataset.")
    if dataset.X.shape[1] < 1:
        raise ValueError(f"Data set {dataset.name!r} has no columns to fit.")
    return dataset


def check_classes(classes, n: int) -> np.ndarray:
    """Class codes for `n` points: an int (all the same) or n ints >= 0."""
    c = np.asarray(classes)
    if c.ndim == 0:
        c = np.full(n, c)
    if c.dtype.kind not in "iu" or c.shape != (n,):
        raise ValueError(f"classes={classes!r} should be one whole number or {n} whole numbers.")
    if n and c.min() < 0:
        raise ValueError(f"class {int(c.min())} should be a whole number >= 0.")
    return c.astype(np.int64)


class DataOwner:
    """Holds the data set and its `Prepared` form.

    Parameters
    ----------
    dataset : Dataset or None
        None starts with the built-in "empty" data set.
    """

    def __init__(self, dataset: Dataset | None = None) -> None:
        self._dataset = check_dataset(builtin_dataset("empty") if dataset is None else dataset)
        self._prepared: Prepared = _prepared(self._dataset)
        self._edited: tuple | None = None  # (X, lengths) made by the last with_added / without

    @property
    def dataset(self) -> Dataset:
        return self._dataset

    @property
    def X(self) -> np.ndarray:
        return self._dataset.X

    @property
    def n_points(self) -> int:
        return int(self._dataset.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self._dataset.X.shape[1])

    @property
    def prepared(self) -> Prepared:
        """The current data prepared for stepping (made with every change of the data)."""
        return self._prepared

    def _set(self, dataset: Dataset) -> None:
        self._prepared = _prepared(dataset)
        self._dataset = dataset
        self._edited = None

    def lengths_for(self, X: np.ndarray) -> tuple[int, ...] | None:
        """The sequence lengths of new points ``X`` (see the module docstring)."""
        if self._edited is not None and self._edited[0] is X:
            return self._edited[1]
        lengths, old = self._dataset.lengths, self.X
        n, n_old = X.shape[0], old.shape[0]
        if lengths is None or X.shape[1] != old.shape[1]:
            return None
        if n == n_old:
            return lengths
        if n > n_old and np.array_equal(X[:n_old], old):
            return appended_lengths(lengths, n - n_old)
        if n < n_old and np.array_equal(X, old[:n]):
            return kept_lengths(lengths, np.arange(n_old) < n)
        return None

    def load(self, dataset: Dataset) -> None:
        self._set(check_dataset(dataset))

    def replace(self, X: np.ndarray, labels, class_names=KEEP) -> None:
        """New points ``X`` with true classes ``labels`` (None: none); without
        ``class_names`` the data set's names are kept."""
        if labels is None or class_names is KEEP:
            class_names = None if labels is None else self._dataset.class_names
        lengths = self.lengths_for(X)
        self._set(dataclasses.replace(self._dataset, X=X, labels=labels, class_names=class_names, lengths=lengths))

    def replace_columns(self, X: np.ndarray) -> None:
        """Points with another number of columns (new column names, no
        classes; the sequences kept when the number of rows is)."""
        columns = tuple(f"x{j + 1}" for j in range(X.shape[1])) if X.shape[1] != 2 else ("x", "y")
        lengths = self._dataset.lengths if X.shape[0] == self.n_points else None
        self.load(Dataset(self._dataset.name, X, columns, lengths=lengths))

    # -------------------------------------------------------------- checks
    def check_new_points(self, points) -> np.ndarray:
        """Points a click adds: shape (n, 2), on 2-D data only."""
        try:
            P = np.array(points, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"points={points!r} should be an array of numbers.") from None
        if P.size == 0:
            return np.empty((0, 2))
        if P.ndim == 1:
            P = P.reshape(1, -1)
        P = check_points("points", P)
        if P.shape[1] != 2:
            raise ValueError(f"points should have shape (n, 2); got shape {P.shape}.")
        if self.n_features != 2:
            raise ValueError(f"Points can be added by hand only to 2-D data; {self._dataset.name!r} has "
                             f"{self.n_features} columns.")
        return P

    def check_index(self, i) -> int:
        if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= i < self.n_points:
            raise ValueError(f"point index {i!r} is out of range; there are {self.n_points} points.")
        return int(i)

    def kept_after_removing(self, indices) -> np.ndarray | None:
        """Boolean mask of the points left after removing ``indices``; None when none is removed."""
        idx = np.asarray(indices)
        if idx.size == 0:
            return None
        if idx.dtype.kind not in "iu" or idx.ndim > 1:
            raise ValueError(f"indices={indices!r} should be a sequence of whole numbers.")
        idx = idx.reshape(-1)
        bad = idx[(idx < 0) | (idx >= self.n_points)]
        if bad.size:
            raise ValueError(f"point index {int(bad[0])} is out of range; there are {self.n_points} points.")
        keep = np.ones(self.n_points, dtype=bool)
        keep[idx] = False
        return keep

    # ------------------------------------------------------ edited points
    def with_added(self, points, classes=None) -> tuple | None:
        """(X, labels, class_names) after adding ``points`` (n, 2) with
        ``classes`` (None drops the classes); None when nothing is added."""
        P = self.check_new_points(points)
        if P.shape[0] == 0:
            return None
        X = np.vstack([self.X, P])
        self._edited = (X, appended_lengths(self._dataset.lengths, P.shape[0]))
        if classes is None:
            return X, None, None
        return (X, *self.labels_with_added(classes, P.shape[0]))

    def with_lengths(self, X: np.ndarray, lengths) -> None:
        """The next replacement by exactly ``X`` gets sequence ``lengths``
        (None: one sequence), as undo and redo restore them."""
        self._edited = (X, None if lengths is None else tuple(int(n) for n in lengths))

    def without(self, indices) -> tuple | None:
        """(X, labels) after removing ``indices``; None when none is removed."""
        keep = self.kept_after_removing(indices)
        if keep is None:
            return None
        labels = None if self._dataset.labels is None else self._dataset.labels[keep]
        X = self.X[keep]
        self._edited = (X, kept_lengths(self._dataset.lengths, keep))
        return X, labels

    def with_moved(self, i, x, y, columns: tuple[int, int]) -> np.ndarray:
        """X with point ``i`` at (x, y) in ``columns``."""
        i = self.check_index(i)
        xy = []
        for name, v in (("x", x), ("y", y)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
                raise ValueError(f"{name}={v!r} should be a finite number.")
            xy.append(float(v))
        X = self.X.copy()
        X[i, list(columns)] = xy
        return X

    def exactly(self, X: np.ndarray, classes, class_names) -> tuple:
        """(X, labels, class_names) for undo: ``classes`` exactly (None: no
        classes), named ``class_names`` or the data set's names extended."""
        if X.shape[1] != self.n_features:
            raise ValueError(f"X should have {self.n_features} columns with classes; got shape {X.shape}.")
        if classes is None:
            return X, None, None
        labels = check_classes(classes, X.shape[0])
        names = self.names_for(labels) if class_names is None else tuple(map(str, class_names))
        return X, labels, names

    # ------------------------------------------------------------- classes
    def labels_with_added(self, classes, n_new: int) -> tuple[np.ndarray, tuple[str, ...] | None]:
        """The classes after adding ``n_new`` points of ``classes`` (a data
        set without classes makes its points class 0), and their names."""
        new = check_classes(classes, n_new)
        old = self._dataset.labels
        old = np.zeros(self.n_points, dtype=np.int64) if old is None else old
        return np.concatenate([old, new]), self.names_for(new)

    def names_for(self, codes: np.ndarray) -> tuple[str, ...] | None:
        """The data set's class names, extended to cover `codes` (None when
        it has no names and needs none)."""
        names = self._dataset.class_names if self._dataset.labels is not None else None
        if names is None and self._dataset.labels is not None:
            return None  # codes without names stay so
        names = tuple(names or ())
        top = int(codes.max()) + 1 if codes.size else 0
        return names + tuple(default_class_name(k) for k in range(len(names), top))
