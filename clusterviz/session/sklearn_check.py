"""Check a run against scikit-learn: the same data, the same start, the same
``max_iter`` and ``tol``, run by both, compared side by side.

scikit-learn stays optional: it is imported inside `compare_with_sklearn`
only; without it `SklearnCheckError` says how to install it
(`INSTALL_HINT`). No Qt here (the dialog is ``clusterviz.ui.windows.sklearn_check``).

What runs
---------
*Ours*: the session's own estimator from the session's start (the "init"
entry, after any k-means++ picks), full steps until the tolerance is met or
``max_iter`` (`clusterviz.session.start.final_state`) -- what Run to
convergence does -- and then, if scikit-learn ran more iterations, on to the
same number, so both are compared after the same steps (`RunResult.met_at`
keeps where our tolerance was met). Its labels are the E-step of the final
parameters, as scikit-learn's ``predict``.

*scikit-learn's*, from the same start:

- K-Means: ``sklearn.cluster.KMeans(init=<the start's means>, n_init=1,
  algorithm="lloyd", max_iter, tol)``; the objective is ``inertia_`` (J).
- EM: ``sklearn.mixture.GaussianMixture(means_init, weights_init,
  precisions_init=<the start's>, covariance_type, reg_covar=<the session's>,
  max_iter, tol)``; the objective is the total log-likelihood of its final
  parameters, ``score(X) * N`` (ℓ). scikit-learn tests its tolerance one
  M-step later than the app does (on the likelihood of the parameters before
  its last M-step), so it may take one iteration more.

Which algorithms have a counterpart
-----------------------------------
`COUNTERPARTS` maps a registry name to the function that runs
scikit-learn's counterpart. It is the one place outside the registry that
names algorithms, because what scikit-learn offers is not a property of an
algorithm the app steps; an algorithm not in it (soft K-Means, an HMM) gets
"no scikit-learn counterpart".
"""
from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from clusterviz.model.metrics import adjusted_rand_index

from .start import final_state
from .timeline import hard_labels

__all__ = ["COUNTERPARTS", "INSTALL_HINT", "CheckInputs", "RunResult", "SklearnCheckError", "SklearnComparison",
           "compare_with_sklearn", "has_counterpart", "prepare_check", "run_check", "sklearn_available"]

#: How to get scikit-learn, for a message.
INSTALL_HINT = 'pip install "clusterviz[sklearn]"  (or: pip install scikit-learn)'


@dataclass(frozen=True, eq=False)
class CheckInputs:
    """What a check reads from a session, taken at once (on the thread that
    owns the session), so `run_check` can run on a worker while the session
    changes.

    Attributes
    ----------
    algorithm : str
        The registry name.
    model
        The session's estimator (its ``max_iter``, ``tol``, ``reg_covar``).
    prepared
        The session's prepared data.
    start : FitState
        The "init" entry the run starts from.
    n_clusters, covariance_type, max_iter, tol, seed
        The session's settings (``tol`` the one the model uses; ``seed`` the
        start's, `Session.start_seed`).
    description : str
        What was checked, in words ("K-Means, K = 3, seed 42 on three_blobs").
    """

    algorithm: str
    model: object
    prepared: object
    start: object
    n_clusters: int
    covariance_type: str
    max_iter: int
    tol: float
    seed: int
    objective_name: str
    objective_symbol: str
    description: str


class SklearnCheckError(ValueError):
    """The check cannot run: no fit, no counterpart, or no scikit-learn (the
    message says which, and how to install it)."""


@dataclass(frozen=True, eq=False)
class RunResult:
    """Where one run ended.

    Attributes
    ----------
    objective : float
        J (K-Means' distortion) or ℓ (total log-likelihood) of the final
        parameters and labels.
    means : ndarray of shape (K, D)
    labels : ndarray of shape (N,)
        Every point's cluster under the final parameters.
    n_iter : int
        Full iterations run.
    converged : bool
        Whether the tolerance was met before ``max_iter``.
    met_at : int or None
        The iteration at which the tolerance was met (None: never).
    """

    objective: float
    means: np.ndarray
    labels: np.ndarray
    n_iter: int
    converged: bool
    met_at: int | None = None


