"""Placing the initial centres: k-means++ one pick at a time, so the UI can
show it, and Forgy's random points. numpy only.

:func:`kmeans_plusplus_picks` is the seeding itself: a generator that yields
one :class:`SeedingPick` per chosen centre. :func:`kmeans_plusplus`
consumes it, so stepping through the picks shows exactly the centres that
``KMeans(init="k-means++", random_state=seed)`` starts from. Every function
takes an array or a :class:`~clusterviz.model.prepared.Prepared`.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ._common import checked_data, quiet, sq_dist_to, squared_norms
from .validation import as_generator, check_n_clusters

__all__ = ["SeedingPick", "kmeans_plusplus", "kmeans_plusplus_picks", "random_init"]


@dataclass(frozen=True, eq=False)
class SeedingPick:
    """One step of greedy k-means++ seeding.

    Attributes
    ----------
    number : int
        0 for the first centre, 1 for the second, ...
    probabilities : ndarray of shape (n_samples,)
        The probability with which each point was drawn as a candidate for
        this pick: uniform for the first centre, D(x)^2 / sum D^2 after
        (D(x) = distance to the nearest centre chosen so far).
    candidates : ndarray of shape (n_candidates,)
        Indices of the points drawn (1 for the first centre, 2 + floor(ln K)
        after); the greedy variant keeps the best of them.
    candidate_potentials : ndarray of shape (n_candidates,)
        Total D^2 (the distortion to the centres so far) if each candidate
        were chosen; the chosen one has the lowest.
    chosen : int
        Index of the point that became the centre.
    centers : ndarray of shape (number + 1, n_features)
        All centres chosen so far, this one last.
    indices : ndarray of shape (number + 1,)
        Their indices in X.
    potential : float
        Total D^2 after this pick.
    """

    number: int
    probabilities: np.ndarray
    candidates: np.ndarray
    candidate_potentials: np.ndarray
    chosen: int
    centers: np.ndarray
    indices: np.ndarray
    potential: float


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def kmeans_plusplus_picks(X, n_clusters: int, rng=None) -> Iterator[SeedingPick]:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii 2007), one pick per ``next``.

    The first centre is a uniformly chosen point; each further centre is the
    best (lowest resulting total D^2) of 2 + floor(ln K) candidates drawn
    with probability proportional to D^2, the squared distance to the nearest
    centre chosen so far, as scikit-learn does.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or Prepared
    n_clusters : int
    rng : np.random.Generator, int or None
        The only source of randomness; it is consumed exactly as
        :func:`kmeans_plusplus` consumes it.

    Yields
    ------
    SeedingPick
        ``n_clusters`` of them.

    Raises
    ------
    ModelError
        If X is invalid or has fewer than ``n_clusters`` points (on the first ``next``).
    """
    n_clusters = check_n_clusters(n_clusters)
    data = checked_data(X, n_clusters)
    rng = as_generator(rng)
    X = data.X
    n_samples = X.shape[0]
    xc = data.centred()
    xx = squared_norms(data)
    n_trials = 2 + int(math.log(n_clusters))
    indices = np.empty(n_clusters, dtype=np.intp)
    indices[0] = rng.integers(n_samples)
    with np.errstate(over="ignore", invalid="ignore"):
        closest = sq_dist_to(xc, xx, xc[indices[:1]])[0]
    closest[indices[0]] = 0.0  # exactly, whatever the round-off of the expansion
    potential = closest.sum()
    yield SeedingPick(number=0, probabilities=_frozen(np.full(n_samples, 1.0 / n_samples)),
                      candidates=_frozen(indices[:1].copy()),
                      candidate_potentials=_frozen(np.array([potential])), chosen=int(indices[0]),
                      centers=_frozen(X[indices[:1]].copy()), indices=_frozen(indices[:1].copy()),
                      potential=float(potential))
    for c in range(1, n_clusters):
        with np.errstate(over="ignore", invalid="ignore"):
            if potential > 0:
                probabilities = closest / potential
                targets = rng.random(n_trials) * potential
                candidates = np.searchsorted(np.cumsum(closest), targets)
                np.clip(candidates, None, n_samples - 1, out=candidates)
            else:  # every point already sits on a centre (duplicates): any point will do
                probabilities = np.full(n_samples, 1.0 / n_samples)
                candidates = rng.integers(n_samples, size=n_trials)
            d = sq_dist_to(xc, xx, xc[candidates])
            d[np.arange(candidates.size), candidates] = 0.0
            np.minimum(closest, d, out=d)
            pots = d.sum(axis=1)
        best = int(np.argmin(pots))
        potential = pots[best]
        closest = d[best]
        indices[c] = candidates[best]
        yield SeedingPick(number=c, probabilities=_frozen(probabilities), candidates=_frozen(candidates.copy()),
                          candidate_potentials=_frozen(pots.copy()), chosen=int(indices[c]),
                          centers=_frozen(X[indices[:c + 1]].copy()), indices=_frozen(indices[:c + 1].copy()),
                          potential=float(potential))


@quiet
def kmeans_plusplus(X, n_clusters: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii 2007).

    The first centre is a uniformly chosen point; each further centre is the
    best (lowest resulting distortion) of 2 + floor(ln K) candidates drawn
    with probability proportional to the squared distance to the nearest
    centre chosen so far, as scikit-learn does.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or Prepared
    n_clusters : int
    rng : np.random.Generator, int or None
        The only source of randomness.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    indices : ndarray of shape (n_clusters,)
        ``X[indices] == centers``.
    """
    pick = None
    for pick in kmeans_plusplus_picks(X, n_clusters, rng):
        pass
    return np.array(pick.centers), np.array(pick.indices, dtype=np.intp)


def random_init(X, n_clusters: int, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Forgy initialisation: K distinct data points chosen uniformly.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
    indices : ndarray of shape (n_clusters,)
    """
    n_clusters = check_n_clusters(n_clusters)
    X = checked_data(X, n_clusters).X
    rng = as_generator(rng)
    indices = np.sort(rng.choice(X.shape[0], size=n_clusters, replace=False))
    return X[indices].copy(), indices
