"""The Qt-free heart of clusterviz: data, settings and the timeline of a fit.

A `Session` holds the data set, the chosen algorithm and its settings, the
seed, and a *timeline*: the list of parameter snapshots (means, covariances,
weights, objective, phase) produced by initialisation, E half-steps and M
half-steps, with a *cursor* on the one shown. Every user action is a method
of `Session`; none emits anything (a small ``QObject`` adapter in
``clusterviz.ui`` calls the session and emits Qt signals).

`Session` is a thin facade over small parts, each with one job:

- `settings` -- `SessionSettings`, the validated settings (a frozen value),
  and the lists of choices, all derived from the algorithm registry
  (`clusterviz.model.registry`): nothing here compares algorithm names;
- `data` -- `DataOwner`: the data set with its edits and true classes, and
  the `Prepared` data made once per data version and passed to every model
  call;
- `timeline` -- `Timeline`: the entries, the cursor, the version, the cache
  of shown states with responsibilities, and the step protocol
  (`PendingStep`: compute on a worker, apply on the GUI thread);
- `start` -- the estimator from the registry, the first entries of a fit,
  and the restarts after a data edit or a change of beta;
- `seeding` -- k-means++ picks as "seed" timeline entries;
- `view` -- the shown columns or projection;
- `text` -- the info line and the one number formatter `format_number`;
- `payload` -- sessions to and from session-file payloads;
- `pair` -- `SessionPair`, two sessions (K-Means and EM) stepped together
  with the same protocol, so one controller plays either;
- `facade` -- `Session` itself.
"""
from __future__ import annotations

from .facade import Session
from .pair import SessionPair
from .settings import ALGORITHM_NAMES, ALGORITHMS, COVARIANCE_TYPES, INITS, SessionSettings
from .text import default_class_name, format_number, format_setting
from .timeline import PendingStep

__all__ = [
    "ALGORITHMS",
    "ALGORITHM_NAMES",
    "COVARIANCE_TYPES",
    "INITS",
    "PendingStep",
    "Session",
    "SessionPair",
    "SessionSettings",
    "default_class_name",
    "format_number",
    "format_setting",
]
