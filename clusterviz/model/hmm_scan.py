"""Forward-backward and Viterbi of a hidden Markov model as parallel prefix
scans over time (numpy only; no Qt).

The forward recursion alpha_t = (alpha_{t-1} A) * b_t (PRML (13.36)) is a
product of K x K matrices M_t = A diag(b_t); the backward one
beta_t = M_{t+1} beta_{t+1} (PRML (13.38)) multiplies the same matrices from
the other end. Instead of a Python loop over T steps, a tree of pairwise
products (the "up-sweep", about log2(T) batched levels) is built once and
walked down twice: left to right for the forward vectors, right to left for
the backward ones (Hassan, Sarkka & Garcia-Fernandez, "Temporal
parallelization of inference in hidden Markov models", IEEE TSP 2021). Every
product and every vector is renormalised as it is made, and the logarithms
of the scales are carried along, so nothing under- or overflows.

Several sequences are scanned as one: the first step of every sequence uses
the "reset" matrix whose rows all equal startprob * b_t (PRML (13.37)),
which forgets everything before it. Its forward product is the previous
likelihood times the new start; its backward product is a constant vector,
so no transition crosses a boundary and the log-likelihoods add up.

Viterbi (PRML (13.68)-(13.70)) is the same scan in the max-plus semiring,
and its back-tracking is a suffix composition of the arg-max maps, done by
pointer doubling.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Posterior", "forward_backward", "viterbi"]


class Posterior(NamedTuple):
    """What one forward-backward pass yields.

    Attributes
    ----------
    log_likelihood : float
        log p(X) summed over the sequences (PRML (13.42)).
    gamma : ndarray of shape (T, K)
        State posteriors p(z_t | X) (PRML (13.33)); rows sum to 1.
    xi_sum : ndarray of shape (K, K)
        Expected numbers of transitions, sum over t of p(z_{t-1}, z_t | X)
        (PRML (13.43)) within the sequences.
    """

    log_likelihood: float
    gamma: np.ndarray
    xi_sum: np.ndarray


def _normalise_rows(v: np.ndarray) -> np.ndarray:
    s = v.sum(axis=-1, keepdims=True)
    s[s == 0.0] = 1.0
    v /= s
    return v


def _normalise_columns(v: np.ndarray) -> np.ndarray:
    """Scale every column of (K, n) to sum 1 (in place; all-zero columns stay)."""
    s = v.sum(axis=0)
    s[s == 0.0] = 1.0
    v /= s
    return v


# The matrices of a level are stored "structure of arrays": (K, K, n), entry
# (i, j) of all n matrices contiguous, so that a product is K^3 vector
# operations of length n (no per-matrix overhead, no BLAS on tiny matrices).


#: From this many states on, products of stacks go through np.matmul.
_MATMUL_FROM = 5
#: Columns per block of the vector passes (a (K, K, block) stack stays in cache).
_CHUNK = 4096


def _product(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """out[:, :, m] = P[:, :, m] @ Q[:, :, m] for (K, K, n) stacks."""
    K, _, n = P.shape
    if K >= _MATMUL_FROM:  # K^3 passes over long rows cost more than matmul's per-matrix loop
        out = np.empty((K, K, n))
        np.matmul(P.transpose(2, 0, 1), Q.transpose(2, 0, 1), out=out.transpose(2, 0, 1))
        return out
    out = np.empty((K, K, n))
    tmp = np.empty(min(n, _CHUNK))
    for a in range(0, n, _CHUNK):  # column blocks that stay in cache through the K^3 passes
        b = min(n, a + _CHUNK)
        t, Pc, Qc = tmp[:b - a], P[:, :, a:b], Q[:, :, a:b]
        for i in range(K):
            for j in range(K):
                o = out[i, j, a:b]
                np.multiply(Pc[i, 0], Qc[0, j], out=o)
                for k in range(1, K):
                    np.multiply(Pc[i, k], Qc[k, j], out=t)
                    o += t
    return out


def _rescale(Q: np.ndarray, log_scale: np.ndarray) -> None:
    """Divide every matrix of (K, K, n) by its largest entry (in place), adding
    the log of it to ``log_scale``; an all-zero matrix is left as it is."""
    K = Q.shape[0]
    flat = Q.reshape(K * K, -1)
    m = flat.max(axis=0)
    m[m == 0.0] = 1.0
    flat /= m
    log_scale += np.log(m)


def _vec_mat(f: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Row vectors times matrices: out[j, m] = sum_i f[i, m] Q[i, j, m]."""
    out = f[0] * Q[0]
    for i in range(1, f.shape[0]):
        out += f[i] * Q[i]
    return out


