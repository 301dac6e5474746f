"""How a fit starts: the estimator, the first entries, and restarts.

- `build_model`: the registry entry's factory, given the session's settings
  and prepared data (EM's broad start and reg_covar policy live in the
  model layer).
- `initial_entries`: the "init" entry (with the registry entry's
  `start_note` where the app starts the algorithm its own way), after the
  k-means++ picks when they are shown.
- `restarted`: after a data edit, a new "init" entry with the shown
  parameters, its objective recomputed on the new data.
- `beta_restarted`: after a change of beta during a run, a new "init" entry
  going on from the shown means.
"""
from __future__ import annotations

import dataclasses

from clusterviz.model import FitState

from .seeding import seed_entries
from .settings import SessionSettings
from .text import format_setting, plural

__all__ = ["beta_restarted", "build_model", "initial_entries", "restarted", "too_few_points"]

RESTART_NOTE = "Restarted from the current parameters because the data changed."


def build_model(settings: SessionSettings, prepared):
    """The estimator for ``settings`` on the prepared data."""
    return settings.entry.build(settings.model_settings(), prepared)


def too_few_points(n_clusters: int, n_points: int) -> str | None:
    """Why K clusters cannot be fitted to N points, or None."""
    K, N = n_clusters, n_points
    if N >= K:
        return None
    return (f"Add at least {plural(K, 'point')} to fit K = {K} {'cluster' if K == 1 else 'clusters'}"
            f" ({N} so far): click on the canvas.")


def initial_entries(settings: SessionSettings, model, prepared) -> list[FitState]:
    """The timeline a fit starts with: the picks (when shown), then "init".

    Raises
    ------
    ModelError
        If the model cannot initialise on these data.
    """
    initial = model.initialize(prepared)
    seeds = seed_entries(prepared.X, settings.n_clusters, settings.seed) if settings.seeds_shown else []
    start_note = settings.entry.start_note
    if start_note is not None:  # say where the start came from, in the app's words
        initial = dataclasses.replace(initial, notes=(start_note(settings.model_settings()),) + tuple(
            note for note in initial.notes if not note.startswith("Started from the given")))
    return seeds + [initial.without_assignments()]


def restarted(model, prepared, snapshot: FitState) -> FitState:
    """A new "init" entry with `snapshot`'s parameters, its objective (and,
    for K-Means, its weights: the cluster fractions) measured on the current
    data by the model's own :meth:`restart`."""
    entry = model.restart(prepared, snapshot.without_assignments())
    return dataclasses.replace(entry.without_assignments(), notes=(RESTART_NOTE,))


def beta_restarted(model, prepared, entry: FitState, beta: float) -> FitState:
    """A new "init" entry going on from ``entry``'s means with the model's
    new beta (its responsibilities, objective and covariances)."""
    e = model.e_step(prepared, entry.without_assignments())
    note = (f"β changed to {format_setting(beta)} (ε = 1/(2β) = {format_setting(1 / (2 * beta))}): "
            "going on from the current means.")
    return dataclasses.replace(e.without_assignments(), iteration=0, phase="init", converged=False, notes=(note,))
