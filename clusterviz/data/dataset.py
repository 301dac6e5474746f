"""The `Dataset` container and the `DataError` raised for bad data."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


class DataError(ValueError):
    """Data cannot be used; the message names the file, line, column and value."""


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """A table of points to cluster, with optional true classes.

    The arrays are copied on construction and made read-only, so a data set
    can be shared freely; use `dataclasses.replace` to derive a changed one
    (it is validated again).

    Parameters
    ----------
    name : str
        Short identifier, e.g. ``"three_blobs"`` or the stem of a CSV file.
    X : array_like of shape (n_samples, n_features)
        The points. Stored as a read-only C-contiguous float64 array; every
        value must be finite. ``n_samples`` may be 0 (e.g. shape (0, 2)).
    columns : tuple of str, length n_features
        Name of each feature.
    labels : array_like of int, shape (n_samples,), or None
        True class of each point as a code 0, 1, ... (stored as int64,
        read-only), or None when the classes are unknown.
    class_names : tuple of str or None
        Name of each class code; ``class_names[labels[i]]`` names point i.
        Requires `labels`.
    dropped_rows : int, default 0
        How many rows of the source file were skipped for missing values.
    warnings : tuple of str, default ()
        Sentences about the data a user should see, e.g.
        ``"Column 'x' is constant."``.
    lengths : tuple of int or None, default None
        The rows as consecutive sequences in time order (hmmlearn's
        ``lengths``): whole numbers >= 1 summing to ``n_samples``. None means
        the rows are one sequence, in order. Only sequence models (hidden
        Markov models) use it; see `appended_lengths` and `kept_lengths` for
        how edits change it.

    Raises
    ------
    DataError
        If X is not a 2-D array of finite real numbers, the lengths of
        `columns` or `labels` do not match X, a label has no class name, or
        `lengths` are not positive whole numbers summing to the rows.
    """

    name: str
    X: np.ndarray
    columns: tuple[str, ...]
    labels: np.ndarray | None = None
    class_names: tuple[str, ...] | None = None
    dropped_rows: int = 0
    warnings: tuple[str, ...] = ()
    lengths: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        where = f"Data set {self.name!r}"
        X = np.asarray(self.X)
        if X.dtype.kind not in "iuf":
            raise DataError(f"{where}: X must hold real numbers, got dtype {X.dtype}.")
        if X.ndim != 2:
            raise DataError(
                f"{where}: X must be 2-D (n_samples, n_features), got shape {X.shape}."
            )
        X = np.array(X, dtype=np.float64, order="C", copy=True)
        if not np.isfinite(X).all():
            i, j = np.argwhere(~np.isfinite(X))[0]
            raise DataError(
                f"{where}: X[{i}, {j}] is {X[i, j]}; every value must be finite."
            )
        X.setflags(write=False)
        object.__setattr__(self, "X", X)

        columns = tuple(str(c) for c in self.columns)
        if len(columns) != X.shape[1]:
            raise DataError(
                f"{where}: {len(columns)} column names for {X.shape[1]} columns of X."
            )
        object.__setattr__(self, "columns", columns)

        if self.labels is not None:
            labels = np.asarray(self.labels)
            if labels.size == 0 and labels.dtype.kind == "f":
                labels = labels.astype(np.int64)  # np.array([]) is float64
            if labels.dtype.kind not in "iu":
                raise DataError(
                    f"{where}: labels must be integer codes, got dtype {labels.dtype}."
                )
            if labels.shape != (X.shape[0],):
                raise DataError(
                    f"{where}: labels has shape {labels.shape}, "
                    f"expected ({X.shape[0]},) to match X."
                )
            labels = np.array(labels, dtype=np.int64, copy=True)
            if labels.size and labels.min() < 0:
                raise DataError(
                    f"{where}: labels must be >= 0, got {labels.min()}."
                )
            labels.setflags(write=False)
            object.__setattr__(self, "labels", labels)

        if self.class_names is not None:
            if self.labels is None:
                raise DataError(f"{where}: class_names given without labels.")
            names = tuple(str(c) for c in self.class_names)
            if self.labels.size and self.labels.max() >= len(names):
                raise DataError(
                    f"{where}: label {self.labels.max()} has no class name "
                    f"(only {len(names)} names)."
                )
            object.__setattr__(self, "class_names", names)

        if int(self.dropped_rows) < 0:
            raise DataError(f"{where}: dropped_rows must be >= 0, got {self.dropped_rows}.")
        object.__setattr__(self, "dropped_rows", int(self.dropped_rows))
        object.__setattr__(self, "warnings", tuple(str(w) for w in self.warnings))
        object.__setattr__(self, "lengths", _checked_lengths(self.lengths, X.shape[0], where))

    @property
    def n_sequences(self) -> int:
        """Number of sequences the rows form (1 without `lengths`; 0 without rows)."""
        if self.lengths is not None:
            return len(self.lengths)
        return 1 if self.n_samples else 0

    @property
    def n_samples(self) -> int:
        """Number of points (rows of X)."""
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        """Number of features (columns of X)."""
        return self.X.shape[1]

    def __len__(self) -> int:
        return self.X.shape[0]

    def __repr__(self) -> str:
        classes = "" if self.class_names is None else f", classes={self.class_names!r}"
        return (
            f"Dataset(name={self.name!r}, n_samples={self.n_samples}, "
            f"columns={self.columns!r}{classes})"
        )

    def with_columns(self, columns: Sequence[str | int]) -> Dataset:
        """Keep only some features, in the given order.

        Parameters
        ----------
        columns : sequence of str or int
            Column names or 0-based indices.

        Returns
        -------
        Dataset
            Same name, labels, class names, dropped rows and warnings.

        Raises
        ------
        DataError
            If a name is not a column or an index is out of range.
        """
        indices = []
        for c in columns:
            if isinstance(c, str):
                if c not in self.columns:
                    raise DataError(
                        f"Data set {self.name!r} has no column {c!r}; "
                        f"its columns are {', '.join(map(repr, self.columns))}."
                    )
                indices.append(self.columns.index(c))
            else:
                if not -self.n_features <= int(c) < self.n_features:
                    raise DataError(
                        f"Data set {self.name!r} has {self.n_features} columns; "
                        f"index {c} is out of range."
                    )
                indices.append(int(c) % self.n_features)
        return Dataset(
            name=self.name,
            X=self.X[:, indices],
            columns=tuple(self.columns[i] for i in indices),
            labels=self.labels,
            class_names=self.class_names,
            dropped_rows=self.dropped_rows,
            warnings=self.warnings,
            lengths=self.lengths,
        )


def _checked_lengths(lengths, n_samples: int, where: str) -> tuple[int, ...] | None:
    if lengths is None:
        return None
    values = np.asarray(lengths)
    if values.ndim != 1 or (values.size and values.dtype.kind not in "iuf"):
        raise DataError(f"{where}: lengths must be a flat list of whole numbers, got {lengths!r}.")
    out = []
    for i, v in enumerate(values.tolist()):
        if isinstance(v, float) and not v.is_integer() or v < 1:
            raise DataError(f"{where}: lengths[{i}] is {v!r}; every sequence needs a whole number >= 1 of rows.")
        out.append(int(v))
    if sum(out) != n_samples:
        raise DataError(f"{where}: the sequence lengths add up to {sum(out)}, but there are {n_samples} rows.")
    return tuple(out) if out else None


def appended_lengths(lengths: tuple[int, ...] | None, n_new: int) -> tuple[int, ...] | None:
    """Sequence lengths after ``n_new`` rows are appended: they join the last
    sequence (None, one sequence, stays None)."""
    if lengths is None:
        return None
    return lengths[:-1] + (lengths[-1] + int(n_new),)


def kept_lengths(lengths: tuple[int, ...] | None, keep: np.ndarray) -> tuple[int, ...] | None:
    """Sequence lengths after only the rows where ``keep`` (bool, one per row)
    is True are kept: each row leaves its own sequence; emptied sequences
    disappear."""
    if lengths is None:
        return None
    ends = np.cumsum(lengths)
    counts = np.add.reduceat(np.asarray(keep, dtype=np.int64), ends - np.asarray(lengths)) if len(keep) else []
    out = tuple(int(c) for c in counts if c > 0)
    return out or None