@dataclass(frozen=True, eq=False)
class SklearnComparison:
    """Both runs and how far apart they ended.

    Attributes
    ----------
    estimator : str
        scikit-learn's call and the objective compared, e.g.
        "sklearn.cluster.KMeans(init=<the start's means>, n_clusters=3, ...).fit(X).inertia_".
    sklearn_version : str
    objective_name, objective_symbol : str
        From the registry entry ("Distortion J", "J").
    ours, theirs : RunResult
    labels_agree : float
        Fraction of points given the same cluster number by both.
    adjusted_rand : float
        Adjusted Rand index between the two labelings (1: the same
        partition, whatever the numbering).
    max_mean_shift : float
        Largest distance between a mean of ours and scikit-learn's mean of the
        same number.
    description : str
        What was checked (`CheckInputs.description`).
    """

    estimator: str
    sklearn_version: str
    objective_name: str
    objective_symbol: str
    ours: RunResult
    theirs: RunResult
    labels_agree: float
    adjusted_rand: float
    max_mean_shift: float
    description: str = ""

    @property
    def objective_gap(self) -> float:
        """|ours - theirs| relative to |ours| (0 when both are 0)."""
        a, b = self.ours.objective, self.theirs.objective
        scale = max(abs(a), abs(b))
        return 0.0 if scale == 0 else abs(a - b) / scale

    @property
    def same_result(self) -> bool:
        """The same partition and the objective within 1e-6 relative."""
        return self.adjusted_rand == 1.0 and self.objective_gap <= 1e-6

    def summary(self) -> str:
        """One sentence: do they agree?"""
        s = self.objective_symbol
        verdict = ("The same result" if self.same_result else
                   "The same partition, objectives differ slightly" if self.adjusted_rand == 1.0 else
                   "Different results")
        return (f"{verdict}: {s} = {self.ours.objective!r} (clusterviz) vs {self.theirs.objective!r} "
                f"(scikit-learn {self.sklearn_version}); labels agree on {self.labels_agree:.1%} of the points, "
                f"ARI between them = {self.adjusted_rand:.4f}.")


def sklearn_available() -> bool:
    """Whether scikit-learn can be imported (without importing it)."""
    return importlib.util.find_spec("sklearn") is not None


def _kmeans(inputs: CheckInputs, X: np.ndarray) -> tuple[str, RunResult]:
    from sklearn.cluster import KMeans

    start = inputs.start
    options = dict(n_clusters=inputs.n_clusters, n_init=1, max_iter=inputs.max_iter, tol=inputs.tol,
                   algorithm="lloyd", random_state=inputs.seed)
    km = KMeans(init=np.array(start.means, dtype=np.float64), **options).fit(X)
    text = "sklearn.cluster.KMeans(init=<the start's means>, " + ", ".join(f"{k}={v!r}" for k, v in options.items())
    n_iter = int(km.n_iter_)
    converged = n_iter < inputs.max_iter
    return text + ").fit(X).inertia_", RunResult(objective=float(km.inertia_), means=km.cluster_centers_, labels=km.labels_,
                                 n_iter=n_iter, converged=converged, met_at=n_iter if converged else None)


def _precisions(covariances: np.ndarray, covariance_type: str) -> np.ndarray:
    """scikit-learn's ``precisions_init`` from full (K, D, D) covariances of the type's structure."""
    if covariance_type == "full":
        return np.linalg.inv(covariances)
    if covariance_type == "tied":
        return np.linalg.inv(covariances[0])
    variances = np.diagonal(covariances, axis1=1, axis2=2)
    return 1.0 / (variances if covariance_type == "diag" else variances[:, 0])


def _gaussian_mixture(inputs: CheckInputs, X: np.ndarray) -> tuple[str, RunResult]:
    from sklearn.mixture import GaussianMixture

    start, ct = inputs.start, inputs.covariance_type
    options = dict(n_components=inputs.n_clusters, covariance_type=ct, tol=inputs.tol,
                   reg_covar=float(inputs.model.reg_covar), max_iter=inputs.max_iter, random_state=inputs.seed)
    gm = GaussianMixture(weights_init=np.array(start.weights), means_init=np.array(start.means),
                         precisions_init=_precisions(np.asarray(start.covariances), ct), **options).fit(X)
    text = ("sklearn.mixture.GaussianMixture(means_init, weights_init, precisions_init=<the start's>, "
            + ", ".join(f"{k}={v!r}" for k, v in options.items()) + ").fit(X).score(X) * N")
    n_iter, converged = int(gm.n_iter_), bool(gm.converged_)
    return text, RunResult(objective=float(gm.score(X)) * X.shape[0], means=gm.means_, labels=gm.predict(X),
                           n_iter=n_iter, converged=converged, met_at=n_iter if converged else None)


