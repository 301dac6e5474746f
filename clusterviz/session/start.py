"""How a fit starts: the estimator, the first entries, and restarts.

- `build_model`: the registry entry's factory, given the session's settings
  and prepared data (EM's broad start and reg_covar policy live in the
  model layer).
- `choose_start`: with ``n_init`` > 1, the seed whose start's full run ends
  best (scikit-learn's "best of n_init runs", for a stepped fit).
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

import numpy as np

from clusterviz.model import FitState, ModelError

from .seeding import seed_entries
from .settings import SessionSettings
from .text import format_number, format_setting, plural

__all__ = ["beta_restarted", "build_model", "choose_start", "final_state", "initial_entries", "restarted",
           "too_few_points"]

RESTART_NOTE = "Restarted from the current parameters because the data changed."


def build_model(settings: SessionSettings, prepared, seed: int | None = None):
    """The estimator for ``settings`` on the prepared data, its start drawn
    with ``seed`` (default: the settings' seed)."""
    return settings.entry.build(settings.model_settings(seed), prepared)


def final_state(model, prepared, start: FitState | None = None) -> FitState:
    """Where a run of ``model`` ends, from ``start`` (default: its own
    initialisation): full steps until the tolerance is met or ``max_iter``."""
    state = model.initialize(prepared) if start is None else start
    while not (state.converged and state.phase != "E") and state.iteration < model.max_iter:
        state = model.step(prepared, state)
    return state


def choose_start(settings: SessionSettings, prepared) -> tuple[int, str | None]:
    """The seed to draw the start with, and a note saying why.

    With ``n_init`` = 1 (or hand-placed means) it is the settings' seed and
    no note. Otherwise every seed of ``settings.start_seeds`` is run to its
    end (`final_state`) and the one whose objective is best wins (lowest
    for a distortion, highest for a log-likelihood; ties: the first seed),
    as scikit-learn keeps the best of ``n_init`` runs. Seeds whose run
    fails or ends on a value that is not finite are passed over; when all
    fail, the settings' seed is returned, and initialising says why.
    """
    seeds = settings.start_seeds
    if len(seeds) == 1:
        return seeds[0], None
    sign = 1.0 if settings.entry.higher_is_better else -1.0
    ends = []
    for seed in seeds:
        try:
            end = float(final_state(build_model(settings, prepared, seed), prepared).objective)
        except ModelError:
            continue
        if np.isfinite(end):
            ends.append((sign * end, -seed, seed, end))
    if not ends:
        return settings.seed, None
    _, _, best, value = max(ends)
    symbol = settings.entry.objective_symbol
    return best, (f"Best of {len(seeds)} starts (seeds {seeds[0]}–{seeds[-1]}): seed {best}'s run ended at "
                  f"{symbol} = {format_number(value)}; this is its start.")


def too_few_points(n_clusters: int, n_points: int) -> str | None:
    """Why K clusters cannot be fitted to N points, or None."""
    K, N = n_clusters, n_points
    if N >= K:
        return None
    return (f"Add at least {plural(K, 'point')} to fit K = {K} {'cluster' if K == 1 else 'clusters'}"
            f" ({N} so far): click on the canvas.")


def initial_entries(settings: SessionSettings, model, prepared, seed: int | None = None,
                    note: str | None = None) -> list[FitState]:
    """The timeline a fit starts with: the picks (when shown), then "init".

    ``seed``: the seed ``model``'s start is drawn with (default: the
    settings'), so the picks shown are its picks; ``note`` (e.g. which of
    the n_init starts won) is added to the "init" entry's notes.

    Raises
    ------
    ModelError
        If the model cannot initialise on these data.
    """
    seed = settings.seed if seed is None else seed
    initial = model.initialize(prepared)
    seeds = seed_entries(prepared.X, settings.n_clusters, seed) if settings.seeds_shown else []
    start_note = settings.entry.start_note
    if start_note is not None:  # say where the start came from, in the app's words
        initial = dataclasses.replace(initial, notes=(start_note(settings.model_settings(seed)),) + tuple(
            text for text in initial.notes if not text.startswith("Started from the given")))
    if note is not None:
        initial = dataclasses.replace(initial, notes=tuple(initial.notes) + (note,))
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
