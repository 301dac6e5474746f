"""What every steppable algorithm shares: step, iterate and fit on top of
``initialize``, ``e_step`` and ``m_step``, and the questions the app's
layers and sessions ask of any algorithm (``region_labels``,
``log_density``, ``restart``), so that nothing outside an estimator needs
to know which algorithm it is.

Every method takes the data as an array or as a
:class:`~clusterviz.model.prepared.Prepared` (prepared once by the data's
owner and passed to every step). Stepping big data many times, prepare them
once (``prepare(X)``): a raw array is measured afresh on every call."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .prepared import as_prepared, prepare
from .state import FitState


class SteppableModel:
    """Base class: subclasses implement ``initialize``, ``e_step``,
    ``m_step``, ``restart``, ``region_labels`` and ``_set_fitted`` (copy the
    final state to scikit-learn's attributes); models with a density
    override ``log_density``, and a model may override ``step_halves`` to
    share work between its two halves."""

    max_iter: int

    def initialize(self, X) -> FitState:  # pragma: no cover - abstract
        raise NotImplementedError

    def e_step(self, X, state: FitState) -> FitState:  # pragma: no cover - abstract
        raise NotImplementedError

    def m_step(self, X, state: FitState) -> FitState:  # pragma: no cover - abstract
        raise NotImplementedError

    def restart(self, X, snapshot: FitState) -> FitState:  # pragma: no cover - abstract
        """A new "init" state holding ``snapshot``'s parameters, its objective
        (and for K-Means its weights, the cluster fractions) measured on ``X``:
        where a run goes on after the data were edited."""
        raise NotImplementedError

    def region_labels(self, X, state: FitState) -> np.ndarray:  # pragma: no cover - abstract
        """The cluster every row of X would be assigned to under ``state``'s
        parameters (nearest mean, or most responsible component)."""
        raise NotImplementedError

    def log_density(self, X, state: FitState) -> np.ndarray | None:
        """log p(x) of every row of X under ``state``'s parameters, or None
        when the model defines no density (K-Means)."""
        return None

    def layer_values(self, X, state: FitState, labels: bool = True,
                     density: bool = True) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(:meth:`region_labels` or None, :meth:`log_density` or None), as
        asked; a model may compute both in one pass."""
        return (self.region_labels(X, state) if labels else None,
                self.log_density(X, state) if density else None)

    def step_halves(self, X, state: FitState) -> tuple[FitState, FitState]:
        """One full iteration, both halves: (the E half-step's state, the M
        half-step's state computed from it). A model may share work between
        the two (K-Means' cluster sums); the results are those of
        ``e_step`` and ``m_step`` bit for bit."""
        data = as_prepared(X)
        e = self.e_step(data, state)
        return e, self.m_step(data, e)

    def step(self, X, state: FitState) -> FitState:
        """One full iteration: the E half-step, then the M half-step."""
        return self.step_halves(X, state)[1]

    def iterate(self, X, lengths=None) -> Iterator[FitState]:
        """Yield the initial state, then one state per full iteration, until
        converged or ``max_iter`` iterations. The data are prepared (copied,
        unless already prepared) once for the whole run; ``lengths`` (the
        rows as consecutive sequences, see
        :func:`~clusterviz.model.prepared.check_lengths`) matter to sequence
        models only."""
        data = prepare(X, lengths)
        state = self.initialize(data)
        yield state
        while not state.converged and state.iteration < self.max_iter:
            state = self.step(data, state)
            yield state

    def _run(self, data, state: FitState) -> FitState:
        while not state.converged and state.iteration < self.max_iter:
            state = self.step(data, state)
        return state

    def _set_fitted(self, data, state: FitState) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X, y=None):
        """Run from initialisation to convergence; set the fitted attributes.
        The data are prepared once for the call."""
        data = as_prepared(X)
        self._set_fitted(data, self._run(data, self.initialize(data)))
        return self
