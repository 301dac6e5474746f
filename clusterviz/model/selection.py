"""Choosing K, and seeing how much the start matters. numpy only; no Qt, no threads.

- :func:`knee_point` finds the "elbow" of a curve (Kneedle).
- :func:`sweep_k` fits K = 1..k_max and collects K-Means distortion, the
  BIC/AIC of Gaussian mixtures and the mean silhouette.
- :func:`run_restarts` runs one algorithm from many random starts and keeps
  the start, the end and the objective of each, so the UI can show that
  K-Means finds different local minima from different starts.

These are pure functions: they may take seconds, so the UI runs them on a
worker and passes ``progress(done, total)`` and ``is_cancelled()``
callbacks; a cancelled run raises :class:`Cancelled` between two units of
work.
"""
from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .metrics import silhouette_score
from .prepared import prepare
from . import registry
from .registry import COVARIANCE_TYPES, Algorithm, ModelSettings, get_algorithm
from .state import ModelError
from .validation import check_data, check_n_clusters

__all__ = ["Cancelled", "knee_point", "SweepResult", "sweep_k", "RestartRun", "run_restarts",
           "best_reached", "COVARIANCE_TYPES", "structure_warnings", "sweep_algorithms", "WEAK_SILHOUETTE",
           "CLEAR_KNEE"]

#: scikit-learn's iteration limit for mixtures, which the sweep's mixtures keep.
_SWEEP_MIXTURE_MAX_ITER = 100
# A difference from the chord (in normalised units) below this is round-off.
_KNEE_TOL = 1e-9
#: A best mean silhouette below this gets a "weak structure" warning (Kaufman & Rousseeuw 1990).
WEAK_SILHOUETTE = 0.5
#: A Kneedle knee whose normalised distance from the chord is below this is "not clear".
CLEAR_KNEE = 0.6

Progress = Callable[[int, int], None] | None
IsCancelled = Callable[[], bool] | None


class Cancelled(Exception):
    """Raised by :func:`sweep_k` and :func:`run_restarts` when
    ``is_cancelled()`` returned True; the work done so far is discarded."""


class _Work:
    """Counts units of work, reports progress and polls for cancellation."""

    def __init__(self, total: int, progress: Progress, is_cancelled: IsCancelled):
        self.total = total
        self.done = 0
        self._progress = progress
        self._is_cancelled = is_cancelled

    def check(self) -> None:
        """Call before each unit: raise Cancelled if asked to stop."""
        if self._is_cancelled is not None and self._is_cancelled():
            raise Cancelled(f"Cancelled after {self.done} of {self.total} steps.")

    def finished_one(self) -> None:
        self.done += 1
        if self._progress is not None:
            self._progress(self.done, self.total)


