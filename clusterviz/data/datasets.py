"""The built-in data sets: all 2-D, all the same on every launch.

Generated sets use `numpy.random.default_rng` with a fixed seed each and are
scaled to lie roughly within [0, 10] x [0, 10]. Several are chosen to show
where K-Means fails (it assumes round clusters of similar size and spread).
"""
from __future__ import annotations

from collections.abc import Callable
from importlib.resources import as_file, files
from pathlib import Path

import numpy as np

from .csv_loader import load_csv
from .dataset import DataError, Dataset

__all__ = ["BUILTIN_DATASETS", "DATASET_DESCRIPTIONS", "builtin_dataset", "RESOURCE_DIR"]



def _resources():
    """The package ``clusterviz.resources`` (the repository's top-level
    ``resources/`` folder, shipped inside the wheel), or that folder itself
    when a checkout runs without being installed."""
    try:
        return files("clusterviz.resources")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "resources"


#: Folder of the CSV files shipped with the app, as an `importlib.resources`
#: traversable, so a wheel, an editable install and a bare checkout alike find it.
RESOURCE_DIR = _resources() / "datasets"

_XY = ("x", "y")


def _three_blobs() -> Dataset:
    rng = np.random.default_rng(42)
    means = [(2.0, 2.0), (7.0, 7.0), (2.0, 8.0)]
    covs = [
        [[0.8, 0.4], [0.4, 0.3]],
        [[0.5, -0.3], [-0.3, 0.8]],
        [[0.3, 0.0], [0.0, 0.6]],
    ]
    X = np.vstack([rng.multivariate_normal(m, c, 100) for m, c in zip(means, covs)])
    labels = np.repeat(np.arange(3), 100)
    return Dataset("three_blobs", X, _XY, labels, ("blob 1", "blob 2", "blob 3"))


def _shipped_csv(file_name: str) -> Dataset:
    """Load one of the CSV files in `RESOURCE_DIR`."""
    with as_file(RESOURCE_DIR / file_name) as path:
        return load_csv(path)


def _old_faithful() -> Dataset:
    ds = _shipped_csv("old_faithful.csv")
    return ds.with_columns(("eruptions", "waiting"))


def _iris() -> Dataset:
    ds = _shipped_csv("iris.csv").with_columns(("petal_length", "petal_width"))
    # The other columns' warnings (if any) do not concern the two kept here.
    return Dataset("iris", ds.X, ds.columns, ds.labels, ds.class_names)


#: Durations the night-time observers of the geyser data recorded only as
#: short, medium or long (coded 2, 3 and 4 minutes), not measured.
GEYSER_NIGHT_CODES = (2.0, 3.0, 4.0)


def _geyser() -> Dataset:
    # The file's `waiting` is the wait *before* each eruption; the pairs
    # (duration_t, waiting_{t+1}) put each eruption beside the wait it is
    # followed by, in time order (one sequence of 298 consecutive pairs).
    ds = _shipped_csv("geyser.csv")
    order = np.argsort(ds.X[:, ds.columns.index("index")], kind="stable")
    duration = ds.X[order, ds.columns.index("duration")]
    waiting = ds.X[order, ds.columns.index("waiting")]
    X = np.column_stack([duration[:-1], waiting[1:]])
    coded = int(np.isin(X[:, 0], GEYSER_NIGHT_CODES).sum())
    warning = (f"{coded} of the {X.shape[0]} durations are night-time codes (exactly 2, 3 or 4 minutes for "
               "short, medium or long), not measurements; they line up in rows.")
    return Dataset("geyser", X, ("duration", "next_waiting"), warnings=(warning,))


def _regime_walk() -> Dataset:
    # A path that stays in one of three regimes for a while (probability 0.95
    # of staying at each step), then jumps: data a hidden Markov model
    # explains better than a mixture that ignores the order of the points.
    rng = np.random.default_rng(15)
    n = 300
    means = np.array([[2.5, 2.5], [7.5, 3.5], [5.0, 7.5]])
    covs = np.array([[[0.5, 0.2], [0.2, 0.4]], [[0.4, -0.15], [-0.15, 0.6]], [[0.7, 0.0], [0.0, 0.3]]])
    transmat = np.full((3, 3), 0.025) + np.eye(3) * 0.925
    states = np.empty(n, dtype=np.int64)
    states[0] = 0
    for t in range(1, n):
        states[t] = rng.choice(3, p=transmat[states[t - 1]])
    chol = np.linalg.cholesky(covs)
    X = means[states] + np.einsum("nij,nj->ni", chol[states], rng.standard_normal((n, 2)))
    return Dataset("regime_walk", X, _XY, states, ("regime 1", "regime 2", "regime 3"))


def _anisotropic() -> Dataset:
    # As in scikit-learn's "Demonstration of k-means assumptions": round
    # blobs sheared by one linear map, so all three become long, thin and
    # tilted. The centres are placed so that the sheared blobs lie side by
    # side across their thin direction.
    rng = np.random.default_rng(170)
    shear = np.array([[0.60834549, -0.63667341], [-0.40887718, 0.85253229]])
    thin = np.array([-0.82907922, -0.55913115])  # least-stretched direction of x @ shear
    long = np.array([-0.55913115, 0.82907922])
    images = [k * 1.1 * thin + (k - 1) * 0.8 * long for k in range(3)]
    centers = np.linalg.solve(shear.T, np.array(images).T).T  # c @ shear = image
    blobs = [c + rng.standard_normal((100, 2)) for c in centers]
    X = _fit_box(np.vstack(blobs) @ shear)
    labels = np.repeat(np.arange(3), 100)
    return Dataset("anisotropic", X, _XY, labels, ("stretch 1", "stretch 2", "stretch 3"))


