"""Rows as sequences: sort a table by an order column (e.g. a time stamp) and
split it into sequences by a sequence-id column and/or by jumps in the order.

Only sequence models (the hidden Markov model) read the order of the rows and
`Dataset.lengths`; the i.i.d. algorithms give the same result in any order.
"""
from __future__ import annotations

import math

import numpy as np

from .dataset import DataError, Dataset

__all__ = ["order_rows"]


def order_rows(dataset: Dataset, order_column: str | int | None, sequence_column: str | int | None = None,
               gap: float | None = None) -> Dataset:
    """Sort the rows by an order column and mark where sequences start.

    Parameters
    ----------
    dataset : Dataset
        The table, e.g. what `load_csv` returned (every value is finite).
    order_column : str, int or None
        Name (or 0-based index) of the column that orders the rows, e.g. a
        time stamp. None keeps the rows in file order.
    sequence_column : str, int or None, default None
        Name (or index) of a column of whole numbers: rows with the same id
        form one sequence. Sequences come out in increasing id, so the
        result does not depend on how the file's rows were shuffled; within a
        sequence the rows are sorted by the order column (stable: file order
        without one).
    gap : float or None, default None
        Also start a new sequence where consecutive order values within a
        sequence differ by more than ``gap`` (e.g. a night between days of
        recording). None: no split by gaps. Needs an order column.

    Returns
    -------
    Dataset
        The rows sorted (true-class labels travel with their rows), the order
        and sequence-id columns removed from the features (they are not data
        to cluster), and ``lengths`` the sequences in row order (replacing any
        lengths the input had). With neither column nor gap, ``dataset``
        itself.

    Raises
    ------
    DataError
        If a column is unknown or chosen twice, a sequence id is not a whole
        number, two rows of one sequence have the same order value, or
        ``gap`` is not a positive number. Rows are counted from 1 as they are
        in the data set (a CSV file's header and dropped rows not counted).
    """
    if order_column is None and sequence_column is None and gap is None:
        return dataset
    order = None if order_column is None else _column_index(dataset, order_column, "order")
    group = None if sequence_column is None else _column_index(dataset, sequence_column, "sequence id")
    if order is not None and order == group:
        raise DataError(f"Column {dataset.columns[order]!r} cannot be both the order and the sequence id.")
    if gap is not None:
        if order is None:
            raise DataError("Splitting sequences at gaps needs an order column.")
        if isinstance(gap, bool) or not isinstance(gap, (int, float)) or not math.isfinite(gap) or gap <= 0:
            raise DataError(f"The gap that splits sequences must be a positive number, got {gap!r}.")

    X = dataset.X
    n = X.shape[0]
    times = X[:, order] if order is not None else np.arange(n, dtype=np.float64)
    ids = X[:, group] if group is not None else np.zeros(n)
    if group is not None:
        _check_whole(ids, dataset.columns[group])

    # Stable sort by time, then stable by sequence id: rows ordered by (id, time), ties in file order.
    perm = np.argsort(times, kind="stable")
    perm = perm[np.argsort(ids[perm], kind="stable")]
    t, s = times[perm], ids[perm]
    same_sequence = s[1:] == s[:-1]
    if order is not None:
        _check_distinct(t, same_sequence, perm, dataset.columns[order],
                        None if group is None else dataset.columns[group], s)
    new_start = ~same_sequence
    if gap is not None:
        new_start |= (t[1:] - t[:-1]) > gap
    starts = np.concatenate(([0], np.flatnonzero(new_start) + 1, [n])) if n else np.zeros(0, dtype=np.int64)
    lengths = tuple(int(v) for v in np.diff(starts)) or None

    keep = [j for j in range(dataset.n_features) if j not in (order, group)]
    return Dataset(
        name=dataset.name,
        X=X[perm][:, keep],
        columns=tuple(dataset.columns[j] for j in keep),
        labels=None if dataset.labels is None else dataset.labels[perm],
        class_names=dataset.class_names,
        dropped_rows=dataset.dropped_rows,
        warnings=dataset.warnings,
        lengths=lengths,
    )


def _column_index(dataset: Dataset, column: str | int, role: str) -> int:
    if isinstance(column, str):
        if column not in dataset.columns:
            raise DataError(f"There is no column {column!r} to use as the {role}; the columns are "
                            f"{', '.join(map(repr, dataset.columns))}.")
        return dataset.columns.index(column)
    index = int(column)
    if not 0 <= index < dataset.n_features:
        raise DataError(f"Column index {index} (the {role}) is out of range: there are "
                        f"{dataset.n_features} columns.")
    return index


def _check_whole(ids: np.ndarray, name: str) -> None:
    bad = np.flatnonzero(ids != np.round(ids))
    if bad.size:
        row = int(bad[0])
        raise DataError(f"Column {name!r} is the sequence id, but row {row + 1} holds {ids[row]:g}; "
                        f"sequence ids must be whole numbers.")


def _check_distinct(t: np.ndarray, same_sequence: np.ndarray, perm: np.ndarray, name: str,
                    group_name: str | None, s: np.ndarray) -> None:
    clash = np.flatnonzero(same_sequence & (t[1:] == t[:-1]))
    if not clash.size:
        return
    k = int(clash[0])
    first, second = sorted((int(perm[k]) + 1, int(perm[k + 1]) + 1))
    within = "" if group_name is None else f" in sequence {s[k]:g} of column {group_name!r}"
    raise DataError(f"Column {name!r} orders the rows, but rows {first} and {second} both hold {t[k]:g}{within}; "
                    f"the rows of a sequence need distinct order values.")