def _mat_vec(Q: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Matrices times column vectors: out[i, m] = sum_j Q[i, j, m] g[j, m]."""
    out = Q[:, 0] * g[0]
    for j in range(1, g.shape[0]):
        out += Q[:, j] * g[j]
    return out


def _level_one(B: np.ndarray, A: np.ndarray, reset: np.ndarray, startprob: np.ndarray):
    """Products M_{2j} M_{2j+1} (and M_{T-1} alone when T is odd), where
    M_t = A_t diag(b_t) and A_t is the reset matrix (rows = startprob) at the
    first step of a sequence, as a (K, K, n) stack; with their log scales.
    B is (K, T)."""
    K, T = B.shape
    n_pairs = T // 2
    even, odd = B[:, 0:2 * n_pairs:2], B[:, 1:2 * n_pairs:2]
    n = n_pairs + T % 2
    Q = np.zeros((K, K, n))
    tmp = np.empty(min(n_pairs, _CHUNK))
    # (A diag(b_e) A)_ij = sum_k A_ik A_kj b_e(k); then times b_o(j)
    for a in range(0, n_pairs, _CHUNK):
        b = min(n_pairs, a + _CHUNK)
        t, ev, od = tmp[:b - a], even[:, a:b], odd[:, a:b]
        for i in range(K):
            for j in range(K):
                o = Q[i, j, a:b]
                for k in range(K):
                    c = A[i, k] * A[k, j]
                    if c != 0.0:
                        np.multiply(ev[k], c, out=t)
                        o += t
                o *= od[j]
    r_even = np.flatnonzero(reset[0:2 * n_pairs:2])
    r_odd = np.flatnonzero(reset[1:2 * n_pairs:2])
    for r, is_odd in ((r_even, False), (r_odd, True)):
        if r.size == 0:
            continue
        e, o = even[:, r], odd[:, r]  # (K, m)
        start_e = reset[2 * r]
        # left = A_{2j} diag(b_e): rows A[i] * b_e, or startprob * b_e at a reset
        left = A[:, :, None] * e[None, :, :]
        left[:, :, start_e] = (startprob[:, None] * e[:, start_e])[None, :, :]
        if is_odd:  # right = reset: left @ 1 startprob^T
            block = left.sum(axis=1)[:, None, :] * startprob[None, :, None]
        else:
            block = np.einsum("ikm,kj->ijm", left, A)
        Q[:, :, r] = block * o[None, :, :]
    if T % 2:
        first = startprob[None, :] if reset[T - 1] else A
        Q[:, :, -1] = first * B[:, T - 1][None, :]
    log_scale = np.zeros(n)
    _rescale(Q, log_scale)
    return Q, log_scale


def _up_sweep(Q: np.ndarray, log_scale: np.ndarray):
    """The tree of pairwise products above level one: levels[0] is Q; each
    next level multiplies neighbours (an odd last one is carried up).
    Returns the levels and the top product's log scale."""
    levels = [Q]
    while Q.shape[2] > 1:
        n = Q.shape[2]
        half = n // 2
        up = _product(Q[:, :, 0:2 * half:2], Q[:, :, 1:2 * half:2])
        up_scale = log_scale[0:2 * half:2] + log_scale[1:2 * half:2]
        if n % 2:
            up = np.concatenate([up, Q[:, :, -1:]], axis=2)
            up_scale = np.concatenate([up_scale, log_scale[-1:]])
        _rescale(up, up_scale)
        Q, log_scale = up, up_scale
        levels.append(Q)
    return levels, float(log_scale[0])


def _down_sweeps(levels: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Entering (forward) and leaving (backward) vectors (K, n) of every
    node of levels[0], each column normalised to sum 1."""
    K = levels[0].shape[0]
    f = np.full((K, 1), 1.0 / K)
    g = np.full((K, 1), 1.0 / K)
    for Q in reversed(levels[:-1]):
        n = Q.shape[2]
        half = n // 2
        f_new = np.empty((K, n))
        g_new = np.empty((K, n))
        f_new[:, 0::2] = f
        f_new[:, 1::2] = _vec_mat(f[:, :half], Q[:, :, 0:2 * half:2])
        g_new[:, 0:2 * half:2] = _mat_vec(Q[:, :, 1:2 * half:2], g[:, :half])
        g_new[:, 1::2] = g[:, :half]
        if n % 2:
            g_new[:, -1] = g[:, -1]
        f, g = _normalise_columns(f_new), _normalise_columns(g_new)
    return f, g


def _times_matrix(v: np.ndarray, A: np.ndarray) -> np.ndarray:
    """(K, n) column vectors v: out[:, m] = A^T v[:, m] (row vector v times A)."""
    out = np.multiply.outer(A[0], v[0])
    for i in range(1, A.shape[0]):
        out += np.multiply.outer(A[i], v[i])
    return out


def forward_backward(log_b: np.ndarray, startprob: np.ndarray, transmat: np.ndarray,
                     reset: np.ndarray) -> Posterior:
    """Posteriors of an HMM by scaled forward-backward (PRML 13.2.4).

    Parameters
    ----------
    log_b : ndarray of shape (K, T)
        log p(x_t | z_t = k), every column with a finite maximum.
    startprob : ndarray of shape (K,)
    transmat : ndarray of shape (K, K)
    reset : ndarray of bool, shape (T,)
        True at the first row of every sequence (always at row 0).

    Returns
    -------
    Posterior
    """
    K, T = log_b.shape
    col_max = log_b.max(axis=0)
    B = log_b - col_max
    np.exp(B, out=B)
    A = transmat
    if T == 1:
        a = startprob * B[:, 0]
        return Posterior(float(np.log(a.sum()) + col_max[0]), (a / a.sum())[None, :], np.zeros((K, K)))
    Q, log_scale = _level_one(B, A, reset, startprob)
    levels, top_scale = _up_sweep(Q, log_scale)
    log_likelihood = float(np.log(levels[-1][0, :, 0].sum()) + top_scale + col_max.sum())
    f, g = _down_sweeps(levels)  # per pair: forward vector entering it, backward vector leaving it
    del levels, Q
    n_pairs = T // 2
    even, odd = slice(0, None, 2), slice(1, None, 2)
    prev = np.empty((K, T))  # alpha_{t-1} A_t (startprob at a reset), before times b_t
    alpha = np.empty((K, T))
    beta = np.empty((K, T))
    r = np.flatnonzero(reset)
    prev[:, even] = _times_matrix(f, A)
    prev[:, r[r % 2 == 0]] = startprob[:, None]
    alpha[:, even] = _normalise_columns(prev[:, even] * B[:, even])
    prev[:, odd] = _times_matrix(alpha[:, 0:2 * n_pairs:2], A)
    prev[:, r[r % 2 == 1]] = startprob[:, None]
    alpha[:, odd] = _normalise_columns(prev[:, odd] * B[:, odd])
    beta[:, odd] = g[:, :n_pairs]
    if T % 2:
        beta[:, T - 1] = g[:, -1]
    w = np.empty((K, T))  # b_t * beta_t
    w[:, odd] = B[:, odd] * beta[:, odd]
    back = np.empty((K, n_pairs))  # A_{2j+1} w_{2j+1}
    for i in range(K):
        back[i] = A[i, 0] * w[0, 1::2]
        for j in range(1, K):
            back[i] += A[i, j] * w[j, 1::2]
    r_odd = np.flatnonzero(reset[1:2 * n_pairs:2])
    back[:, r_odd] = 1.0
    beta[:, 0:2 * n_pairs:2] = _normalise_columns(back)
    w[:, even] = B[:, even] * beta[:, even]
    gamma = _normalise_columns(alpha * beta)
    # xi_t(i, j) = alpha_{t-1}(i) A_ij b_t(j) beta_t(j) / Z_t   (PRML (13.43))
    inner = ~reset
    inner[0] = False
    z = np.einsum("kt,kt->t", prev, w)
    z[~inner | (z == 0.0)] = np.inf  # 1/z = 0: no transition into a sequence's first row
    w /= z
    xi_sum = A * (alpha[:, :-1] @ w[:, 1:].T)
    return Posterior(log_likelihood, np.ascontiguousarray(gamma.T), xi_sum)


# --------------------------------------------------------------------------
# Viterbi


def _max_product(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Max-plus products of (K, K, n) stacks: out[i, j] = max_k P[i, k] + Q[k, j]."""
    K, _, n = P.shape
    out = np.empty((K, K, n))
    tmp = np.empty(n)
    for i in range(K):
        for j in range(K):
            o = out[i, j]
            np.add(P[i, 0], Q[0, j], out=o)
            for k in range(1, K):
                np.add(P[i, k], Q[k, j], out=tmp)
                np.maximum(o, tmp, out=o)
    return out


def _shift_to_zero(Q: np.ndarray, offset: np.ndarray) -> None:
    """Subtract every matrix's largest entry (in place), adding it to ``offset``."""
    K = Q.shape[0]
    flat = Q.reshape(K * K, -1)
    m = flat.max(axis=0)
    m[~np.isfinite(m)] = 0.0
    flat -= m
    offset += m


def _max_plus_entering(log_M: np.ndarray) -> tuple[np.ndarray, float]:
    """The max-plus prefix vectors entering every step, delta_{t-1} (K, T),
    each column shifted to a maximum of 0, and the log-probability of the
    best path (the top product's largest entry)."""
    K, _, T = log_M.shape
    levels = [log_M]
    Q, offset = log_M, np.zeros(T)
    while Q.shape[2] > 1:
        n = Q.shape[2]
        half = n // 2
        up = _max_product(Q[:, :, 0:2 * half:2], Q[:, :, 1:2 * half:2])
        up_offset = offset[0:2 * half:2] + offset[1:2 * half:2]
        if n % 2:
            up = np.concatenate([up, Q[:, :, -1:]], axis=2)
            up_offset = np.concatenate([up_offset, offset[-1:]])
        _shift_to_zero(up, up_offset)
        Q, offset = up, up_offset
        levels.append(Q)
    best = float(Q[:, :, 0].max() + offset[0])
    f = np.zeros((K, 1))
    for Q in reversed(levels[:-1]):
        n = Q.shape[2]
        half = n // 2
        f_new = np.empty((K, n))
        f_new[:, 0::2] = f
        left = Q[:, :, 0:2 * half:2]
        odd = f_new[:, 1::2]
        for j in range(K):  # (f (x) Q_left)_j = max_i f_i + Q_ij
            np.add(f[0, :half], left[0, j], out=odd[j])
            for i in range(1, K):
                np.maximum(odd[j], f[i, :half] + left[i, j], out=odd[j])
        m = f_new.max(axis=0)
        m[~np.isfinite(m)] = 0.0
        f = f_new - m
    return f, best


def viterbi(log_b: np.ndarray, startprob: np.ndarray, transmat: np.ndarray,
            reset: np.ndarray) -> tuple[float, np.ndarray]:
    """The most probable state path (PRML 13.2.5) and its log-probability,
    summed over the sequences.

    Parameters are those of :func:`forward_backward` (``log_b`` of shape
    (K, T)). Ties go to the lowest state index.
    """
    K, T = log_b.shape
    with np.errstate(divide="ignore"):
        log_a, log_pi = np.log(transmat), np.log(startprob)
    # log M_t(i, j) = log A_ij + log b_t(j), or log pi_j + log b_t(j) at a reset (every row alike)
    log_M = log_a[:, :, None] + log_b[None, :, :]
    r = np.flatnonzero(reset)
    log_M[:, :, r] = (log_pi[:, None] + log_b[:, r])[None, :, :]
    entering, log_prob = _max_plus_entering(log_M)
    # psi_t(j) = argmax_i delta_{t-1}(i) + log M_t(i, j): a map from z_t to z_{t-1}
    psi = np.zeros((K, T), dtype=np.intp)
    score = np.empty(T)
    better = np.empty(T, dtype=bool)
    for j in range(K):
        best = entering[0] + log_M[0, j]
        for i in range(1, K):
            np.add(entering[i], log_M[i, j], out=score)
            np.greater(score, best, out=better)
            np.maximum(best, score, out=best)
            np.copyto(psi[j], i, where=better)
    delta_last = (entering[:, -1][:, None] + log_M[:, :, -1]).max(axis=0)
    # Suffix composition by pointer doubling: H[:, t] maps z_{min(t + 2^k, T-1)} to z_t.
    H = np.empty((K, T), dtype=np.intp)
    H[:, :-1] = psi[:, 1:]
    H[:, -1] = np.arange(K)
    step = 1
    while step < T:
        head, tail = H[:, :-step], H[:, step:]
        if K <= 32:  # head[tail[j, t], t] for every j (np.choose takes at most 32 choices)
            H[:, :-step] = [np.choose(tail[j], head) for j in range(K)]
        else:
            H[:, :-step] = np.take_along_axis(head, tail, axis=0)
        step *= 2
    path = H[int(np.argmax(delta_last))].copy()
    return log_prob, path
