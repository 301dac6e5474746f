"""The Dataset container: validation, immutability, column selection."""
import dataclasses

import numpy as np
import pytest

from clusterviz.data import DataError, Dataset


def test_stores_read_only_float64_copies():
    X = np.array([[1, 2], [3, 4]])
    labels = [0, 1]
    ds = Dataset("d", X, ("a", "b"), labels, ("one", "two"))
    assert ds.X.dtype == np.float64 and ds.labels.dtype == np.int64
    X[0, 0] = 99
    assert ds.X[0, 0] == 1.0
    with pytest.raises(ValueError):
        ds.X[0, 0] = 5.0
    with pytest.raises(ValueError):
        ds.labels[0] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"
    assert (ds.n_samples, ds.n_features, len(ds)) == (2, 2, 2)
    assert ds.dropped_rows == 0 and ds.warnings == ()


def test_empty_dataset_is_valid():
    ds = Dataset("empty", np.empty((0, 2)), ("x", "y"))
    assert ds.X.shape == (0, 2)
    ds = Dataset("empty", np.empty((0, 2)), ("x", "y"), np.array([], dtype=int), ())
    assert ds.labels.shape == (0,)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"X": np.zeros(3)}, "2-D"),
        ({"X": np.array([["a", "b"]])}, "real numbers"),
        ({"X": np.array([[1.0, np.nan]])}, "X[0, 1] is nan"),
        ({"X": np.array([[1.0, 2.0], [np.inf, 0.0]])}, "X[1, 0] is inf"),
        ({"columns": ("a",)}, "1 column names for 2 columns"),
        ({"labels": np.array([0, 1, 2])}, "expected (2,)"),
        ({"labels": np.array([0.0, 1.0])}, "integer codes"),
        ({"labels": np.array([0, -1])}, ">= 0"),
        ({"labels": np.array([0, 2]), "class_names": ("a", "b")}, "label 2 has no class name"),
        ({"class_names": ("a",)}, "without labels"),
        ({"dropped_rows": -1}, "dropped_rows"),
    ],
)
def test_validation(kwargs, fragment):
    args = {"name": "bad", "X": np.zeros((2, 2)), "columns": ("a", "b")} | kwargs
    with pytest.raises(DataError) as info:
        Dataset(**args)
    assert fragment in str(info.value)
    assert "'bad'" in str(info.value)


def test_replace_revalidates():
    ds = Dataset("d", np.zeros((2, 2)), ("a", "b"), [0, 1])
    with pytest.raises(DataError, match="expected"):
        dataclasses.replace(ds, X=np.zeros((3, 2)))
    grown = dataclasses.replace(ds, X=np.zeros((3, 2)), labels=None)
    assert grown.n_samples == 3


def test_with_columns_by_name_and_index():
    X = np.arange(12.0).reshape(4, 3)
    ds = Dataset("d", X, ("a", "b", "c"), [0, 1, 1, 0], ("p", "q"), 2, ("note",))
    sub = ds.with_columns(("c", "a"))
    np.testing.assert_array_equal(sub.X, X[:, [2, 0]])
    assert sub.columns == ("c", "a")
    np.testing.assert_array_equal(sub.labels, ds.labels)
    assert (sub.class_names, sub.dropped_rows, sub.warnings) == (("p", "q"), 2, ("note",))
    assert ds.with_columns([1, -1]).columns == ("b", "c")
    with pytest.raises(DataError, match="no column 'z'"):
        ds.with_columns(("z",))
    with pytest.raises(DataError, match="index 3 is out of range"):
        ds.with_columns((3,))


def test_repr_is_short():
    ds = Dataset("d", np.zeros((1000, 2)), ("a", "b"))
    assert repr(ds) == "Dataset(name='d', n_samples=1000, columns=('a', 'b'))"
