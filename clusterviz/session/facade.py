"""`Session`: the one object the UI drives -- a thin facade over the parts.

It owns one of each part (`SessionSettings`, `DataOwner`, `View`,
`Timeline`) and the estimator the registry builds from the settings, and
turns every user action into calls on them. None of its actions emits
anything (a small ``QObject`` adapter in ``clusterviz.ui`` calls the session
and emits Qt signals).

Design choices
--------------
- Changing K, the algorithm, the initialisation, the seed, the covariance
  type or beta where the algorithm uses them, showing the k-means++ picks,
  or loading a data set re-initialises: the timeline becomes ``[init]``
  (after the picks when they are shown). A setter called with the current
  value, or with a setting the current algorithm does not use (per its
  registry entry), changes nothing else.
- Editing the data restarts the timeline from the *shown* parameters: a new
  "init" entry with the same means, covariances and weights, its objective
  recomputed on the new data. With fewer than K points left there is no
  state and `problem` says why; once there are K points again, the fit is
  initialised afresh. A shown k-means++ pick re-initialises instead.
- A `ModelError` during a step leaves the timeline as it was and propagates
  to the caller. A `ModelError` while *initialising* (after a setting or data
  change) is not raised: `state` becomes None and `problem` holds the
  model's sentence, because the setting itself was valid.
- With true classes, `adjusted_rand` and the info line compare the
  clustering with them.
- Convergence (the model's tolerance met) does not end a run: `step` and
  `half_step` go on with the same run until `max_iter`, or until a step
  would move nothing (a fixed point, such as K-Means once no label
  changes). `run_to_convergence` -- and the UI's Play -- stop at the first
  entry that meets the tolerance; started from one, they go on to
  `max_iter` (see `clusterviz.session.timeline.run_steps`).
- ``n_init`` > 1 tries the starts of the seeds ``seed ... seed + n_init - 1``
  at every (re)initialisation, runs each to convergence (or `max_iter`) and
  starts the timeline from the one whose run ends best, as scikit-learn's
  ``n_init`` keeps the best of its runs (`start_seed` says which);
  `clusterviz.session.start.choose_start`.
"""
from __future__ import annotations

import numpy as np

from clusterviz.data import Dataset
from clusterviz.model import FitState, ModelError

from . import payload as _payload
from .data import KEEP, DataOwner
from .edits import DataEdits
from .showing import Showing
from .settings import SessionSettings, check_initial_means
from .start import beta_restarted, build_model, choose_start, initial_entries, restarted, too_few_points
from .convergence import run_note
from .text import info_text, objective_defined, shown_adjusted_rand
from .timeline import PendingStep, Timeline, run_steps
from .view import View

__all__ = ["Session"]

