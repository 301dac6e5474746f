"""Two sessions stepped together: K-Means beside full-covariance EM.

A `SessionPair` holds two `Session` objects on the same data, K, init and
seed (and hand-placed means, if any) and offers the stepping protocol a
`Session` offers the UI's controller (`prepare_step` / `apply_step` /
`is_current`, `step`, `half_step`, `step_back`, `seek`, `reset`,
`run_to_convergence`, `version`, `cursor`, `can_step`, ...), so one
controller plays a pair exactly as it plays a session.

Lockstep: the shared step is the furthest cursor (`cursor`); a side that has
met its tolerance (`Session.met_tolerance`) or stopped waits at its entry
while the other goes on -- unlike a single session, a pair does not step past
convergence, so both sides end where their algorithm says it is done -- and
`seek(t)` shows every side's entry ``min(t, last)``. The two algorithms are
taken from the registry: the first hard one (K-Means) and the first that
fits full covariances (EM).

A side whose step fails (a `ModelError`) waits and keeps the sentence in
`errors` while the other side goes on; only when every side that tried
failed does the step raise, as a session's would.
"""
from __future__ import annotations

from dataclasses import dataclass

from clusterviz.data import Dataset
from clusterviz.model import ModelError, registry

from .facade import Session
from .timeline import PendingStep, check_index, run_steps

__all__ = ["PAIR_ALGORITHMS", "PairStep", "SessionPair"]

#: The covariance structure the EM side fits.
PAIR_COVARIANCE = "full"
#: (hard algorithm, algorithm with full covariances): K-Means and EM.
PAIR_ALGORITHMS: tuple[str, str] = (
    next(entry.name for entry in registry.ALGORITHMS.values() if entry.hard),
    next(entry.name for entry in registry.ALGORITHMS.values() if PAIR_COVARIANCE in entry.covariance_types),
)


@dataclass(frozen=True, eq=False)
class PairStep:
    """A step of both sides computed without touching them (see `SessionPair.prepare_step`).

    Attributes
    ----------
    version : int
        The pair's `version` when it was computed.
    steps : tuple of (PendingStep or None)
        One per side; None for a side that waits or failed.
    errors : tuple of (str or None)
        One per side: why its step failed (a `ModelError`'s sentence), or None.
    """

    version: int
    steps: tuple[PendingStep | None, ...]
    errors: tuple[str | None, ...] = ()

    @property
    def changes_anything(self) -> bool:
        """False when applying it would leave both sides as they are."""
        return any(step is not None and step.changes_anything for step in self.steps)


