"""The Qt-free heart of clusterviz: data, settings and the timeline of a fit.

A `Session` holds the data set, the chosen algorithm and its settings, the
seed, and a *timeline*: the list of parameter snapshots (means, covariances,
weights, objective, phase) produced by initialisation, E half-steps and M
half-steps, with a *cursor* on the one shown. Every user action is a method
here; none emits anything (a small ``QObject`` adapter in ``clusterviz.ui``
calls the session and emits Qt signals).

Memory
------
The timeline stores `FitState.without_assignments` snapshots only, never an
(N, K) responsibility matrix: at N = 10**6 and K = 10 one such matrix is 80 MB.
The responsibilities of the state on screen are recomputed by one E-step and
kept for the last few cursor positions, so memory stays
O(N*K + iterations*K*D**2).

Which responsibilities are shown
--------------------------------
- "init" entry: none (points are drawn uncoloured).
- "E" entry: the E-step of its own parameters.
- "M" entry: the E-step of the *previous* entry's parameters -- the
  assignments that produced it -- so after "move centroids" the points keep
  their colours.

Design choices
--------------
- Changing K, the algorithm, the initialisation, the seed, the covariance
  type (GMM) or beta (soft K-Means), or loading a data set re-initialises:
  the timeline becomes ``[init]``. A setter called with the current value, or
  with a setting the current algorithm does not use (beta for K-Means, the
  covariance type outside the GMM), changes nothing else.
- Editing the data restarts the timeline from the *shown* parameters: a new
  "init" entry with the same means, covariances and weights, its objective
  recomputed on the new data. With fewer than K points left there is no
  state and `problem` says why; once there are K points again, the fit is
  initialised afresh.
- A `ModelError` during a step leaves the timeline as it was and propagates
  to the caller. A `ModelError` while *initialising* (after a setting or data
  change) is not raised: `state` becomes None and `problem` holds the
  model's sentence, because the setting itself was valid.
- True classes (``dataset.labels``) follow the edits: removed points take
  their class with them, moved points keep it, `add_points` with `classes`
  gives the new points theirs (without, the classes are dropped), and
  `set_data` with `classes` restores them exactly (undo). With classes,
  `adjusted_rand` and the info line compare the clustering with them.
"""
from __future__ import annotations

import dataclasses
import numbers
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from clusterviz.data import Dataset, builtin_dataset
from clusterviz.data.transform import project_points
from clusterviz.model import FitState, ModelError
from clusterviz.model.gmm import GaussianMixture, broad_start
from clusterviz.model.kmeans import KMeans
from clusterviz.model.metrics import adjusted_rand_index
from clusterviz.model.soft_kmeans import SoftKMeans

__all__ = [
    "ALGORITHMS",
    "ALGORITHM_NAMES",
    "COVARIANCE_TYPES",
    "INITS",
    "PendingStep",
    "Session",
    "default_class_name",
    "format_setting",
]

ALGORITHMS: tuple[str, ...] = ("kmeans", "gmm", "soft-kmeans")
INITS: tuple[str, ...] = ("random", "k-means++")
COVARIANCE_TYPES: tuple[str, ...] = ("full", "tied", "diag", "spherical")

#: Human-readable name of each algorithm (for menus and status lines).
ALGORITHM_NAMES: dict[str, str] = {
    "kmeans": "K-Means",
    "gmm": "Gaussian mixture (EM)",
    "soft-kmeans": "Soft K-Means",
}

_PHASE_NAMES = {"init": "Initialisation", "E": "E-step", "M": "M-step"}
_RESTART_NOTE = "Restarted from the current parameters because the data changed."
_KEEP = object()  # "argument not given" for set_data's classes
# How many shown states (each with an N x K matrix) to keep for quick stepping
# back and forth; a small constant, so memory stays O(N*K).
_CACHE_SIZE = 3


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


def _with_assignments(snapshot: FitState, assigned: FitState | None) -> FitState:
    """`snapshot`'s parameters, phase, objective and flags with `assigned`'s
    labels and responsibilities (arrays shared, not copied), and the carry
    that belongs to them (so an M half-step computes what a full step does)."""
    if assigned is None:
        return snapshot
    return dataclasses.replace(
        snapshot, labels=assigned.labels, soft_responsibilities=assigned.soft_responsibilities,
        carry=assigned.carry,
    )


def _hard_labels(state: FitState | None) -> np.ndarray | None:
    """Labels of a state, or the argmax of its soft responsibilities."""
    if state is None:
        return None
    if state.labels is not None:
        return state.labels
    if state.soft_responsibilities is not None:
        return np.argmax(state.soft_responsibilities, axis=1)
    return None


def _format_number(value: float) -> str:
    if value == 0 or 1e-2 <= abs(value) < 1e9:
        return f"{value:.2f}"
    return f"{value:.4g}"


def format_setting(value: float) -> str:
    """Three significant digits without an exponent: 1000, 0.3, 0.0005."""
    return np.format_float_positional(value, precision=3, unique=True, fractional=False, trim="-")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def default_class_name(code: int) -> str:
    """Name of a true class painted by hand: code 0 is "Class 1"."""
    return f"Class {int(code) + 1}"


