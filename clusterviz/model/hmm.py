"""Hidden Markov model with Gaussian emissions, fitted by Baum-Welch one
half-step at a time (numpy only; no Qt).

The E-step is forward-backward (:mod:`clusterviz.model.hmm_scan`); the
M-step re-estimates the start probabilities, the transition matrix and the
Gaussians (:mod:`clusterviz.model.gaussian` for covariance types and
Cholesky factors). Rows of the data are one sequence in time order, or
several as ``lengths`` says (hmmlearn's convention).
"""
from __future__ import annotations

import bisect
import math
import numbers
from dataclasses import replace

import numpy as np

from . import gaussian as g
from ._common import INITS, cluster_name
from .base import SteppableModel
from .hmm_scan import Posterior, forward_backward, viterbi
from .prepared import Prepared, as_prepared, prepare
from .state import FitState, ModelError
from .validation import as_generator, check_covariance_size, check_data, check_n_clusters, check_state_finite

__all__ = ["GaussianHMM", "stationary_distribution"]

COVARIANCE_TYPES = g.COVARIANCE_TYPES
_LOG_2PI = math.log(2 * math.pi)
# A state whose posteriors sum to less than this over all rows has "no points":
# its Gaussian is kept as it was (frozen) instead of estimated from nothing.
_EMPTY_MASS = 1e-8
# Two states' probabilities checked to sum to 1 within this.
_SUM_TOLERANCE = 1e-8


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


def stationary_distribution(startprob: np.ndarray, transmat: np.ndarray) -> np.ndarray:
    """The long-run share of time in each state, starting from ``startprob``.

    The limit of startprob (I + A)^n / 2^n (the "lazy" chain, which has the
    stationary distributions of A and is never periodic), by repeated
    squaring; for a chain with several closed classes it depends on where
    the chain starts.
    """
    M = 0.5 * (np.eye(transmat.shape[0]) + transmat)
    for _ in range(64):
        squared = M @ M
        squared /= squared.sum(axis=1, keepdims=True)
        if np.array_equal(squared, M):
            break
        M = squared
    p = startprob @ M
    return p / p.sum()


def _centred_columns(p: Prepared) -> np.ndarray:
    xt = np.ascontiguousarray(p.centred().T)
    xt.flags.writeable = False
    return xt


def _check_probabilities(p: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(p)) or np.any(p < 0.0):
        raise ModelError(f"{name} should hold probabilities (finite numbers >= 0), but holds {p.min():g}.")
    sums = p.sum(axis=-1)
    bad = np.flatnonzero(np.abs(np.atleast_1d(sums) - 1.0) > _SUM_TOLERANCE)
    if bad.size:
        where = name if p.ndim == 1 else f"row {int(bad[0])} of {name}"
        raise ModelError(f"{where} should sum to 1, but sums to {np.atleast_1d(sums)[bad[0]]:.10g}.")


def _given_probabilities(value, shape, name) -> np.ndarray | None:
    if value is None:
        return None
    p = np.array(value, dtype=np.float64)
    if p.shape != shape:
        raise ModelError(f"{name} should have shape {shape}, but has shape {p.shape}.")
    _check_probabilities(p, name)
    return p


def _given_covariances(covars_init, ct: str, K: int, D: int) -> np.ndarray:
    """Full (K, D, D) covariances from hmmlearn-shaped ``covars_init``, checked."""
    c = np.array(covars_init, dtype=np.float64)
    shape = {"full": (K, D, D), "tied": (D, D), "diag": (K, D), "spherical": (K,)}[ct]
    if c.shape != shape:
        raise ModelError(f"covars_init for covariance_type={ct!r} should have shape {shape}, "
                         f"but has shape {c.shape}.")
    if not np.all(np.isfinite(c)):
        raise ModelError("covars_init holds a NaN or infinite value; every covariance must be finite.")
    full = g.expand_covariances(c, ct, K, D)
    for k, mat in enumerate(full[:1] if ct == "tied" else full):
        if not np.allclose(mat, mat.T, rtol=1e-10, atol=0.0):
            raise ModelError(f"covars_init[{k}] should be symmetric.")
        lam = np.linalg.eigvalsh(mat)[0]
        if not lam > 0.0:
            raise ModelError(f"covars_init[{k}] should be positive definite, but its smallest eigenvalue "
                             f"is {lam:g}.")
    return full


