"""The immutable state of a fit, shared by every algorithm."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np

Phase = Literal["seed", "init", "E", "M"]


class ModelError(ValueError):
    """A fit cannot go on; the message is a sentence a student understands."""


@dataclass(frozen=True, eq=False)
class FitState:
    """One moment of a fit: the parameters and, where known, the assignments.

    Attributes
    ----------
    iteration : int
        Completed full iterations (0 at initialisation; an E half-step keeps
        the number of the iteration it starts, the M half-step completes it).
    phase : {"seed", "init", "E", "M"}
        What produced this state; "seed" marks one k-means++ pick shown
        before the initial state (see `seeding`).
    means : ndarray of shape (n_clusters, n_features)
    weights : ndarray of shape (n_clusters,)
        Mixing weights (cluster fractions for K-Means).
    objective : float
        K-Means: distortion J = sum of squared distances of every point to the
        centre of its cluster (PRML (9.1)). Mixtures: the total log-likelihood
        sum_n log p(x_n) of this state's parameters (PRML (9.14)).
    covariances : ndarray of shape (n_clusters, n_features, n_features) or None
        Always full matrices (diag/spherical/tied expanded); None for K-Means.
    labels : ndarray of shape (n_samples,) or None
        Hard assignment of every point; None before the first E-step.
    soft_responsibilities : ndarray of shape (n_samples, n_clusters) or None
        Stored responsibilities of soft models; None for hard ones, whose
        one-hot matrix :attr:`responsibilities` builds on demand.
    converged : bool
    notes : tuple of str
        What happened that a teacher should see ("cluster 2 was empty ...").
    seeding : SeedingPick or None
        For a "seed" entry, the k-means++ pick it shows (probabilities,
        candidates, chosen point); its means are the centres picked so far
        and its objective their potential (total D^2). None otherwise.
    startprob : ndarray of shape (n_clusters,) or None
        Hidden Markov models: p(z_1 = k), the probability that a sequence
        starts in state k (PRML (13.8)). None for the i.i.d. algorithms.
    transmat : ndarray of shape (n_clusters, n_clusters) or None
        Hidden Markov models: A_jk = p(z_t = k | z_{t-1} = j), rows sum to 1
        (PRML (13.7)). None for the i.i.d. algorithms. (``weights`` of a
        hidden Markov model are the long-run share of time in each state.)
    transition_counts : ndarray of shape (n_clusters, n_clusters) or None
        Hidden Markov models after an E-step: the expected number of j -> k
        transitions, sum_t xi_t(j, k) (PRML (13.43)), which the M-step turns
        into ``transmat``. Kept by :meth:`without_assignments` (it is K x K,
        not N x K). None otherwise.
    """

    iteration: int
    phase: Phase
    means: np.ndarray
    weights: np.ndarray
    objective: float
    covariances: np.ndarray | None = None
    labels: np.ndarray | None = None
    soft_responsibilities: np.ndarray | None = None
    converged: bool = False
    notes: tuple[str, ...] = field(default=())
    seeding: object | None = None
    startprob: np.ndarray | None = None
    transmat: np.ndarray | None = None
    transition_counts: np.ndarray | None = None

    @cached_property
    def responsibilities(self) -> np.ndarray | None:
        """ndarray of shape (n_samples, n_clusters), or None before any E-step.

        Soft models return their stored matrix; hard ones a one-hot matrix
        built from :attr:`labels` the first time it is asked for.
        """
        if self.soft_responsibilities is not None:
            return self.soft_responsibilities
        if self.labels is None:
            return None
        one_hot = np.zeros((self.labels.shape[0], self.means.shape[0]))
        one_hot[np.arange(self.labels.shape[0]), self.labels] = 1.0
        return one_hot

    def responsibility_row(self, index: int) -> np.ndarray | None:
        """The responsibilities of one point, shape (n_clusters,), without
        building the whole one-hot matrix of a hard model; None before any
        E-step."""
        if self.soft_responsibilities is not None:
            return np.array(self.soft_responsibilities[index])
        if self.labels is None:
            return None
        row = np.zeros(self.means.shape[0])
        row[self.labels[index]] = 1.0
        return row

    @property
    def n_points(self) -> int | None:
        """How many points the assignments cover (None before any E-step)."""
        for value in (self.soft_responsibilities, self.labels):
            if value is not None:
                return int(value.shape[0])
        return None

    @property
    def n_clusters(self) -> int:
        return int(self.means.shape[0])

    def without_assignments(self) -> "FitState":
        """A copy holding only parameters (what a timeline stores)."""
        return replace(self, labels=None, soft_responsibilities=None)