#: Registry name -> ``run(inputs, X) -> (estimator text, RunResult)``: scikit-learn's counterpart from the start.
COUNTERPARTS: dict[str, Callable] = {"kmeans": _kmeans, "gmm": _gaussian_mixture}


def has_counterpart(algorithm: str) -> bool:
    """Whether the algorithm (a registry name) has a scikit-learn counterpart here."""
    return algorithm in COUNTERPARTS


def _ours(inputs: CheckInputs, n_iter: int) -> RunResult:
    """Our run from the start to its tolerance, then on to ``n_iter``
    iterations when that is more (never beyond max_iter)."""
    model, data, start = inputs.model, inputs.prepared, inputs.start
    final = final_state(model, data, start)
    met_at = int(final.iteration) if final.converged else None
    if final.iteration > n_iter:
        final = start
    while final.iteration < min(n_iter, model.max_iter):
        final = model.step(data, final)
    shown = model.e_step(data, final)  # the final parameters' labels, as scikit-learn's predict
    return RunResult(objective=float(shown.objective), means=np.array(final.means), labels=hard_labels(shown),
                     n_iter=int(final.iteration), converged=met_at is not None, met_at=met_at)


def prepare_check(session) -> CheckInputs:
    """Take what a check needs from ``session`` (see `CheckInputs`).

    Raises
    ------
    SklearnCheckError
        For an algorithm without a scikit-learn counterpart, without a fit
        (`Session.problem` says why), or when scikit-learn is not installed
        (the message gives `INSTALL_HINT`).
    """
    entry = session.algorithm_entry
    if not has_counterpart(session.algorithm):
        raise SklearnCheckError(f"{entry.label} has no scikit-learn counterpart to check against; "
                                "K-Means and the Gaussian mixture (EM) have one.")
    timeline = session.timeline
    if not timeline:
        raise SklearnCheckError(f"There is no fit to check: {session.problem}")
    if not sklearn_available():
        raise SklearnCheckError("scikit-learn is not installed, so there is nothing to check against. "
                                f"Install it with: {INSTALL_HINT}")
    uses_covariances = bool(entry.covariance_types)
    description = (f"{entry.label}{f' ({session.covariance_type} covariances)' if uses_covariances else ''}, "
                   f"K = {session.n_clusters}, seed {session.start_seed} on {session.dataset.name} "
                   f"({session.n_points} points)")
    return CheckInputs(algorithm=session.algorithm, model=session.model, prepared=session.prepared,
                       start=timeline[session.n_seed_entries], n_clusters=session.n_clusters,
                       covariance_type=session.covariance_type, max_iter=session.max_iter, tol=session.tol,
                       seed=session.start_seed, objective_name=entry.objective_name,
                       objective_symbol=entry.objective_symbol, description=description)


def run_check(inputs: CheckInputs) -> SklearnComparison:
    """Run both from the start and compare (safe on a worker thread: it
    reads ``inputs`` only). Raises ModelError if our run fails."""
    import sklearn
    from sklearn.exceptions import ConvergenceWarning

    X = np.array(inputs.prepared.X, dtype=np.float64)
    with warnings.catch_warnings():  # stopping at max_iter is reported in the result (converged False)
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator, theirs = COUNTERPARTS[inputs.algorithm](inputs, X)
    ours = _ours(inputs, theirs.n_iter)
    shift = float(np.max(np.linalg.norm(ours.means - theirs.means, axis=1)))
    return SklearnComparison(
        estimator=estimator, sklearn_version=sklearn.__version__, objective_name=inputs.objective_name,
        objective_symbol=inputs.objective_symbol, ours=ours, theirs=theirs,
        labels_agree=float(np.mean(ours.labels == theirs.labels)),
        adjusted_rand=float(adjusted_rand_index(ours.labels, theirs.labels)), max_mean_shift=shift,
        description=inputs.description)


def compare_with_sklearn(session) -> SklearnComparison:
    """Run the session's algorithm and scikit-learn's from the session's
    start and compare them (see the module docstring): `run_check` of
    `prepare_check`. The session is not changed.

    Raises
    ------
    SklearnCheckError
        As `prepare_check` says.
    ModelError
        If our own run fails.
    """
    return run_check(prepare_check(session))
