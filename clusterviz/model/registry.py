"""The algorithms the app knows, each listed once (numpy only; no Qt).

Everything that differs between algorithms and is not numerics lives in
one :class:`Algorithm` entry: its command-line and file name, its labels,
its objective, what it supports, and a factory that builds the estimator
from the app's settings. The UI lists, the command-line choices, session
files and the choosing-K and restarts panels read :data:`ALGORITHMS`;
nothing outside this module compares algorithm names.

Adding an algorithm is one model module (an estimator with ``initialize``,
``e_step``, ``m_step``, ``restart``, ``region_labels`` and, if it has a
density, ``log_density``; see :class:`clusterviz.model.base.SteppableModel`)
plus one entry here.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._common import INITS
from .base import SteppableModel
from .gaussian import COVARIANCE_TYPES
from .state import ModelError

__all__ = ["ALGORITHMS", "COVARIANCE_TYPES", "INITS", "Algorithm", "ModelSettings", "algorithm_names",
           "get_algorithm"]


@dataclass(frozen=True, eq=False)
class ModelSettings:
    """What the app lets a user choose, in the terms every factory takes.

    Attributes
    ----------
    n_clusters : int
    init : {"random", "k-means++"}
        How the initial means are drawn (ignored with ``initial_means``).
    seed : int or np.random.Generator
        The estimator's ``random_state``.
    max_iter : int
    covariance_type : {"full", "tied", "diag", "spherical"}
        Used by algorithms whose entry lists covariance types.
    beta : float
        Stiffness, used by algorithms whose entry has ``uses_beta``.
    initial_means : ndarray of shape (n_clusters, n_features) or None
        Means placed by hand; None draws them with ``init`` and ``seed``.
    tol : float or None
        Convergence tolerance; None keeps the estimator's default.
    reg_covar : float or None
        Added to covariance diagonals by algorithms that fit covariances;
        None: the app's choice for the data (scaled with their variance).
    n_init : int
        Starts whose best is kept, by estimators whose ``fit`` restarts (K-Means).
    """

    n_clusters: int = 3
    init: str = "k-means++"
    seed: int = 0
    max_iter: int = 300
    covariance_type: str = "full"
    beta: float = 1.0
    initial_means: np.ndarray | None = None
    tol: float | None = None
    reg_covar: float | None = None
    n_init: int = 1


#: factory(settings, X) -> estimator ready for ``initialize(X)``; X an array or a Prepared.
Factory = Callable[[ModelSettings, np.ndarray], SteppableModel]


@dataclass(frozen=True, eq=False)
class Algorithm:
    """One algorithm as the app presents it.

    Attributes
    ----------
    name : str
        Command-line and session-file name ("kmeans").
    label : str
        Menu label ("K-Means").
    short_label : str
        Where space is short (chart legends, compare titles): "EM".
    description : str
        One-line tooltip.
    objective_name : str
        Axis title of the objective plot ("Distortion J").
    objective_symbol : str
        The objective's symbol ("J", "ℓ").
    higher_is_better : bool
        Whether the objective rises as the fit improves (log-likelihoods).
    hard : bool
        Responsibilities are 0/1 (K-Means).
    half_step_labels : (str, str)
        Button texts of the E and M half-steps.
    responsibility_caption : str
        What the inspector says about the responsibilities; may use
        ``{beta}``.
    ambiguity_tip : str
        What the ambiguity layer shows for this algorithm.
    covariance_types : tuple of str
        The covariance structures it can fit (empty: it fits none).
    uses_beta : bool
        Whether the stiffness beta is one of its settings.
    has_density : bool
        Whether it defines a density p(x) (the density layer, BIC/AIC).
    supports_sequences : bool
        Whether it models the order of the points (hidden Markov models).
    factory : Factory
        Builds the estimator from :class:`ModelSettings` and the data.
    objective_formula : str
        The objective's definition as rich text (HTML sub/sup) with its PRML
        number, shown above the objective plot; "" lets the app write the
        formula it knows for the objective's symbol (J, or a mixture's ℓ).
    start_note : callable or None
        ``start_note(settings) -> str``: where the initial state came from,
        in the app's words, when the app starts it differently from the
        estimator's own default (EM's broad start); it replaces the
        estimator's own notes about the start.
    """

    name: str
    label: str
    short_label: str
    description: str
    objective_name: str
    objective_symbol: str
    higher_is_better: bool
    hard: bool
    half_step_labels: tuple[str, str]
    responsibility_caption: str
    ambiguity_tip: str
    factory: Factory = field(repr=False)
    covariance_types: tuple[str, ...] = ()
    uses_beta: bool = False
    has_density: bool = False
    supports_sequences: bool = False
    objective_formula: str = ""
    start_note: Callable[[ModelSettings], str] | None = field(default=None, repr=False)

    def build(self, settings: ModelSettings, X) -> SteppableModel:
        """The estimator for ``settings`` on data ``X`` (an array or a
        :class:`~clusterviz.model.prepared.Prepared`; see :attr:`factory`)."""
        return self.factory(settings, X)

    def objective_text(self, value: float) -> str:
        """``"J = 322.0"``: the objective with its symbol, 4 significant digits."""
        return f"{self.objective_symbol} = {value:.4g}"


# --------------------------------------------------------------------------
# Factories
# --------------------------------------------------------------------------
def _initial_means_or_init(settings: ModelSettings):
    return settings.init if settings.initial_means is None else np.array(settings.initial_means)


def _tol(settings: ModelSettings) -> dict:
    return {} if settings.tol is None else {"tol": settings.tol}


def _build_kmeans(settings: ModelSettings, X: np.ndarray) -> SteppableModel:
    from .kmeans import KMeans

    return KMeans(n_clusters=settings.n_clusters, init=_initial_means_or_init(settings), n_init=settings.n_init,
                  max_iter=settings.max_iter, random_state=settings.seed, **_tol(settings))


def _build_soft_kmeans(settings: ModelSettings, X: np.ndarray) -> SteppableModel:
    from .soft_kmeans import SoftKMeans

    return SoftKMeans(n_clusters=settings.n_clusters, beta=settings.beta, init=_initial_means_or_init(settings),
                      max_iter=settings.max_iter, random_state=settings.seed, **_tol(settings))


def _build_gmm(settings: ModelSettings, X: np.ndarray) -> SteppableModel:
    from .gmm import app_gaussian_mixture

    return app_gaussian_mixture(settings, X)


def _build_hmm(settings: ModelSettings, X: np.ndarray) -> SteppableModel:
    from .hmm import app_hidden_markov_model

    return app_hidden_markov_model(settings, X)


def _gmm_start_note(settings: ModelSettings) -> str:
    from .gmm import app_start_note

    return app_start_note(settings)


# --------------------------------------------------------------------------
# The entries, in the order the app lists them
# --------------------------------------------------------------------------
_ENTRIES = (
    Algorithm(
        name="kmeans", label="K-Means", short_label="K-Means",
        description="Lloyd's algorithm: hard assignments, then centroids (PRML 9.1).",
        objective_name="Distortion J", objective_symbol="J", higher_is_better=False, hard=True,
        half_step_labels=("Assign points", "Move centroids"),
        responsibility_caption="K-Means: hard 0/1 responsibilities",
        ambiguity_tip="K-Means ambiguity d1/d2: nearest over second-nearest centroid distance "
                      "(1 = on the boundary).",
        factory=_build_kmeans,
    ),
    Algorithm(
        name="gmm", label="Gaussian mixture (EM)", short_label="EM",
        description="EM for a Gaussian mixture: soft responsibilities, means and covariances (PRML 9.2).",
        objective_name="Log-likelihood ℓ", objective_symbol="ℓ", higher_is_better=True, hard=False,
        half_step_labels=("E-step: responsibilities", "M-step: parameters"),
        responsibility_caption="EM: soft responsibilities (they sum to 1)",
        ambiguity_tip="EM ambiguity: entropy of the responsibilities / ln K "
                      "(1 = equally likely in every cluster).",
        factory=_build_gmm, covariance_types=COVARIANCE_TYPES, has_density=True, start_note=_gmm_start_note,
    ),
    Algorithm(
        name="soft-kmeans", label="Soft K-Means", short_label="Soft K-Means",
        description="K-Means with soft assignments of stiffness beta; beta -> infinity is K-Means.",
        objective_name="Log-likelihood ℓ", objective_symbol="ℓ", higher_is_better=True, hard=False,
        half_step_labels=("Assign points", "Move centroids"),
        responsibility_caption="Soft K-Means (β = {beta:.3g}): soft responsibilities",
        ambiguity_tip="Soft K-Means ambiguity: entropy of the responsibilities / ln K (1 = no preference).",
        factory=_build_soft_kmeans, uses_beta=True, has_density=True,
    ),
    Algorithm(
        name="hmm", label="Hidden Markov model (HMM, Baum-Welch)", short_label="HMM",
        description="Gaussian hidden Markov model fitted by Baum-Welch: the points are a sequence, each "
                    "state depends on the one before (PRML 13.2).",
        objective_name="Log-likelihood ℓ", objective_symbol="ℓ", higher_is_better=True, hard=False,
        half_step_labels=("E-step: forward-backward", "M-step: re-estimate"),
        responsibility_caption="HMM: state posteriors γ (they sum to 1; each point's neighbours in time count)",
        ambiguity_tip="HMM ambiguity: entropy of the state posteriors γ / ln K "
                      "(1 = equally likely in every state).",
        factory=_build_hmm, covariance_types=COVARIANCE_TYPES, has_density=True, supports_sequences=True,
        objective_formula="ℓ = ln Σ<sub>z</sub> p(X, Z) = ln Σ<sub>z<sub>N</sub></sub> α(z<sub>N</sub>)"
                          "&nbsp;&nbsp;(PRML 13.11, 13.42)",
    ),
)

#: Every algorithm by name, in the order the app lists them.
ALGORITHMS: dict[str, Algorithm] = {entry.name: entry for entry in _ENTRIES}


def algorithm_names() -> tuple[str, ...]:
    """The names of every algorithm, in the order the app lists them."""
    return tuple(ALGORITHMS)


def get_algorithm(name: str) -> Algorithm:
    """The entry of the algorithm called ``name``.

    Raises
    ------
    ModelError
        If there is no such algorithm; the message lists the known names.
    """
    try:
        return ALGORITHMS[name]
    except (KeyError, TypeError):
        known = ", ".join(repr(n) for n in ALGORITHMS)
        raise ModelError(f"algorithm={name!r} is not known; choose one of {known}.") from None
