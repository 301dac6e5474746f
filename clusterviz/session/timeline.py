"""The timeline of a fit: its entries, the cursor, and the shown states.

Memory
------
The timeline stores `FitState.without_assignments` snapshots only, never an
(N, K) responsibility matrix: at N = 10**6 and K = 10 one such matrix is 80 MB.
The responsibilities of the state on screen are recomputed by one E-step and
kept for the last few cursor positions, so memory stays
O(N*K + iterations*K*D**2).

Which responsibilities are shown
--------------------------------
- "seed" entry (one k-means++ pick, see `clusterviz.session.seeding`) and
  "init" entry: none (points are drawn uncoloured).
- "E" entry: the E-step of its own parameters.
- "M" entry: the E-step of the *previous* entry's parameters -- the
  assignments that produced it -- so after "move centroids" the points keep
  their colours.

Stepping
--------
`Timeline.prepare_step` computes a step without changing anything;
`Timeline.apply` commits it unless the timeline changed meanwhile
(`version`). Away from the end a step replays the stored entries instead of
recomputing a different future. A full step asks the model for both halves
at once (``step_halves``), so a model can share work between them. Seed
entries are walked through like any other entry: they are always followed
by more entries, so stepping from one only moves the cursor.

Convergence
-----------
An entry flagged ``converged`` (the model's tolerance met) does not end the
timeline: a step from it goes on with the same run, because a tolerance is
only a guess that little is left to gain (EM on elongated clusters can
creep for hundreds of iterations and then win). Stepping stops at
``max_iter`` and at a *fixed point*: a converged entry at the end whose
parameters are exactly those of the entry one full iteration before, so
another step would repeat it (K-Means once no label changes). `run_steps`
(run to convergence, and Play in the UI) stops at the first entry that
`meets the tolerance <Timeline.met_tolerance>`; started from one, it goes on
to ``max_iter`` or a fixed point.

Threads
-------
`Session.prepare_step` may run on a worker thread while the owning thread
changes the session. It reads the version first, then the model, the
prepared data and the entries, once each; the owning thread moves the
version on *after* each change (a rebuilt model: `Timeline.bump`; new data
or entries: `Timeline.restart`), so a result computed from anything replaced
meanwhile carries an old version and `apply` drops it. The `Prepared` is
made by the data's owner whenever the data change, never by a step. The
one thing a step may add is to the `Prepared` itself: what the model builds
from the data on first use (K-Means' grid of cells, the centred data),
usually already built by the initialisation on the owning thread. Those
are pure functions of the read-only data, stored whole under one key, so
another thread sees none or a complete one, and two threads building at
once get equal values.
"""
from __future__ import annotations

import dataclasses
import numbers
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from clusterviz.model import FitState

__all__ = ["PendingStep", "Timeline", "at_fixed_point", "hard_labels", "run_steps", "run_stops",
           "with_assignments"]

# How many shown states (each with an N x K matrix) to keep for quick stepping
# back and forth; a small constant, so memory stays O(N*K).
CACHE_SIZE = 3
#: Entries whose shown state has no assignments.
UNASSIGNED_PHASES = ("seed", "init")


@dataclass(frozen=True, eq=False)
class PendingStep:
    """A step computed without touching the session (see `Session.prepare_step`).

    Lets a worker thread do the expensive E/M arithmetic while the GUI
    thread keeps reading the session; `Session.apply_step` then commits it
    on the GUI thread, unless the session changed in the meantime.

    Attributes
    ----------
    version : int
        The session's `version` when the step was computed.
    cursor : int
        The cursor the step starts from.
    new_cursor : int
        Where the cursor goes when applied.
    appended : tuple of FitState
        Snapshots (without assignments) to append to the timeline.
    shown : FitState or None
        The new shown state with its responsibilities, when the step computed
        it anyway; None means it is recomputed on demand.
    """

    version: int
    cursor: int
    new_cursor: int
    appended: tuple[FitState, ...] = ()
    shown: FitState | None = None

    @property
    def changes_anything(self) -> bool:
        """False when applying it would leave the session as it is."""
        return self.new_cursor != self.cursor or bool(self.appended)