def floored_covariances(raw: np.ndarray, floor: np.ndarray, covariance_type: str) -> np.ndarray:
    """The maximum-likelihood covariances under the constraint Σ ⪰ diag(floor).

    Adding the floor to every covariance (as scikit-learn's ``reg_covar``)
    is not the maximiser of EM's expected log-likelihood, so a step could
    lower ℓ; the constrained maximiser keeps EM monotone (the previous
    parameters satisfy the constraint). In coordinates scaled by
    diag(floor)^(-1/2) the constraint is Σ ⪰ I, whose maximiser clips the
    eigenvalues of the sample covariance at 1 (diagonal and spherical
    variances: each at its floor). Covariances already above the floor are
    returned unchanged, bit for bit.

    Parameters
    ----------
    raw : ndarray of shape (K, D, D)
        Sample covariances with the structure of ``covariance_type``.
    floor : ndarray of shape (D,)
        Non-negative variance floor (equal entries for "spherical").
    covariance_type : {"full", "tied", "diag", "spherical"}
    """
    out = np.array(raw, dtype=np.float64)
    if not np.any(floor > 0.0):
        return out
    if covariance_type in ("diag", "spherical"):
        idx = np.arange(out.shape[1])
        out[:, idx, idx] = np.maximum(out[:, idx, idx], floor)
        return out
    scale = np.sqrt(floor)
    outer = scale[:, None] * scale[None, :]
    lam, vec = np.linalg.eigh(out / outer)
    low = lam.min(axis=1) < 1.0
    if np.any(low):
        clipped = (vec[low] * np.maximum(lam[low], 1.0)[:, None, :]) @ np.swapaxes(vec[low], 1, 2)
        clipped = 0.5 * (clipped + np.swapaxes(clipped, 1, 2))
        out[low] = clipped * outer
    return out


