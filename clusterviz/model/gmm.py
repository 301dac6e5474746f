"""Gaussian mixture fitted by EM, one half-step at a time (no Qt).

The numerics live in :mod:`clusterviz.model.gaussian`; this class holds the
settings, checks inputs and turns results into :class:`FitState` objects.
Every method takes an array or a :class:`~clusterviz.model.prepared.Prepared`
(checked once, centred on its prepared mean).
"""
from __future__ import annotations

import numbers
from dataclasses import replace

import numpy as np

from . import gaussian as g
from ._common import cluster_name
from .base import SteppableModel
from .prepared import Prepared, as_prepared
from .state import FitState, ModelError
from .validation import as_generator, check_covariance_size, check_data, check_n_clusters, check_state_finite

INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")
COVARIANCE_TYPES = g.COVARIANCE_TYPES

# A component whose covariance (before reg_covar) has a variance below this
# fraction of the data's mean variance in some direction counts as collapsed.
_COLLAPSE_RATIO = 1e-8
# ... and is too small to compute with (an error) below this fraction of the
# larger of its own largest variance and the data's mean variance.
_SINGULAR_RATIO = 1e-15
# Data whose mean variance is positive but below this cannot be fitted with
# Gaussians: its variances (and reg_covar scaled to them) fall into or below
# the subnormal floats, and the precisions overflow.
_SMALLEST_SPREAD = np.finfo(np.float64).tiny * 1e6
# A component whose responsibilities sum to less than this has "no points".
_EMPTY_COUNT = 1e-8


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _check_number(value, name: str, *, low: float = 0.0, integer: bool = False):
    kind = numbers.Integral if integer else numbers.Real
    if (isinstance(value, bool) or not isinstance(value, kind)
            or (not isinstance(value, numbers.Integral) and not np.isfinite(value)) or value < low):
        what = "a whole number" if integer else "a finite number"
        raise ModelError(f"{name}={value!r} should be {what} >= {low:g}.")
    return int(value) if integer else float(value)


