"""Soft K-Means, PRML §9.3.2: EM for a mixture of K Gaussians with equal
weights 1/K and one fixed, shared covariance I / (2 beta).

E-step: r_nk = exp(-beta ||x_n - mu_k||^2) / sum_j exp(-beta ||x_n - mu_j||^2),
computed with log-sum-exp. M-step: mu_k = sum_n r_nk x_n / sum_n r_nk.
As beta grows the responsibilities become 0/1 and the algorithm becomes
K-Means; as beta shrinks every mean is pulled towards the data mean.

Every method takes an array or a :class:`~clusterviz.model.prepared.Prepared`,
whose centred data it reuses from step to step.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ._common import INITS, block_rows, check_centres, checked_data, cluster_name, quiet
from .base import SteppableModel
from .prepared import Prepared
from .seeding import kmeans_plusplus, random_init
from .state import FitState, ModelError
from .validation import as_generator, check_covariance_size, check_n_clusters, check_state_finite


def logsumexp(a, axis=None):
    """``scipy.special.logsumexp``, imported on first use: scipy.special costs
    about 0.2 s to import, which the app's start-up would pay before the window shows."""
    from scipy.special import logsumexp as _logsumexp

    return _logsumexp(a, axis=axis)


__all__ = ["SoftKMeans", "soft_responsibilities"]

_CHUNK = 8192
# A component whose total responsibility is below this (in points) has
# effectively no points; its mean would be 0/0, so it is relocated.
_MIN_MASS = 1e-10


@quiet
def _sq_distances(xc: np.ndarray, centres_c: np.ndarray) -> np.ndarray:
    """Squared distances (n_samples, n_clusters) of centred points to centred
    centres, as ||x||^2 - 2 x.c + ||c||^2 block by block, clamped at 0."""
    n_samples = xc.shape[0]
    out = np.empty((n_samples, centres_c.shape[0]))
    cc = np.einsum("ij,ij->i", centres_c, centres_c)
    rows = block_rows(_CHUNK, xc.shape[1] * centres_c.shape[0])  # one BLAS thread: see block_rows
    for start in range(0, n_samples, rows):
        block = xc[start:start + rows]
        d = out[start:start + rows]
        np.matmul(block, centres_c.T, out=d)
        d *= -2.0
        d += cc
        d += np.einsum("ij,ij->i", block, block)[:, None]
        np.maximum(d, 0.0, out=d)
    return out


def _log_norm(beta: float, n_clusters: int, n_features: int) -> float:
    """log(1/K) + log of the Gaussian normalisation of N(x | mu, I/(2 beta)):
    -(D/2) log(2 pi sigma^2) with sigma^2 = 1/(2 beta), i.e. (D/2) log(beta/pi)."""
    return -math.log(n_clusters) + 0.5 * n_features * math.log(beta / math.pi)


def soft_responsibilities(X, centers, beta: float) -> np.ndarray:
    """Responsibilities r_nk (PRML (9.23) with equal weights and covariance
    I/(2 beta)), computed in the log domain.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centers : ndarray of shape (n_clusters, n_features)
    beta : float > 0

    Returns
    -------
    ndarray of shape (n_samples, n_clusters); every row sums to 1.
    """
    data = checked_data(X, None)
    centres = check_centres(centers, np.shape(centers)[0], data.n_features, "centers")
    return _e_step(data.centred(), centres - data.mean, float(beta))[0]


@quiet
def _e_step(xc, centres_c, beta):
    """Return (responsibilities, total log-likelihood of the centres)."""
    log_r = _sq_distances(xc, centres_c)
    log_r *= -beta
    lse = logsumexp(log_r, axis=1)
    log_r -= lse[:, None]
    np.exp(log_r, out=log_r)
    log_r /= log_r.sum(axis=1, keepdims=True)  # rows sum to 1 to the last digit
    loglik = float(lse.sum()) + xc.shape[0] * _log_norm(beta, centres_c.shape[0], xc.shape[1])
    return log_r, loglik


@quiet
def _log_p(xc, centres_c, beta) -> np.ndarray:
    """log p(x) of every point under the equal-weight mixture."""
    d = _sq_distances(xc, centres_c)
    d *= -beta
    return logsumexp(d, axis=1) + _log_norm(beta, centres_c.shape[0], xc.shape[1])


@quiet
def _loglik(xc, centres_c, beta):
    d = _sq_distances(xc, centres_c)
    d *= -beta
    return float(logsumexp(d, axis=1).sum()) + xc.shape[0] * _log_norm(beta, centres_c.shape[0], xc.shape[1])