class Session:
    """Data set, algorithm settings, seed and the timeline of one fit.

    Parameters
    ----------
    dataset : Dataset or None
        The points to cluster (all columns are fitted). None starts with the
        built-in "empty" data set (no points; the user clicks some).
    algorithm : {"kmeans", "gmm", "soft-kmeans"}
    n_clusters : int >= 1
        K. More clusters than points is allowed: there is then no state and
        `problem` says how many points to add.
    init : {"random", "k-means++"}
        How the initial means are chosen; the GMM starts from the same means
        as K-Means would, with equal weights and the data's covariance.
    seed : int >= 0
        Seeds every random choice, so `reset` reproduces the same start.
    covariance_type : {"full", "tied", "diag", "spherical"}
        Used by the GMM only.
    beta : float > 0
        Stiffness of soft K-Means (used by soft K-Means only).
    max_iter : int >= 1
        No full iteration beyond this number is computed.

    Raises
    ------
    ValueError
        If an argument is not allowed; the message quotes it and the allowed
        values.
    """

    def __init__(
        self,
        dataset: Dataset | None = None,
        *,
        algorithm: str = "kmeans",
        n_clusters: int = 3,
        init: str = "k-means++",
        seed: int = 0,
        covariance_type: str = "full",
        beta: float = 1.0,
        max_iter: int = 300,
    ) -> None:
        self._dataset = self._check_dataset(builtin_dataset("empty") if dataset is None else dataset)
        self._algorithm = self._check_choice("algorithm", algorithm, ALGORITHMS)
        self._n_clusters = self._check_n_clusters(n_clusters)
        self._init = self._check_choice("init", init, INITS)
        self._seed = self._check_seed(seed)
        self._covariance_type = self._check_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
        self._beta = self._check_beta(beta)
        self._max_iter = self._check_max_iter(max_iter)
        self._initial_means: np.ndarray | None = None
        self._view_columns = self._default_view_columns()
        self._view_projection: np.ndarray | None = None  # (2, D) PCA axes, or None for a column pair
        self._view_center: np.ndarray | None = None
        self._timeline: list[FitState] = []
        self._cursor = 0
        self._problem: str | None = None
        self._version = 0
        self._shown: OrderedDict[int, FitState] = OrderedDict()
        self._ari: tuple[tuple[int, int], float | None] | None = None  # ((version, cursor), ARI)
        self._model = None  # built by _reinitialise
        self._reinitialise()

    # ------------------------------------------------------------------
    # Read-only properties
    # ------------------------------------------------------------------
    @property
    def dataset(self) -> Dataset:
        """The data set, including every edit made since it was loaded."""
        return self._dataset

    @property
    def X(self) -> np.ndarray:
        """ndarray of shape (n_samples, n_features): the points fitted (read-only)."""
        return self._dataset.X

    @property
    def n_points(self) -> int:
        """Number of points (N)."""
        return int(self._dataset.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of columns fitted (D)."""
        return int(self._dataset.X.shape[1])

    @property
    def algorithm(self) -> str:
        """One of `ALGORITHMS`."""
        return self._algorithm

    @property
    def n_clusters(self) -> int:
        """K."""
        return self._n_clusters

    @property
    def init(self) -> str:
        """One of `INITS` (ignored while `initial_means` is set)."""
        return self._init

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def covariance_type(self) -> str:
        """One of `COVARIANCE_TYPES` (GMM only)."""
        return self._covariance_type

    @property
    def beta(self) -> float:
        """Stiffness of soft K-Means."""
        return self._beta

    @property
    def max_iter(self) -> int:
        """No full iteration beyond this number is computed."""
        return self._max_iter

    @property
    def initial_means(self) -> np.ndarray | None:
        """ndarray of shape (n_clusters, n_features), hand-placed initial
        means used instead of `init`, or None (read-only copy)."""
        return self._initial_means

    @property
    def model(self):
        """The configured model object (KMeans, GaussianMixture or SoftKMeans)."""
        return self._model

    @property
    def view_columns(self) -> tuple[int, int]:
        """The two columns of X the canvas shows (the fit uses all columns)."""
        return self._view_columns

    @view_columns.setter
    def view_columns(self, columns: Sequence[int]) -> None:
        self.set_view_columns(*columns)

    @property
    def view_projection(self) -> np.ndarray | None:
        """ndarray of shape (2, n_features): the projection the canvas shows
        instead of `view_columns` (e.g. the first two principal axes), or None."""
        return self._view_projection

    @property
    def view_center(self) -> np.ndarray | None:
        """ndarray of shape (n_features,) subtracted before `view_projection`, or None."""
        return self._view_center

    @property
    def view(self) -> np.ndarray | tuple[int, int]:
        """The shown view as `clusterviz.data.transform` takes it: `view_projection`,
        or the `view_columns` pair when there is none."""
        return self._view_columns if self._view_projection is None else self._view_projection

    def shown_points(self, points=None) -> np.ndarray:
        """Points as the canvas shows them: ndarray of shape (n, 2).

        ``points`` (array_like of shape (n, n_features); default `X`) seen
        through the view: the `view_columns` pair, or ``(points - view_center)
        view_projection^T`` while a projection is shown.
        """
        P = self.X if points is None else np.asarray(points, dtype=np.float64).reshape(-1, self.n_features)
        return project_points(P, self.view, self._view_center)

    def shown_means(self, state: FitState | None = None) -> np.ndarray | None:
        """The means of ``state`` (default: the shown `state`) as the canvas
        shows them, shape (K, 2); None when there is no state."""
        state = self.state if state is None else state
        return None if state is None else self.shown_points(state.means)

    @property
    def timeline(self) -> list[FitState]:
        """Parameter snapshots, oldest first (a copy of the list; the entries
        themselves are shared and never hold labels or responsibilities)."""
        return list(self._timeline)

    @property
    def cursor(self) -> int:
        """Index into `timeline` of the shown state (0 when the timeline is empty)."""
        return self._cursor

    @property
    def version(self) -> int:
        """Increases whenever the timeline, the data or a setting changes
        (not when only the cursor moves)."""
        return self._version

    @property
    def entry(self) -> FitState | None:
        """The timeline entry under the cursor (no assignments), or None."""
        return self._timeline[self._cursor] if self._timeline else None

    @property
    def state(self) -> FitState | None:
        """The shown state WITH responsibilities (None for an "init" entry's
        responsibilities), or None when there is no fit (see `problem`).

        Recomputed by one E-step when the cursor moves, then cached.
        """
        if not self._timeline:
            return None
        return self._state_at(self._cursor)

    @property
    def problem(self) -> str | None:
        """Why there is no state (e.g. "Add at least 3 points to fit K = 3
        clusters."), or None."""
        return None if self._timeline else self._problem

    @property
    def objectives(self) -> np.ndarray:
        """ndarray of shape (len(timeline),): the objective of every entry."""
        return np.fromiter((s.objective for s in self._timeline), dtype=np.float64, count=len(self._timeline))

    @property
    def iterations(self) -> np.ndarray:
        """ndarray of shape (len(timeline),): the iteration of every entry."""
        return np.fromiter((s.iteration for s in self._timeline), dtype=np.int64, count=len(self._timeline))

    @property
    def phases(self) -> tuple[str, ...]:
        """The phase ("init", "E" or "M") of every entry."""
        return tuple(s.phase for s in self._timeline)

    @property
    def objective_name(self) -> str:
        """"Distortion J" for K-Means, "Log-likelihood ℓ" for the mixtures."""
        name = getattr(self._model, "objective_name", None)
        if isinstance(name, str):
            return name
        return "Distortion J" if self._algorithm == "kmeans" else "Log-likelihood ℓ"

    @property
    def converged(self) -> bool:
        """Whether the shown entry is converged.

        K-Means flags the E half-step in which no label changes; `step` and
        `half_step` then still compute its M half (which moves nothing and
        is converged too), so half-steps and full steps end on the same
        "M" entry. Any other converged entry ends the fit.
        """
        return bool(self._timeline) and bool(self._timeline[self._cursor].converged)

    @property
    def at_start(self) -> bool:
        return self._cursor == 0

    @property
    def at_end(self) -> bool:
        return self._cursor >= len(self._timeline) - 1

    @property
    def reached_max_iter(self) -> bool:
        """At the end of the timeline with `max_iter` full iterations done."""
        if not self._timeline or not self.at_end:
            return False
        entry = self._timeline[self._cursor]
        return entry.phase != "E" and entry.iteration >= self._max_iter

    @property
    def can_step(self) -> bool:
        """Whether `step` / `half_step` would change anything (use it to stop
        Play and to enable the Step buttons)."""
        if not self._timeline or self.reached_max_iter:
            return False
        entry = self._timeline[self._cursor]
        return not entry.converged or entry.phase == "E"

    @property
    def n_changed(self) -> int | None:
        """How many points changed cluster versus the previous timeline entry
        whose shown state has labels; None if there is none."""
        if not self._timeline or self._cursor == 0:
            return None
        entry, previous = self._timeline[self._cursor], self._timeline[self._cursor - 1]
        if entry.phase == "M" and previous.phase == "E":
            return 0  # an M entry shows the assignments of the E entry before it
        now = _hard_labels(self._state_at(self._cursor))
        before = _hard_labels(self._state_at(self._cursor - 1))
        if now is None or before is None:
            return None
        return int(np.count_nonzero(now != before))

    def info_text(self) -> str:
        """One status line, e.g. "Iteration 4 · M-step · J = 123.45 ·
        Converged after 4 iterations · cluster 2 was empty ..."."""
        if not self._timeline:
            return self._problem or "No fit."
        entry = self._timeline[self._cursor]
        symbol = self.objective_name.split()[-1]
        parts = [
            # An E-step opens the next iteration; its M-step completes it.
            f"Iteration {entry.iteration + (1 if entry.phase == 'E' else 0)}",
            _PHASE_NAMES.get(entry.phase, entry.phase),
            f"{symbol} = {_format_number(float(entry.objective))}",
        ]
        if self._algorithm == "soft-kmeans":  # Bishop's limit: covariance εI with ε = 1/(2β)
            parts.append(f"β = {format_setting(self._beta)}, ε = 1/(2β) = {format_setting(1 / (2 * self._beta))}")
        if entry.converged and entry.phase == "E":
            parts.append("Converged (the M-step will not move the parameters)")
        elif entry.converged:
            parts.append(f"Converged after {_plural(entry.iteration, 'iteration')}")
        elif self.reached_max_iter:
            parts.append(f"Stopped at max_iter = {self._max_iter} without converging")
        ari = self.adjusted_rand
        if ari is not None:
            parts.append(f"ARI vs true classes = {ari:.3f}")
        if entry.phase == "init" and not entry.notes and self._initial_means is not None:
            parts.append("Initial centroids placed by hand")
        parts.extend(entry.notes)
        return " · ".join(parts)

    @property
    def adjusted_rand(self) -> float | None:
        """Adjusted Rand index between the shown clustering (hard labels; for
        an "init" entry, the nearest-parameter assignment its E-step would
        give) and the true classes; None without a fit or without at least
        two classes."""
        labels = self._dataset.labels
        if labels is None or not self._timeline or self.n_points == 0 or np.unique(labels).size < 2:
            return None  # no classes to compare with
        key = (self._version, self._cursor)
        if self._ari is not None and self._ari[0] == key:
            return self._ari[1]
        hard = _hard_labels(self.state)
        if hard is None:
            hard = _hard_labels(self._model.e_step(self.X, self._timeline[self._cursor]))
        ari = None if hard is None or hard.shape != labels.shape else float(adjusted_rand_index(labels, hard))
        self._ari = (key, ari)
        return ari

    def __repr__(self) -> str:
        return (
            f"Session(dataset={self._dataset.name!r}, n_points={self.n_points}, "
            f"algorithm={self._algorithm!r}, n_clusters={self._n_clusters}, "
            f"cursor={self._cursor}, timeline={len(self._timeline)} entries)"
        )

    # ------------------------------------------------------------------
    # Stepping
    # ------------------------------------------------------------------
    def prepare_step(self, half: bool = False) -> PendingStep | None:
        """Compute the next step without changing the session.

        Safe to call from a worker thread (it only reads); commit the result
        with `apply_step` on the thread that owns the session.

        Parameters
        ----------
        half : bool
            False for `step` (a full iteration, or the missing M half),
            True for `half_step`.

        Returns
        -------
        PendingStep or None
            None when there is no fit.

        Raises
        ------
        ModelError
            If the model cannot take the step.
        """
        # Read everything once: on a worker thread, the GUI thread may replace
        # the data, model or timeline meanwhile (apply_step then drops the result).
        version, cursor, max_iter = self._version, self._cursor, self._max_iter
        view = timeline, X, model = self._timeline, self.X, self._model
        if not timeline:
            return None
        last = len(timeline) - 1
        entry = timeline[cursor]
        nothing = PendingStep(version, cursor, cursor)
        if entry.converged and entry.phase != "E":
            return nothing
        if cursor < last:
            # Replay: never recompute a different future.
            if half or entry.phase == "E" or timeline[cursor + 1].phase != "E":
                return PendingStep(version, cursor, cursor + 1)
            if cursor + 1 < last:
                return PendingStep(version, cursor, cursor + 2)
            # The next entry is an E at the end: replay it and compute its M.
            shown_e = self._state_at(cursor + 1, view)
            m = model.m_step(X, shown_e).without_assignments()
            return PendingStep(version, cursor, cursor + 2, (m,), _with_assignments(m, shown_e))
        shown = self._state_at(cursor, view)
        if entry.phase == "E":
            m = model.m_step(X, shown).without_assignments()
            return PendingStep(version, cursor, cursor + 1, (m,), _with_assignments(m, shown))
        if entry.iteration >= max_iter:
            return nothing
        e = model.e_step(X, shown)
        if half:
            snapshot = e.without_assignments()
            return PendingStep(version, cursor, cursor + 1, (snapshot,), _with_assignments(snapshot, e))
        m = model.m_step(X, e).without_assignments()
        return PendingStep(version, cursor, cursor + 1, (m,), _with_assignments(m, e))

    def apply_step(self, pending: PendingStep | None) -> FitState | None:
        """Commit a step from `prepare_step`.

        Returns
        -------
        FitState or None
            The new shown state; None (and nothing changes) if `pending` is
            None or stale (the session changed since it was computed).
        """
        if not self._apply(pending):
            return None
        return self.state

    def is_current(self, pending: PendingStep | None) -> bool:
        """Whether `pending` was computed from the session as it is now."""
        return (
            pending is not None
            and pending.version == self._version
            and pending.cursor == self._cursor
        )

    def _apply(self, pending: PendingStep | None) -> bool:
        if not self.is_current(pending):
            return False
        if pending.appended:
            self._timeline.extend(pending.appended)
            self._version += 1
        self._cursor = pending.new_cursor
        if pending.shown is not None:
            self._remember(pending.new_cursor, pending.shown)
        return True

    def step(self) -> FitState | None:
        """One full iteration (E then M; only the M snapshot is stored), or the
        missing M half when the shown entry is an E. Away from the end of the
        timeline it replays the stored entries instead of recomputing. Does
        nothing once converged (a converged "E" still gets its M half) or
        after `max_iter` iterations.

        Raises
        ------
        ModelError
            If the model cannot take the step; the timeline is unchanged.
        """
        self._apply(self.prepare_step(half=False))
        return self.state

    def half_step(self) -> FitState | None:
        """One half-step: E after "init" or "M", M after "E"; replays one
        entry when not at the end of the timeline.

        Raises
        ------
        ModelError
            If the model cannot take the step; the timeline is unchanged.
        """
        self._apply(self.prepare_step(half=True))
        return self.state

    def step_back(self) -> FitState | None:
        """Move the cursor one entry back (no recomputation)."""
        return self.seek(self._cursor - 1)

    def seek(self, index: int) -> FitState | None:
        """Move the cursor to `index`, clamped to the timeline."""
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise ValueError(f"index={index!r} should be a whole number.")
        if self._timeline:
            self._cursor = int(min(max(int(index), 0), len(self._timeline) - 1))
        return self.state

    def seek_end(self) -> FitState | None:
        """Move the cursor to the last entry."""
        return self.seek(len(self._timeline) - 1)

    def run_to_convergence(self, max_steps: int | None = None) -> FitState | None:
        """Call `step` until converged, `max_iter` is reached, or `max_steps`
        steps were taken (replayed steps count).

        Raises
        ------
        ModelError
            If a step fails; the steps before it are kept.
        """
        if max_steps is not None and (
            isinstance(max_steps, bool) or not isinstance(max_steps, numbers.Integral) or max_steps < 0
        ):
            raise ValueError(f"max_steps={max_steps!r} should be None or a whole number >= 0.")
        taken = 0
        while max_steps is None or taken < max_steps:
            pending = self.prepare_step(half=False)
            if pending is None or not pending.changes_anything:
                break
            self._apply(pending)
            taken += 1
        return self.state

    def reset(self) -> FitState | None:
        """Re-initialise with the current settings and seed; the timeline
        becomes [init]."""
        return self._reinitialise()

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------
    def set_algorithm(self, name: str) -> FitState | None:
        """Choose one of `ALGORITHMS`; re-initialises."""
        name = self._check_choice("algorithm", name, ALGORITHMS)
        if name == self._algorithm:
            return self.state
        self._algorithm = name
        return self._reinitialise()

    def set_n_clusters(self, k: int) -> FitState | None:
        """Set K (>= 1); re-initialises. Clears `initial_means` of another K.
        With K > N there is no state and `problem` says so."""
        k = self._check_n_clusters(k)
        if k == self._n_clusters:
            return self.state
        self._n_clusters = k
        if self._initial_means is not None and self._initial_means.shape[0] != k:
            self._initial_means = None
        return self._reinitialise()

    def set_init(self, name: str) -> FitState | None:
        """Choose one of `INITS`; clears `initial_means`; re-initialises."""
        name = self._check_choice("init", name, INITS)
        if name == self._init and self._initial_means is None:
            return self.state
        self._init = name
        self._initial_means = None
        return self._reinitialise()

    def set_seed(self, seed: int) -> FitState | None:
        """Set the seed (int >= 0); re-initialises."""
        seed = self._check_seed(seed)
        if seed == self._seed:
            return self.state
        self._seed = seed
        return self._reinitialise()

    def set_covariance_type(self, covariance_type: str) -> FitState | None:
        """Choose one of `COVARIANCE_TYPES`; re-initialises a GMM."""
        covariance_type = self._check_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
        if covariance_type == self._covariance_type:
            return self.state
        self._covariance_type = covariance_type
        if self._algorithm != "gmm":
            self._model = self._build_model()
            return self.state
        return self._reinitialise()

    def set_beta(self, beta: float) -> FitState | None:
        """Set the stiffness of soft K-Means (> 0).

        During a soft K-Means run the fit goes on from the shown means with
        the new β (a new "init" entry, as after a data edit), so raising β
        step by step anneals soft K-Means into K-Means; without a run it
        initialises.
        """
        beta = self._check_beta(beta)
        if beta == self._beta:
            return self.state
        self._beta = beta
        if self._algorithm != "soft-kmeans":
            self._model = self._build_model()
            return self.state
        if not self._timeline:
            return self._reinitialise()
        shown = self._timeline[self._cursor].without_assignments()
        self._model = self._build_model()
        try:
            e = self._model.e_step(self.X, shown)  # the new β's responsibilities, objective, covariances
        except ModelError:
            return self._reinitialise()
        self._clear()
        note = (f"β changed to {format_setting(beta)} (ε = 1/(2β) = {format_setting(1 / (2 * beta))}): "
                "going on from the current means.")
        self._timeline = [dataclasses.replace(e.without_assignments(), iteration=0, phase="init",
                                              converged=False, notes=(note,))]
        return self.state

    def set_max_iter(self, max_iter: int) -> FitState | None:
        """Change the iteration limit; keeps the timeline (a higher limit lets
        a stopped fit go on)."""
        self._max_iter = self._check_max_iter(max_iter)
        self._model = self._build_model()
        return self.state

    def set_initial_means(self, means) -> FitState | None:
        """Start from hand-placed means instead of `init`; re-initialises.

        Parameters
        ----------
        means : array_like of shape (n_clusters, n_features) or None
            None goes back to `init`. K becomes ``len(means)``.

        Raises
        ------
        ValueError
            If the shape does not match the data's columns or a value is not
            finite.
        """
        if means is None:
            if self._initial_means is None:
                return self.state
            self._initial_means = None
            return self._reinitialise()
        try:
            M = np.array(means, dtype=np.float64, copy=True)
        except (TypeError, ValueError) as err:
            raise ValueError(f"initial means {means!r} should be an array of numbers: {err}") from None
        if M.ndim != 2 or M.shape[0] < 1 or M.shape[1] != self.n_features:
            raise ValueError(
                f"initial means should have shape (n_clusters, {self.n_features}); got shape {M.shape}."
            )
        if not np.isfinite(M).all():
            raise ValueError(f"initial means should be finite numbers; got {M.tolist()!r}.")
        M.setflags(write=False)
        self._initial_means = M
        self._n_clusters = int(M.shape[0])
        return self._reinitialise()

    def set_view_columns(self, x_column: int, y_column: int) -> None:
        """Choose which two columns of X the canvas shows (does not refit)."""
        columns = []
        for c in (x_column, y_column):
            if isinstance(c, bool) or not isinstance(c, numbers.Integral) or not 0 <= c < self.n_features:
                raise ValueError(
                    f"view column {c!r} should be a column index in 0..{self.n_features - 1}."
                )
            columns.append(int(c))
        self._view_columns = (columns[0], columns[1])
        self._view_projection = self._view_center = None

    def set_view_projection(self, W, center=None) -> None:
        """Show the data through a linear projection (does not refit).

        Parameters
        ----------
        W : array_like of shape (2, n_features), or None
            The two axes (e.g. from `clusterviz.data.transform.pca_projection`);
            None goes back to `view_columns`.
        center : array_like of shape (n_features,), optional
            Subtracted from the points and means before projecting.
        """
        if W is None:
            self._view_projection = self._view_center = None
            return
        W = self._check_points("projection", W)
        if W.shape != (2, self.n_features):
            raise ValueError(f"projection should have shape (2, {self.n_features}); got shape {W.shape}.")
        c = None if center is None else self._check_points("center", np.reshape(center, (1, -1)))[0]
        if c is not None and c.shape != (self.n_features,):
            raise ValueError(f"center should have {self.n_features} numbers; got {c.shape[0]}.")
        W.setflags(write=False)
        if c is not None:
            c.setflags(write=False)
        self._view_projection, self._view_center = W, c

    def load_dataset(self, dataset: Dataset) -> FitState | None:
        """Replace the data set; clears `initial_means`, shows columns (0, 1)
        and re-initialises."""
        self._dataset = self._check_dataset(dataset)
        self._initial_means = None
        self._view_columns = self._default_view_columns()
        self._view_projection = self._view_center = None
        return self._reinitialise()

    # ------------------------------------------------------------------
    # Data edits
    # ------------------------------------------------------------------
    def add_point(self, x: float, y: float) -> FitState | None:
        """Add one point at (x, y) (2-D data only)."""
        return self.add_points([[x, y]])

    def add_points(self, points, classes=None) -> FitState | None:
        """Add points.

        Parameters
        ----------
        points : array_like of shape (n_new, 2)
        classes : int, array_like of int of shape (n_new,), or None
            True class code (>= 0) of the new points. None adds them without
            a class, so the data set loses its true classes (as before);
            given, the classes are kept, and on a data set without classes
            the existing points become class 0. Codes past `class_names`
            get the names `default_class_name(code)`.

        Raises
        ------
        ValueError
            If the points are not finite pairs, the data has more than two
            columns (a click gives only the two shown coordinates), or a
            class is not a whole number >= 0.
        """
        P = self._check_new_points(points)
        if P.shape[0] == 0:
            return self.state
        X = np.vstack([self.X, P])
        if classes is None:
            return self._edit(X, labels=None)
        new = self._check_classes(classes, P.shape[0])
        old = self._dataset.labels
        old = np.zeros(self.n_points, dtype=np.int64) if old is None else old
        return self._edit(X, labels=np.concatenate([old, new]), class_names=self._names_for(new))

    def remove_points(self, indices) -> FitState | None:
        """Remove the points at `indices` (ints in 0..N-1; repeats are fine)."""
        idx = np.asarray(indices)
        if idx.size == 0:
            return self.state
        if idx.dtype.kind not in "iu" or idx.ndim > 1:
            raise ValueError(f"indices={indices!r} should be a sequence of whole numbers.")
        idx = idx.reshape(-1)
        bad = idx[(idx < 0) | (idx >= self.n_points)]
        if bad.size:
            raise ValueError(f"point index {int(bad[0])} is out of range; there are {self.n_points} points.")
        keep = np.ones(self.n_points, dtype=bool)
        keep[idx] = False
        labels = None if self._dataset.labels is None else self._dataset.labels[keep]
        return self._edit(self.X[keep], labels=labels)

    def move_point(self, i: int, x: float, y: float) -> FitState | None:
        """Move point `i` to (x, y) in the shown columns (`view_columns`)."""
        if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= i < self.n_points:
            raise ValueError(f"point index {i!r} is out of range; there are {self.n_points} points.")
        if self._view_projection is not None:
            raise ValueError("Points cannot be moved in a PCA projection; show two columns to move them.")
        if self._view_columns[0] == self._view_columns[1]:  # x and y would both land in that one column
            raise ValueError("Both axes show the same column; choose two different columns to move points.")
        xy = self._check_coordinates(x, y)
        X = self.X.copy()
        X[int(i), list(self._view_columns)] = xy
        return self._edit(X, labels=self._dataset.labels)

    def set_data(self, X, classes=_KEEP, class_names=None) -> FitState | None:
        """Replace all points (used by undo/redo). Without `classes`, true
        labels are kept when the number of points is unchanged, dropped
        otherwise.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        classes : array_like of int of shape (n_samples,) or None, optional
            The true classes of the new points exactly (None: no classes).
        class_names : tuple of str or None
            Names of the class codes, with `classes` (None: the data set's
            names, extended by `default_class_name`).
        """
        if classes is not _KEEP:
            X = self._check_points("X", X)
            if X.shape[1] != self.n_features:
                raise ValueError(f"X should have {self.n_features} columns with classes; got shape {X.shape}.")
            if classes is None:
                return self._edit(X, labels=None)
            labels = self._check_classes(classes, X.shape[0])
            names = self._names_for(labels) if class_names is None else tuple(map(str, class_names))
            return self._edit(X, labels=labels, class_names=names)
        X = self._check_points("X", X)
        if X.shape[1] != self.n_features:
            columns = tuple(f"x{j + 1}" for j in range(X.shape[1])) if X.shape[1] != 2 else ("x", "y")
            dataset = Dataset(self._dataset.name, X, columns)
            self._dataset = dataset
            self._initial_means = None
            self._view_columns = self._default_view_columns()
            self._view_projection = self._view_center = None
            return self._reinitialise()
        labels = self._dataset.labels if X.shape[0] == self.n_points else None
        return self._edit(X, labels=labels)

    # ------------------------------------------------------------------
    # Evaluation helpers for the canvas
    # ------------------------------------------------------------------
    def assign(self, points) -> FitState | None:
        """E-step of the shown parameters on other points (e.g. a grid for
        decision regions): a FitState whose labels/responsibilities are those
        of `points`; None when there is no fit.

        Parameters
        ----------
        points : array_like of shape (n, n_features)
        """
        if not self._timeline:
            return None
        P = self._check_points("points", points)
        if P.shape[1] != self.n_features:
            raise ValueError(f"points should have {self.n_features} columns; got shape {P.shape}.")
        return self._model.e_step(P, self._timeline[self._cursor])

    # ------------------------------------------------------------------
    # Session files (format: clusterviz.data.session_file)
    # ------------------------------------------------------------------
    def to_payload(self) -> dict:
        """Everything needed to rebuild this session, as JSON-ready data.

        The timeline is stored as its first entry's parameters, the phase of
        every entry and the cursor; `from_payload` replays the steps.
        """
        from clusterviz.data.session_file import FORMAT_KEY, FORMAT_VERSION

        ds = self._dataset
        start = None
        if self._timeline:
            first = self._timeline[0]
            start = {
                "means": np.asarray(first.means).tolist(),
                "weights": np.asarray(first.weights).tolist(),
                "covariances": None if first.covariances is None else np.asarray(first.covariances).tolist(),
                "objective": float(first.objective),
                "notes": list(first.notes),
            }
        return {
            FORMAT_KEY: FORMAT_VERSION,
            "saved_by": "clusterviz",
            "dataset": {
                "name": ds.name,
                "columns": list(ds.columns),
                "X": ds.X.tolist(),
                "labels": None if ds.labels is None else ds.labels.tolist(),
                "class_names": None if ds.class_names is None else list(ds.class_names),
            },
            "settings": {
                "algorithm": self._algorithm,
                "n_clusters": self._n_clusters,
                "init": self._init,
                "seed": self._seed,
                "covariance_type": self._covariance_type,
                "beta": self._beta,
                "max_iter": self._max_iter,
            },
            "initial_means": None if self._initial_means is None else self._initial_means.tolist(),
            "view": {
                "columns": list(self._view_columns),
                "projection": None if self._view_projection is None else self._view_projection.tolist(),
                "center": None if self._view_center is None else self._view_center.tolist(),
            },
            "timeline": {
                "start": start,
                "phases": list(self.phases),
                "objectives": self.objectives.tolist(),
                "cursor": self._cursor,
            },
        }

    @classmethod
    def from_payload(cls, payload: dict, name: str = "session") -> Session:
        """Rebuild a session saved by `to_payload`, replaying its timeline.

        Parameters
        ----------
        payload : dict
            See `clusterviz.data.session_file` for the format.
        name : str
            The file name used in error messages.

        Raises
        ------
        DataError
            If the payload is malformed, a value is not allowed, or replaying
            the steps does not reproduce the stored objectives. The message
            names the file and the field.
        """
        from clusterviz.data import DataError
        from clusterviz.data.session_file import check_payload

        check_payload(payload, name)
        d, st, tl = payload["dataset"], payload["settings"], payload["timeline"]
        labels = d["labels"]
        dataset = Dataset(
            name=d["name"],
            X=np.array(d["X"], dtype=np.float64).reshape(len(d["X"]), len(d["columns"])),
            columns=tuple(d["columns"]),
            labels=None if labels is None else np.array(labels, dtype=np.int64),
            class_names=None if d["class_names"] is None else tuple(d["class_names"]),
        )
        field = "settings"
        try:
            session = cls(dataset, algorithm=st["algorithm"], n_clusters=st["n_clusters"], init=st["init"],
                          seed=st["seed"], covariance_type=st["covariance_type"], beta=st["beta"],
                          max_iter=st["max_iter"])
            field = "initial_means"
            if payload["initial_means"] is not None:
                session.set_initial_means(payload["initial_means"])
            field = "view"
            view = payload["view"]
            session.set_view_columns(*view["columns"])
            if view.get("projection") is not None:
                session.set_view_projection(view["projection"], view.get("center"))
                with np.errstate(all="ignore"):
                    shown = project_points(session.X, session.view_projection, session.view_center)
                if not np.isfinite(shown).all():
                    raise ValueError("the projection takes the points beyond the largest number a computer holds.")
        except ValueError as err:
            raise DataError(f"{name}: field {field!r} is not allowed: {err}") from None

        phases, objectives = tl["phases"], tl["objectives"]
        if not phases:
            if session._timeline:
                raise DataError(f"{name}: field 'timeline.phases' is empty, but the data can be fitted.")
            return session
        if not session._timeline:
            raise DataError(f"{name}: field 'timeline.phases' has entries, but there is no fit: {session.problem}")
        start = tl["start"]
        if start is not None:
            def frozen(values):
                a = np.array(values, dtype=np.float64)
                a.setflags(write=False)
                return a

            covs = start["covariances"]
            if (covs is None) != (session._timeline[0].covariances is None):
                raise DataError(f"{name}: field 'timeline.start.covariances' does not suit the algorithm "
                                f"{st['algorithm']!r}.")
            session._timeline = [FitState(
                iteration=0, phase="init", means=frozen(start["means"]), weights=frozen(start["weights"]),
                objective=float(start["objective"]), covariances=None if covs is None else frozen(covs),
                converged=False, notes=tuple(start["notes"]) if "notes" in start else (),
            )]
            session._shown.clear()
            session._version += 1
            try:  # the stored start must be usable (e.g. positive definite) and match its objective
                check = session._model.e_step(session.X, session._timeline[0])
            except ModelError as err:
                raise DataError(f"{name}: field 'timeline.start' cannot be used: {err}") from None
            if not np.isclose(check.objective, start["objective"], rtol=1e-6,
                              atol=1e-9 * max(1.0, abs(float(start["objective"])))):
                raise DataError(f"{name}: field 'timeline.start.objective' is {start['objective']!r}, but its "
                                f"parameters give {check.objective!r}; the file does not match its data.")
        try:
            for i, phase in enumerate(phases[1:], start=1):
                pending = session.prepare_step(half=(phase == "E"))
                if pending is None or not pending.appended or pending.appended[-1].phase != phase:
                    raise DataError(f"{name}: field 'timeline.phases' cannot be replayed: the fit stops "
                                    f"before entry {i} ({phase!r}).")
                session._apply(pending)
        except ModelError as err:
            raise DataError(f"{name}: field 'timeline' cannot be replayed: {err}") from None
        replayed = session.objectives
        stored = np.asarray(objectives, dtype=np.float64)
        close = np.isclose(replayed, stored, rtol=1e-6, atol=1e-9 * max(1.0, float(np.abs(stored).max())))
        if not close.all():
            i = int(np.flatnonzero(~close)[0])
            raise DataError(f"{name}: field 'timeline.objectives' entry {i} is {stored[i]!r}, but replaying "
                            f"the steps gives {replayed[i]!r}; the file does not match its data.")
        session.seek(tl["cursor"])
        return session

    def adopt(self, other: Session) -> FitState | None:
        """Take over everything of ``other`` -- data, settings, timeline,
        cursor and view -- keeping this object, which windows and adapters
        hold (used to open a session file). ``other`` must not be used after.

        The version moves past both sessions' versions, so a step computed
        on a worker before the switch is recognised as stale.
        """
        if not isinstance(other, Session):
            raise ValueError(f"other={other!r} should be a Session.")
        version = max(self._version, other._version) + 1
        self.__dict__.clear()
        self.__dict__.update(other.__dict__)
        self._version = version
        return self.state

    # ------------------------------------------------------------------
    # Internals
    # ------------------------------------------------------------------
    def _state_at(self, index: int, view: tuple | None = None) -> FitState:
        """The shown state of timeline entry ``index`` (with assignments).

        ``view`` = (timeline, X, model) read once by a worker thread: then the
        cache is only read, never written (`apply_step` remembers on the GUI
        thread).
        """
        timeline, X, model = view if view is not None else (self._timeline, self.X, self._model)
        cached = self._shown.get(index)
        if cached is not None:
            if view is None:
                self._shown.move_to_end(index)
            return cached
        entry = timeline[index]
        if entry.phase == "init":
            shown = entry
        elif entry.phase == "M" and index > 0 and timeline[index - 1].phase == "E":
            # The E entry before it holds exactly the assignments that produced it.
            shown = _with_assignments(entry, self._state_at(index - 1, view))
        else:
            source = entry if entry.phase == "E" else timeline[index - 1]
            shown = _with_assignments(entry, model.e_step(X, source))
        if view is None:
            self._remember(index, shown)
        return shown

    def _remember(self, index: int, shown: FitState) -> None:
        self._shown[index] = shown
        self._shown.move_to_end(index)
        while len(self._shown) > _CACHE_SIZE:
            self._shown.popitem(last=False)

    def _clear(self) -> None:
        self._timeline = []
        self._cursor = 0
        self._shown.clear()
        self._problem = None
        self._version += 1

    def _build_model(self):
        K, M = self._n_clusters, self._initial_means
        if self._algorithm == "kmeans":
            return KMeans(
                n_clusters=K,
                init=self._init if M is None else M.copy(),
                n_init=1,
                max_iter=self._max_iter,
                random_state=self._seed,
            )
        if self._algorithm == "gmm":
            reg_covar = self._gmm_reg_covar()
            try:
                start = self._gmm_start(reg_covar) if self.n_points >= K else {}
            except ModelError:  # e.g. too many columns for full covariances: initialize() says why
                start = {}
            return GaussianMixture(
                n_components=K,
                covariance_type=self._covariance_type,
                max_iter=self._max_iter,
                random_state=self._seed,
                reg_covar=reg_covar,
                **start,
            )
        return SoftKMeans(
            n_clusters=K,
            beta=self._beta,
            init=self._init if M is None else M.copy(),
            max_iter=self._max_iter,
            random_state=self._seed,
        )

    def _gmm_start(self, reg_covar: float) -> dict:
        """EM starts from the means K-Means would start from (hand-placed, or
        drawn with the same init and seed), with broad components."""
        means = self._initial_means
        if means is None:
            means = KMeans(n_clusters=self._n_clusters, init=self._init, random_state=self._seed).initialize(self.X).means
        return broad_start(self.X, means, self._covariance_type, reg_covar)

    def _gmm_reg_covar(self) -> float:
        """scikit-learn's reg_covar = 1e-6 for data of unit scale or more,
        scaled with the data's mean variance on both sides: raised to 1e-14 of
        it beyond a spread of ~1e4 (a component on one point keeps a width the
        coordinates can still resolve), and lowered to 1e-6 of it below unit
        variance (so 1e-6 does not swamp data with a spread of 1e-3, where it
        would make the log-likelihood fall between steps)."""
        with np.errstate(all="ignore"):
            variance = float(np.mean(np.var(self.X, axis=0))) if self.n_points else 0.0
        if not np.isfinite(variance) or variance <= 0:
            return 1e-6
        return max(1e-14 * variance, 1e-6 * min(1.0, variance))

    def _too_few_points(self) -> str | None:
        K, N = self._n_clusters, self.n_points
        if N >= K:
            return None
        return (f"Add at least {_plural(K, 'point')} to fit K = {K} {'cluster' if K == 1 else 'clusters'}"
                f" ({N} so far): click on the canvas.")

    def _reinitialise(self) -> FitState | None:
        self._clear()
        try:
            self._model = self._build_model()
        except ModelError as err:  # e.g. the GMM's start cannot be computed on these data
            self._problem = str(err)
            return None
        self._problem = self._too_few_points()
        if self._problem is not None:
            return None
        try:
            initial = self._model.initialize(self.X)
        except ModelError as err:
            self._problem = str(err)
            return None
        if self._algorithm == "gmm":  # say where EM's start came from, in the app's words
            initial = dataclasses.replace(initial, notes=(self._gmm_start_note(),) + tuple(
                note for note in initial.notes if not note.startswith("Started from the given")))
        self._timeline = [initial.without_assignments()]
        return self.state

    def _gmm_start_note(self) -> str:
        means = ("the initial means placed by hand" if self._initial_means is not None else
                 f"the {self._n_clusters} initial means K-Means would use ("
                 f"{'random data points' if self._init == 'random' else 'k-means++'}, seed {self._seed})")
        return f"EM starts from {means}, with equal weights and every covariance equal to the data's."

    def _edit(self, X: np.ndarray, labels, class_names=_KEEP) -> FitState | None:
        shown = self._timeline[self._cursor] if self._timeline else None
        if labels is None or class_names is _KEEP:
            class_names = None if labels is None else self._dataset.class_names
        self._dataset = dataclasses.replace(self._dataset, X=X, labels=labels, class_names=class_names)
        if shown is None or self._too_few_points() is not None:
            return self._reinitialise()
        self._clear()
        try:
            restarted = self._restart_from(shown)
        except ModelError:
            return self._reinitialise()
        self._timeline = [restarted]
        return self.state

    def _restart_from(self, snapshot: FitState) -> FitState:
        """A new "init" entry with `snapshot`'s parameters, its objective
        evaluated on the current data.

        The E-step's objective is exactly that: for K-Means the distortion of
        the nearest-centre labels to the unchanged centres (the init
        objective), for the mixtures the log-likelihood of the parameters.
        """
        params = snapshot.without_assignments()
        e = self._model.e_step(self.X, params)
        # K-Means "weights" are cluster fractions, which the new data changes.
        weights = e.weights if self._algorithm == "kmeans" else params.weights
        return dataclasses.replace(
            params,
            iteration=0,
            phase="init",
            weights=weights,
            objective=float(e.objective),
            converged=False,
            notes=(_RESTART_NOTE,),
        )

    def _default_view_columns(self) -> tuple[int, int]:
        return (0, 1) if self.n_features >= 2 else (0, 0)

    # Validation -------------------------------------------------------
    @staticmethod
    def _check_choice(what: str, value, allowed: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(f"{what}={value!r} is not allowed; choose one of {', '.join(map(repr, allowed))}.")
        return value

    @staticmethod
    def _check_n_clusters(k) -> int:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"n_clusters={k!r} should be a whole number >= 1.")
        return int(k)

    @staticmethod
    def _check_seed(seed) -> int:
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
            raise ValueError(f"seed={seed!r} should be a whole number >= 0.")
        return int(seed)

    @staticmethod
    def _check_beta(beta) -> float:
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not np.isfinite(beta) or beta <= 0:
            raise ValueError(f"beta={beta!r} should be a finite number > 0.")
        return float(beta)

    @staticmethod
    def _check_max_iter(max_iter) -> int:
        if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
            raise ValueError(f"max_iter={max_iter!r} should be a whole number >= 1.")
        return int(max_iter)

    @staticmethod
    def _check_dataset(dataset) -> Dataset:
        if not isinstance(dataset, Dataset):
            raise ValueError(f"dataset={dataset!r} should be a clusterviz.data.Dataset.")
        if dataset.X.shape[1] < 1:
            raise ValueError(f"Data set {dataset.name!r} has no columns to fit.")
        return dataset

    @staticmethod
    def _check_points(what: str, points) -> np.ndarray:
        try:
            P = np.array(points, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{what}={points!r} should be an array of numbers.") from None
        if P.ndim != 2:
            raise ValueError(f"{what} should be a 2-D array (n_points, n_features); got shape {P.shape}.")
        if not np.isfinite(P).all():
            i, j = np.argwhere(~np.isfinite(P))[0]
            raise ValueError(f"{what}[{i}, {j}] is {P[i, j]}; every coordinate must be a finite number.")
        return P

    def _check_new_points(self, points) -> np.ndarray:
        try:
            P = np.array(points, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"points={points!r} should be an array of numbers.") from None
        if P.size == 0:
            return np.empty((0, 2))
        if P.ndim == 1:
            P = P.reshape(1, -1)
        P = self._check_points("points", P)
        if P.shape[1] != 2:
            raise ValueError(f"points should have shape (n, 2); got shape {P.shape}.")
        if self.n_features != 2:
            raise ValueError(
                f"Points can be added by hand only to 2-D data; {self._dataset.name!r} has "
                f"{self.n_features} columns."
            )
        return P

    def _check_coordinates(self, x, y) -> np.ndarray:
        xy = []
        for name, v in (("x", x), ("y", y)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or not np.isfinite(v):
                raise ValueError(f"{name}={v!r} should be a finite number.")
            xy.append(float(v))
        return np.array(xy)

    @staticmethod
    def _check_classes(classes, n: int) -> np.ndarray:
        """Class codes for `n` points: an int (all the same) or n ints >= 0."""
        c = np.asarray(classes)
        if c.ndim == 0:
            c = np.full(n, c)
        if c.dtype.kind not in "iu" or c.shape != (n,):
            raise ValueError(f"classes={classes!r} should be one whole number or {n} whole numbers.")
        if n and c.min() < 0:
            raise ValueError(f"class {int(c.min())} should be a whole number >= 0.")
        return c.astype(np.int64)

    def _names_for(self, codes: np.ndarray) -> tuple[str, ...] | None:
        """The data set's class names, extended to cover `codes` (None when
        it has no names and needs none)."""
        names = self._dataset.class_names if self._dataset.labels is not None else None
        if names is None and self._dataset.labels is not None:
            return None  # codes without names stay so
        names = tuple(names or ())
        top = int(codes.max()) + 1 if codes.size else 0
        return names + tuple(default_class_name(k) for k in range(len(names), top))