class GaussianHMM(SteppableModel):
    """Hidden Markov model with Gaussian emissions, fitted by Baum-Welch
    (EM for sequences, PRML 13.2.1).

    Configured and read like ``hmmlearn.hmm.GaussianHMM``; adds the steppable
    interface of :class:`SteppableModel` (``initialize``, ``e_step``,
    ``m_step``, ``step``, ``iterate``).

    Parameters
    ----------
    n_components : int, default=1
        Number of hidden states K.
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
    max_iter : int, default=100
    tol : float, default=1e-2
        Converged when one full step raises the total log-likelihood by less
        than ``tol`` (as hmmlearn); ``-np.inf`` runs exactly ``max_iter``.
    reg_covar : float, default=1e-6
        A variance floor, as a fraction of each feature's variance over the
        data (so features of any scale are floored alike; the mean over
        features for "spherical"): every covariance is kept at or above
        diag(floor) (see `floored_covariances`), so a state cannot collapse
        onto repeated points and the likelihood still never falls. 0 gives
        the plain maximum-likelihood estimates.
    init : {"k-means++", "random"}, default="k-means++"
        How the initial means are drawn (K-Means' seeding; ignored with
        ``means_init``). Initial covariances are the data's, start and
        transition probabilities uniform, as hmmlearn's defaults.
    random_state : None, int or numpy.random.Generator
    startprob_init : array-like of shape (n_components,), optional
    transmat_init : array-like of shape (n_components, n_components), optional
        Exact zeros stay zero through every step (a forbidden start or
        transition).
    means_init : array-like of shape (n_components, n_features), optional
    covars_init : array-like, optional
        hmmlearn's shapes: (K, D, D) for "full", (D, D) for "tied", (K, D)
        for "diag", (K,) for "spherical".

    Attributes
    ----------
    startprob_, transmat_, means_ : ndarray
    covars_ : ndarray of shape (n_components, n_features, n_features)
        Always full matrices, as hmmlearn's property returns them.
    converged_ : bool
    n_iter_ : int
    log_likelihood_ : float
        Total log-likelihood of the training sequences under the fitted
        parameters.

    Notes
    -----
    ``state.soft_responsibilities`` are the posteriors gamma (T, K),
    ``state.labels`` their argmax (the most probable state of each row
    alone; the most probable *path* is :meth:`viterbi_path`), and
    ``state.transition_counts`` the expected transitions. ``state.weights``
    are :func:`stationary_distribution` of the transition matrix, and the
    i.i.d. questions the app asks of any model (:meth:`region_labels` and
    :meth:`log_density` at points of a grid) are answered by the mixture of
    the state Gaussians with those weights: where a point at a random time,
    with no neighbours known, would be assigned, and its density.

    A state whose posteriors sum to (almost) nothing keeps its mean and
    covariance, and a state never left keeps its row of transitions, each
    with a note in the state; nothing becomes NaN.
    """

    def __init__(self, n_components=1, *, covariance_type="full", max_iter=100, tol=1e-2, reg_covar=1e-6,
                 init="k-means++", random_state=None, startprob_init=None, transmat_init=None, means_init=None,
                 covars_init=None):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.max_iter = max_iter
        self.tol = tol
        self.reg_covar = reg_covar
        self.init = init
        self.random_state = random_state
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.means_init = means_init
        self.covars_init = covars_init
        self._posterior_cache = None
        self._check_settings()

    # ------------------------------------------------------------------
    # checks

    def _check_settings(self) -> None:
        check_n_clusters(self.n_components, "n_components")
        g.check_covariance_type(self.covariance_type)
        if self.init not in INITS:
            raise ModelError(f"init={self.init!r} should be one of {', '.join(map(repr, INITS))}.")
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or math.isnan(tol):
            raise ModelError(f"tol={tol!r} should be a number (-inf runs exactly max_iter steps).")
        r = self.reg_covar
        if isinstance(r, bool) or not isinstance(r, numbers.Real) or not math.isfinite(r) or r < 0:
            raise ModelError(f"reg_covar={r!r} should be a finite number >= 0.")
        m = self.max_iter
        if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 0:
            raise ModelError(f"max_iter={m!r} should be a whole number >= 0.")
        if not isinstance(self.random_state, np.random.Generator):
            as_generator(self.random_state)  # raises for anything but None or an int seed

    def _check_X(self, X, *, fitting: bool = False) -> Prepared:
        data = as_prepared(X)
        data.derived("checked", lambda p: check_data(p.X) is not None)
        if fitting and data.n_samples < self.n_components:
            check_data(data.X, self.n_components)
        check_covariance_size(self.n_components, data.n_features, "A Gaussian HMM")
        if fitting:
            from .gmm import check_spread
            check_spread(data.X)
        return data

    def _reset(self, data: Prepared) -> np.ndarray:
        reset = np.zeros(data.n_samples, dtype=bool)
        reset[data.sequence_starts()] = True
        return reset

    def _floor(self, data: Prepared) -> np.ndarray:
        """The variance floor F (D,): covariances are kept at or above diag(F)."""
        def build(p: Prepared) -> np.ndarray:
            xc = p.centred()
            var = np.einsum("ij,ij->j", xc, xc) / max(p.n_samples, 1)
            positive = var[var > 0.0]
            var = np.where(var > 0.0, var, positive.mean() if positive.size else 1.0)
            var.flags.writeable = False
            return var

        var = data.derived("feature_variance", build)
        if self.covariance_type == "spherical":
            return np.full(var.shape, self.reg_covar * var.mean())
        return self.reg_covar * var

    def _chain(self, state: FitState) -> tuple[np.ndarray, np.ndarray]:
        """The state's start and transition probabilities; uniform for a
        state that has none (a mixture's parameters, a file saved without them)."""
        K = self.n_components
        startprob = np.full(K, 1.0 / K) if state.startprob is None else state.startprob
        transmat = np.full((K, K), 1.0 / K) if state.transmat is None else state.transmat
        return startprob, transmat

    def _check_state(self, state: FitState, D: int) -> None:
        K = self.n_components
        startprob, transmat = self._chain(state)
        shapes = {"means": (K, D), "covariances": (K, D, D)}
        for name, shape in shapes.items():
            value = getattr(state, name)
            if value is None or value.shape != shape:
                raise ModelError(f"The state does not fit this model: its {name} should have shape {shape}, "
                                 f"but {'is missing' if value is None else f'has shape {value.shape}'}.")
        for name, value, shape in (("startprob", startprob, (K,)), ("transmat", transmat, (K, K))):
            if value.shape != shape:
                raise ModelError(f"The state does not fit this model: its {name} should have shape {shape}, "
                                 f"but has shape {value.shape}.")
            _check_probabilities(value, name)
        g.check_structure(state.covariances, self.covariance_type)

    # ------------------------------------------------------------------
    # emissions and posteriors

    def _log_emissions(self, data: Prepared, state: FitState) -> np.ndarray:
        """log N(x_t | mu_k, Sigma_k), shape (K, T), on centred data."""
        D = data.n_features
        self._check_state(state, D)
        U, log_det = g.precision_factors(state.covariances, self.covariance_type, self.reg_covar)
        xt = data.derived("centred_columns", _centred_columns)  # (D, T)
        means_c = state.means - data.mean
        out = np.empty((self.n_components, data.n_samples))
        const = log_det - 0.5 * D * _LOG_2PI
        y = np.empty(data.n_samples)
        with np.errstate(over="ignore", invalid="ignore"):
            for k in range(self.n_components):
                # y_d = sum_e U_ed (x_e - mu_e): the whitened point; ||y||^2 is the Mahalanobis term
                offset = means_c[k] @ U[k]
                maha = out[k]
                maha[:] = 0.0
                for d in range(D):
                    np.multiply(xt[0], U[k, 0, d], out=y)
                    for e in range(1, d + 1):  # U is upper triangular
                        y += U[k, e, d] * xt[e]
                    y -= offset[d]
                    maha += y * y
            out *= -0.5
            out += const[:, None]
        best = out.max(axis=0)
        if not np.all(np.isfinite(best)):
            bad = int(np.flatnonzero(~np.isfinite(best))[0])
            raise ModelError(f"Point {bad} is so far from every state's Gaussian that its probability underflows "
                             "to zero; the data may be too extreme for this model. Try rescaling the data.")
        return out

    def _key(self, data: Prepared, state: FitState) -> tuple:
        arrays = self._chain(state) + (state.means, state.covariances)
        return (id(data.X), None if data.lengths is None else data.lengths.tobytes(), self.covariance_type,
                self.reg_covar) + tuple(None if a is None else a.tobytes() for a in arrays)

    def _posterior(self, data: Prepared, state: FitState) -> Posterior:
        """Forward-backward of ``state``'s parameters on the data. The last
        result on read-only prepared data is kept, so the E-step after an
        M-step (which measured its parameters) costs nothing."""
        key = self._key(data, state) if data.reusable else None
        cached = self._posterior_cache
        if key is not None and cached is not None and cached[0] == key and cached[1] is data.X:
            return cached[2]
        log_b = self._log_emissions(data, state)
        with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
            post = forward_backward(log_b, *self._chain(state), self._reset(data))
        if not math.isfinite(post.log_likelihood):
            raise ModelError(f"The sequence is impossible under the parameters at iteration {state.iteration} "
                             "(its probability underflows to zero); check zeros in the start or transition "
                             "probabilities, or rescale the data.")
        if key is not None:
            self._posterior_cache = (key, data.X, post)
        return post

    def _parameters_state(self, data: Prepared, *, iteration: int, phase: str, startprob, transmat, means,
                          covariances, notes=(), **fields) -> FitState:
        startprob, transmat = _readonly(startprob), _readonly(transmat)
        state = FitState(iteration=iteration, phase=phase, means=_readonly(means),
                         weights=_readonly(stationary_distribution(startprob, transmat)),
                         covariances=_readonly(covariances), objective=0.0, startprob=startprob,
                         transmat=transmat, notes=tuple(notes), **fields)
        return state

    # ------------------------------------------------------------------
    # the steppable interface

    def initialize(self, X, lengths=None) -> FitState:
        """Initial parameters (phase "init", iteration 0, no posteriors).

        Means from ``means_init`` or drawn by ``init``; covariances from
        ``covars_init`` or the data's covariance (with the variance floor),
        of the covariance type; start and transition probabilities from
        their ``*_init`` or uniform. The objective is the total
        log-likelihood of the sequence(s) under them.
        """
        self._check_settings()
        data = self._check_X(as_prepared(X, lengths), fitting=True)
        N, D = data.shape
        K, ct = self.n_components, self.covariance_type
        notes = []
        given = []
        if self.means_init is not None:
            from ._common import check_centres
            means = check_centres(self.means_init, K, D, "means_init")
            given.append("means")
        else:
            from .kmeans import KMeans
            means = np.array(KMeans(n_clusters=K, init=self.init, random_state=self.random_state)
                             .initialize(data).means)
            how = "random data points" if self.init == "random" else "k-means++"
            notes.append(f"The {K} state means start where K-Means would start ({how}); every covariance "
                         "is the data's, and start and transition probabilities are uniform.")
        if self.covars_init is not None:
            covariances = _given_covariances(self.covars_init, ct, K, D)
            given.append("covariances")
        else:
            xc = data.centred()
            cov = xc.T @ xc / N
            cov = g.expand_covariances({"full": np.broadcast_to(cov, (K, D, D)), "tied": cov,
                                        "diag": np.broadcast_to(np.diag(cov), (K, D)),
                                        "spherical": np.full(K, np.diag(cov).mean())}[ct], ct, K, D)
            covariances = cov + np.diag(self._floor(data))
        startprob = _given_probabilities(self.startprob_init, (K,), "startprob_init")
        transmat = _given_probabilities(self.transmat_init, (K, K), "transmat_init")
        given += [name for name, v in (("start probabilities", startprob), ("transitions", transmat))
                  if v is not None]
        startprob = np.full(K, 1.0 / K) if startprob is None else startprob
        transmat = np.full((K, K), 1.0 / K) if transmat is None else transmat
        if given:
            notes.append(f"Started from the given {', '.join(given)}.")
        state = self._parameters_state(data, iteration=0, phase="init", startprob=startprob, transmat=transmat,
                                       means=means, covariances=covariances, notes=notes)
        state = replace(state, objective=self._posterior(data, state).log_likelihood)
        check_state_finite(state)
        return state

    def e_step(self, X, state: FitState) -> FitState:
        """Forward-backward (PRML (13.33), (13.43)) of the state's parameters:
        posteriors gamma as ``soft_responsibilities``, their argmax as
        ``labels``, the expected transitions as ``transition_counts``
        (phase "E"; parameters, objective and ``converged`` unchanged)."""
        data = self._check_X(X)
        post = self._posterior(data, state)
        gamma = post.gamma
        gamma.flags.writeable = False
        labels = np.argmax(gamma, axis=1)
        labels.flags.writeable = False
        startprob, transmat = self._chain(state)
        new = replace(state.without_assignments(), phase="E", objective=post.log_likelihood, labels=labels,
                      startprob=_readonly(startprob), transmat=_readonly(transmat),
                      soft_responsibilities=gamma, transition_counts=_readonly(post.xi_sum), notes=())
        check_state_finite(new)
        return new

    def m_step(self, X, state: FitState) -> FitState:
        """Re-estimate (PRML (13.18)-(13.21)): start probabilities from the
        posteriors of every sequence's first row, transitions from the
        expected counts, means and covariances as in a mixture weighted by
        the posteriors (phase "M", iteration + 1). The objective is the
        total log-likelihood of the new parameters; ``converged`` when it
        rose by less than ``tol``."""
        data = self._check_X(X)
        N, D = data.shape
        K = self.n_components
        gamma = state.soft_responsibilities
        if gamma is None:
            raise ModelError("The M-step needs posteriors: run an E-step (forward-backward) on this state first.")
        if gamma.shape != (N, K):
            raise ModelError(f"The state's posteriors have shape {gamma.shape}, but the data need ({N}, {K}): "
                             "was the data changed since the E-step?")
        self._check_state(state, D)
        xi = state.transition_counts
        if xi is None or xi.shape != (K, K):
            xi = self._posterior(data, state).xi_sum
        notes = []
        old_start, old_trans = self._chain(state)
        start = gamma[data.sequence_starts()].sum(axis=0)
        startprob = np.where(old_start == 0.0, 0.0, start)
        startprob = startprob / startprob.sum() if startprob.sum() > 0 else np.array(old_start)
        counts = np.where(old_trans == 0.0, 0.0, xi)
        out = counts.sum(axis=1)
        transmat = np.array(old_trans)
        moving = out > 0.0
        transmat[moving] = counts[moving] / out[moving, None]
        for k in np.flatnonzero(~moving):
            if old_trans[k, k] < 1.0:
                notes.append(f"State {cluster_name(k)} is never left in any expected transition, so its row of transition "
                             "probabilities is kept as it was.")
        est = g.estimate_parameters(data.X, data.mean, gamma.T, self.covariance_type, 0.0)
        means = est.means_c + data.mean
        covariances = floored_covariances(est.raw_covariances, self._floor(data), self.covariance_type)
        dead = np.flatnonzero(est.counts < _EMPTY_MASS)
        for k in dead:
            means[k] = state.means[k]
            if self.covariance_type != "tied":
                covariances[k] = state.covariances[k]
            notes.append(f"State {cluster_name(k)} received (almost) no posterior probability at any time (in total "
                         f"{est.counts[k]:.2g}), so its mean and covariance are kept as they were instead of "
                         "being estimated from nothing.")
        new = self._parameters_state(data, iteration=state.iteration + 1, phase="M", startprob=startprob,
                                     transmat=transmat, means=means, covariances=covariances, notes=notes,
                                     labels=state.labels, soft_responsibilities=gamma)
        objective = self._posterior(data, new).log_likelihood
        new = replace(new, objective=objective, converged=bool(objective - state.objective < self.tol))
        check_state_finite(new.without_assignments())
        return new

    def restart(self, X, snapshot: FitState) -> FitState:
        """A new "init" state with ``snapshot``'s parameters (uniform start
        and transition probabilities if it has none), measured on X."""
        self._check_settings()
        data = self._check_X(X)
        startprob, transmat = self._chain(snapshot)
        state = self._parameters_state(data, iteration=0, phase="init", startprob=startprob, transmat=transmat,
                                       means=snapshot.means, covariances=snapshot.covariances)
        state = replace(state, objective=self._posterior(data, state).log_likelihood)
        check_state_finite(state)
        return state

    # ------------------------------------------------------------------
    # what the layers and sessions ask of any model

    def _mixture_pass(self, data: Prepared, state: FitState, **out) -> float:
        self._check_state(state, data.n_features)
        U, log_det = g.precision_factors(state.covariances, self.covariance_type, self.reg_covar)
        factors = g.Factors(g.log_weights(state.weights), state.means - data.mean, U, log_det)
        return g.log_likelihood_pass(data.X, data.mean, factors, **out)

    def layer_values(self, X, state: FitState, labels: bool = True, density: bool = True):
        """(most probable state, log p(x)) of every row of X taken alone,
        under the mixture of the state Gaussians weighted by the stationary
        distribution (``state.weights``), each only if asked."""
        data = self._check_X(X)
        labels_out = np.empty(data.n_samples, dtype=np.intp) if labels else None
        log_p = np.empty(data.n_samples) if density else None
        self._mixture_pass(data, state, labels_out=labels_out, per_point_out=log_p)
        return labels_out, log_p

    def region_labels(self, X, state: FitState) -> np.ndarray:
        """The most probable state of every row of X taken alone (stationary weights)."""
        return self.layer_values(X, state, density=False)[0]

    def log_density(self, X, state: FitState) -> np.ndarray:
        """log p(x) of every row of X at a random time: the mixture of the
        state Gaussians with the stationary weights."""
        return self.layer_values(X, state, labels=False)[1]

    def viterbi_path(self, X, state: FitState) -> tuple[float, np.ndarray]:
        """(log-probability, states) of the most probable state path of the
        sequence(s) under ``state``'s parameters (PRML 13.2.5)."""
        data = self._check_X(X)
        log_b = self._log_emissions(data, state)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            log_prob, path = viterbi(log_b, *self._chain(state), self._reset(data))
        return float(log_prob + 0.0), path

    # ------------------------------------------------------------------
    # fitted model (hmmlearn's names)

    def fit(self, X, lengths=None):
        """Run Baum-Welch from initialisation to convergence (or ``max_iter``
        full steps) and set the fitted attributes."""
        data = as_prepared(X, lengths)
        self._set_fitted(data, self._run(data, self.initialize(data)))
        return self

    def iterate(self, X, lengths=None):
        """Yield the initial state, then one state per full step (see
        :meth:`SteppableModel.iterate`)."""
        return super().iterate(prepare(X, lengths))

    def _set_fitted(self, data, state: FitState) -> None:
        self.startprob_ = np.array(state.startprob)
        self.transmat_ = np.array(state.transmat)
        self.means_ = np.array(state.means)
        self.covars_ = np.array(state.covariances)
        self.converged_ = bool(state.converged)
        self.n_iter_ = int(state.iteration)
        self.log_likelihood_ = float(state.objective)
        self.n_features_in_ = int(state.means.shape[1])
        self._fitted_state = state.without_assignments()

    def _fitted(self) -> FitState:
        state = getattr(self, "_fitted_state", None)
        if state is None:
            raise ModelError("This GaussianHMM is not fitted yet: call fit(X) first.")
        return state

    def _predict_data(self, X, lengths) -> Prepared:
        state = self._fitted()
        data = self._check_X(as_prepared(X, lengths))
        if data.n_features != state.means.shape[1]:
            raise ModelError(f"X has {data.n_features} features, but the model was fitted on "
                             f"{state.means.shape[1]}.")
        return data

    def score(self, X, lengths=None) -> float:
        """Total log-likelihood log p(X) of the sequence(s) (as hmmlearn)."""
        return self._posterior(self._predict_data(X, lengths), self._fitted()).log_likelihood

    def predict_proba(self, X, lengths=None) -> np.ndarray:
        """State posteriors gamma, shape (n_samples, n_components)."""
        return np.array(self._posterior(self._predict_data(X, lengths), self._fitted()).gamma)

    def decode(self, X, lengths=None) -> tuple[float, np.ndarray]:
        """(log-probability, states) of the most probable state path (Viterbi)."""
        return self.viterbi_path(self._predict_data(X, lengths), self._fitted())

    def predict(self, X, lengths=None) -> np.ndarray:
        """The most probable state path (Viterbi), shape (n_samples,)."""
        return self.decode(X, lengths)[1]

    def sample(self, n_samples=1, random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """Draw one sequence of ``n_samples`` rows from the fitted model.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        states : ndarray of int, shape (n_samples,)
        """
        state = self._fitted()
        if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ModelError(f"n_samples={n_samples!r} should be a whole number >= 1.")
        return _sample(state, n_samples, as_generator(self.random_state if random_state is None else random_state))


def _sample(state: FitState, n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One sequence drawn from ``state``'s chain and Gaussians (PRML 13.2)."""
    u = rng.random(n_samples)
    start_cdf = np.cumsum(state.startprob).tolist()
    cdf = np.cumsum(state.transmat, axis=1).tolist()
    K = state.transmat.shape[0]
    z = [min(bisect.bisect_right(start_cdf, u[0]), K - 1)]
    for t in range(1, n_samples):
        z.append(min(bisect.bisect_right(cdf[z[-1]], u[t]), K - 1))
    states = np.array(z, dtype=np.intp)
    L = np.linalg.cholesky(state.covariances)
    noise = rng.standard_normal((n_samples, state.means.shape[1]))
    return state.means[states] + np.einsum("nij,nj->ni", L[states], noise), states


def app_hidden_markov_model(settings, X) -> GaussianHMM:
    """The HMM the app steps, for :class:`registry.ModelSettings`: means
    where K-Means would start (hand-placed, or drawn with the same init and
    seed as the other algorithms), the data's covariance, uniform start and
    transitions. ``reg_covar`` None is the estimator's default (relative to
    each feature's variance)."""
    options = {}
    if settings.tol is not None:
        options["tol"] = settings.tol
    if settings.reg_covar is not None:
        options["reg_covar"] = settings.reg_covar
    init = settings.init if settings.init in INITS else "k-means++"
    means = None if settings.initial_means is None else np.array(settings.initial_means)
    return GaussianHMM(n_components=settings.n_clusters, covariance_type=settings.covariance_type,
                       max_iter=settings.max_iter, init=init, random_state=settings.seed, means_init=means,
                       **options)