def _readonly(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


# --------------------------------------------------------------------------
# Kneedle
# --------------------------------------------------------------------------
def knee_point(ks, values, direction: str = "decreasing", curve: str = "convex") -> int | None:
    """The knee (elbow) of a curve by the Kneedle method (Satopää et al. 2011).

    The rule:

    1. Drop points whose value is NaN; fewer than 3 points left: no knee.
    2. Normalise both axes to [0, 1]: x' = (k - min k) / (max k - min k),
       y' = (v - min v) / (max v - min v) (a flat curve has no knee).
    3. Take the difference between the curve and the straight line through
       its ends (the chord): the chord is y' = x' for an increasing curve and
       y' = 1 - x' for a decreasing one; the difference is chord - y' for a
       convex curve (it sags below the chord) and y' - chord for a concave
       one (it bulges above).
    4. The knee is the k where this difference is largest (the smallest such
       k on ties), provided it is > 1e-9 (more than round-off); otherwise
       the curve has no knee (a straight line, or the wrong curvature).

    A K-Means distortion curve falls steeply until K reaches the number of
    natural clusters and slowly after, so it is "decreasing" and "convex"
    (the defaults). Satopää et al. also describe a threshold for picking the
    first of several local maxima in streaming data; on a whole curve we take
    the global maximum, which is the point farthest from the chord.

    Parameters
    ----------
    ks : array-like of shape (n,)
        Increasing x values (the numbers of clusters).
    values : array-like of shape (n,)
    direction : {"decreasing", "increasing"}
    curve : {"convex", "concave"}

    Returns
    -------
    int or None
        The k at the knee, or None if there is none.
    """
    return _kneedle(ks, values, direction, curve)[0]


def _kneedle(ks, values, direction: str, curve: str) -> tuple[int | None, float]:
    """(knee or None, the largest normalised difference from the chord, 0.0 if none)."""
    if direction not in ("decreasing", "increasing"):
        raise ValueError(f"direction={direction!r} should be 'decreasing' or 'increasing'.")
    if curve not in ("convex", "concave"):
        raise ValueError(f"curve={curve!r} should be 'convex' or 'concave'.")
    x = np.asarray(ks, dtype=np.float64).ravel()
    y = np.asarray(values, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"ks has {x.size} entries but values has {y.size}; they should match.")
    keep = np.isfinite(x) & np.isfinite(y)
    x, y, k_orig = x[keep], y[keep], np.asarray(ks).ravel()[keep]
    if x.size < 3:
        return None, 0.0
    if np.any(np.diff(x) <= 0):
        raise ValueError("ks should be strictly increasing.")
    y_span = y.max() - y.min()
    if not y_span > 0:
        return None, 0.0
    xn = (x - x[0]) / (x[-1] - x[0])
    yn = (y - y.min()) / y_span
    chord = xn if direction == "increasing" else 1.0 - xn
    diff = chord - yn if curve == "convex" else yn - chord
    i = int(np.argmax(diff))
    if not diff[i] > _KNEE_TOL:
        return None, 0.0
    return int(k_orig[i]), float(diff[i])


def structure_warnings(knee: int | None, knee_strength: float, best_silhouette: float | None) -> tuple[str, ...]:
    """Plain-language warnings when a sweep's recommendations rest on weak evidence.

    - The best mean silhouette is below :data:`WEAK_SILHOUETTE` (0.5):
      Kaufman & Rousseeuw (1990) read 0.26-0.50 as weak structure that could
      be artificial and 0.25 or less as no substantial structure.
    - The Kneedle knee is not pronounced: its normalised distance from the
      chord is below :data:`CLEAR_KNEE` (0.6). Points spread evenly over a
      square, with no clusters at all, give J ~ 1/K, whose Kneedle distance
      over K = 1..10 is about 0.52; three well separated blobs give about 0.72.

    Parameters
    ----------
    knee : int or None
        The Kneedle knee of the distortion curve.
    knee_strength : float
        Its normalised distance from the chord (0 when there is no knee).
    best_silhouette : float or None
        The highest mean silhouette over the swept K (None if undefined).

    Returns
    -------
    tuple of str
    """
    out = []
    if best_silhouette is not None and np.isfinite(best_silhouette) and best_silhouette < WEAK_SILHOUETTE:
        out.append(f"Weak structure: the best mean silhouette is {best_silhouette:.2f}, below {WEAK_SILHOUETTE} "
                   "(Kaufman & Rousseeuw call 0.26-0.50 weak, possibly artificial structure, and 0.25 or less "
                   "no substantial structure). These data may have no clusters, or clusters that are not "
                   "compact round blobs.")
    if knee is not None and knee_strength < CLEAR_KNEE:
        out.append(f"The elbow is not clear: the distortion J bends only gently at K = {knee} (Kneedle distance "
                   f"{knee_strength:.2f}, below {CLEAR_KNEE}; points with no clusters at all give about 0.5).")
    return tuple(out)


# --------------------------------------------------------------------------
# Sweep over K
# --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SweepResult:
    """Everything :func:`sweep_k` measured, one entry per K.

    Attributes
    ----------
    ks : ndarray of shape (n_k,)
        1, 2, ..., k_max (capped at n_samples).
    inertia : ndarray of shape (n_k,)
        Best-of-n_init K-Means distortion J.
    bic, aic : dict of str -> ndarray of shape (n_k,)
        Per covariance type; NaN where the fit failed (the reason is in notes).
        Lower is better.
    silhouette : ndarray of shape (n_k,)
        Mean silhouette of the K-Means labels; NaN for K = 1 (undefined).
    silhouette_subsampled : bool
        True if some silhouette was computed on a random subsample.
    knee : int or None
        Kneedle knee of the inertia curve.
    best_bic : dict of str -> int or None
        K with the lowest BIC per covariance type (None if every fit failed).
    best_silhouette : int or None
        K with the highest mean silhouette (None if there is no K >= 2).
    notes : tuple of str
        What a teacher should know: failed fits and why, subsampling, a
        minimum at the edge of the range.
    knee_strength : float
        Normalised distance of the knee from the chord (Kneedle); 0.0 without a knee.
    warnings : tuple of str
        From :func:`structure_warnings`: weak structure, an unclear elbow.
    """

    ks: np.ndarray
    inertia: np.ndarray
    bic: dict[str, np.ndarray]
    aic: dict[str, np.ndarray]
    silhouette: np.ndarray
    silhouette_subsampled: bool
    knee: int | None
    best_bic: dict[str, int | None]
    best_silhouette: int | None
    notes: tuple[str, ...] = field(default=())
    knee_strength: float = 0.0
    warnings: tuple[str, ...] = field(default=())


def sweep_algorithms() -> tuple[Algorithm, Algorithm]:
    """The registry entries a sweep over K fits: the first hard algorithm
    (its distortion gives the elbow, its labels the silhouettes) and the
    first that fits covariances (its BIC and AIC per covariance type).

    Returns
    -------
    (Algorithm, Algorithm)
    """
    entries = registry.ALGORITHMS.values()
    hard = next(entry for entry in entries if entry.hard)
    mixture = next(entry for entry in entries if entry.covariance_types and entry.has_density)
    return hard, mixture


def _seed_int(random_state) -> int:
    """An int base seed from None, an int or a Generator."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2 ** 63))
    if random_state is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise ModelError(f"random_state={random_state!r} should be None, an int seed or a numpy Generator.")
    return int(random_state)


def _child_rng(base: int, *key: int) -> np.random.Generator:
    """An independent stream for one unit of work: it depends only on the base
    seed and the unit's key, not on which other units run."""
    return np.random.default_rng(np.random.SeedSequence(base, spawn_key=key))


def _arg_best(ks: np.ndarray, values: np.ndarray, lowest: bool) -> int | None:
    if not np.any(np.isfinite(values)):
        return None
    i = np.nanargmin(values) if lowest else np.nanargmax(values)
    return int(ks[i])


def sweep_k(X, k_max: int = 10, *, n_init: int = 4, random_state=0,
            covariance_types: Sequence[str] = COVARIANCE_TYPES, progress: Progress = None,
            is_cancelled: IsCancelled = None, gmm_n_init: int = 1, sample_size: int | None = 5000,
            reg_covar: float = 1e-6) -> SweepResult:
    """Fit K = 1..k_max clusters and measure how well each K does.

    For every K: K-Means (best of ``n_init`` starts) gives the distortion
    (inertia) and labels whose mean silhouette is recorded (K >= 2); a
    Gaussian mixture of each covariance type gives BIC and AIC. A mixture that
    cannot be fitted (a :class:`ModelError`) gets NaN and a note saying why.

    Units of work, each followed by ``progress(done, total)``: one K-Means fit
    with its silhouette per K, and one mixture fit per K and covariance type,
    so ``total = n_k * (1 + len(covariance_types))``. ``is_cancelled()`` is
    polled before every unit; when it returns True, :class:`Cancelled` is raised.

    Each unit draws from its own random stream, derived from ``random_state``,
    K and the unit, so the same ``random_state`` gives the same result, and
    the numbers for a K do not depend on ``k_max`` or on which covariance
    types are swept.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    k_max : int, default=10
        Capped at n_samples.
    n_init : int, default=4
        K-Means starts per K (the lowest distortion wins).
    random_state : None, int or np.random.Generator, default=0
    covariance_types : sequence of {"full", "tied", "diag", "spherical"}
        May be empty (no BIC/AIC).
    progress : callable(done, total), optional
    is_cancelled : callable() -> bool, optional
    gmm_n_init : int, default=1
        Mixture fits per K and type (the highest log-likelihood wins);
        each start is one k-means run and EM, as in scikit-learn.
    sample_size : int or None, default=5000
        Silhouettes of more points use a random subsample of this size.
    reg_covar : float, default=1e-6
        Passed to every GaussianMixture.

    Returns
    -------
    SweepResult

    Raises
    ------
    Cancelled
        If ``is_cancelled()`` returned True.
    ModelError
        If X or the settings are invalid.
    """
    X = check_data(X)
    k_max = check_n_clusters(k_max, "k_max")
    n_init = check_n_clusters(n_init, "n_init")
    gmm_n_init = check_n_clusters(gmm_n_init, "gmm_n_init")
    covariance_types = tuple(covariance_types)
    for ct in covariance_types:
        if ct not in COVARIANCE_TYPES:
            raise ModelError(f"covariance type {ct!r} is not known; use one of "
                             f"{', '.join(map(repr, COVARIANCE_TYPES))}.")
    base = _seed_int(random_state)
    hard, mixture = sweep_algorithms()
    data = prepare(X)
    n_samples = X.shape[0]
    notes: list[str] = []
    if k_max > n_samples:
        notes.append(f"K goes up to {n_samples} only: there are only {n_samples} points (k_max was {k_max}).")
        k_max = n_samples
    ks = np.arange(1, k_max + 1)
    n_k = ks.size
    work = _Work(n_k * (1 + len(covariance_types)), progress, is_cancelled)

    inertia = np.full(n_k, np.nan)
    silhouette = np.full(n_k, np.nan)
    bic = {ct: np.full(n_k, np.nan) for ct in covariance_types}
    aic = {ct: np.full(n_k, np.nan) for ct in covariance_types}
    subsampled = False
    for i, K in enumerate(ks):
        K = int(K)
        work.check()
        rng = _child_rng(base, K, 0)
        km = hard.build(ModelSettings(n_clusters=K, seed=rng, n_init=n_init), data).fit(data)
        inertia[i] = km.inertia_
        if K >= 2:
            n_used = np.unique(km.labels_).size
            if 2 <= n_used <= n_samples - 1:
                silhouette[i], used = silhouette_score(X, km.labels_, sample_size=sample_size, random_state=rng)
                subsampled |= used
            else:
                notes.append(f"K={K}: no silhouette, because the K-Means labels use {n_used} clusters and "
                             f"the silhouette needs between 2 and {n_samples - 1}.")
        work.finished_one()
        for ct in covariance_types:
            work.check()
            try:
                gm = _best_mixture(mixture, data, K, ct, gmm_n_init, reg_covar, base)
                bic[ct][i] = gm.bic(data)
                aic[ct][i] = gm.aic(data)
            except ModelError as exc:
                notes.append(f"K={K}, covariance {ct!r}: the mixture could not be fitted ({exc}) "
                             "so its BIC and AIC are missing.")
            work.finished_one()

    if subsampled:
        notes.append(f"The silhouettes were computed on a random subsample of {sample_size} of the "
                     f"{n_samples} points (the exact value needs all N^2 distances).")
    best_bic = {ct: _arg_best(ks, bic[ct], lowest=True) for ct in covariance_types}
    for ct, k in best_bic.items():
        if k is not None and k == ks[-1] and 1 < n_k and k < n_samples:
            notes.append(f"The BIC for covariance {ct!r} is lowest at the largest K tried ({k}); "
                         "a larger K might be lower still.")
    knee, strength = _kneedle(ks, inertia, "decreasing", "convex")
    best_sil = _arg_best(ks, silhouette, lowest=False)
    best_sil_value = None if best_sil is None else float(silhouette[int(np.flatnonzero(ks == best_sil)[0])])
    return SweepResult(
        ks=ks, inertia=_readonly(inertia), bic={ct: _readonly(v) for ct, v in bic.items()},
        aic={ct: _readonly(v) for ct, v in aic.items()}, silhouette=_readonly(silhouette),
        silhouette_subsampled=subsampled, knee=knee,
        best_bic=best_bic, best_silhouette=best_sil, notes=tuple(notes), knee_strength=strength,
        warnings=structure_warnings(knee, strength, best_sil_value))


def _best_mixture(entry: Algorithm, X, K: int, ct: str, n_init: int, reg_covar: float, base: int):
    """The fitted mixture with the highest log-likelihood of ``n_init`` starts;
    raises the last ModelError if every start failed."""
    best, error = None, None
    for j in range(n_init):
        rng = _child_rng(base, K, 1 + COVARIANCE_TYPES.index(ct), j)
        try:
            settings = ModelSettings(n_clusters=K, init="kmeans", seed=rng, covariance_type=ct,
                                     reg_covar=reg_covar, max_iter=_SWEEP_MIXTURE_MAX_ITER)
            gm = entry.build(settings, X).fit(X)
        except ModelError as exc:
            error = exc
            continue
        if best is None or gm.lower_bound_ > best.lower_bound_:
            best = gm
    if best is None:
        raise error
    return best


# --------------------------------------------------------------------------
# Restarts
# --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RestartRun:
    """One run of :func:`run_restarts`.

    Attributes
    ----------
    algorithm : str
        "kmeans", "gmm" or "soft-kmeans".
    init : str
        How the start was chosen ("random", "k-means++", ... ).
    seed : int
        The model's ``random_state``: the same settings and this seed repeat
        the run exactly.
    initial_means : ndarray of shape (n_clusters, n_features)
    final_means : ndarray of shape (n_clusters, n_features)
    labels : ndarray of shape (n_samples,)
        Final hard assignment (nearest centre, or most responsible component).
    objective : float
        K-Means: distortion J of the final centres (lower is better). Mixtures:
        total log-likelihood (higher is better).
    higher_is_better : bool
    n_iter : int
    converged : bool
    index : int
        Order in which the run was made (before sorting).
    """

    algorithm: str
    init: str
    seed: int
    initial_means: np.ndarray
    final_means: np.ndarray
    labels: np.ndarray
    objective: float
    higher_is_better: bool
    n_iter: int
    converged: bool
    index: int


def _one_run(X, algorithm: str, n_clusters: int, init: str, seed: int, params: dict, index: int) -> RestartRun:
    entry = get_algorithm(algorithm)
    model = entry.build(ModelSettings(n_clusters=n_clusters, init=init, seed=seed, **params), X)
    first = state = model.initialize(X)
    while not state.converged and state.iteration < model.max_iter:
        state = model.step(X, state)
    # an E-step gives the final labels; K-Means' distortion is that of the
    # final centres, a mixture's log-likelihood does not change in it
    final = model.e_step(X, state)
    labels = np.array(final.labels)
    labels.flags.writeable = False
    return RestartRun(algorithm=algorithm, init=init, seed=seed, initial_means=_readonly(first.means),
                      final_means=_readonly(state.means), labels=labels, objective=float(final.objective),
                      higher_is_better=entry.higher_is_better, n_iter=int(state.iteration),
                      converged=bool(state.converged), index=index)


def run_restarts(X, algorithm: str = "kmeans", n_clusters: int = 3, n_restarts: int = 20,
                 inits: Sequence[str] = ("random", "k-means++"), random_state=0,
                 progress: Progress = None, is_cancelled: IsCancelled = None, seeds: Sequence[int] | None = None,
                 **params) -> list[RestartRun]:
    """Run an algorithm from ``n_restarts`` starts for each init method.

    Run r of every init method uses the same seed (drawn from
    ``random_state``), so the methods are compared on equal terms. Each run
    goes from initialisation to convergence (or ``max_iter``) with the
    model's own stepping.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or Prepared
        A `Prepared` keeps its sequence lengths (for the HMM).
    algorithm : str
        A name in the registry ("kmeans", "gmm", "soft-kmeans", "hmm").
    n_clusters : int
    n_restarts : int
        Runs per init method (ignored with ``seeds``).
    inits : sequence of str
        "random", "k-means++": the app's starts (mixtures start from the
        means K-Means would, with broad components: ``broad_start``).
        Mixtures also take scikit-learn's "kmeans" and "random_from_data".
    random_state : None, int or np.random.Generator
    progress, is_cancelled : callables, optional
        As in :func:`sweep_k`; one unit of work is one run.
    seeds : sequence of int, optional
        The seeds of the runs of every init method, instead of ``n_restarts``
        seeds drawn from ``random_state`` (the exercise "seeds 0 ... 9").
    **params
        Further fields of :class:`~clusterviz.model.registry.ModelSettings`
        (``max_iter``, ``tol``, ``beta``, ``covariance_type``, ``reg_covar`` ...).

    Returns
    -------
    list of RestartRun
        Best first (lowest distortion / highest log-likelihood); ties keep
        the order in which the runs were made.

    Raises
    ------
    Cancelled
        If ``is_cancelled()`` returned True.
    ModelError
        If the data or a setting is invalid, or a run fails.
    """
    entry = get_algorithm(algorithm)
    n_clusters = check_n_clusters(n_clusters)
    inits = tuple(inits)
    if not inits:
        raise ModelError("inits is empty; give at least one init method, e.g. ('k-means++',).")
    X = prepare(check_data(X, n_clusters), lengths=getattr(X, "lengths", None))
    if seeds is None:
        n_restarts = check_n_clusters(n_restarts, "n_restarts")
        seeds = np.random.default_rng(_seed_int(random_state)).integers(0, 2 ** 31 - 1, size=n_restarts)
    seeds = [int(s) for s in seeds]
    n_restarts = len(seeds)
    work = _Work(n_restarts * len(inits), progress, is_cancelled)
    runs = []
    for init in inits:
        for seed in seeds:
            work.check()
            runs.append(_one_run(X, algorithm, n_clusters, init, seed, params, len(runs)))
            work.finished_one()
    sign = -1.0 if entry.higher_is_better else 1.0
    runs.sort(key=lambda run: (sign * run.objective, run.index))
    return runs


def best_reached(runs: Sequence[RestartRun], rtol: float = 1e-6, init: str | None = None) -> tuple[int, int]:
    """How many runs reached the best objective: "best reached in x / R runs".

    A run counts when its objective is within ``rtol`` (relative) of the best
    of *all* ``runs``. With ``init`` given, only runs of that init method are
    counted (x and R both), still against the overall best.

    Returns
    -------
    (count, total) : tuple of int
    """
    if not runs:
        return 0, 0
    objectives = np.array([run.objective for run in runs])
    best = objectives.max() if runs[0].higher_is_better else objectives.min()
    chosen = [run for run in runs if init is None or run.init == init]
    count = sum(1 for run in chosen if abs(run.objective - best) <= rtol * abs(best))
    return count, len(chosen)