def with_assignments(snapshot: FitState, assigned: FitState | None) -> FitState:
    """`snapshot`'s parameters, phase, objective and flags with `assigned`'s
    labels and responsibilities (arrays shared, not copied)."""
    if assigned is None:
        return snapshot
    return dataclasses.replace(snapshot, labels=assigned.labels,
                               soft_responsibilities=assigned.soft_responsibilities)


def hard_labels(state: FitState | None) -> np.ndarray | None:
    """Labels of a state, or the argmax of its soft responsibilities."""
    if state is None:
        return None
    if state.labels is not None:
        return state.labels
    if state.soft_responsibilities is not None:
        return np.argmax(state.soft_responsibilities, axis=1)
    return None


def check_index(index) -> int:
    """``index`` if it is a whole number, else a ValueError."""
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise ValueError(f"index={index!r} should be a whole number.")
    return int(index)


def run_stops(stepper, started_met: bool) -> bool:
    """Whether a run (run to convergence, Play) on ``stepper`` stops here:
    it cannot step, or it reached an entry that meets the tolerance and did
    not start on one (``started_met``: ``stepper.met_tolerance`` when the run
    began; a run started there goes on to ``max_iter`` or a fixed point)."""
    return not stepper.can_step or (bool(stepper.met_tolerance) and not started_met)


def run_steps(stepper, max_steps: int | None = None) -> int:
    """Take full steps on ``stepper`` (a `Session` or `SessionPair`) until
    `run_stops` says so, a step changes nothing, or ``max_steps`` were
    taken; returns how many."""
    if max_steps is not None and (
            isinstance(max_steps, bool) or not isinstance(max_steps, numbers.Integral) or max_steps < 0):
        raise ValueError(f"max_steps={max_steps!r} should be None or a whole number >= 0.")
    taken, started_met = 0, bool(stepper.met_tolerance)
    while max_steps is None or taken < max_steps:
        pending = stepper.prepare_step(half=False)
        if pending is None or not pending.changes_anything:
            break
        stepper.apply_step(pending)
        taken += 1
        if run_stops(stepper, started_met):
            break
    return taken


def _same_parameters(a: FitState, b: FitState) -> bool:
    return all((x is None and y is None) or (x is not None and y is not None and np.array_equal(x, y))
               for x, y in ((a.means, b.means), (a.weights, b.weights), (a.covariances, b.covariances)))


def at_fixed_point(entries: list[FitState], index: int) -> bool:
    """Whether entry ``index`` is converged and its parameters are exactly
    those of the entry one full iteration before (skipping the E half
    between them): another step would only repeat it."""
    entry = entries[index]
    if not entry.converged or entry.phase in ("E", "seed"):
        return False
    before = index - 1
    if before >= 0 and entries[before].phase == "E":
        before -= 1
    return before >= 0 and entries[before].phase != "seed" and _same_parameters(entry, entries[before])


