"""The built-in data sets: shapes, reproducibility, the documented recipe."""
import re

import numpy as np
import pytest

from clusterviz.data import (
    BUILTIN_DATASETS,
    DATASET_DESCRIPTIONS,
    DataError,
    Dataset,
    builtin_dataset,
)

EXPECTED = {  # name: (n_samples, n_classes or None)
    "three_blobs": (300, 3),
    "old_faithful": (272, None),
    "geyser": (298, None),
    "regime_walk": (300, 3),
    "iris": (150, 3),
    "anisotropic": (300, 3),
    "unequal_sizes": (580, 3),
    "unequal_variances": (300, 3),
    "moons": (300, 2),
    "circles": (300, 2),
    "uniform": (300, None),
    "empty": (0, None),
}


def test_catalogue():
    assert BUILTIN_DATASETS[0] == "three_blobs"
    assert set(BUILTIN_DATASETS) == set(EXPECTED)
    assert list(DATASET_DESCRIPTIONS) == list(BUILTIN_DATASETS)
    for text in DATASET_DESCRIPTIONS.values():
        assert text.endswith(".") and "\n" not in text and len(text) < 130


@pytest.mark.parametrize("name", BUILTIN_DATASETS)
def test_builtin_shape_and_labels(name):
    ds = builtin_dataset(name)
    n, n_classes = EXPECTED[name]
    assert isinstance(ds, Dataset)
    assert ds.name == name
    assert ds.X.shape == (n, 2) and ds.X.dtype == np.float64
    assert len(ds.columns) == 2
    assert np.isfinite(ds.X).all()
    if n_classes is None:
        assert ds.labels is None and ds.class_names is None
    else:
        assert ds.labels.shape == (n,)
        assert len(ds.class_names) == n_classes
        assert set(ds.labels.tolist()) == set(range(n_classes))
    assert ds.dropped_rows == 0
    assert ds.warnings == () or name == "geyser"  # its night-time codes are named, see below
    assert ds.lengths is None  # every built-in is one sequence, in order


@pytest.mark.parametrize("name", BUILTIN_DATASETS)
def test_builtin_is_reproducible(name):
    a, b = builtin_dataset(name), builtin_dataset(name)
    np.testing.assert_array_equal(a.X, b.X)
    if a.labels is not None:
        np.testing.assert_array_equal(a.labels, b.labels)


@pytest.mark.parametrize(
    "name", [n for n in BUILTIN_DATASETS if n not in ("old_faithful", "geyser", "iris", "empty")]
)
def test_generated_sets_fit_the_plot(name):
    X = builtin_dataset(name).X
    assert X.min() > -1.0 and X.max() < 11.0
    assert (X.max(axis=0) - X.min(axis=0)).min() > 3.0  # not squashed on one axis


def test_three_blobs_is_the_documented_recipe():
    rng = np.random.default_rng(42)
    means = [(2, 2), (7, 7), (2, 8)]
    covs = [[[0.8, 0.4], [0.4, 0.3]], [[0.5, -0.3], [-0.3, 0.8]], [[0.3, 0], [0, 0.6]]]
    X = np.vstack([rng.multivariate_normal(m, c, 100) for m, c in zip(means, covs)])
    ds = builtin_dataset("three_blobs")
    np.testing.assert_array_equal(ds.X, X)
    np.testing.assert_array_equal(ds.labels, np.repeat([0, 1, 2], 100))
    assert ds.columns == ("x", "y")


def test_old_faithful_and_iris_columns():
    faithful = builtin_dataset("old_faithful")
    assert faithful.columns == ("eruptions", "waiting")
    np.testing.assert_array_equal(faithful.X[0], [3.6, 79.0])
    iris = builtin_dataset("iris")
    assert iris.columns == ("petal_length", "petal_width")
    assert iris.class_names == ("setosa", "versicolor", "virginica")
    np.testing.assert_array_equal(np.bincount(iris.labels), [50, 50, 50])
    np.testing.assert_array_equal(iris.X[0], [1.4, 0.2])