class Session(Showing, DataEdits):
    """Data set, algorithm settings, seed and the timeline of one fit.

    Parameters
    ----------
    dataset : Dataset or None
        The points to cluster (all columns are fitted). None starts with the
        built-in "empty" data set (no points; the user clicks some).
    algorithm : str
        One of `ALGORITHMS` (the registry's names: "kmeans", "gmm", "soft-kmeans").
    n_clusters : int >= 1
        K. More clusters than points is allowed: there is then no state and
        `problem` says how many points to add.
    init : {"random", "k-means++"}
        How the initial means are chosen; the GMM starts from the same means
        as K-Means would, with equal weights and the data's covariance.
    seed : int >= 0
        Seeds every random choice, so `reset` reproduces the same start.
    covariance_type : {"full", "tied", "diag", "spherical"}
        Used by algorithms that fit covariances (the GMM).
    beta : float > 0
        Stiffness, used by algorithms that have it (soft K-Means).
    max_iter : int >= 1
        No full iteration beyond this number is computed.
    show_seeding : bool
        With init "k-means++", open the timeline with one entry per pick
        (see `clusterviz.session.seeding`).
    tol : float >= 0 or None
        The model's convergence tolerance; None is the algorithm's default.
    n_init : int >= 1
        Starts tried at every (re)initialisation (the best run's is kept).

    Raises
    ------
    ValueError
        If an argument is not allowed; the message quotes it and the allowed
        values.
    """

    def __init__(self, dataset: Dataset | None = None, *, algorithm: str = "kmeans", n_clusters: int = 3,
                 init: str = "k-means++", seed: int = 0, covariance_type: str = "full", beta: float = 1.0,
                 max_iter: int = 300, show_seeding: bool = False, tol: float | None = None,
                 n_init: int = 1) -> None:
        self._data = DataOwner(dataset)
        self._settings = SessionSettings(algorithm=algorithm, n_clusters=n_clusters, init=init, seed=seed,
                                         covariance_type=covariance_type, beta=beta, max_iter=max_iter,
                                         show_seeding=show_seeding, tol=tol, n_init=n_init)
        self._view = View(self._data.n_features)
        self._timeline = Timeline()
        self._problem: str | None = None
        self._ari: tuple[tuple[int, int], float | None] | None = None  # ((version, cursor), ARI)
        self._model = None  # built by _reinitialise
        self._start_seed = self._settings.seed  # the seed the start was drawn with (one of the n_init seeds)
        self._reinitialise()

    # ------------------------------------------------------------------ data
    dataset = property(lambda self: self._data.dataset,
                       doc="The data set, including every edit made since it was loaded.")
    X = property(lambda self: self._data.X,
                 doc="ndarray of shape (n_samples, n_features): the points fitted (read-only).")
    n_points = property(lambda self: self._data.n_points, doc="Number of points (N).")
    n_features = property(lambda self: self._data.n_features, doc="Number of columns fitted (D).")
    prepared = property(lambda self: self._data.prepared,
                        doc="The data as every model call receives them (`clusterviz.model.prepared.Prepared`).")

    # -------------------------------------------------------------- settings
    settings = property(lambda self: self._settings, doc="The validated `SessionSettings`.")
    algorithm = property(lambda self: self._settings.algorithm, doc="One of `ALGORITHMS`.")
    algorithm_entry = property(lambda self: self._settings.entry,
                               doc="The registry entry (`clusterviz.model.registry.Algorithm`) of `algorithm`.")
    n_clusters = property(lambda self: self._settings.n_clusters, doc="K.")
    init = property(lambda self: self._settings.init, doc="One of `INITS` (ignored while `initial_means` is set).")
    seed = property(lambda self: self._settings.seed)
    covariance_type = property(lambda self: self._settings.covariance_type,
                               doc="One of `COVARIANCE_TYPES` (algorithms that fit covariances only).")
    beta = property(lambda self: self._settings.beta, doc="Stiffness of soft K-Means.")
    max_iter = property(lambda self: self._settings.max_iter,
                        doc="No full iteration beyond this number is computed.")
    show_seeding = property(lambda self: self._settings.show_seeding,
                            doc="Whether k-means++ picks open the timeline (with init 'k-means++').")
    initial_means = property(lambda self: self._settings.initial_means,
                             doc="ndarray of shape (n_clusters, n_features), hand-placed initial means "
                                 "used instead of `init`, or None (read-only).")
    model = property(lambda self: self._model, doc="The configured estimator the registry built.")
    n_init = property(lambda self: self._settings.n_init,
                      doc="How many starts (seeds seed ... seed + n_init - 1) a (re)initialisation tries.")
    start_seed = property(lambda self: self._start_seed,
                          doc="The seed the shown run's start was drawn with: `seed` when n_init is 1, "
                              "else the one of the n_init seeds whose run ended best.")

    @property
    def tol(self) -> float | None:
        """The convergence tolerance the model uses: the one set with
        `set_tol`, else the algorithm's default (``settings.tol`` is None
        then); None if the model has no tolerance."""
        tol = self._settings.tol
        return getattr(self._model, "tol", None) if tol is None else tol

    @property
    def objective_name(self) -> str:
        """"Distortion J" for K-Means, "Log-likelihood ℓ" for the mixtures (the registry's)."""
        return self._settings.entry.objective_name

    # -------------------------------------------------------------- timeline
    @property
    def timeline(self) -> list[FitState]:
        """Parameter snapshots, oldest first (a copy of the list; the entries
        themselves are shared and never hold labels or responsibilities)."""
        return list(self._timeline.entries)

    cursor = property(lambda self: self._timeline.cursor,
                      doc="Index into `timeline` of the shown state (0 when the timeline is empty).")
    version = property(lambda self: self._timeline.version,
                       doc="Increases whenever the timeline, the data or the model changes (any setting the "
                           "model is built from, max_iter too), not when only the cursor moves; a step "
                           "prepared under another version is never applied.")
    entry = property(lambda self: self._timeline.entry,
                     doc="The timeline entry under the cursor (no assignments), or None.")
    n_seed_entries = property(lambda self: self._timeline.n_seeds,
                              doc="How many k-means++ pick entries open the timeline (the \"init\" entry's index).")

    @property
    def state(self) -> FitState | None:
        """The shown state WITH responsibilities (None for a "seed" or "init"
        entry's responsibilities), or None when there is no fit (see `problem`).
        Recomputed by one E-step when the cursor moves, then cached."""
        if not self._timeline.entries:
            return None
        return self._timeline.state_at(self._timeline.cursor, self._model, self.prepared)

    @property
    def problem(self) -> str | None:
        """Why there is no state (e.g. "Add at least 3 points to fit K = 3 clusters."), or None."""
        return None if self._timeline.entries else self._problem

    @property
    def shown_objective(self) -> float | None:
        """The shown entry's objective as the window shows it; None for a
        k-means++ pick and where there is none to show (K-Means' start:
        J sums over assignments the points do not have yet)."""
        entry = self._timeline.entry
        if entry is None or entry.phase == "seed" or not objective_defined(self._settings.entry, entry.phase):
            return None
        return float(entry.objective)

    objectives = property(lambda self: self._timeline.objectives,
                          doc="ndarray of shape (len(timeline),): the objective of every entry "
                              "(a k-means++ pick's potential for \"seed\" entries).")
    iterations = property(lambda self: self._timeline.iterations,
                          doc="ndarray of shape (len(timeline),): the iteration of every entry (0 for picks).")
    phases = property(lambda self: self._timeline.phases,
                      doc="The phase (\"seed\", \"init\", \"E\" or \"M\") of every entry.")
    fit_entries = property(lambda self: self._timeline.fit_entries,
                           doc="Boolean ndarray of shape (len(timeline),): True for the entries of the fit "
                               "proper, False for k-means++ picks (whose objective is a potential).")

    @property
    def converged(self) -> bool:
        """Whether the shown entry is converged (the model's tolerance met).

        K-Means flags the E half-step in which no label changes; its M half
        (which moves nothing) is converged too. Convergence does not end the
        run: `step` goes on (see `can_step`); `met_tolerance` is where a run
        to convergence stops.
        """
        entry = self._timeline.entry
        return entry is not None and bool(entry.converged)

    met_tolerance = property(lambda self: self._timeline.met_tolerance,
                             doc="Whether the shown entry is a converged one that completes an iteration "
                                 "(not an E half): where `run_to_convergence` and Play stop.")
    at_start = property(lambda self: self._timeline.cursor == 0)
    at_end = property(lambda self: self._timeline.cursor >= len(self._timeline.entries) - 1)
    reached_max_iter = property(lambda self: self._timeline.reached_max_iter(self.max_iter),
                                doc="At the end of the timeline with `max_iter` full iterations done.")
    can_step = property(lambda self: self._timeline.can_step(self.max_iter),
                        doc="Whether `step` / `half_step` would change anything: True after convergence "
                            "too, until `max_iter` or a step that would move nothing (a fixed point).")

    @property
    def n_changed(self) -> int | None:
        """How many points changed cluster versus the previous timeline entry
        whose shown state has labels; None if there is none."""
        return self._timeline.n_changed(self._model, self.prepared)

    def info_text(self) -> str:
        """One status line, e.g. "Iteration 4 · M-step · J = 123.45 · Converged after 4 iterations ·
        Tolerance met (tol = 0.001): Play stops here, Step continues the run"."""
        note = run_note(self)
        return info_text(self) if note is None else f"{info_text(self)} · {note}"

    @property
    def adjusted_rand(self) -> float | None:
        """Adjusted Rand index between the shown clustering (hard labels; for
        an "init" entry, the nearest-parameter assignment its E-step would
        give) and the true classes; None without a fit, for a k-means++ pick,
        or without at least two classes."""
        key = (self.version, self.cursor)
        if self._ari is None or self._ari[0] != key:
            self._ari = (key, shown_adjusted_rand(self))
        return self._ari[1]

    def __repr__(self) -> str:
        return (f"Session(dataset={self.dataset.name!r}, n_points={self.n_points}, "
                f"algorithm={self.algorithm!r}, n_clusters={self.n_clusters}, "
                f"cursor={self.cursor}, timeline={len(self._timeline.entries)} entries)")

    # -------------------------------------------------------------- stepping
    def prepare_step(self, half: bool = False) -> PendingStep | None:
        """Compute the next step without changing the session.

        Safe on a worker thread: it changes no attribute of the session, and
        may only add to the `prepared` data what the model builds from them
        on first use (see "Threads" in `clusterviz.session.timeline`). Commit
        the result with `apply_step` on the thread that owns the session.
        ``half``: False for `step`, True for `half_step`. Returns None when
        there is no fit; raises ModelError if the model cannot take the step.
        """
        version = self.version  # first: a model or data replaced after it makes the result stale
        model, prepared, max_iter = self._model, self.prepared, self.max_iter
        return self._timeline.prepare_step(model, prepared, max_iter, half, version=version)

    def apply_step(self, pending: PendingStep | None) -> FitState | None:
        """Commit a step from `prepare_step`; returns the new shown state, or
        None (and nothing changes) if ``pending`` is None or stale."""
        if not self._timeline.apply(pending):
            return None
        return self.state

    def is_current(self, pending: PendingStep | None) -> bool:
        """Whether `pending` was computed from the session as it is now."""
        return self._timeline.is_current(pending)

    def step(self) -> FitState | None:
        """One full iteration (E then M; only the M snapshot is stored), or the
        missing M half when the shown entry is an E. Away from the end of the
        timeline it replays the stored entries instead of recomputing. Does
        nothing once converged (a converged "E" still gets its M half) or
        after `max_iter` iterations or at a fixed point; convergence does
        not stop it (the run goes on). Raises ModelError if the model cannot
        take the step; the timeline is unchanged."""
        self._timeline.apply(self.prepare_step(half=False))
        return self.state

    def half_step(self) -> FitState | None:
        """One half-step: E after "init" or "M", M after "E"; replays one
        entry when not at the end of the timeline. Raises ModelError."""
        self._timeline.apply(self.prepare_step(half=True))
        return self.state

    def step_back(self) -> FitState | None:
        """Move the cursor one entry back (no recomputation)."""
        return self.seek(self.cursor - 1)

    def seek(self, index: int) -> FitState | None:
        """Move the cursor to `index`, clamped to the timeline."""
        self._timeline.seek(index)
        return self.state

    def seek_end(self) -> FitState | None:
        """Move the cursor to the last entry."""
        return self.seek(len(self._timeline.entries) - 1)

    def run_to_convergence(self, max_steps: int | None = None) -> FitState | None:
        """Call `step` until an entry meets the tolerance (`met_tolerance`),
        `max_iter` is reached, or `max_steps` steps were taken (replayed
        steps count). Started on an entry that meets the tolerance, it goes
        on until `max_iter` or a fixed point. Raises ModelError if a step
        fails; the steps before it are kept."""
        run_steps(self, max_steps)
        return self.state

    def start_from(self, entry: FitState, after_picks: bool = True) -> FitState | None:
        """Start the fit at ``entry``, an "init" snapshot (such as a session
        file's start), after the k-means++ picks shown (none with
        ``after_picks=False``); cursor 0. Raises ValueError (ModelError when
        the model cannot use its parameters) as `Timeline.start_from` says,
        and then the timeline is unchanged."""
        self._timeline.start_from(entry, after_picks, self.problem, self._model, self.prepared)
        return self.state

    def reset(self) -> FitState | None:
        """Re-initialise with the current settings and seed; the timeline
        becomes [init] (after the k-means++ picks when they are shown)."""
        return self._reinitialise()

    # -------------------------------------------------------------- settings
    def set_algorithm(self, name: str) -> FitState | None:
        """Choose one of `ALGORITHMS`; re-initialises."""
        return self._change(algorithm=name)

    def set_n_clusters(self, k: int) -> FitState | None:
        """Set K (>= 1); re-initialises. Clears `initial_means` of another K.
        With K > N there is no state and `problem` says so."""
        settings = self._settings.replace(n_clusters=k)
        if settings.n_clusters == self.n_clusters:
            return self.state
        M = settings.initial_means
        return self._change(n_clusters=k, initial_means=None if M is not None and M.shape[0] != k else M)

    def set_init(self, name: str) -> FitState | None:
        """Choose one of `INITS`; clears `initial_means`; re-initialises.
        Any init but "k-means++" turns `show_seeding` off (for good)."""
        init = self._settings.replace(init=name).init
        show_seeding = self.show_seeding and init == "k-means++"
        if init == self.init and self.initial_means is None:
            return self._change(show_seeding=show_seeding)
        return self._change(force=True, init=init, initial_means=None, show_seeding=show_seeding)

    def set_seed(self, seed: int) -> FitState | None:
        """Set the seed (int >= 0); re-initialises."""
        return self._change(seed=seed)

    def set_show_seeding(self, on: bool) -> FitState | None:
        """Open the timeline with one entry per k-means++ pick (init
        "k-means++", no hand-placed means); re-initialises when that changes
        what the timeline starts with."""
        return self._change(show_seeding=on)

    def set_covariance_type(self, covariance_type: str) -> FitState | None:
        """Choose one of `COVARIANCE_TYPES`; re-initialises an algorithm that fits covariances."""
        return self._change(covariance_type=covariance_type)

    def set_beta(self, beta: float) -> FitState | None:
        """Set the stiffness (> 0) of an algorithm that has one.

        During a run the fit goes on from the shown means with the new β (a
        new "init" entry, as after a data edit), so raising β step by step
        anneals soft K-Means into K-Means; without a run it initialises.
        """
        settings, entry = self._settings.replace(beta=beta), self._timeline.entry
        if settings.beta == self.beta or not settings.entry.uses_beta or entry is None or entry.phase == "seed":
            return self._change(beta=beta)  # nothing, a rebuilt model, or a fresh start
        self._settings = settings
        self._rebuild_model()
        try:
            restarted = beta_restarted(self._model, self.prepared, entry, settings.beta)
        except ModelError:
            return self._reinitialise()
        self._restart([restarted])
        return self.state

    def set_max_iter(self, max_iter: int) -> FitState | None:
        """Change the iteration limit; keeps the timeline (a higher limit lets
        a stopped fit go on). A step in flight under the old limit is dropped
        (`version` moves on)."""
        return self._change(max_iter=max_iter)

    def set_tol(self, tol: float | None) -> FitState | None:
        """Set the convergence tolerance (a number >= 0; None: the
        algorithm's default). Keeps the timeline: entries already computed
        keep their flags, the next steps use the new tolerance (`version`
        moves on). Its meaning is the algorithm's (see `SessionSettings.tol`)."""
        return self._change(tol=tol)

    def set_n_init(self, n_init: int) -> FitState | None:
        """Set how many starts a (re)initialisation tries (a whole number >=
        1; see the module docstring); re-initialises when it changes."""
        return self._change(n_init=n_init)

    def set_initial_means(self, means) -> FitState | None:
        """Start from hand-placed means, array_like of shape (n_clusters,
        n_features), instead of `init` (K becomes ``len(means)``; None goes
        back to `init`); re-initialises. Raises ValueError if the shape does
        not match the data's columns or a value is not finite."""
        if means is None:
            return self.state if self.initial_means is None else self._change(force=True, initial_means=None)
        M = check_initial_means(means, self.n_features)
        # hand-placed means replace the k-means++ picks: show_seeding goes off, as with another init
        return self._change(force=True, initial_means=M, n_clusters=int(M.shape[0]), show_seeding=False)

    def load_dataset(self, dataset: Dataset) -> FitState | None:
        """Replace the data set; clears `initial_means`, shows columns (0, 1)
        and re-initialises."""
        self._data.load(dataset)
        return self._new_columns()

    # ------------------------------------------------------------ files
    def to_payload(self) -> dict:
        """Everything needed to rebuild this session, as JSON-ready data
        (see `clusterviz.session.payload`)."""
        return _payload.to_payload(self)

    @classmethod
    def from_payload(cls, payload: dict, name: str = "session") -> Session:
        """A NEW session rebuilt from `to_payload`'s data, its timeline
        replayed; raises DataError naming the file ``name`` and the field."""
        return _payload.from_payload(cls, payload, name)

    # ------------------------------------------------------------ internals
    def _change(self, force: bool = False, **changes) -> FitState | None:
        """Apply checked setting ``changes``; re-initialise when they change
        what the fit starts from (``force``: always), else only rebuild the model."""
        old, new = self._settings, self._settings.replace(**changes)
        self._settings = new
        if force or _start_key(old) != _start_key(new):
            return self._reinitialise()
        if not all(_same(getattr(old, k), getattr(new, k)) for k in changes if k != "show_seeding"):
            self._rebuild_model()  # e.g. the covariance type of an algorithm that ignores it
        return self.state

    def _build_model(self):
        return build_model(self._settings, self.prepared, self._start_seed)

    def _rebuild_model(self) -> None:
        """A new model from the settings, the timeline kept: `version` moves
        on, so a step computed with the old model is never applied."""
        self._model = self._build_model()
        self._timeline.bump()

    def _restart(self, entries=()) -> None:
        self._timeline.restart(entries)
        self._problem = None

    def _reinitialise(self) -> FitState | None:
        # The timeline (and version) last: who reads the new version reads the new model.
        entries, problem, note = [], None, None
        try:
            self._start_seed = self._settings.seed
            problem = too_few_points(self.n_clusters, self.n_points)
            if problem is None:
                self._start_seed, note = choose_start(self._settings, self.prepared)
            self._model = self._build_model()
            if problem is None:
                entries = initial_entries(self._settings, self._model, self.prepared, self._start_seed, note)
        except ModelError as err:  # e.g. the GMM's start cannot be computed on these data
            problem = str(err)
        self._restart(entries)
        self._problem = problem
        return self.state

    def _new_columns(self) -> FitState | None:
        """After data with other columns: no hand-placed means, the default view, a fresh start."""
        self._settings = self._settings.replace(initial_means=None)
        self._view.reset(self.n_features)
        return self._reinitialise()

    def _edit(self, X: np.ndarray, labels, class_names=KEEP) -> FitState | None:
        """New points; the fit restarts from the shown parameters (see the module docstring)."""
        shown = self._timeline.entry
        self._data.replace(X, labels, class_names)
        if shown is None or shown.phase == "seed" or too_few_points(self.n_clusters, self.n_points):
            return self._reinitialise()
        try:
            entry = restarted(self._model, self.prepared, shown)
        except ModelError:
            return self._reinitialise()
        self._restart([entry])
        return self.state


def _same(a, b) -> bool:
    """Whether two setting values are equal (arrays only when they are the same object)."""
    return a is b or not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray) and a == b


def _start_key(settings: SessionSettings) -> tuple:
    """What the fit's start depends on: settings the algorithm uses, except max_iter and tol."""
    entry = settings.entry
    means = settings.initial_means
    return (settings.algorithm, settings.n_clusters, settings.init, settings.seed, settings.n_init,
            settings.seeds_shown,
            settings.covariance_type if entry.covariance_types else None,
            settings.beta if entry.uses_beta else None,
            None if means is None else id(means))