class Timeline:
    """Entries (snapshots without assignments), a cursor, a version, and a
    small cache of shown states.

    The model and data are not kept here: methods that compute take the
    estimator and the prepared data of the moment (``model``, ``X``).
    """

    def __init__(self) -> None:
        self.entries: list[FitState] = []
        self.cursor = 0
        self.version = 0
        self._shown: OrderedDict[int, FitState] = OrderedDict()

    # -------------------------------------------------------------- reading
    @property
    def entry(self) -> FitState | None:
        return self.entries[self.cursor] if self.entries else None

    @property
    def objectives(self) -> np.ndarray:
        return np.fromiter((s.objective for s in self.entries), dtype=np.float64, count=len(self.entries))

    @property
    def iterations(self) -> np.ndarray:
        return np.fromiter((s.iteration for s in self.entries), dtype=np.int64, count=len(self.entries))

    @property
    def phases(self) -> tuple[str, ...]:
        return tuple(s.phase for s in self.entries)

    @property
    def fit_entries(self) -> np.ndarray:
        """True for entries of the fit proper, False for k-means++ picks."""
        return np.array([s.phase != "seed" for s in self.entries], dtype=bool)

    @property
    def n_seeds(self) -> int:
        """How many "seed" entries open the timeline (the first fit entry's index)."""
        n = 0
        while n < len(self.entries) and self.entries[n].phase == "seed":
            n += 1
        return n

    def state_at(self, index: int, model, X, entries: list[FitState] | None = None) -> FitState:
        """The shown state of entry ``index`` (with assignments).

        ``entries`` given (the list read once by a worker thread): the cache
        is only read, never written (`apply` remembers on the GUI thread).
        """
        reading = entries is not None
        entries = self.entries if entries is None else entries
        cached = self._shown.get(index)
        if cached is not None:
            if not reading:
                self._shown.move_to_end(index)
            return cached
        entry = entries[index]
        if entry.phase in UNASSIGNED_PHASES:
            shown = entry
        elif entry.phase == "M" and index > 0 and entries[index - 1].phase == "E":
            # The E entry before it holds exactly the assignments that produced it.
            shown = with_assignments(entry, self.state_at(index - 1, model, X, entries if reading else None))
        else:
            source = entry if entry.phase == "E" else entries[index - 1]
            shown = with_assignments(entry, model.e_step(X, source))
        if not reading:
            self.remember(index, shown)
        return shown

    def remember(self, index: int, shown: FitState) -> None:
        self._shown[index] = shown
        self._shown.move_to_end(index)
        while len(self._shown) > CACHE_SIZE:
            self._shown.popitem(last=False)

    def n_changed(self, model, X, index: int | None = None) -> int | None:
        """How many points changed cluster at entry ``index`` (default: the
        cursor) versus the entry before it; None if that has no labels. An
        M entry after its E entry reports the E's change: it moves the
        parameters, the E-step moved the points."""
        index = self.cursor if index is None else index
        if not self.entries or index == 0:
            return None
        entry, previous = self.entries[index], self.entries[index - 1]
        if entry.phase == "M" and previous.phase == "E":
            return self.n_changed(model, X, index - 1)
        now = hard_labels(self.state_at(index, model, X))
        before = hard_labels(self.state_at(index - 1, model, X))
        if now is None or before is None:
            return None
        return int(np.count_nonzero(now != before))

    def reached_max_iter(self, max_iter: int) -> bool:
        """At the end with `max_iter` full iterations done."""
        if not self.entries or self.cursor < len(self.entries) - 1:
            return False
        entry = self.entries[self.cursor]
        return entry.phase != "E" and entry.iteration >= max_iter

    @property
    def met_tolerance(self) -> bool:
        """The shown entry is converged and completes an iteration (not an E half)."""
        entry = self.entry
        return entry is not None and bool(entry.converged) and entry.phase != "E"

    def can_step(self, max_iter: int) -> bool:
        """Whether a step would change anything: False without entries, at
        the end after ``max_iter`` iterations, or at the end on a fixed point."""
        if not self.entries or self.reached_max_iter(max_iter):
            return False
        return self.cursor < len(self.entries) - 1 or not at_fixed_point(self.entries, self.cursor)

    # ------------------------------------------------------------- changing
    def restart(self, entries: list[FitState] | tuple[FitState, ...] = ()) -> None:
        """New entries (none: no fit), cursor 0, cache cleared, version moved on."""
        self.entries = list(entries)
        self.cursor = 0
        self._shown.clear()
        self.version += 1

    def start_from(self, entry: FitState, after_picks: bool = True, problem: str | None = None,
                   model=None, X=None) -> None:
        """Restart with the pick entries (``after_picks``) and then ``entry``,
        an "init" state (stored without assignments), the entries unchanged
        if it raises.

        Raises
        ------
        ValueError
            For another phase; when ``entry``'s means, weights or covariances
            do not have the shapes of the current start; or when there are
            no entries (``problem`` says why).
        ModelError
            When ``model`` (given with the data ``X``) cannot use the
            parameters (not finite, a covariance not positive definite).
        """
        if not isinstance(entry, FitState) or entry.phase != "init":
            raise ValueError(f"entry={entry!r} should be a FitState of phase 'init'.")
        if not self.entries:
            raise ValueError(f"There is no fit to start: {problem}")
        start = self.entries[self.n_seeds]
        for name in ("means", "weights", "covariances"):
            given, wanted = getattr(entry, name), getattr(start, name)
            given_shape = None if given is None else np.shape(given)
            wanted_shape = None if wanted is None else np.shape(wanted)
            if given_shape != wanted_shape:
                raise ValueError(f"entry.{name} has shape {given_shape}, but this fit's start has {wanted_shape}.")
        if model is not None:
            model.e_step(X, entry.without_assignments())
        self.restart((self.entries[:self.n_seeds] if after_picks else []) + [entry.without_assignments()])

    def bump(self) -> None:
        """Move the version on, the entries kept (the model was rebuilt, e.g.
        with another max_iter): a step prepared before is never applied.
        Call it after the change, so a reader of the new version sees it."""
        self.version += 1

    def seek(self, index: int) -> None:
        """Move the cursor to ``index`` (a whole number), clamped to the entries."""
        check_index(index)
        if self.entries:
            self.cursor = int(min(max(int(index), 0), len(self.entries) - 1))

    def prepare_step(self, model, X, max_iter: int, half: bool = False, version: int | None = None
                     ) -> PendingStep | None:
        """The next step, computed without changing anything (see the module
        docstring); None when there is no fit. Raises ModelError if the
        model cannot take the step.

        ``version``: the version read before ``model`` and ``X`` were (by
        default, now), so a result computed from a model or data replaced
        meanwhile is recognised as stale.
        """
        # Read everything once: on a worker thread, the GUI thread may replace
        # the data, model or timeline meanwhile (apply then drops the result).
        version = self.version if version is None else version
        cursor, entries = self.cursor, self.entries
        if not entries:
            return None
        last = len(entries) - 1
        entry = entries[cursor]
        nothing = PendingStep(version, cursor, cursor)
        if cursor < last:
            # Replay: never recompute a different future.
            if half or entry.phase == "E" or entries[cursor + 1].phase != "E":
                return PendingStep(version, cursor, cursor + 1)
            if cursor + 1 < last:
                return PendingStep(version, cursor, cursor + 2)
            # The next entry is an E at the end: replay it and compute its M.
            shown_e = self.state_at(cursor + 1, model, X, entries)
            m = model.m_step(X, shown_e).without_assignments()
            return PendingStep(version, cursor, cursor + 2, (m,), with_assignments(m, shown_e))
        shown = self.state_at(cursor, model, X, entries)
        if entry.phase == "E":
            m = model.m_step(X, shown).without_assignments()
            return PendingStep(version, cursor, cursor + 1, (m,), with_assignments(m, shown))
        if entry.iteration >= max_iter or at_fixed_point(entries, cursor):
            return nothing
        if half:
            e = model.e_step(X, shown)
            snapshot = e.without_assignments()
            return PendingStep(version, cursor, cursor + 1, (snapshot,), with_assignments(snapshot, e))
        # both halves in one call: the model may share work between them (K-Means' cluster sums)
        e, m = model.step_halves(X, shown)
        m = m.without_assignments()
        return PendingStep(version, cursor, cursor + 1, (m,), with_assignments(m, e))

    def is_current(self, pending: PendingStep | None) -> bool:
        return pending is not None and pending.version == self.version and pending.cursor == self.cursor

    def apply(self, pending: PendingStep | None) -> bool:
        """Commit ``pending``; False (nothing changes) when it is stale."""
        if not self.is_current(pending):
            return False
        if pending.appended:
            self.entries.extend(pending.appended)
            self.version += 1
        self.cursor = pending.new_cursor
        if pending.shown is not None:
            self.remember(pending.new_cursor, pending.shown)
        return True
