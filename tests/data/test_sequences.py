"""Ordering rows by a column and splitting them into sequences (`order_rows`)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterviz.data import DataError, Dataset, order_rows


def table(times, ids=None, labels=None) -> Dataset:
    """Columns: time, (run,) row (the file's row number, to follow the rows), value."""
    n = len(times)
    cols = [np.asarray(times, dtype=float)]
    names = ["time"]
    if ids is not None:
        cols.append(np.asarray(ids, dtype=float))
        names.append("run")
    cols += [np.arange(n, dtype=float), np.arange(n, dtype=float) ** 2]
    names += ["row", "value"]
    class_names = None if labels is None else tuple(f"c{i}" for i in range(max(labels, default=0) + 1))
    return Dataset("t", np.column_stack(cols).reshape(n, len(names)), tuple(names), labels=labels,
                   class_names=class_names)


@st.composite
def sequenced_tables(draw):
    """Rows with distinct times per run id (whole numbers), in a random row order."""
    n = draw(st.integers(0, 40))
    ids = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
    times = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False), min_size=n, max_size=n,
                          unique=True))
    labels = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    gap = draw(st.none() | st.floats(1e-3, 1e6))
    return table(times, ids, labels), gap


def sequences_of(result: Dataset) -> list[np.ndarray]:
    """The file row numbers of each output sequence."""
    rows = result.X[:, result.columns.index("row")].astype(int)
    bounds = np.cumsum((0,) + (result.lengths or ()))
    return [rows[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


@settings(max_examples=300, deadline=None)
@given(sequenced_tables())
def test_rows_are_a_permutation_split_into_contiguous_sequences(case):
    data, gap = case
    result = order_rows(data, "time", "run", gap=gap)
    n = data.n_samples
    assert result.columns == ("row", "value")
    rows = result.X[:, 0].astype(int)
    assert sorted(rows) == list(range(n))  # a permutation of the rows
    assert sum(result.lengths or ()) == n
    np.testing.assert_array_equal(result.labels, data.labels[rows])  # classes travel with their rows
    times, ids = data.X[:, 0], data.X[:, 1]
    seen = set()
    for k, seq in enumerate(sequences_of(result)):
        assert len(seq) >= 1
        assert len(set(ids[seq])) == 1  # no sequence crosses two ids...
        assert np.all(np.diff(times[seq]) > 0)  # ...and it runs forward in time
        if gap is not None:
            assert np.all(np.diff(times[seq]) <= gap)
        if k and ids[seq[0]] != ids[prev[-1]]:
            assert ids[seq[0]] > ids[prev[-1]]  # sequences in increasing id
            assert ids[seq[0]] not in seen  # each id's rows contiguous
        elif k:
            assert gap is not None and times[seq[0]] - times[prev[-1]] > gap  # split only at a gap
        seen.add(ids[seq[0]])
        prev = seq


@settings(max_examples=200, deadline=None)
@given(sequenced_tables(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_the_files_row_order(case, random):
    data, gap = case
    order = list(range(data.n_samples))
    random.shuffle(order)
    shuffled = Dataset("t", data.X[order], data.columns, labels=data.labels[order], class_names=data.class_names)
    a, b = order_rows(data, "time", "run", gap), order_rows(shuffled, "time", "run", gap)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.lengths == b.lengths


@settings(max_examples=200, deadline=None)
@given(sequenced_tables())
def test_already_ordered_rows_stay_in_place(case):
    data, gap = case
    once = order_rows(data, "time", "run", gap)
    rows = once.X[:, 0].astype(int)
    ordered = Dataset("t", data.X[rows], data.columns, labels=data.labels[rows], class_names=data.class_names)
    twice = order_rows(ordered, "time", "run", gap)
    np.testing.assert_array_equal(twice.X[:, 0], ordered.X[:, 2])  # no row moved
    assert twice.lengths == once.lengths


def test_time_order_with_a_gap_and_no_id():
    data = table([5.0, 1.0, 2.0, 30.0, 3.0, 31.0])
    result = order_rows(data, "time", gap=10)
    assert result.X[:, 0].tolist() == [1, 2, 4, 0, 3, 5]
    assert result.lengths == (4, 2)
    assert order_rows(data, "time").lengths == (6,)


def test_sequence_id_alone_groups_rows_keeping_file_order():
    data = table([0.0, 0, 0, 0, 0], ids=[2, 1, 2, 1, 7])
    result = order_rows(data, None, "run")
    assert result.columns == ("time", "row", "value")
    assert result.X[:, 1].tolist() == [1, 3, 0, 2, 4]
    assert result.lengths == (2, 2, 1)


def test_nothing_chosen_returns_the_data_set_itself():
    data = table([3.0, 1.0])
    assert order_rows(data, None) is data


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"order_column": "when"}, "no column 'when' to use as the order"),
    ({"order_column": "time", "sequence_column": "time"}, "both the order and the sequence id"),
    ({"order_column": None, "gap": 2.0}, "needs an order column"),
    ({"order_column": "time", "gap": 0.0}, "positive number"),
    ({"order_column": "time", "gap": float("nan")}, "positive number"),
])
def test_bad_choices_are_refused_by_name(kwargs, message):
    with pytest.raises(DataError, match=message):
        order_rows(table([1.0, 2.0], ids=[1, 1]), **kwargs)


def test_fractional_sequence_id_names_column_and_row():
    with pytest.raises(DataError, match=r"Column 'run' is the sequence id, but row 3 holds 2\.5"):
        order_rows(table([1.0, 2.0, 3.0], ids=[1, 2, 2.5]), "time", "run")


def test_duplicate_times_within_a_sequence_name_both_rows():
    data = table([4.0, 1.0, 4.0, 2.0], ids=[1, 1, 1, 2])
    with pytest.raises(DataError, match=r"rows 1 and 3 both hold 4 in sequence 1 of column 'run'"):
        order_rows(data, "time", "run")
    # the same time in two different sequences is fine
    assert order_rows(table([4.0, 4.0], ids=[1, 2]), "time", "run").lengths == (1, 1)