def _coincident_note(means: np.ndarray, beta: float) -> tuple[str, ...]:
    """A note when two or more means sit at exactly the same place: from then
    on they get equal responsibilities and can never separate again."""
    groups: dict[bytes, list[int]] = {}
    for j, m in enumerate(means):
        groups.setdefault(m.tobytes(), []).append(j)
    same = [g for g in groups.values() if len(g) > 1]
    if not same:
        return ()
    names = "; ".join(", ".join(cluster_name(j) for j in g) for g in same)
    return (f"Components {names} sit at exactly the same place, so they share their points equally and will "
            "stay together: the data have fewer separate places than components, or beta = "
            f"{beta:g} is too small for distances this short (beta × distance² is far below 1).",)


class SoftKMeans(SteppableModel):
    """Soft K-Means: EM for equal-weight Gaussians with fixed covariance I/(2 beta).

    Parameters
    ----------
    n_clusters : int, default=8
    beta : float, default=1.0
        Stiffness (inverse temperature). Large beta gives K-Means.
    init : {"k-means++", "random"} or ndarray of shape (n_clusters, n_features)
    max_iter : int, default=300
    tol : float, default=1e-4
        Converged when the log-likelihood changes by less than ``tol`` per
        point over a full step, or the means stop moving.
    random_state : None, int or np.random.Generator

    Attributes (after :meth:`fit`)
    ------------------------------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    n_iter_ : int
    converged_ : bool
    lower_bound_ : float
        Total log-likelihood of the fitted means.
    """

    def __init__(self, n_clusters=8, beta=1.0, init="k-means++", max_iter=300, tol=1e-4, random_state=None):
        self.n_clusters = n_clusters
        self.beta = beta
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # -- settings -----------------------------------------------------------
    def _check_params(self) -> tuple[int, float]:
        k = check_n_clusters(self.n_clusters)
        beta = self.beta
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not (beta > 0 and math.isfinite(beta)):
            raise ModelError(f"beta={beta!r} should be a finite number > 0.")
        if isinstance(self.init, str) and self.init not in INITS:
            raise ModelError(f"init={self.init!r} is not known; use 'k-means++', 'random' or an array "
                             "of starting centres.")
        check_n_clusters(self.max_iter, "max_iter")
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0 or not math.isfinite(tol):
            raise ModelError(f"tol={tol!r} should be a number >= 0.")
        return k, float(beta)

    def _covariances(self, k: int, d: int, beta: float) -> np.ndarray:
        check_covariance_size(k, d, "Soft K-Means (a mixture with covariance I / (2 beta))")
        return np.broadcast_to(np.eye(d) / (2.0 * beta), (k, d, d)).copy()

    def _state(self, data: Prepared, k, beta, **fields) -> FitState:
        state = FitState(weights=np.full(k, 1.0 / k), covariances=self._covariances(k, data.n_features, beta),
                         **fields)
        check_state_finite(state)
        return state

    # -- half-steps ----------------------------------------------------------
    def initialize(self, X, rng=None) -> FitState:
        """Means placed by ``init``; objective = their log-likelihood."""
        k, beta = self._check_params()
        data = checked_data(X, k)
        rng = as_generator(self.random_state if rng is None else rng)
        if isinstance(self.init, str):
            init = kmeans_plusplus if self.init == "k-means++" else random_init
            centres = init(data, k, rng)[0]
        else:
            centres = check_centres(self.init, k, data.n_features)
        return self._start(data, k, beta, centres)

    def restart(self, X, snapshot: FitState) -> FitState:
        """A new "init" state at ``snapshot``'s means, their log-likelihood on X."""
        k, beta = snapshot.means.shape[0], self._check_params()[1]
        data = checked_data(X, k)
        return self._start(data, k, beta, check_centres(snapshot.means, k, data.n_features, "snapshot.means"))

    def _start(self, data: Prepared, k: int, beta: float, centres: np.ndarray) -> FitState:
        objective = _loglik(data.centred(), centres - data.mean, beta)
        return self._state(data, k, beta, iteration=0, phase="init", means=centres, objective=objective)

    def e_step(self, X, state: FitState) -> FitState:
        """Responsibilities from the means (PRML §9.3.2); means unchanged."""
        k, beta = state.means.shape[0], self._check_params()[1]
        data = checked_data(X, k)
        means = check_centres(state.means, k, data.n_features, "state.means")
        resp, loglik = _e_step(data.centred(), means - data.mean, beta)
        return self._state(data, k, beta, iteration=state.iteration, phase="E", means=means, objective=loglik,
                           labels=np.argmax(resp, axis=1), soft_responsibilities=resp,
                           converged=state.converged)

    def m_step(self, X, state: FitState) -> FitState:
        """Means as responsibility-weighted averages (PRML (9.24) with fixed
        covariance); a component with no responsibility mass is moved to the
        point farthest from its centre."""
        k, beta = state.means.shape[0], self._check_params()[1]
        data = checked_data(X, k)
        X, mean = data.X, data.mean
        resp = state.soft_responsibilities
        if resp is None:
            raise ModelError("The means can only move once the responsibilities are known: run an E-step "
                             "first.")
        if resp.shape != (X.shape[0], k):
            raise ModelError(f"state.soft_responsibilities has shape {resp.shape} but should be "
                             f"(n_samples, n_clusters) = ({X.shape[0]}, {k}); the state does not belong "
                             "to this data.")
        xc = data.centred()
        old_c = check_centres(state.means, k, X.shape[1], "state.means") - mean
        labels = np.argmax(resp, axis=1) if state.labels is None else state.labels
        mass = resp.sum(axis=0)
        sums = resp.T @ xc
        notes: tuple[str, ...] = ()
        empty = np.flatnonzero(mass < _MIN_MASS)
        if empty.size:
            resp, labels = resp.copy(), labels.copy()
            notes = self._relocate(xc, old_c, resp, labels, mass, sums, empty)
        new_c = np.empty_like(sums)
        full = mass > 0
        new_c[full] = sums[full] / mass[full, None]
        if not full.all():
            new_c[~full] = new_c[np.argmax(mass)]
        means = new_c + mean
        notes = notes + _coincident_note(means, beta)
        # the objective of the means as stored, so the next E-step agrees bit for bit
        loglik = _loglik(xc, means - mean, beta)
        change = abs(loglik - state.objective) / X.shape[0]
        converged = state.converged or change < self.tol or np.array_equal(new_c, old_c)
        if converged and not state.converged:
            moved = ("The means no longer move" if np.array_equal(new_c, old_c)
                     else f"The log-likelihood changed by less than {self.tol:g} per point")
            notes = notes + (f"{moved}.",)
        return self._state(data, k, beta, iteration=state.iteration + 1, phase="M", means=means,
                           objective=loglik, labels=labels, soft_responsibilities=resp,
                           converged=converged, notes=notes)

    @staticmethod
    def _relocate(xc, centres_c, resp, labels, mass, sums, empty) -> tuple[str, ...]:
        """Move each massless component onto one of the points farthest from
        the centres of their clusters (as K-Means does), taking that point's
        whole responsibility. Works in place on resp, labels, mass, sums."""
        distances = ((xc - centres_c[labels]) ** 2).sum(axis=1)
        names = ", ".join(cluster_name(j) for j in empty)
        if np.max(distances) == 0:
            return (f"Component {names} got no responsibility at all, but every point already sits exactly "
                    "on its centre, so it stays on the heaviest component's mean.",)
        far = np.argpartition(distances, -empty.size)[:-empty.size - 1:-1]
        notes = []
        for new, idx in zip(empty, far):
            old = labels[idx]
            sums -= resp[idx][:, None] * xc[idx]
            mass -= resp[idx]
            resp[idx] = 0.0
            resp[idx, new] = 1.0
            sums[new] = xc[idx]
            mass[new] = 1.0
            labels[idx] = new
            notes.append(f"Component {cluster_name(new)} got no responsibility from any point and was moved to "
                         f"the point farthest from its centre (point {idx}, which belonged to {cluster_name(old)}).")
        return tuple(notes)

    # -- what the layers show ---------------------------------------------------
    def layer_values(self, X, state: FitState, labels: bool = True, density: bool = True):
        """(most responsible mean, log p(x) of the equal-weight mixture with
        covariance I/(2 beta)) of every row of X, each only if asked."""
        beta = self._check_params()[1]
        data = checked_data(X, None)
        means = check_centres(state.means, state.means.shape[0], data.n_features, "state.means")
        xc, means_c = data.centred(), means - data.mean
        return (np.argmax(_e_step(xc, means_c, beta)[0], axis=1) if labels else None,
                _log_p(xc, means_c, beta) if density else None)

    def region_labels(self, X, state: FitState) -> np.ndarray:
        """The most responsible of ``state``'s means for every row of X."""
        return self.layer_values(X, state, density=False)[0]

    def log_density(self, X, state: FitState) -> np.ndarray:
        """log p(x) of every row of X: the mixture of K equal-weight Gaussians
        N(x | mu_k, I/(2 beta)), so p(x) = sum_k exp(-beta ||x - mu_k||^2) / K
        times (beta/pi)^(D/2)."""
        return self.layer_values(X, state, labels=False)[1]

    # -- fitting ------------------------------------------------------------
    def _set_fitted(self, X, state: FitState) -> None:
        self.cluster_centers_ = state.means.copy()
        self.labels_ = self.predict(X)
        self.n_iter_ = state.iteration
        self.converged_ = state.converged
        self.lower_bound_ = state.objective

    def predict_proba(self, X) -> np.ndarray:
        """Responsibilities of the fitted means, shape (n_samples, n_clusters)."""
        if not hasattr(self, "cluster_centers_"):
            raise ModelError("This SoftKMeans is not fitted yet; call fit(X) first.")
        return soft_responsibilities(X, self.cluster_centers_, self._check_params()[1])

    def predict(self, X) -> np.ndarray:
        """Most responsible component for every row of X."""
        return np.argmax(self.predict_proba(X), axis=1)
