"""Validated settings of a session: one frozen value, checked once.

:class:`SessionSettings` is what a user chooses (algorithm, K, init, seed,
covariance type, beta, max_iter, hand-placed means, whether k-means++ seeding
is shown pick by pick). Every ``with_*`` method returns a new, checked value;
:meth:`SessionSettings.model_settings` hands the estimator's part to the
registry's factories (:class:`clusterviz.model.registry.ModelSettings`).

Which settings an algorithm uses comes from its registry entry: covariance
types where ``covariance_types`` is not empty, beta where ``uses_beta``.
"""
from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass

import numpy as np

from clusterviz.data.limits import MAX_CLUSTERS
from clusterviz.model import registry
from clusterviz.model.registry import Algorithm, ModelSettings

__all__ = ["ALGORITHMS", "ALGORITHM_NAMES", "COVARIANCE_TYPES", "INITS", "MAX_CLUSTERS", "SessionSettings",
           "check_choice", "check_points"]

#: The algorithm names, in the order the app lists them (from the registry).
ALGORITHMS: tuple[str, ...] = registry.algorithm_names()
#: Human-readable name of each algorithm (for menus and status lines).
ALGORITHM_NAMES: dict[str, str] = {name: entry.label for name, entry in registry.ALGORITHMS.items()}
INITS: tuple[str, ...] = registry.INITS
#: Most clusters the app shows (session files above it are refused); from `clusterviz.data.limits`.
MAX_CLUSTERS: int = MAX_CLUSTERS
#: Every covariance type some algorithm fits, in the registry's order.
COVARIANCE_TYPES: tuple[str, ...] = tuple(dict.fromkeys(
    t for entry in registry.ALGORITHMS.values() for t in entry.covariance_types))


def check_choice(what: str, value, allowed: tuple[str, ...]) -> str:
    """``value`` if it is one of ``allowed``, else a ValueError quoting both."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{what}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}.")
    return value


def _whole(what: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{what}={value!r} should be a whole number >= {minimum}.")
    return int(value)


def check_beta(beta) -> float:
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not np.isfinite(beta) or beta <= 0:
        raise ValueError(f"beta={beta!r} should be a finite number > 0.")
    return float(beta)


def check_points(what: str, points) -> np.ndarray:
    """A finite 2-D float array (a copy), or a ValueError naming ``what``."""
    try:
        P = np.array(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what}={points!r} should be an array of numbers.") from None
    if P.ndim != 2:
        raise ValueError(f"{what} should be a 2-D array (n_points, n_features); got shape {P.shape}.")
    if not np.isfinite(P).all():
        i, j = np.argwhere(~np.isfinite(P))[0]
        raise ValueError(f"{what}[{i}, {j}] is {P[i, j]}; every coordinate must be a finite number.")
    return P


def check_initial_means(means, n_features: int) -> np.ndarray:
    """Hand-placed means as a read-only (K, n_features) array."""
    try:
        M = np.array(means, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as err:
        raise ValueError(f"initial means {means!r} should be an array of numbers: {err}") from None
    if M.ndim != 2 or M.shape[0] < 1 or M.shape[1] != n_features:
        raise ValueError(f"initial means should have shape (n_clusters, {n_features}); got shape {M.shape}.")
    if not np.isfinite(M).all():
        raise ValueError(f"initial means should be finite numbers; got {M.tolist()!r}.")
    M.setflags(write=False)
    return M


@dataclass(frozen=True, eq=False)
class SessionSettings:
    """Everything a user chooses about a fit (checked on construction).

    Attributes
    ----------
    algorithm : str
        One of `ALGORITHMS`.
    n_clusters : int >= 1
    init : str
        One of `INITS` (ignored while `initial_means` is set).
    seed : int >= 0
    covariance_type : str
        One of `COVARIANCE_TYPES` (used where the algorithm lists it).
    beta : float > 0
        Stiffness (used where the algorithm's entry has ``uses_beta``).
    max_iter : int >= 1
    initial_means : ndarray of shape (n_clusters, n_features) or None
        Read-only hand-placed means.
    show_seeding : bool
        With init "k-means++", the timeline starts with one entry per pick.
    """

    algorithm: str = "kmeans"
    n_clusters: int = 3
    init: str = "k-means++"
    seed: int = 0
    covariance_type: str = "full"
    beta: float = 1.0
    max_iter: int = 300
    initial_means: np.ndarray | None = None
    show_seeding: bool = False

    def __post_init__(self) -> None:
        fixed = {
            "algorithm": check_choice("algorithm", self.algorithm, ALGORITHMS),
            "n_clusters": _whole("n_clusters", self.n_clusters, 1),
            "init": check_choice("init", self.init, INITS),
            "seed": _whole("seed", self.seed, 0),
            "covariance_type": check_choice("covariance_type", self.covariance_type, COVARIANCE_TYPES),
            "beta": check_beta(self.beta),
            "max_iter": _whole("max_iter", self.max_iter, 1),
        }
        if not isinstance(self.show_seeding, (bool, np.bool_)):
            raise ValueError(f"show_seeding={self.show_seeding!r} should be True or False.")
        fixed["show_seeding"] = bool(self.show_seeding)
        for name, value in fixed.items():
            object.__setattr__(self, name, value)

    def replace(self, **changes) -> SessionSettings:
        """A checked copy with ``changes``."""
        return dataclasses.replace(self, **changes)

    @property
    def entry(self) -> Algorithm:
        """The registry entry of `algorithm`."""
        return registry.get_algorithm(self.algorithm)

    @property
    def uses_covariance_type(self) -> bool:
        """Whether the algorithm fits covariances of a chosen structure."""
        return self.covariance_type in self.entry.covariance_types

    @property
    def seeds_shown(self) -> bool:
        """Whether the timeline starts with the k-means++ picks."""
        return self.show_seeding and self.init == "k-means++" and self.initial_means is None

    def model_settings(self) -> ModelSettings:
        """The part every estimator factory takes."""
        return ModelSettings(n_clusters=self.n_clusters, init=self.init, seed=self.seed, max_iter=self.max_iter,
                             covariance_type=self.covariance_type, beta=self.beta,
                             initial_means=None if self.initial_means is None else self.initial_means.copy())