def test_unequal_sizes_has_the_documented_sizes():
    np.testing.assert_array_equal(np.bincount(builtin_dataset("unequal_sizes").labels), [500, 60, 20])


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(DataError) as info:
        builtin_dataset("blobs")
    message = str(info.value)
    assert "'blobs'" in message
    assert all(name in message for name in BUILTIN_DATASETS)


def test_shipped_tables_are_read_from_the_package():
    """The CSVs come from the package clusterviz.resources (the repository's
    resources/ folder), not from a path relative to the source tree, so an
    installed wheel finds them (tests/test_wheel.py runs that wheel)."""
    from importlib.resources import files

    from clusterviz.data.datasets import RESOURCE_DIR

    assert RESOURCE_DIR == files("clusterviz.resources") / "datasets"
    for name in ("iris.csv", "old_faithful.csv", "geyser.csv"):
        assert (RESOURCE_DIR / name).is_file(), name


def test_a_checkout_that_is_not_installed_finds_its_data_sets():
    """Run from the repository without the installed package's finder:
    the data sets come from the top-level resources/ folder."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in getattr(f, '__module__', '')]\n"
        "sys.path_hooks[:] = [h for h in sys.path_hooks if 'editable' not in repr(h)]\n"
        "sys.path_importer_cache.clear()\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "import clusterviz.data as d\n"
        "assert d.builtin_dataset('iris').X.shape == (150, 2)\n"
        "assert d.builtin_dataset('old_faithful').X.shape == (272, 2)\n"
        "import importlib.util\n"
        "assert importlib.util.find_spec('clusterviz.resources') is None\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert result.returncode == 0, result.stderr


def test_geyser_pairs_each_eruption_with_the_wait_after_it():
    """The file's waiting is the wait before each eruption; the built-in
    pairs duration_t with waiting_{t+1}, in time order."""
    import csv

    from clusterviz.data.datasets import RESOURCE_DIR

    with (RESOURCE_DIR / "geyser.csv").open() as f:
        rows = [tuple(map(float, r)) for r in list(csv.reader(f))[1:]]
    ds = builtin_dataset("geyser")
    assert ds.columns == ("duration", "next_waiting")
    np.testing.assert_array_equal(ds.X[:, 0], [r[1] for r in rows[:-1]])
    np.testing.assert_array_equal(ds.X[:, 1], [r[2] for r in rows[1:]])
    coded = int(np.isin(ds.X[:, 0], (2.0, 3.0, 4.0)).sum())
    assert coded == 77 and f"{coded} of the 298 durations" in ds.warnings[0]
    assert "2/3/4" in DATASET_DESCRIPTIONS["geyser"]


def test_regime_walk_stays_in_a_regime_for_a_while():
    ds = builtin_dataset("regime_walk")
    switches = np.count_nonzero(np.diff(ds.labels))
    assert 5 <= switches <= 40  # about 5 % of the steps switch
    assert ds.class_names == ("regime 1", "regime 2", "regime 3")


def test_sequence_lengths_are_checked_and_follow_edits():
    from clusterviz.data.dataset import appended_lengths, kept_lengths

    X = np.arange(12.0).reshape(6, 2)
    ds = Dataset("walk", X, ("x", "y"), lengths=[2, 4])
    assert ds.lengths == (2, 4) and ds.n_sequences == 2
    assert ds.with_columns(["y"]).lengths == (2, 4)
    assert Dataset("one", X, ("x", "y")).n_sequences == 1
    for bad, words in (([2, 3], "add up to 5"), ([0, 6], "lengths[0] is 0"), ([2.5, 3.5], "2.5")):
        with pytest.raises(DataError, match=re.escape(words)):
            Dataset("walk", X, ("x", "y"), lengths=bad)
    assert appended_lengths((2, 4), 3) == (2, 7) and appended_lengths(None, 3) is None
    keep = np.array([False, False, True, False, True, True])
    assert kept_lengths((2, 4), keep) == (3,)  # the emptied first sequence disappears
    assert kept_lengths((2, 4), np.zeros(6, dtype=bool)) is None