class SessionPair:
    """K-Means and full-covariance EM on the same data, stepped together.

    Parameters
    ----------
    dataset : Dataset
    n_clusters : int >= 1
    init : {"random", "k-means++"}
    seed : int >= 0
    initial_means : array_like of shape (n_clusters, n_features) or None
        Hand-placed means for both sides (K follows).
    max_iter : int >= 1
    algorithms : (str, str)
        Registry names, left side first (default: K-Means and EM).
    covariance_type : str
        For sides whose algorithm fits covariances (default: full).
    share_start : bool
        Without ``initial_means``: start the right side from the left
        side's initial means (for a pair whose algorithms would not draw
        the same start from the same seed).

    Raises
    ------
    ValueError
        If a setting is not allowed.
    """

    def __init__(self, dataset: Dataset, n_clusters: int = 3, *, init: str = "k-means++", seed: int = 0,
                 initial_means=None, max_iter: int = 300, algorithms: tuple[str, str] = PAIR_ALGORITHMS,
                 covariance_type: str = PAIR_COVARIANCE, share_start: bool = False) -> None:
        self.sessions: dict[str, Session] = {}
        for name in algorithms:
            session = Session(dataset, algorithm=name, n_clusters=n_clusters, init=init, seed=seed,
                              covariance_type=covariance_type, max_iter=max_iter)
            if initial_means is not None:
                session.set_initial_means(initial_means)
            elif share_start and self.sessions:
                first = next(iter(self.sessions.values()))
                if first.timeline:
                    session.set_initial_means(first.timeline[first.n_seed_entries].means)
            self.sessions[name] = session
        #: Why each side's last step failed, or None (cleared by every step, seek and reset).
        self.errors: dict[str, str | None] = {name: None for name in self.sessions}

    @classmethod
    def from_session(cls, session: Session) -> SessionPair:
        """A pair on ``session``'s data, K, init, seed, hand-placed means and max_iter."""
        return cls(session.dataset, session.n_clusters, init=session.init, seed=session.seed,
                   initial_means=session.initial_means, max_iter=session.max_iter)

    @property
    def sides(self) -> tuple[Session, ...]:
        """The two sessions, K-Means first."""
        return tuple(self.sessions.values())

    # -------------------------------------------------------------- reading
    @property
    def dataset(self) -> Dataset:
        return self.sides[0].dataset

    @property
    def n_points(self) -> int:
        return self.sides[0].n_points

    @property
    def n_clusters(self) -> int:
        return self.sides[0].n_clusters

    @property
    def version(self) -> int:
        """Increases whenever either side's version does."""
        return sum(s.version for s in self.sides)

    @property
    def cursor(self) -> int:
        """The shared step: the furthest side's cursor."""
        return max((s.cursor for s in self.sides if s.timeline), default=0)

    @property
    def timeline(self) -> list[tuple]:
        """For every shared step t, the entry each side shows there
        (its entry ``min(t, last)``)."""
        entries = [s.timeline for s in self.sides]
        if not all(entries):
            return []
        length = max(len(e) for e in entries)
        return [tuple(e[min(t, len(e) - 1)] for e in entries) for t in range(length)]

    @property
    def state(self) -> tuple | None:
        """The shown state of each side (None for a side without a fit), or
        None when neither side has a fit."""
        states = tuple(s.state for s in self.sides)
        return None if all(state is None for state in states) else states

    @property
    def entry(self) -> tuple | None:
        """The timeline entry each side shows, or None when neither has a fit."""
        entries = tuple(s.entry for s in self.sides)
        return None if all(entry is None for entry in entries) else entries

    @property
    def problem(self) -> str | None:
        """The first side's reason for having no fit, or None."""
        return next((s.problem for s in self.sides if s.problem is not None), None)

    @property
    def can_step(self) -> bool:
        """Whether a step would move either side."""
        return any(_steps(s) for s in self.sides)

    @property
    def converged(self) -> bool:
        """Whether both sides are converged."""
        return all(s.converged for s in self.sides)

    def goes_on(self, name: str) -> bool:
        """Whether the side ``name`` (a registry name) steps with the pair: it
        can step and has not met its tolerance (a side past it waits)."""
        return _steps(self.sessions[name])

    @property
    def met_tolerance(self) -> bool:
        """Whether every side with a fit shows an entry meeting its tolerance."""
        return all(s.met_tolerance for s in self.sides if s.timeline)

    @property
    def at_start(self) -> bool:
        return self.cursor == 0

    @property
    def at_end(self) -> bool:
        return all(s.at_end for s in self.sides)

    # ------------------------------------------------------------- stepping
    def prepare_step(self, half: bool = False) -> PairStep | None:
        """Both sides' next step, computed without changing them (safe on a
        worker thread); a side that cannot step waits. None without a fit.
        Raises ModelError if a side cannot take its step."""
        if not any(s.timeline for s in self.sides):
            return None
        version, steps, errors, first = self.version, [], [], None
        for s in self.sides:
            step = error = None
            if _steps(s):
                try:
                    step = s.prepare_step(half)
                except ModelError as err:
                    error, first = str(err), first or err
            steps.append(step)
            errors.append(error)
        if first is not None and all(step is None for step in steps):
            raise first
        return PairStep(version, tuple(steps), tuple(errors))

    def is_current(self, pending: PairStep | None) -> bool:
        """Whether ``pending`` was computed from the pair as it is now."""
        return (isinstance(pending, PairStep) and pending.version == self.version
                and all(step is None or s.is_current(step) for s, step in zip(self.sides, pending.steps)))

    def apply_step(self, pending: PairStep | None) -> tuple | None:
        """Commit a step from `prepare_step`; the new shown states, or None
        (nothing changes) when ``pending`` is None or stale."""
        if not self.is_current(pending):
            return None
        for (name, s), step, error in zip(self.sessions.items(), pending.steps, pending.errors):
            self.errors[name] = error
            if step is not None:
                s.apply_step(step)
        return self.state

    def step(self) -> tuple | None:
        """One full iteration on every side that can step."""
        self.apply_step(self.prepare_step(half=False))
        return self.state

    def half_step(self) -> tuple | None:
        """One half-step on every side that can step."""
        self.apply_step(self.prepare_step(half=True))
        return self.state

    def seek(self, index: int) -> tuple | None:
        """Show shared step ``index`` (clamped): every side its entry ``min(index, last)``."""
        index = check_index(index)
        last = max((len(s.timeline) - 1 for s in self.sides), default=0)
        index = int(min(max(int(index), 0), max(last, 0)))
        self.errors = dict.fromkeys(self.sessions)
        for s in self.sides:
            if s.timeline:
                s.seek(min(index, len(s.timeline) - 1))
        return self.state

    def step_back(self) -> tuple | None:
        """Show the previous shared step."""
        return self.seek(self.cursor - 1)

    def run_to_convergence(self, max_steps: int | None = None) -> tuple | None:
        """Step both sides until neither moves, or ``max_steps`` steps."""
        run_steps(self, max_steps)
        return self.state

    def reset(self) -> tuple | None:
        """Both sides back to the shared start."""
        self.errors = dict.fromkeys(self.sessions)
        for s in self.sides:
            s.reset()
        return self.state

    def __repr__(self) -> str:
        return f"SessionPair({', '.join(map(repr, self.sides))})"


def _steps(side: Session) -> bool:
    """Whether a side steps with the pair: it can, and has not met its tolerance."""
    return side.can_step and not side.met_tolerance
