"""Validated settings of a session: one frozen value, checked once.

:class:`SessionSettings` is what a user chooses (algorithm, K, init, seed,
covariance type, beta, max_iter, hand-placed means, whether k-means++ seeding
is shown pick by pick, the tolerance and the number of starts tried). Every ``with_*`` method returns a new, checked value;
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

from clusterviz.data.limits import MAX_CLUSTERS, MAX_N_INIT
from clusterviz.model import registry
from clusterviz.model.registry import Algorithm, ModelSettings

__all__ = ["ALGORITHMS", "ALGORITHM_NAMES", "COVARIANCE_TYPES", "INITS", "MAX_CLUSTERS", "MAX_N_INIT",
           "SessionSettings", "check_choice", "check_n_clusters", "check_n_init", "check_points", "check_tol"]

#: The algorithm names, in the order the app lists them (from the registry).
ALGORITHMS: tuple[str, ...] = registry.algorithm_names()
#: Human-readable name of each algorithm (for menus and status lines).
ALGORITHM_NAMES: dict[str, str] = {name: entry.label for name, entry in registry.ALGORITHMS.items()}
INITS: tuple[str, ...] = registry.INITS
#: Most clusters the app shows (session files above it are refused); from `clusterviz.data.limits`.
MAX_CLUSTERS: int = MAX_CLUSTERS
#: Most starts a (re)initialisation may try: each is a full run, on the thread that changes the settings
#: (from `clusterviz.data.limits`, which session files are checked against).
MAX_N_INIT: int = MAX_N_INIT
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


def check_n_clusters(k) -> int:
    """K as an int in 1..`MAX_CLUSTERS`, else a ValueError saying why."""
    k = _whole("n_clusters", k, 1)
    if k > MAX_CLUSTERS:
        raise ValueError(f"n_clusters={k} is more than the app can show: it draws at most {MAX_CLUSTERS} "
                         f"clusters, each in its own colour; choose K from 1 to {MAX_CLUSTERS}.")
    return k


def check_n_init(n_init) -> int:
    """n_init as an int in 1..`MAX_N_INIT`, else a ValueError saying why."""
    n_init = _whole("n_init", n_init, 1)
    if n_init > MAX_N_INIT:
        raise ValueError(f"n_init={n_init} is too many starts: each is a full run; choose from 1 to {MAX_N_INIT}.")
    return n_init


def check_tol(tol) -> float | None:
    """A finite tolerance >= 0, or None (the algorithm's own default)."""
    if tol is None:
        return None
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not np.isfinite(tol) or tol < 0:
        raise ValueError(f"tol={tol!r} should be a finite number >= 0, or None for the algorithm's default.")
    return float(tol)


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
    if M.shape[0] > MAX_CLUSTERS:
        raise ValueError(f"{M.shape[0]} initial means are more than the app can show: it draws at most "
                         f"{MAX_CLUSTERS} clusters; place from 1 to {MAX_CLUSTERS} means.")
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
        No full iteration beyond this number is computed.
    tol : float >= 0 or None
        The convergence tolerance handed to the estimator; None is the
        algorithm's own default (its meaning is the algorithm's: K-Means
        compares the centres' shift with it, EM and soft K-Means the change
        of the log-likelihood per point).
    n_init : int in 1..MAX_N_INIT
        How many starts are tried at every (re)initialisation: the seeds
        ``seed, seed + 1, ..., seed + n_init - 1``; the fit starts from the
        one whose full run ends best (see `clusterviz.session.best_start`).
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
    tol: float | None = None
    n_init: int = 1

    def __post_init__(self) -> None:
        fixed = {
            "algorithm": check_choice("algorithm", self.algorithm, ALGORITHMS),
            "n_clusters": check_n_clusters(self.n_clusters),
            "init": check_choice("init", self.init, INITS),
            "seed": _whole("seed", self.seed, 0),
            "covariance_type": check_choice("covariance_type", self.covariance_type, COVARIANCE_TYPES),
            "beta": check_beta(self.beta),
            "max_iter": _whole("max_iter", self.max_iter, 1),
            "tol": check_tol(self.tol),
            "n_init": check_n_init(self.n_init),
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

    def model_settings(self, seed: int | None = None) -> ModelSettings:
        """The part every estimator factory takes; ``seed`` (default: `seed`)
        is the one the start is drawn with (one of the `n_init` seeds).
        The estimator gets ``n_init=1``: the session tries the starts itself."""
        return ModelSettings(n_clusters=self.n_clusters, init=self.init,
                             seed=self.seed if seed is None else seed, max_iter=self.max_iter,
                             covariance_type=self.covariance_type, beta=self.beta,
                             initial_means=None if self.initial_means is None else self.initial_means.copy(),
                             tol=self.tol)

    @property
    def start_seeds(self) -> tuple[int, ...]:
        """The seeds whose starts are tried: ``seed ... seed + n_init - 1``
        (one start with hand-placed means, which no seed changes)."""
        return (self.seed,) if self.initial_means is not None else tuple(range(self.seed, self.seed + self.n_init))
