"""Pure numerics of a Gaussian mixture: log-densities, responsibilities and
the weighted moments of the M-step (numpy only; no Qt).

Conventions
-----------
* Every function works on data centred at ``centre`` (the column mean of X,
  subtracted chunk by chunk), so data far from the origin keep their digits.
* Covariances are passed around as full matrices of shape (K, D, D); the
  covariance type only decides how they are estimated and factorised.
* Rows are processed in chunks of bounded size; the (K, N) work arrays are
  laid out component-major (K rows of N) so that reductions over the
  components run along the long axis.
* Every function is deterministic: the same inputs give the same bits.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._common import cluster_name
from .state import ModelError

#: Covariance structures of a Gaussian mixture (scikit-learn's names), in the
#: order the app lists them (the registry reads this tuple).
COVARIANCE_TYPES: tuple[str, ...] = ("full", "tied", "diag", "spherical")

# Working-set size of one chunk: about this many float64 in the largest
# (K*D, rows) temporary.
_CHUNK_ELEMENTS = 1 << 17
# Most multiply-adds of a chunk's product: OpenBLAS computes up to 65536 * 4
# of them on the calling thread; above, it wakes its threads, which then spin
# and take the second core (EM at D = 10 ran 2-15x slower on 2 threads).
_SINGLE_THREAD_PRODUCT = 1 << 18
# A component whose scatter, computed as sum r x x^T - N_k mu mu^T, keeps less
# than this fraction of its second moment in some direction (so that it lost
# more than ~5 of its 16 digits) is recomputed in two passes as
# sum r (x - mu)(x - mu)^T.
_CANCELLATION_LIMIT = 1e-5
_EPS10 = 10 * np.finfo(np.float64).eps
_LOG_2PI = math.log(2 * math.pi)


def chunk_rows(n_samples: int, n_components: int, n_features: int) -> int:
    """Rows per chunk so that a (K*D, rows) temporary holds ~_CHUNK_ELEMENTS floats,
    and a chunk's (K*D, D) x (D, rows) product stays on the calling thread."""
    rows = _CHUNK_ELEMENTS // max(1, n_components * n_features)
    rows = min(rows, _SINGLE_THREAD_PRODUCT // max(1, n_components * n_features * n_features))
    return int(max(256, min(n_samples, rows)))


def check_covariance_type(covariance_type) -> None:
    """Raise ModelError unless ``covariance_type`` is one of `COVARIANCE_TYPES`."""
    if covariance_type not in COVARIANCE_TYPES:
        raise ModelError(f"covariance_type={covariance_type!r} should be one of "
                         f"{', '.join(map(repr, COVARIANCE_TYPES))}.")


def n_parameters(covariance_type: str, n_components: int, n_features: int) -> int:
    """Number of free parameters, as scikit-learn counts them."""
    K, D = n_components, n_features
    cov_params = {"full": K * D * (D + 1) / 2.0, "diag": K * D,
                  "tied": D * (D + 1) / 2.0, "spherical": K}[covariance_type]
    return int(cov_params + D * K + K - 1)


# --------------------------------------------------------------------------
# covariance forms


def expand_covariances(covariances, covariance_type: str, n_components: int, n_features: int) -> np.ndarray:
    """Full (K, D, D) matrices from scikit-learn's shape for ``covariance_type``."""
    K, D = n_components, n_features
    c = np.asarray(covariances, dtype=np.float64)
    eye = np.eye(D)
    if covariance_type == "full":
        return c.copy()
    if covariance_type == "tied":
        return np.broadcast_to(c, (K, D, D)).copy()
    if covariance_type == "diag":
        return c[:, :, None] * eye
    return c[:, None, None] * eye  # spherical


def compact_covariances(full: np.ndarray, covariance_type: str) -> np.ndarray:
    """scikit-learn's shape for ``covariance_type`` from full (K, D, D) matrices
    that already have that structure (diagonal, isotropic or identical)."""
    if covariance_type == "full":
        return full.copy()
    if covariance_type == "tied":
        return full[0].copy()
    diag = np.diagonal(full, axis1=1, axis2=2).copy()
    if covariance_type == "diag":
        return diag
    return diag[:, 0].copy()  # spherical


def check_structure(full: np.ndarray, covariance_type: str) -> None:
    """Raise ModelError if full (K, D, D) matrices lack the structure of the type."""
    K, D, _ = full.shape
    if covariance_type == "full":
        return
    if covariance_type == "tied":
        if not np.array_equal(full, np.broadcast_to(full[0], full.shape)):
            raise ModelError("covariance_type='tied' needs one covariance matrix shared by every component, "
                             "but the state's covariances differ between components.")
        return
    off = full * (1.0 - np.eye(D))
    if np.any(off != 0.0):
        raise ModelError(f"covariance_type={covariance_type!r} needs diagonal covariance matrices, "
                         "but the state's covariances have non-zero off-diagonal entries.")
    if covariance_type == "spherical":
        diag = np.diagonal(full, axis1=1, axis2=2)
        if np.any(diag != diag[:, :1]):
            raise ModelError("covariance_type='spherical' needs covariances of the form variance * I, "
                             "but the state's covariances have different variances along different axes.")


def lower_triangular_inverse(L: np.ndarray) -> np.ndarray:
    """L^-1 of lower-triangular matrices L (..., D, D) by forward substitution.

    Small batched numpy instead of ``scipy.linalg.solve_triangular``, whose
    per-call cost (~10 ms on a busy 2-core machine, in LAPACK/BLAS threading)
    dwarfs a 2 x 2 solve; the arithmetic is the same substitution.
    """
    D = L.shape[-1]
    V = np.zeros(L.shape)
    for i in range(D):
        # row i of L V = I:  V[i, :] = (e_i - L[i, :i] V[:i, :]) / L[i, i]
        rhs = -np.einsum("...j,...jk->...k", L[..., i, :i], V[..., :i, :])
        rhs[..., i] += 1.0
        V[..., i, :] = rhs / L[..., i, i, None]
    return V


def _cholesky_error(k: int | None, reg_covar: float) -> ModelError:
    who = "the shared covariance" if k is None else f"the covariance of component {cluster_name(k)}"
    suggestion = max(10.0 * reg_covar, 1e-6)
    return ModelError(
        f"EM cannot go on: {who} is not positive definite (its Cholesky factorisation failed), "
        "usually because a component sits on a single point or on a line of points. "
        f"Try a larger reg_covar (now {reg_covar:g}), for example {suggestion:g}, "
        "fewer components, or rescaled data.")


class Factors(NamedTuple):
    """What the E-step needs: log-weights, centred means and, per component,
    the upper factor U of the precision (precision = U U^T, U = L^-T where
    covariance = L L^T) with log|U| = 1/2 log|precision|."""

    log_weights: np.ndarray  # (K,)
    means_c: np.ndarray  # (K, D), centred
    prec_chol: np.ndarray  # (K, D, D), upper triangular (diagonal for diag/spherical)
    log_det: np.ndarray  # (K,)


def precision_factors(full: np.ndarray, covariance_type: str, reg_covar: float) -> tuple[np.ndarray, np.ndarray]:
    """Precision Cholesky factors U (K, D, D) and log|U| (K,) of full covariances
    that have the structure of ``covariance_type``.

    Raises
    ------
    ModelError
        If a covariance is not positive definite (suggests a larger reg_covar).
    """
    K, D, _ = full.shape
    if covariance_type in ("diag", "spherical"):
        var = np.diagonal(full, axis1=1, axis2=2)
        if covariance_type == "spherical":
            var = var[:, :1]
        bad = np.flatnonzero(np.any(~(var > 0.0), axis=1))
        if bad.size:
            raise _cholesky_error(int(bad[0]), reg_covar)
        inv_sd = 1.0 / np.sqrt(var)  # scikit-learn's precisions_cholesky_
        if covariance_type == "spherical":
            log_det = D * np.log(inv_sd[:, 0])
            inv_sd = np.repeat(inv_sd, D, axis=1)
        else:
            log_det = np.sum(np.log(inv_sd), axis=1)
        return inv_sd[:, :, None] * np.eye(D), log_det
    mats = full[:1] if covariance_type == "tied" else full
    try:
        L = np.linalg.cholesky(mats)
    except np.linalg.LinAlgError:
        L = None
    if L is None or not np.all(np.isfinite(L)):
        for k in range(mats.shape[0]):  # which one failed
            try:
                ok = np.all(np.isfinite(np.linalg.cholesky(mats[k])))
            except np.linalg.LinAlgError:
                ok = False
            if not ok:
                raise _cholesky_error(None if covariance_type == "tied" else k, reg_covar)
    U = np.swapaxes(lower_triangular_inverse(L), -1, -2)
    log_det = np.sum(np.log(np.diagonal(U, axis1=1, axis2=2)), axis=1)
    if covariance_type == "tied":
        U = np.broadcast_to(U, (K, D, D)).copy()
        log_det = np.broadcast_to(log_det, (K,)).copy()
    return U, log_det


def covariances_from_precisions(precisions, covariance_type: str, n_components: int, n_features: int) -> np.ndarray:
    """Full (K, D, D) covariances from scikit-learn-shaped precisions, through
    the Cholesky factor of each precision (never an explicit inverse)."""
    K, D = n_components, n_features
    P = np.asarray(precisions, dtype=np.float64)
    if covariance_type in ("diag", "spherical"):
        return expand_covariances(1.0 / P, covariance_type, K, D)
    mats = P[None] if covariance_type == "tied" else P
    # precision = U U^T with U upper (Cholesky of the flipped matrix, as
    # scikit-learn does); covariance = U^-T U^-1 = V^T V with V = U^-1, and
    # V is the flip of the inverse of the lower factor of the flipped matrix.
    Lf = np.linalg.cholesky(mats[:, ::-1, ::-1])
    V = lower_triangular_inverse(Lf)[:, ::-1, ::-1]
    cov = np.swapaxes(V, -1, -2) @ V
    out = 0.5 * (cov + np.swapaxes(cov, -1, -2))
    if covariance_type == "tied":
        return np.broadcast_to(out, (K, D, D)).copy()
    return out


# --------------------------------------------------------------------------
# E-step


def log_likelihood_pass(X: np.ndarray, centre: np.ndarray, factors: Factors, *,
                        resp_out: np.ndarray | None = None,
                        labels_out: np.ndarray | None = None,
                        per_point_out: np.ndarray | None = None) -> float:
    """Total log-likelihood sum_n log p(x_n), and optionally the responsibilities.

    log p(x_n) = logsumexp_k [log pi_k + log N(x_n | mu_k, Sigma_k)]  (PRML (9.14)),
    with ||U_k^T (x - mu_k)||^2 the Mahalanobis term; responsibilities are
    gamma_nk = exp(a_nk - log p(x_n))  (PRML (9.23)).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centre : ndarray of shape (n_features,)
        Subtracted from every row before anything else.
    factors : Factors
    resp_out : ndarray of shape (n_components, n_samples), optional
        Filled with the responsibilities (component-major).
    labels_out : ndarray of shape (n_samples,), optional
        Filled with argmax_k of the responsibilities (first on ties).
    per_point_out : ndarray of shape (n_samples,), optional
        Filled with log p(x_n).
    """
    N, D = X.shape
    K = factors.means_c.shape[0]
    U = factors.prec_chol
    # y_k = U_k^T (x - mu_k) for all k at once: rows k*D .. k*D+D-1.
    Ucat = np.ascontiguousarray(U.transpose(0, 2, 1).reshape(K * D, D))
    offset = np.einsum("kji,kj->ki", U, factors.means_c).reshape(K * D, 1)
    const = (factors.log_weights + factors.log_det - 0.5 * D * _LOG_2PI)[:, None]
    rows = chunk_rows(N, K, D)
    low_bits = np.int64((1 << max(1, (K - 1).bit_length())) - 1)
    code = (K - 1 - np.arange(K, dtype=np.int64))[:, None]
    total = 0.0
    with np.errstate(over="ignore", under="ignore"):
        for a in range(0, N, rows):
            b = min(N, a + rows)
            n = b - a
            xt = (X[a:b] - centre).T  # (D, n)
            Y = Ucat @ xt
            Y -= offset
            np.square(Y, out=Y)
            Y3 = Y.reshape(K, D, n)
            A = np.add(Y3[:, 0], Y3[:, 1]) if D > 1 else Y3[:, 0].copy()  # (K, n)
            for d in range(2, D):
                A += Y3[:, d]
            A *= -0.5
            A += const  # a_nk = log pi_k + log N(x_n | mu_k, Sigma_k)
            m = A.max(axis=0)
            if not np.all(np.isfinite(m)):
                bad = a + int(np.flatnonzero(~np.isfinite(m))[0])
                raise ModelError(
                    f"Point {bad} is so far from every component that its probability underflows to zero; "
                    "the data may be too extreme for this model. Try rescaling the data.")
            # log-sum-exp: with m finite every exp(a - m) lies in [0, 1] and the
            # largest is exactly 1, so s >= 1 and nothing below is NaN or inf.
            A -= m
            np.exp(A, out=A)
            s = A.sum(axis=0)
            if labels_out is not None:
                labels_out[a:b] = _first_argmax_of_ones(A, code, low_bits)
            if resp_out is not None:
                np.multiply(A, 1.0 / s, out=resp_out[:, a:b])
            ll = np.log(s)
            ll += m
            if per_point_out is not None:
                per_point_out[a:b] = ll
            total += float(ll.sum())
    return total


def _first_argmax_of_ones(E: np.ndarray, code: np.ndarray, low_bits: np.int64) -> np.ndarray:
    """argmax over axis 0 of E (K, n), whose column maxima are exactly 1.0;
    ties go to the smallest k, as ``np.argmax``.

    Non-negative floats order like their bit patterns, so writing K-1-k into
    the lowest mantissa bits lets one integer max-reduction find the first
    1.0 of every column (a value below 1.0 keeps a smaller exponent, whatever
    its low bits) -- about 4x faster than ``argmax(axis=0)``.
    """
    bits = E.view(np.int64) & ~low_bits
    bits |= code
    return (code[0, 0] - (bits.max(axis=0) & low_bits)).astype(np.intp)


# --------------------------------------------------------------------------
# M-step


class Estimate(NamedTuple):
    """Result of the M-step in centred coordinates."""

    weights: np.ndarray  # (K,)
    means_c: np.ndarray  # (K, D)
    covariances: np.ndarray  # (K, D, D), full, with reg_covar on the diagonal
    raw_covariances: np.ndarray  # (K, D, D), of the covariance type, before reg_covar
    counts: np.ndarray  # (K,) sum of responsibilities N_k (without scikit-learn's 10*eps)
    data_variance: float  # mean per-feature variance of X (scale for "collapsed")


def _moments(X, centre, resp_kn, pairs):
    """Sums over points of r_nk * [1, x, x_i x_j (i <= j)] for every k: (K, 1 + D + P)."""
    N, D = X.shape
    K = resp_kn.shape[0]
    n_feat = 1 + D + len(pairs)
    rows = chunk_rows(N, K, D)
    mom = np.zeros((K, n_feat))
    for a in range(0, N, rows):
        b = min(N, a + rows)
        phi = np.empty((n_feat, b - a))
        phi[0] = 1.0
        xt = phi[1:1 + D]
        np.subtract(X[a:b].T, centre[:, None], out=xt)
        for p, (i, j) in enumerate(pairs):
            np.multiply(xt[i], xt[j], out=phi[1 + D + p])
        # a strided (K, n) slice goes to BLAS as it is (leading dimension N)
        mom += resp_kn[:, a:b] @ phi.T
    return mom


def _exact_scatter(X, centre, resp_row, mean_c, diag_only):
    """sum_n r_n (x_n - mu)(x_n - mu)^T in two passes (no cancellation)."""
    N, D = X.shape
    rows = chunk_rows(N, 1, D)
    S = np.zeros((D, D)) if not diag_only else np.zeros(D)
    shift = centre + mean_c
    for a in range(0, N, rows):
        b = min(N, a + rows)
        d = X[a:b].T - shift[:, None]  # (D, n)
        w = d * resp_row[a:b]
        if diag_only:
            S += np.einsum("in,in->i", w, d)
        else:
            S += w @ d.T
    if not diag_only:
        S = 0.5 * (S + S.T)
    return S


def estimate_parameters(X: np.ndarray, centre: np.ndarray, resp_kn: np.ndarray,
                        covariance_type: str, reg_covar: float) -> Estimate:
    """Weights, centred means and covariances from responsibilities (PRML (9.24)-(9.26)).

    Follows scikit-learn's ``_estimate_gaussian_parameters`` (N_k gets 10*eps so
    an empty component divides by a tiny number, not by zero), but computes the
    scatter of each component around its own mean on centred data: from the
    weighted second moments when that loses no more than ~5 digits, otherwise
    again in two passes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    centre : ndarray of shape (n_features,)
    resp_kn : ndarray of shape (n_components, n_samples)
        Responsibilities, component-major (rows sum over k to 1 per point).
    covariance_type : {"full", "tied", "diag", "spherical"}
    reg_covar : float
    """
    N, D = X.shape
    K = resp_kn.shape[0]
    diag_only = covariance_type in ("diag", "spherical")
    pairs = [(i, i) for i in range(D)] if diag_only else [(i, j) for i in range(D) for j in range(i, D)]
    mom = _moments(X, centre, resp_kn, pairs)
    counts = mom[:, 0].copy()
    nk = counts + _EPS10
    sums = mom[:, 1:1 + D]
    means_c = sums / nk[:, None]
    # second moments sum r x x^T as (K, D, D) (or their diagonals (K, D))
    if diag_only:
        m2 = mom[:, 1 + D:]
        scatter = m2 - 2.0 * means_c * sums + counts[:, None] * means_c ** 2
        raw_m2 = m2
    else:
        m2 = np.empty((K, D, D))
        for p, (i, j) in enumerate(pairs):
            m2[:, i, j] = m2[:, j, i] = mom[:, 1 + D + p]
        cross = means_c[:, :, None] * sums[:, None, :]
        scatter = (m2 - cross - cross.transpose(0, 2, 1)
                   + counts[:, None, None] * means_c[:, :, None] * means_c[:, None, :])
        raw_m2 = m2
    # data scale from the moments: responsibilities sum to 1 per point.
    total_m2 = raw_m2.sum(axis=0)
    data_variance = float((total_m2 if diag_only else np.diagonal(total_m2)).sum() / (N * D))
    # Components whose scatter cancelled too much get the two-pass sum. The
    # round-off in scatter_ij is ~eps * sqrt(m2_ii m2_jj), so judge it on the
    # scatter scaled by those (scale-free, like the Gaussian itself).
    for k in range(K):
        m2_diag = raw_m2[k] if diag_only else np.diagonal(raw_m2[k])
        if not np.any(m2_diag > 0.0):
            continue  # no weighted point away from the centre: the scatter is exactly 0
        d = np.sqrt(np.where(m2_diag > 0.0, m2_diag, 1.0))
        if diag_only:
            lam = np.min(scatter[k] / d ** 2)
        else:
            lam = np.linalg.eigvalsh(scatter[k] / np.outer(d, d))[0]
        if not lam > _CANCELLATION_LIMIT:
            scatter[k] = _exact_scatter(X, centre, resp_kn[k], means_c[k], diag_only)
    if covariance_type == "full":
        raw = scatter / nk[:, None, None]
    elif covariance_type == "tied":
        raw = np.broadcast_to(scatter.sum(axis=0) / nk.sum(), (K, D, D)).copy()
    elif covariance_type == "diag":
        raw = scatter / nk[:, None]
    else:
        raw = (scatter / nk[:, None]).mean(axis=1)
    raw_full = expand_covariances(raw if covariance_type != "tied" else raw[0], covariance_type, K, D)
    cov = raw_full + reg_covar * np.eye(D)
    weights = nk / nk.sum()
    return Estimate(weights, means_c, cov, raw_full, counts, data_variance)


def log_weights(weights: np.ndarray) -> np.ndarray:
    """log of the mixing weights; a weight of exactly 0 gives -inf (no warning)."""
    with np.errstate(divide="ignore"):
        return np.log(weights)
