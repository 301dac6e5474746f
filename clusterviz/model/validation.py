"""Input checks shared by the algorithms; messages quote the offending values."""
from __future__ import annotations

import numbers

import numpy as np

from .state import ModelError


def check_data(X, n_clusters: int | None = None) -> np.ndarray:
    """Return ``X`` as a C-contiguous float64 array of shape (n_samples, n_features).

    Raises
    ------
    ModelError
        If X is not 2-D, is empty, holds NaN or inf, or has fewer samples
        than ``n_clusters``.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ModelError(f"X should be a 2-D array (n_samples, n_features); got an array with shape {X.shape}.")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ModelError(f"X should hold at least one point with at least one coordinate; got shape {X.shape}.")
    bad = ~np.isfinite(X)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ModelError(f"X holds a non-finite value ({X[row, col]}) at row {row}, column {col}; "
                         "every coordinate must be a finite number.")
    if n_clusters is not None and X.shape[0] < n_clusters:
        raise ModelError(f"n_samples={X.shape[0]} should be >= n_clusters={n_clusters}.")
    return np.ascontiguousarray(X)


def check_n_clusters(n_clusters, name: str = "n_clusters") -> int:
    """Return ``n_clusters`` as an int >= 1, or raise ModelError quoting it."""
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral) or n_clusters < 1:
        raise ModelError(f"{name}={n_clusters!r} should be a whole number >= 1.")
    return int(n_clusters)


def as_generator(random_state) -> np.random.Generator:
    """A ``np.random.Generator`` from None, an int seed or a Generator."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, numbers.Integral):
        return np.random.default_rng(random_state)
    raise ModelError(f"random_state={random_state!r} should be None, an int seed or a numpy Generator.")


def check_state_finite(state) -> None:
    """Raise ModelError if any array of a new state holds NaN or inf."""
    for name in ("means", "weights", "covariances", "soft_responsibilities"):
        value = getattr(state, name)
        if value is not None and not np.all(np.isfinite(value)):
            raise ModelError(f"The {name} became non-finite (NaN or inf) at iteration {state.iteration}; "
                             "the data may be too extreme for this model. Try rescaling the data.")
    if not np.isfinite(state.objective):
        raise ModelError(f"The objective became {state.objective} at iteration {state.iteration}; "
                         "the data may be too extreme for this model. Try rescaling the data.")


#: Most covariance numbers (K * D * D float64, 128 MB) a mixture state may hold.
MAX_COVARIANCE_NUMBERS = 2**24


def check_covariance_size(n_components: int, n_features: int, model: str = "A Gaussian mixture") -> None:
    """Raise ModelError before allocating K covariance matrices of D x D
    numbers that would not fit in memory (e.g. a CSV file with 10**5 columns)."""
    numbers_needed = n_components * n_features * n_features
    if numbers_needed <= MAX_COVARIANCE_NUMBERS:
        return
    most = int((MAX_COVARIANCE_NUMBERS / n_components) ** 0.5)
    raise ModelError(f"{model} on {n_features} columns needs {n_components} covariance "
                     f"{'matrix' if n_components == 1 else 'matrices'} of {n_features} × {n_features} numbers "
                     f"({numbers_needed * 8 / 1e9:.3g} GB), too many to hold; fit at most {most} columns with "
                     f"K = {n_components}, or use K-Means.")