class GaussianMixture(SteppableModel):
    """Gaussian mixture model fitted by expectation-maximisation.

    Configured like ``sklearn.mixture.GaussianMixture`` and exposing the same
    fitted attributes; adds the steppable interface of :class:`SteppableModel`
    (``initialize``, ``e_step``, ``m_step``, ``step``, ``iterate``).

    Parameters
    ----------
    n_components : int, default=1
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
    tol : float, default=1e-3
        Converged when the mean log-likelihood per point changes by less than
        ``tol`` over one full step (E then M).
    reg_covar : float, default=1e-6
        Added to the diagonal of every covariance; keeps a component that
        collapses onto a point finite (PRML §9.2.1).
    max_iter : int, default=100
    init_params : {"kmeans", "k-means++", "random", "random_from_data"}, default="kmeans"
        As scikit-learn defines them: initial responsibilities from k-means
        labels, from k-means++ seeds (one point per component), random, or
        random data points; then one M-step. ``weights_init``, ``means_init``
        and ``precisions_init`` override the corresponding result.
    weights_init : array-like of shape (n_components,), optional
    means_init : array-like of shape (n_components, n_features), optional
    precisions_init : array-like, optional
        Shape (K, D, D) for "full", (D, D) for "tied", (K, D) for "diag",
        (K,) for "spherical".
    random_state : None, int or numpy.random.Generator

    Attributes
    ----------
    weights_, means_, covariances_, precisions_, precisions_cholesky_
        As in scikit-learn (covariance shapes depend on ``covariance_type``).
    converged_ : bool
    n_iter_ : int
        Full EM steps taken.
    lower_bound_ : float
        Mean log-likelihood per point of the final parameters.

    Notes
    -----
    Convergence is tested after each full step on the log-likelihood of the
    new parameters, so this class stops one step earlier than scikit-learn
    (which compares the log-likelihoods of the parameters before each step);
    ``lower_bound_`` is the score of the returned parameters.

    With ``init_params`` "k-means++" or "random_from_data" every component
    starts on one data point with covariance ``reg_covar * I`` (scikit-learn's
    definition), so the first E-step is a hard nearest-mean assignment. Initial
    weights always sum to 1 (scikit-learn's sum to K/N in that case; the
    responsibilities are the same).

    ``state.covariances`` are always full (K, D, D) matrices; for "tied",
    "diag" and "spherical" they are identical, diagonal or isotropic, and the
    steps read the compact form back from them. Components are numbered from 0
    in notes, as in ``labels``.
    """

    def __init__(self, n_components=1, *, covariance_type="full", tol=1e-3, reg_covar=1e-6, max_iter=100,
                 init_params="kmeans", weights_init=None, means_init=None, precisions_init=None,
                 random_state=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self._check_settings()

    # ------------------------------------------------------------------
    # checks

    def _check_settings(self) -> None:
        check_n_clusters(self.n_components, "n_components")
        g.check_covariance_type(self.covariance_type)
        if self.init_params not in INIT_PARAMS:
            raise ModelError(f"init_params={self.init_params!r} should be one of "
                             f"{', '.join(map(repr, INIT_PARAMS))}.")
        _check_number(self.tol, "tol")
        _check_number(self.reg_covar, "reg_covar")
        _check_number(self.max_iter, "max_iter", integer=True)
        if not (self.random_state is None or isinstance(self.random_state, (numbers.Integral, np.random.Generator))) \
                or isinstance(self.random_state, bool):
            raise ModelError(f"random_state={self.random_state!r} should be None, an int seed or a numpy Generator.")

    def _check_X(self, X, *, fitting: bool = False) -> Prepared:
        # Only initialisation needs n_samples >= n_components; a step can
        # evaluate parameters on any number of points (e.g. a grid).
        data = as_prepared(X)
        data.derived("checked", lambda p: check_data(p.X) is not None)  # once per prepared data
        if fitting and data.n_samples < self.n_components:
            check_data(data.X, self.n_components)  # raises, quoting both numbers
        check_covariance_size(self.n_components, data.n_features)
        if fitting:
            check_spread(data.X)
        return data

    def _check_weights_init(self) -> np.ndarray | None:
        if self.weights_init is None:
            return None
        K = self.n_components
        w = np.array(self.weights_init, dtype=np.float64)
        if w.shape != (K,):
            raise ModelError(f"weights_init should have shape ({K},) (one weight per component), "
                             f"but has shape {w.shape}.")
        if not np.all(np.isfinite(w)) or np.any(w < 0.0) or np.any(w > 1.0):
            raise ModelError(f"weights_init should hold numbers in [0, 1], but holds min {w.min():g}, "
                             f"max {w.max():g}.")
        if not np.isclose(w.sum(), 1.0, rtol=0.0, atol=1e-8):
            raise ModelError(f"weights_init should sum to 1, but sums to {w.sum():.10g}.")
        return w

    def _check_means_init(self, D: int) -> np.ndarray | None:
        if self.means_init is None:
            return None
        K = self.n_components
        m = np.array(self.means_init, dtype=np.float64)
        if m.shape != (K, D):
            raise ModelError(f"means_init should have shape ({K}, {D}) (n_components, n_features), "
                             f"but has shape {m.shape}.")
        if not np.all(np.isfinite(m)):
            raise ModelError("means_init holds a NaN or infinite value; every mean must be finite.")
        return m

    def _check_precisions_init(self, D: int) -> np.ndarray | None:
        if self.precisions_init is None:
            return None
        K, ct = self.n_components, self.covariance_type
        p = np.array(self.precisions_init, dtype=np.float64)
        shape = {"full": (K, D, D), "tied": (D, D), "diag": (K, D), "spherical": (K,)}[ct]
        if p.shape != shape:
            raise ModelError(f"precisions_init for covariance_type={ct!r} should have shape {shape}, "
                             f"but has shape {p.shape}.")
        if not np.all(np.isfinite(p)):
            raise ModelError("precisions_init holds a NaN or infinite value; every precision must be finite.")
        if ct in ("diag", "spherical"):
            if np.any(p <= 0.0):
                raise ModelError(f"precisions_init for covariance_type={ct!r} should be positive, "
                                 f"but its smallest value is {p.min():g}.")
            return p
        mats = p[None] if ct == "tied" else p
        for k, mat in enumerate(mats):
            where = "precisions_init" if ct == "tied" else f"precisions_init[{k}]"
            if not np.allclose(mat, mat.T, rtol=1e-10, atol=1e-12 * np.abs(mat).max()):
                raise ModelError(f"{where} should be symmetric, but differs from its transpose by up to "
                                 f"{np.abs(mat - mat.T).max():g}.")
            lam = np.linalg.eigvalsh(mat)[0]
            if not lam > 0.0:
                raise ModelError(f"{where} should be positive definite, but its smallest eigenvalue is {lam:g}.")
        return p

    # ------------------------------------------------------------------
    # the parts shared by the steps

    def _factors(self, state: FitState, centre: np.ndarray, D: int) -> g.Factors:
        """Centred parameters and precision factors of a state (pure)."""
        K = self.n_components
        cov = state.covariances
        if state.means.shape != (K, D) or cov is None or cov.shape != (K, D, D) or state.weights.shape != (K,):
            raise ModelError(f"The state does not fit this model: it should hold {K} means of length {D}, "
                             f"{K} weights and {K} covariance matrices of shape ({D}, {D}); it holds means "
                             f"{state.means.shape}, weights {state.weights.shape} and covariances "
                             f"{None if cov is None else cov.shape}.")
        w = state.weights
        if not (np.all(np.isfinite(w)) and np.all(w >= 0.0) and abs(w.sum() - 1.0) < 1e-6):
            raise ModelError(f"The state's weights should be non-negative and sum to 1; they sum to {w.sum():.10g} "
                             f"and the smallest is {w.min():g}.")
        g.check_structure(cov, self.covariance_type)
        U, log_det = g.precision_factors(cov, self.covariance_type, self.reg_covar)
        return g.Factors(g.log_weights(state.weights), state.means - centre, U, log_det)

    def _log_likelihood(self, X, centre, state) -> float:
        return g.log_likelihood_pass(X, centre, self._factors(state, centre, X.shape[1]))

    def _estimate(self, X, centre, resp_kn, *, single_points: bool = False) -> tuple[g.Estimate, list[str]]:
        """M-step numerics plus the notes a teacher should see. ``single_points``:
        every component starts on one point by design (the initialisation), so
        a collapse there is expected and never an error."""
        est = g.estimate_parameters(X, centre, resp_kn, self.covariance_type, self.reg_covar)
        notes = []
        r = self.reg_covar
        empty = np.flatnonzero(est.counts < _EMPTY_COUNT)
        for k in empty:
            notes.append(f"Component {cluster_name(k)} received (almost) no responsibility from any point (in total "
                         f"{est.counts[k]:.2g}), so its weight became practically 0; a tiny constant "
                         "(10 machine epsilons, as in scikit-learn) keeps its mean and covariance finite "
                         "instead of dividing by zero.")
        # Collapse (PRML §9.2.1): a variance of ~0 in some direction. A note
        # when it is tiny next to the data's spread; an error when it is too
        # small to compute with even after reg_covar.
        limit = _COLLAPSE_RATIO * est.data_variance
        ct = self.covariance_type
        if ct in ("full", "tied"):
            sl = slice(0, 1) if ct == "tied" else slice(None)
            lams = np.linalg.eigvalsh(est.raw_covariances[sl])  # (K or 1, D), ascending
            lams_reg = np.linalg.eigvalsh(est.covariances[sl])
        else:
            lams = np.sort(np.diagonal(est.raw_covariances, axis1=1, axis2=2), axis=1)
            lams_reg = np.sort(np.diagonal(est.covariances, axis1=1, axis2=2), axis=1)
        D = lams.shape[1]
        for k in range(lams.shape[0]):
            if k in empty or not lams[k, 0] <= limit:
                continue
            left = D - int(np.sum(lams[k] <= limit))
            shape = {0: "collapsed onto a single point", 1: "flattened onto a line",
                     2: "flattened onto a plane"}.get(left, f"flattened onto a {left}-dimensional subspace")
            who = "The shared covariance" if ct == "tied" else f"Component {cluster_name(k)}"
            what = "its" if ct != "tied" else "the"
            reference = max(lams_reg[k, -1], est.data_variance)
            if not single_points and not lams_reg[k, 0] > _SINGULAR_RATIO * reference:
                # a reg_covar that would pass this check (10x margin), at least the usual suggestion
                fix = float(f"{max(10 * r, 1e-6, 10 * _SINGULAR_RATIO * reference):.0e}")
                raise ModelError(
                    f"{who} {shape}: {what} variance shrank to {max(lams_reg[k, 0], 0.0):.3g}, too small to "
                    "compute with, and the likelihood grows without bound (PRML §9.2.1). "
                    + ("Set reg_covar > 0 (for example 1e-6) so that a small variance is always added to the "
                       "diagonal." if r == 0.0 else
                       f"Try a larger reg_covar (now {r:g}), for example {fix:g}, fewer components, or "
                       "rescaled data."))
            if r > 0.0:
                notes.append(f"{who} {shape}: without help {what} variance would shrink to zero and the "
                             f"likelihood grow without bound (PRML §9.2.1); reg_covar = {r:g} on the diagonal "
                             "keeps it finite.")
            else:
                notes.append(f"{who} {shape}: {what} variance is only {lams[k, 0]:.3g}, and with reg_covar = 0 "
                             "nothing stops it from shrinking to zero, where the likelihood grows without bound "
                             "(PRML §9.2.1).")
        return est, notes

    def _state_from_estimate(self, est: g.Estimate, centre, **fields) -> FitState:
        return FitState(weights=_readonly(est.weights), means=_readonly(est.means_c + centre),
                        covariances=_readonly(est.covariances), **fields)

    # ------------------------------------------------------------------
    # the steppable interface

    def initialize(self, X) -> FitState:
        """Initial parameters (phase "init", iteration 0, no labels).

        Responsibilities come from ``init_params`` and give the parameters by
        one M-step; ``weights_init``, ``means_init`` and ``precisions_init``
        replace the corresponding results. The objective is the total
        log-likelihood of these parameters.
        """
        self._check_settings()
        data = self._check_X(X, fitting=True)
        X = data.X
        N, D = X.shape
        K, ct = self.n_components, self.covariance_type
        w0, m0, p0 = self._check_weights_init(), self._check_means_init(D), self._check_precisions_init(D)
        rng = as_generator(self.random_state)
        centre = data.mean
        notes: list[str] = []
        if w0 is None or m0 is None or p0 is None:
            resp_kn, single_points = self._initial_responsibilities(data, rng, notes)
            est, m_notes = self._estimate(X, centre, resp_kn, single_points=single_points)
            if not single_points:
                notes.extend(m_notes)
        weights = est.weights if w0 is None else w0
        means = est.means_c + centre if m0 is None else m0
        if p0 is None:
            covariances = est.covariances
        else:
            try:
                covariances = g.covariances_from_precisions(p0, ct, K, D)
            except np.linalg.LinAlgError:  # pragma: no cover - checked positive definite above
                raise ModelError("precisions_init could not be factorised; it must be positive definite.") from None
        given = [name for name, v in (("weights", w0), ("means", m0), ("covariances", p0)) if v is not None]
        if len(given) == 3:
            notes.append("Started from the given weights, means and covariances.")
        elif given:
            notes.append(f"Started from the given {' and '.join(given)}; the rest estimated from them.")
        state = FitState(iteration=0, phase="init", weights=_readonly(np.array(weights)),
                         means=_readonly(np.array(means)), covariances=_readonly(np.array(covariances)),
                         objective=0.0, notes=tuple(notes))
        state = replace(state, objective=self._log_likelihood(X, centre, state))
        check_state_finite(state)
        return state

    def _initial_responsibilities(self, data: Prepared, rng, notes) -> tuple[np.ndarray, bool]:
        """(K, N) initial responsibilities and whether each component starts on one point."""
        N = data.n_samples
        K = self.n_components
        resp = np.zeros((K, N))
        if self.init_params == "kmeans":
            from .kmeans import KMeans
            labels = KMeans(n_clusters=K, init="k-means++", n_init=1, random_state=rng).fit(data).labels_
            resp[np.asarray(labels), np.arange(N)] = 1.0
            notes.append("Initialised from one k-means run: each component takes the share, mean and "
                         "covariance of one k-means cluster.")
            return resp, False
        if self.init_params == "random":
            r = rng.uniform(size=(N, K))
            r /= r.sum(axis=1)[:, None]
            notes.append("Initialised from random responsibilities: every point was shared among the "
                         "components at random, then one M-step.")
            return np.ascontiguousarray(r.T), False
        if self.init_params == "random_from_data":
            indices = rng.choice(N, size=K, replace=False)
            how = "data points chosen at random"
        else:  # "k-means++"
            from .seeding import kmeans_plusplus
            _, indices = kmeans_plusplus(data, K, rng)
            how = "k-means++ seeds"
        resp[np.arange(K), np.asarray(indices)] = 1.0
        notes.append(f"Initialised on {K} {how}: each component starts on one point with the tiny "
                     f"covariance reg_covar·I = {self.reg_covar:g}·I; the first step spreads them out.")
        return resp, True

    def e_step(self, X, state: FitState) -> FitState:
        """Responsibilities of the state's parameters (phase "E"; parameters,
        objective and ``converged`` unchanged). PRML (9.23).

        The objective is recomputed on ``X`` (the total log-likelihood of the
        parameters), so it equals ``state.objective`` bit for bit when the
        state came from this model on the same data. ``X`` may hold any number
        of points (a grid, a hovered point).
        """
        data = self._check_X(X)
        X, centre = data.X, data.mean
        N, D = X.shape
        K = self.n_components
        factors = self._factors(state, centre, D)
        resp_kn = np.empty((K, N))
        labels = np.empty(N, dtype=np.intp)
        total = g.log_likelihood_pass(X, centre, factors, resp_out=resp_kn, labels_out=labels)
        new = FitState(iteration=state.iteration, phase="E", means=state.means, weights=state.weights,
                       covariances=state.covariances, objective=total, labels=_readonly(labels),
                       soft_responsibilities=_readonly(resp_kn.T), converged=state.converged)
        check_state_finite(new)
        return new

    def m_step(self, X, state: FitState) -> FitState:
        """New weights, means and covariances from the state's responsibilities
        (phase "M", iteration + 1; PRML (9.24)-(9.26)). The objective is the
        total log-likelihood of the new parameters; ``converged`` when it moved
        by less than ``tol`` per point since the state's."""
        data = self._check_X(X)
        X, centre = data.X, data.mean
        N, D = X.shape
        K = self.n_components
        resp = state.soft_responsibilities
        if resp is None:
            raise ModelError("The M-step needs responsibilities: run an E-step on this state first.")
        if resp.shape != (N, K):
            raise ModelError(f"The state's responsibilities have shape {resp.shape}, but the data need "
                             f"({N}, {K}): was the data changed since the E-step?")
        est, notes = self._estimate(X, centre, resp.T)
        new = self._state_from_estimate(est, centre, iteration=state.iteration + 1, phase="M", objective=0.0,
                                        labels=state.labels, soft_responsibilities=resp, notes=tuple(notes))
        objective = self._log_likelihood(X, centre, new)
        converged = bool(abs(objective - state.objective) / N < self.tol)
        new = replace(new, objective=objective, converged=converged)
        check_state_finite(new.without_assignments())  # the responsibilities were checked by the E-step
        return new

    # ------------------------------------------------------------------
    # fitted model

    def _set_fitted(self, X, state: FitState) -> None:
        K, D = state.means.shape
        ct = self.covariance_type
        self.weights_ = np.array(state.weights)
        self.means_ = np.array(state.means)
        self.covariances_ = g.compact_covariances(np.array(state.covariances), ct)
        U, _ = g.precision_factors(np.asarray(state.covariances), ct, self.reg_covar)
        if ct in ("full", "tied"):
            prec_chol = U if ct == "full" else U[0].copy()
            self.precisions_cholesky_ = prec_chol
            self.precisions_ = np.matmul(prec_chol, np.swapaxes(prec_chol, -1, -2))
        else:
            d = np.diagonal(U, axis1=1, axis2=2)
            self.precisions_cholesky_ = d.copy() if ct == "diag" else d[:, 0].copy()
            self.precisions_ = self.precisions_cholesky_ ** 2
        self.converged_ = bool(state.converged)
        self.n_iter_ = int(state.iteration)
        self.lower_bound_ = float(state.objective) / len(X)
        self.n_features_in_ = D
        self._fitted_state = state.without_assignments()

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit, then return the most responsible component of every point."""
        return self.fit(X).predict(X)

    def _fitted(self) -> FitState:
        state = getattr(self, "_fitted_state", None)
        if state is None:
            raise ModelError("This GaussianMixture is not fitted yet: call fit(X) first.")
        return state

    def _check_predict_X(self, X) -> Prepared:
        state = self._fitted()
        data = as_prepared(X)
        data.derived("checked", lambda p: check_data(p.X) is not None)
        if data.n_features != state.means.shape[1]:
            raise ModelError(f"X has {data.n_features} features, but the model was fitted on "
                             f"{state.means.shape[1]}.")
        return data

    def _pass(self, data: Prepared, state: FitState | None = None, **out) -> float:
        state = self._fitted() if state is None else state
        return g.log_likelihood_pass(data.X, data.mean, self._factors(state, data.mean, data.n_features), **out)

    def score_samples(self, X) -> np.ndarray:
        """log p(x_n) of every point, shape (n_samples,)."""
        data = self._check_predict_X(X)
        out = np.empty(data.n_samples)
        self._pass(data, per_point_out=out)
        return out

    def score(self, X, y=None) -> float:
        """Mean log-likelihood per point."""
        data = self._check_predict_X(X)
        return self._pass(data) / data.n_samples

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities, shape (n_samples, n_components)."""
        data = self._check_predict_X(X)
        resp = np.empty((self.n_components, data.n_samples))
        self._pass(data, resp_out=resp)
        return np.ascontiguousarray(resp.T)

    def predict(self, X) -> np.ndarray:
        """Index of the most responsible component of every point."""
        data = self._check_predict_X(X)
        labels = np.empty(data.n_samples, dtype=np.intp)
        self._pass(data, labels_out=labels)
        return labels

    # ------------------------------------------------------------------
    # what the layers and sessions ask of any model

    def layer_values(self, X, state: FitState, labels: bool = True, density: bool = True):
        """(most responsible component, log p(x)) of every row of X under
        ``state``'s parameters (PRML (9.23), (9.14)), each only if asked, in
        one pass."""
        data = self._check_X(X)
        labels_out = np.empty(data.n_samples, dtype=np.intp) if labels else None
        log_p = np.empty(data.n_samples) if density else None
        self._pass(data, state, labels_out=labels_out, per_point_out=log_p)
        return labels_out, log_p

    def region_labels(self, X, state: FitState) -> np.ndarray:
        """The most responsible component of every row of X under ``state``."""
        return self.layer_values(X, state, density=False)[0]

    def log_density(self, X, state: FitState) -> np.ndarray:
        """log p(x) of every row of X under ``state``'s mixture (PRML (9.14))."""
        return self.layer_values(X, state, labels=False)[1]

    def restart(self, X, snapshot: FitState) -> FitState:
        """A new "init" state with ``snapshot``'s weights, means and
        covariances, and their log-likelihood on X."""
        self._check_settings()
        data = self._check_X(X)
        state = FitState(iteration=0, phase="init", weights=_readonly(np.array(snapshot.weights)),
                         means=_readonly(np.array(snapshot.means)),
                         covariances=_readonly(np.array(snapshot.covariances)), objective=0.0)
        state = replace(state, objective=self._log_likelihood(data.X, data.mean, state))
        check_state_finite(state)
        return state

    def _n_parameters(self) -> int:
        K, D = self._fitted().means.shape
        return g.n_parameters(self.covariance_type, K, D)

    def bic(self, X) -> float:
        """Bayesian information criterion: -2 log L + p log N (lower is better)."""
        data = self._check_predict_X(X)
        return -2 * self.score(data) * data.n_samples + self._n_parameters() * np.log(data.n_samples)

    def aic(self, X) -> float:
        """Akaike information criterion: -2 log L + 2 p (lower is better)."""
        data = self._check_predict_X(X)
        return -2 * self.score(data) * data.n_samples + 2 * self._n_parameters()


def check_spread(X) -> None:
    """Raise a ModelError when the data's spread is too small for Gaussians.

    Data scaled near 1e-160 has variances near 1e-320: below the smallest
    normal float, so every covariance computed from it rounds to zero and
    its precision to infinity. Identical points (no spread at all) are
    fine: ``reg_covar`` gives them a width.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 2:
        return
    with np.errstate(all="ignore"):
        variance = float(np.mean(np.var(X, axis=0)))
    if 0.0 < variance < _SMALLEST_SPREAD:
        raise ModelError(
            f"The data's spread is too small to fit Gaussians: its mean variance is {variance:.3g}, "
            f"below the {_SMALLEST_SPREAD:.3g} floating-point numbers can compute with. "
            "Rescale the data (e.g. multiply it by a large factor, or standardise its columns) and fit again."
        )


def broad_start(X, means, covariance_type: str = "full", reg_covar: float = 1e-6) -> dict:
    """Keyword arguments that start EM at ``means`` with broad components.

    Equal weights and every covariance equal to the whole data set's (plus
    ``reg_covar`` on the diagonal), in scikit-learn's ``*_init`` shapes. From
    there a student watches the ellipses shrink onto the clusters; the
    scikit-learn starts either begin from a finished K-Means run (nothing
    left to watch) or put every component on one point with covariance
    ``reg_covar * I`` (a log-likelihood near -1e9 at step 0).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    means : ndarray of shape (n_components, n_features)
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float

    Returns
    -------
    dict with keys ``means_init``, ``weights_init``, ``precisions_init``.

    Raises
    ------
    ModelError
        If the data's spread is too small for Gaussians (`check_spread`).
    """
    X = np.asarray(X, dtype=np.float64)
    means = np.array(means, dtype=np.float64)
    K, D = means.shape
    check_spread(X)
    check_covariance_size(K, D)  # before np.cov allocates D x D numbers
    covariance = np.atleast_2d(np.cov(X, rowvar=False, bias=True)) + reg_covar * np.eye(D)
    precision = np.linalg.solve(covariance, np.eye(D))
    precision = (precision + precision.T) / 2
    precisions = {
        "full": lambda: np.repeat(precision[None], K, axis=0),
        "tied": lambda: precision,
        "diag": lambda: np.repeat(1.0 / np.diag(covariance)[None], K, axis=0),
        "spherical": lambda: np.full(K, 1.0 / np.mean(np.diag(covariance))),
    }[covariance_type]()
    return {"means_init": means, "weights_init": np.full(K, 1.0 / K), "precisions_init": precisions}


def app_reg_covar(X) -> float:
    """The app's reg_covar for data ``X``.

    scikit-learn's 1e-6 for data of unit scale or more, scaled with the
    data's mean variance on both sides: raised to 1e-14 of it beyond a spread
    of ~1e4 (a component on one point keeps a width the coordinates can still
    resolve), and lowered to 1e-6 of it below unit variance (so 1e-6 does not
    swamp data with a spread of 1e-3, where it would make the log-likelihood
    fall between steps).
    """
    X = np.asarray(X, dtype=np.float64)
    with np.errstate(all="ignore"):
        variance = float(np.mean(np.var(X, axis=0))) if X.ndim == 2 and X.shape[0] else 0.0
    if not np.isfinite(variance) or variance <= 0:
        return 1e-6
    return max(1e-14 * variance, 1e-6 * min(1.0, variance))


def app_gaussian_mixture(settings, X) -> GaussianMixture:
    """The Gaussian mixture the app steps, for :class:`registry.ModelSettings`.

    EM starts from the means K-Means would start from (hand-placed, or drawn
    with the same init and seed), with equal weights and every covariance
    equal to the data's (:func:`broad_start`). When that start cannot be
    computed (too few points, too many columns for full covariances) the
    model gets none, and its ``initialize`` says why. An ``init`` other than
    the app's ("random", "k-means++") is scikit-learn's ``init_params``
    ("kmeans", "random_from_data"). ``reg_covar`` None is
    :func:`app_reg_covar` of the data; ``tol`` None is the estimator's.
    """
    from ._common import INITS
    from .kmeans import KMeans

    array = np.asarray(X, dtype=np.float64)
    reg_covar = app_reg_covar(array) if settings.reg_covar is None else settings.reg_covar
    options = {} if settings.tol is None else {"tol": settings.tol}
    if settings.initial_means is None and settings.init not in INITS:
        options["init_params"] = settings.init
    elif array.ndim == 2 and array.shape[0] >= settings.n_clusters:
        try:
            means = settings.initial_means
            if means is None:
                means = KMeans(n_clusters=settings.n_clusters, init=settings.init,
                               random_state=settings.seed).initialize(X).means
            options.update(broad_start(array, means, settings.covariance_type, reg_covar))
        except (ModelError, np.linalg.LinAlgError):
            pass
    return GaussianMixture(n_components=settings.n_clusters, covariance_type=settings.covariance_type,
                           max_iter=settings.max_iter, random_state=settings.seed, reg_covar=reg_covar, **options)


def app_start_note(settings) -> str:
    """Where the app's EM start came from, in the app's words."""
    if settings.initial_means is not None:
        means = "the initial means placed by hand"
    else:
        how = "random data points" if settings.init == "random" else "k-means++"
        means = f"the {settings.n_clusters} initial means K-Means would use ({how}, seed {settings.seed})"
    return f"EM starts from {means}, with equal weights and every covariance equal to the data's."
