"""What every steppable algorithm shares: step, iterate and fit on top of
``initialize``, ``e_step`` and ``m_step``."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .state import FitState


class SteppableModel:
    """Base class: subclasses implement ``initialize``, ``e_step``, ``m_step``
    and ``_set_fitted`` (copy the final state to scikit-learn's attributes)."""

    max_iter: int

    def initialize(self, X) -> FitState:  # pragma: no cover - abstract
        raise NotImplementedError

    def e_step(self, X, state: FitState) -> FitState:  # pragma: no cover - abstract
        raise NotImplementedError

    def m_step(self, X, state: FitState) -> FitState:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self, X, state: FitState) -> FitState:
        """One full iteration: the E half-step, then the M half-step."""
        return self.m_step(X, self.e_step(X, state))

    def iterate(self, X) -> Iterator[FitState]:
        """Yield the initial state, then one state per full iteration, until
        converged or ``max_iter`` iterations."""
        state = self.initialize(X)
        yield state
        while not state.converged and state.iteration < self.max_iter:
            state = self.step(X, state)
            yield state

    def _run(self, X) -> FitState:
        state = None
        for state in self.iterate(X):
            pass
        return state

    def _set_fitted(self, X, state: FitState) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X, y=None):
        """Run from initialisation to convergence; set the fitted attributes."""
        X = np.asarray(X, dtype=np.float64)
        self._set_fitted(X, self._run(X))
        return self