def _unequal_sizes() -> Dataset:
    rng = np.random.default_rng(7)
    sizes = (500, 60, 20)
    centers = [(3.5, 4.5), (7.5, 7.5), (7.5, 2.5)]
    stds = (1.1, 0.6, 0.4)
    X = np.vstack(
        [c + s * rng.standard_normal((n, 2)) for n, c, s in zip(sizes, centers, stds)]
    )
    labels = np.repeat(np.arange(3), sizes)
    return Dataset(
        "unequal_sizes", X, _XY, labels, ("500 points", "60 points", "20 points")
    )


def _unequal_variances() -> Dataset:
    rng = np.random.default_rng(11)
    centers = [(2.0, 7.5), (2.0, 2.5), (6.5, 5.0)]
    stds = (0.35, 0.35, 1.5)
    X = np.vstack([c + s * rng.standard_normal((100, 2)) for c, s in zip(centers, stds)])
    labels = np.repeat(np.arange(3), 100)
    return Dataset("unequal_variances", X, _XY, labels, ("tight 1", "tight 2", "wide"))


def _moons() -> Dataset:
    # Two interleaved half circles (as scikit-learn's make_moons), noise 0.1.
    rng = np.random.default_rng(3)
    n = 150
    t_outer = np.linspace(0.0, np.pi, n)
    t_inner = np.linspace(0.0, np.pi, n)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = np.column_stack([1.0 - np.cos(t_inner), 0.5 - np.sin(t_inner)])
    X = np.vstack([outer, inner]) + 0.1 * rng.standard_normal((2 * n, 2))
    X = _fit_box(X)
    labels = np.repeat(np.arange(2), n)
    return Dataset("moons", X, _XY, labels, ("upper moon", "lower moon"))


def _circles() -> Dataset:
    # Two concentric rings (as scikit-learn's make_circles, factor 0.4).
    rng = np.random.default_rng(5)
    n = 150
    t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    ring = np.column_stack([np.cos(t), np.sin(t)])
    X = np.vstack([ring, 0.4 * ring]) + 0.06 * rng.standard_normal((2 * n, 2))
    X = 4.0 * X + 5.0
    labels = np.repeat(np.arange(2), n)
    return Dataset("circles", X, _XY, labels, ("outer ring", "inner ring"))


def _uniform() -> Dataset:
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 10.0, size=(300, 2))
    return Dataset("uniform", X, _XY)


def _empty() -> Dataset:
    return Dataset("empty", np.empty((0, 2)), _XY)


def _fit_box(X: np.ndarray, low: float = 0.5, high: float = 9.5) -> np.ndarray:
    """Shift and scale X uniformly (aspect kept) to fit within [low, high]^2."""
    span = (X.max(axis=0) - X.min(axis=0)).max()
    Y = (X - X.min(axis=0)) * ((high - low) / span) + low
    # Centre the shorter side in the box.
    return Y + ((high - low) - (Y.max(axis=0) - low)) / 2.0


_BUILDERS: dict[str, Callable[[], Dataset]] = {
    "three_blobs": _three_blobs,
    "old_faithful": _old_faithful,
    "geyser": _geyser,
    "regime_walk": _regime_walk,
    "iris": _iris,
    "anisotropic": _anisotropic,
    "unequal_sizes": _unequal_sizes,
    "unequal_variances": _unequal_variances,
    "moons": _moons,
    "circles": _circles,
    "uniform": _uniform,
    "empty": _empty,
}

#: Names of the built-in data sets, in the order the UI lists them.
BUILTIN_DATASETS: tuple[str, ...] = tuple(_BUILDERS)

#: One-line description of each built-in data set (for tooltips).
DATASET_DESCRIPTIONS: dict[str, str] = {
    "three_blobs": "Three Gaussian clusters of 100 points; K-Means finds them.",
    "old_faithful": "Old Faithful geyser: eruption length vs. waiting time (min), 272 eruptions; unscaled, so waiting dominates distances.",
    "geyser": "Old Faithful 1985, 298 eruptions in order: duration, then the wait after it; night durations coded 2/3/4.",
    "regime_walk": "A path through 3 regimes in time order (seeded): it stays a while, then jumps; for the HMM.",
    "iris": "Fisher's iris flowers: petal length vs. petal width (cm), 150 flowers of 3 species.",
    "anisotropic": "Three stretched, tilted clusters; K-Means cuts across them, a full-covariance GMM follows "
                   "them from a good start (seed 2).",
    "unequal_sizes": "Clusters of 500, 60 and 20 points; K-Means moves centres into the big one.",
    "unequal_variances": "Two tight clusters beside a wide one; K-Means gives the tight ones part of the wide one.",
    "moons": "Two interleaved half circles; neither K-Means nor a GMM can separate them.",
    "circles": "Two concentric rings; clusters that are not blobs defeat K-Means and GMMs alike.",
    "uniform": "300 points spread evenly over a square: no clusters, yet K-Means always reports some.",
    "empty": "No points: click on the canvas to add your own.",
}


def builtin_dataset(name: str) -> Dataset:
    """Build one of the built-in data sets.

    Parameters
    ----------
    name : str
        One of `BUILTIN_DATASETS`.

    Returns
    -------
    Dataset
        Two features; identical on every call.

    Raises
    ------
    DataError
        If `name` is not a built-in data set (the message lists the valid ones).
    """
    try:
        builder = _BUILDERS[name]
    except (KeyError, TypeError):
        raise DataError(
            f"There is no built-in data set {name!r}; choose one of "
            f"{', '.join(BUILTIN_DATASETS)}."
        ) from None
    return builder()
