"""Sessions as JSON-ready payloads (the file format is
`clusterviz.data.session_file`).

The timeline is stored as its first entry's parameters (when they are not
what the settings initialise, e.g. after a data edit), the phase and
objective of every entry, and the cursor. `from_payload` builds a NEW
session from the settings and replays the steps -- they are pure functions
of (data, state) -- and checks that they reproduce the stored objectives.
The k-means++ picks ("seed" entries) are made again from the settings and
checked the same way.

Which settings values a file may hold (algorithm names, inits, covariance
types) comes from the registry through `SETTING_CHOICES`, which is handed to
`clusterviz.data.session_file.check_payload`.
"""
from __future__ import annotations

import numpy as np

from clusterviz.data import Dataset, DataError
from clusterviz.data.session_file import FORMAT_KEY, FORMAT_VERSION, check_payload
from clusterviz.data.transform import project_points
from clusterviz.model import FitState, ModelError

from .settings import ALGORITHMS, COVARIANCE_TYPES, INITS

__all__ = ["SETTING_CHOICES", "from_payload", "to_payload"]

#: The values each text setting of a session file may take.
SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "algorithm": ALGORITHMS, "init": INITS, "covariance_type": COVARIANCE_TYPES,
}


def _array(values) -> list | None:
    return None if values is None else np.asarray(values).tolist()


def to_payload(session, arrays: bool = False) -> dict:
    """Everything needed to rebuild ``session``, as JSON-ready data.

    ``arrays`` True leaves the data set's points and classes as its own
    read-only arrays (by reference, no copy: cheap enough for the GUI thread
    at 10**6 points; the session file writer stores them as array blocks)
    instead of lists.
    """
    ds, settings, entries = session.dataset, session.settings, session.timeline
    start = None
    if entries:
        first = entries[session.n_seed_entries]
        start = {"means": _array(first.means), "weights": _array(first.weights),
                 "covariances": _array(first.covariances), "objective": float(first.objective),
                 "startprob": _array(first.startprob), "transmat": _array(first.transmat),
                 "notes": list(first.notes)}
    return {
        FORMAT_KEY: FORMAT_VERSION,
        "saved_by": "clusterviz",
        "dataset": {"name": ds.name, "columns": list(ds.columns), "X": ds.X if arrays else ds.X.tolist(),
                    "labels": ds.labels if arrays else _array(ds.labels), "lengths": None if ds.lengths is None else list(ds.lengths),
                    "class_names": None if ds.class_names is None else list(ds.class_names)},
        "settings": {"algorithm": settings.algorithm, "n_clusters": settings.n_clusters, "init": settings.init,
                     "seed": settings.seed, "covariance_type": settings.covariance_type, "beta": settings.beta,
                     "max_iter": settings.max_iter, "show_seeding": settings.show_seeding,
                     "tol": settings.tol, "n_init": settings.n_init},
        "initial_means": _array(settings.initial_means),
        "view": {"columns": list(session.view_columns), "projection": _array(session.view_projection),
                 "center": _array(session.view_center)},
        "timeline": {"start": start, "phases": list(session.phases),
                     "objectives": session.objectives.tolist(), "cursor": session.cursor},
    }


def _frozen(values) -> np.ndarray:
    a = np.array(values, dtype=np.float64)
    a.setflags(write=False)
    return a


def _dataset(d: dict) -> Dataset:
    labels = d["labels"]
    return Dataset(name=d["name"], X=np.array(d["X"], dtype=np.float64).reshape(len(d["X"]), len(d["columns"])),
                   columns=tuple(d["columns"]), labels=None if labels is None else np.array(labels, dtype=np.int64),
                   class_names=None if d["class_names"] is None else tuple(d["class_names"]), lengths=d.get("lengths"))


def _configured(cls, payload: dict, name: str):
    """The session the payload's data, settings and view give (no replay yet)."""
    st = payload["settings"]
    field = "settings"
    try:
        session = cls(_dataset(payload["dataset"]), algorithm=st["algorithm"], n_clusters=st["n_clusters"],
                      init=st["init"], seed=st["seed"], covariance_type=st["covariance_type"], beta=st["beta"],
                      max_iter=st["max_iter"], show_seeding=st.get("show_seeding", False),
                      tol=st.get("tol"), n_init=st.get("n_init", 1))
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
    return session


def _use_start(session, start: dict, n_seeds: int, name: str) -> None:
    """Replace the session's "init" entry by the stored one (after its first
    ``n_seeds`` pick entries), checking it."""
    entries = session.timeline
    covs = start["covariances"]
    if (covs is None) != (entries[session.n_seed_entries].covariances is None):
        raise DataError(f"{name}: field 'timeline.start.covariances' does not suit the algorithm "
                        f"{session.algorithm!r}.")
    try:  # the stored start must suit the fit, be usable (e.g. positive definite) and match its objective
        session.start_from(FitState(
            iteration=0, phase="init", means=_frozen(start["means"]), weights=_frozen(start["weights"]),
            objective=float(start["objective"]), covariances=None if covs is None else _frozen(covs),
            converged=False, notes=tuple(start["notes"]) if "notes" in start else (),
            startprob=None if start.get("startprob") is None else _frozen(start["startprob"]),
            transmat=None if start.get("transmat") is None else _frozen(start["transmat"]),
        ), after_picks=n_seeds > 0)
        check = session.model.e_step(session.prepared, session.timeline[n_seeds])
    except ValueError as err:  # ModelError included
        raise DataError(f"{name}: field 'timeline.start' cannot be used: {err}") from None
    if not np.isclose(check.objective, start["objective"], rtol=1e-6,
                      atol=1e-9 * max(1.0, abs(float(start["objective"])))):
        raise DataError(f"{name}: field 'timeline.start.objective' is {start['objective']!r}, but its "
                        f"parameters give {check.objective!r}; the file does not match its data.")


def from_payload(cls, payload: dict, name: str = "session"):
    """A new ``cls`` session rebuilt from ``payload``, its timeline replayed.

    Raises
    ------
    DataError
        If the payload is malformed, a value is not allowed, or replaying
        the steps does not reproduce the stored objectives. The message
        names the file and the field.
    """
    check_payload(payload, name, choices=SETTING_CHOICES)
    tl = payload["timeline"]
    session = _configured(cls, payload, name)
    phases, objectives = tl["phases"], tl["objectives"]
    if not phases:
        if session.timeline:
            raise DataError(f"{name}: field 'timeline.phases' is empty, but the data can be fitted.")
        return session
    if not session.timeline:
        raise DataError(f"{name}: field 'timeline.phases' has entries, but there is no fit: {session.problem}")
    n_seeds = phases.index("init")
    start = tl["start"]
    # A start stored after a data edit has no picks before it.
    if n_seeds != session.n_seed_entries and not (start is not None and n_seeds == 0):
        raise DataError(f"{name}: field 'timeline.phases' opens with {n_seeds} 'seed' entries; the settings "
                        f"give {session.n_seed_entries}.")
    if start is not None:
        _use_start(session, start, n_seeds, name)
    session.seek(n_seeds)
    try:
        for i, phase in enumerate(phases[n_seeds + 1:], start=n_seeds + 1):
            pending = session.prepare_step(half=(phase == "E"))
            if pending is None or not pending.appended or pending.appended[-1].phase != phase:
                raise DataError(f"{name}: field 'timeline.phases' cannot be replayed: the fit stops "
                                f"before entry {i} ({phase!r}).")
            session.apply_step(pending)
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
