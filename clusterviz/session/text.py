"""Display text of a session: numbers, the status line, the ARI, class names.

`format_number` is the one formatter for objective values and other
numbers the app shows; `format_setting` writes a setting (three
significant digits, no exponent).
"""
from __future__ import annotations

import numpy as np

from clusterviz.model import FitState
from clusterviz.model.metrics import adjusted_rand_index

from .timeline import hard_labels

__all__ = ["ARI_LABEL", "PHASE_NAMES", "default_class_name", "format_number", "format_setting", "info_text",
           "iteration_number", "objective_defined", "plural", "position_text", "shown_adjusted_rand"]

PHASE_NAMES = {"seed": "k-means++ seeding", "init": "Initialisation", "E": "E-step", "M": "M-step"}
#: How the app names the adjusted Rand index against the data's true classes, everywhere.
ARI_LABEL = "ARI vs true classes"
#: Said in place of an objective that needs an assignment the points do not have yet.
NOT_ASSIGNED = "— (points not assigned yet)"


def format_number(value: float) -> str:
    """Two decimals for ordinary magnitudes (123.45, 8901.77), with
    thousands separators from 10^4 (-323,357.51, as the plots' axes write
    them), whole from 10^9 (51,290,000,000); four significant digits with
    an exponent beyond (1.234e+16, 3.2e-05)."""
    value = float(value)
    if value == 0 or 1e-2 <= abs(value) < 1e4:
        return f"{value:.2f}"
    if 1e4 <= abs(value) < 1e9:
        return f"{value:,.2f}"
    if 1e9 <= abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def format_setting(value: float) -> str:
    """Three significant digits without an exponent: 1000, 0.3, 0.0005."""
    return np.format_float_positional(value, precision=3, unique=True, fractional=False, trim="-")


def plural(n: int, word: str) -> str:
    """``"1 point"``, ``"3 points"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def default_class_name(code: int) -> str:
    """Name of a true class painted by hand: code 0 is "Class 1"."""
    return f"Class {int(code) + 1}"


def seed_text(entry: FitState, n_clusters: int) -> str:
    """Status line of a k-means++ pick entry."""
    pick = entry.seeding
    chosen = pick.number + 1 if pick is not None else entry.n_clusters
    return (f"{PHASE_NAMES['seed']} · centre {chosen} of {n_clusters} · "
            f"D² potential = {format_number(float(entry.objective))}")


def shown_adjusted_rand(session) -> float | None:
    """Adjusted Rand index between ``session``'s shown clustering (hard
    labels; for an "init" entry, the assignment its E-step would give) and
    the true classes; None without a fit, for a k-means++ pick, or without
    at least two classes."""
    labels, entry = session.dataset.labels, session.entry
    if labels is None or entry is None or entry.phase == "seed" or session.n_points == 0 \
            or labels.min() == labels.max():
        return None
    hard = hard_labels(session.state)
    if hard is None:
        hard = hard_labels(session.model.e_step(session.prepared, entry))
    return None if hard is None or hard.shape != labels.shape else float(adjusted_rand_index(labels, hard))


def iteration_number(entry: FitState) -> int:
    """The iteration an entry belongs to: an E-step opens the next
    iteration, its M-step completes it; the start is iteration 0."""
    return int(entry.iteration) + (1 if entry.phase == "E" else 0)


def position_text(session) -> str:
    """Where the shown entry sits in the timeline, in the info line's words:
    "Iteration 2 of 5 · E-step", "k-means++ pick 2 of 4", "No steps"."""
    timeline = session.timeline
    entry = session.entry
    if not timeline or entry is None:
        return "No steps"
    if entry.phase == "seed":
        return f"k-means++ pick {int(session.cursor) + 1} of {int(session.n_seed_entries)}"
    last = iteration_number(timeline[-1])
    return f"Iteration {iteration_number(entry)} of {last} · {PHASE_NAMES.get(entry.phase, entry.phase)}"


def objective_defined(algorithm, phase: str) -> bool:
    """Whether an entry of ``phase`` has an objective to show: K-Means' J sums
    over the assignments r_nk (PRML 9.1), which a start ("init") has not made
    yet; a mixture's ℓ is a function of the drawn parameters alone.
    ``algorithm`` is the registry entry."""
    return not (phase == "init" and algorithm.hard)


def objective_shown(session, entry: FitState) -> str:
    """The objective of ``entry`` as the status line writes it: "J = 123.45";
    for an entry without assignments ("init") only an objective of the
    parameters alone (a mixture's ℓ) has a value: K-Means' J sums over the
    assignments r_nk (PRML 9.1), which the start has not made yet."""
    algorithm = session.settings.entry
    if not objective_defined(algorithm, entry.phase):
        return f"{algorithm.objective_symbol} = {NOT_ASSIGNED}"
    return f"{algorithm.objective_symbol} = {format_number(float(entry.objective))}"


def info_text(session) -> str:
    """One status line, e.g. "Iteration 4 · M-step · J = 123.45 ·
    ARI vs true classes = 0.912 · Converged after 4 iterations · No point
    changed its cluster, so the centres stay where they are." (the model's
    notes, which give the reason, last).

    Numbers only for what is drawn: at the start (no assignment yet) there
    is no ARI, and no objective that needs an assignment (see `objective_shown`).
    """
    entry = session.entry
    if entry is None:
        return session.problem or "No fit."
    if entry.phase == "seed":
        return seed_text(entry, session.n_clusters)
    algorithm = session.settings.entry
    parts = [
        f"Iteration {iteration_number(entry)}",
        PHASE_NAMES.get(entry.phase, entry.phase),
        objective_shown(session, entry),
    ]
    if algorithm.uses_beta:  # Bishop's limit: covariance εI with ε = 1/(2β)
        beta = session.beta
        parts.append(f"β = {format_setting(beta)}, ε = 1/(2β) = {format_setting(1 / (2 * beta))}")
    ari = session.adjusted_rand if entry.phase != "init" else None  # grey points: nothing to compare
    if ari is not None:
        parts.append(f"{ARI_LABEL} = {ari:.3f}")
    if entry.converged and entry.phase == "E":
        parts.append("Converged (the M-step will not move the parameters)")
    elif entry.converged:
        parts.append(f"Converged after {plural(entry.iteration, 'iteration')}")
    elif session.reached_max_iter:
        parts.append(f"Stopped at max_iter = {session.max_iter} without converging")
    if entry.phase == "init" and not entry.notes and session.initial_means is not None:
        parts.append("Initial centroids placed by hand")
    parts.extend(entry.notes)
    return " · ".join(parts)
