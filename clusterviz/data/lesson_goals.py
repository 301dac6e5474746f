"""The "Try it" goals of a lesson chapter: checked specs, and their check
against a session, with feedback that quotes the numbers (no Qt).

A goal is a JSON object with a ``kind`` and the fields of that kind:

=============================  ===============================================
kind                           fields
=============================  ===============================================
``algorithm_is``               ``algorithm`` (a registry name)
``k_is``                       ``k``
``covariance_is``              ``covariance``
``converged``                  (none)
``objective_below``            ``value``
``objective_above``            ``value``
``different_local_minimum``    ``reference``, optional ``tolerance`` (0.01)
``ari_above``                  ``value`` (adjusted Rand index with the classes)
``max_responsibility_above``   ``value`` (mean over points of max_k r_nk)
``objective_never_worse``      (none): converged, and the objective never
                               got worse from one entry to the next
``all``                        ``goals``: a list of goals, all to be met
=============================  ===============================================

`check_goal` reads the session it is given through its public properties
only (``algorithm``, ``n_clusters``, ``entry``, ``shown_objective``, ``objectives``, ...), so this
module imports nothing from the session layer.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["GOAL_FIELDS", "GoalCheck", "check_goal", "check_goal_spec"]

#: Every kind with its required and optional fields (name -> "number", "whole", "algorithm", ...).
GOAL_FIELDS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "algorithm_is": ({"algorithm": "algorithm"}, {}),
    "k_is": ({"k": "whole"}, {}),
    "covariance_is": ({"covariance": "covariance"}, {}),
    "converged": ({}, {}),
    "objective_below": ({"value": "number"}, {}),
    "objective_above": ({"value": "number"}, {}),
    "different_local_minimum": ({"reference": "number"}, {"tolerance": "number"}),
    "ari_above": ({"value": "number"}, {}),
    "max_responsibility_above": ({"value": "number"}, {}),
    "objective_never_worse": ({}, {}),
    "all": ({"goals": "goals"}, {}),
}
DEFAULT_TOLERANCE = 0.01


@dataclass(frozen=True)
class GoalCheck:
    """Whether a goal is met, and what the session shows, in numbers
    ("you found a different local minimum: J = 1541.66 against 322.00")."""

    met: bool
    text: str


def check_goal_spec(goal, algorithms, covariance_types, path: tuple = ()) -> tuple[tuple, str] | None:
    """None if ``goal`` is a valid goal, else (the path of the bad field, the problem)."""
    if not isinstance(goal, dict):
        return path, f"should be a goal object {{\"kind\": ...}}; got {goal!r}"
    kind = goal.get("kind")
    if kind not in GOAL_FIELDS:
        return path + ("kind",), f"is {kind!r}; choose one of {', '.join(GOAL_FIELDS)}"
    required, optional = GOAL_FIELDS[kind]
    for key in goal:
        if key != "kind" and key not in required and key not in optional:
            known = ", ".join(("kind",) + tuple(required) + tuple(optional))
            return path + (key,), f"is not a field of a {kind!r} goal; its fields: {known}"
    for key, what in {**required, **optional}.items():
        if key not in goal:
            if key in required:
                return path + ("kind",), f"{kind!r} needs the field {key!r}"
            continue
        value = goal[key]
        if what == "number" and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                 or not math.isfinite(value)):
            return path + (key,), f"should be a finite number; got {value!r}"
        if what == "whole" and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1):
            return path + (key,), f"should be a whole number >= 1; got {value!r}"
        if what == "algorithm" and value not in algorithms:
            return path + (key,), f"is {value!r}; choose one of {', '.join(algorithms)}"
        if what == "covariance" and value not in covariance_types:
            return path + (key,), f"is {value!r}; choose one of {', '.join(covariance_types)}"
        if what == "goals":
            if not isinstance(value, list) or not value:
                return path + (key,), "should be a non-empty list of goals"
            for i, part in enumerate(value):
                problem = check_goal_spec(part, algorithms, covariance_types, path + (key, i))
                if problem is not None:
                    return problem
    return None


def _number(value: float) -> str:
    """An objective as the lessons quote it: two decimals ("322.00")."""
    return f"{value:.2f}"


def _objective(session) -> tuple[str, float] | None:
    """(symbol, value) of the objective the window shows, or None."""
    value = session.shown_objective
    return None if value is None else (session.algorithm_entry.objective_symbol, value)


def _no_fit(session) -> str:
    if session.entry is None:
        return f"no fit yet: {session.problem}" if getattr(session, "problem", None) else "no fit yet"
    if session.entry.phase == "seed":
        return "a k-means++ pick is shown: step on to the fit"
    return f"no point is assigned yet, so there is no {session.algorithm_entry.objective_symbol}: take a step"


def check_goal(goal: dict, session, labels: dict[str, str] | None = None) -> GoalCheck:
    """Whether ``session`` (a `clusterviz.session.Session`) meets ``goal``.

    Parameters
    ----------
    goal : dict
        A goal that passed `check_goal_spec`.
    labels : dict, optional
        Algorithm name -> label, to name the algorithm a goal asks for.
    """
    kind = goal["kind"]
    if kind == "all":
        parts = [check_goal(part, session, labels) for part in goal["goals"]]
        met = all(p.met for p in parts)  # while not met, the parts already done carry a tick
        return GoalCheck(met, " · ".join(("✓ " if p.met and not met else "") + p.text for p in parts))
    return _CHECKS[kind](goal, session, labels or {})


def _algorithm_is(goal, session, labels) -> GoalCheck:
    wanted = goal["algorithm"]
    now = session.algorithm_entry.label
    if session.algorithm == wanted:
        return GoalCheck(True, f"algorithm: {now}")
    return GoalCheck(False, f"algorithm: {now}, not yet {labels.get(wanted, wanted)}")


def _k_is(goal, session, labels) -> GoalCheck:
    k = int(session.n_clusters)
    return GoalCheck(k == goal["k"], f"K = {k}")  # the K asked for is the student's to find


def _covariance_is(goal, session, labels) -> GoalCheck:
    now = session.covariance_type
    if now == goal["covariance"]:
        return GoalCheck(True, f"covariance: {now}")
    return GoalCheck(False, f"covariance: {now}, not yet {goal['covariance']}")


def _converged(goal, session, labels) -> GoalCheck:
    shown = _objective(session)
    if shown is None:
        return GoalCheck(False, _no_fit(session))
    symbol, value = shown
    iteration = session.entry.iteration
    if session.converged:
        return GoalCheck(True, f"converged after {iteration} iterations: {symbol} = {_number(value)}")
    return GoalCheck(False, f"not converged yet (iteration {iteration}, {symbol} = {_number(value)})")


def _objective_side(goal, session, below: bool) -> GoalCheck:
    shown = _objective(session)
    if shown is None:
        return GoalCheck(False, _no_fit(session))
    symbol, value = shown
    limit, word = goal["value"], "below" if below else "above"
    met = value < limit if below else value > limit
    return GoalCheck(met, f"{symbol} = {_number(value)}, {'' if met else 'not yet '}{word} {limit:g}")


def _different_local_minimum(goal, session, labels) -> GoalCheck:
    shown = _objective(session)
    if shown is None:
        return GoalCheck(False, _no_fit(session))
    symbol, value = shown
    reference = goal["reference"]
    tolerance = goal.get("tolerance", DEFAULT_TOLERANCE)
    if not session.converged:
        return GoalCheck(False, f"not converged yet ({symbol} = {_number(value)}); run it to the end")
    if abs(value - reference) <= tolerance:
        return GoalCheck(False, f"seed {session.seed} reaches {symbol} = {_number(value)}, the same minimum as "
                                f"{_number(reference)}; try another start")
    return GoalCheck(True, f"you found a different local minimum: seed {session.seed} stops at "
                           f"{symbol} = {_number(value)}, against {_number(reference)}")


def _ari_above(goal, session, labels) -> GoalCheck:
    ari = session.adjusted_rand
    if ari is None:
        return GoalCheck(False, "no ARI: step to a fit of a data set with true classes")
    met = ari > goal["value"]
    return GoalCheck(met, f"ARI = {ari:.3f}, {'' if met else 'not yet '}above {goal['value']:g}")


def _max_responsibility_above(goal, session, labels) -> GoalCheck:
    state = session.state
    r = None if state is None else state.responsibilities
    if r is None or len(r) == 0:
        return GoalCheck(False, "no responsibilities yet: take a step")
    top = float(np.mean(np.max(r, axis=1)))
    met = top > goal["value"]
    beta = f" at β = {session.beta:.3g}" if session.algorithm_entry.uses_beta else ""
    return GoalCheck(met, f"mean top responsibility {top:.4f}{beta}, {'' if met else 'not yet '}"
                          f"above {goal['value']:g}")


def _objective_never_worse(goal, session, labels) -> GoalCheck:
    shown = _objective(session)
    if shown is None:
        return GoalCheck(False, _no_fit(session))
    symbol = shown[0]
    fit = np.asarray(session.fit_entries, dtype=bool)[: session.cursor + 1]
    values = np.asarray(session.objectives, dtype=float)[: session.cursor + 1][fit]
    sign = -1.0 if session.algorithm_entry.higher_is_better else 1.0
    slack = 1e-9 * max(1.0, float(np.max(np.abs(values))))
    worse = np.flatnonzero(sign * np.diff(values) > slack)
    shown_values = [_number(v) for v in values]
    if len(shown_values) > 6:
        shown_values = shown_values[:3] + ["…"] + shown_values[-2:]
    path = " → ".join(shown_values)
    if len(worse):
        i = int(worse[0])
        return GoalCheck(False, f"{symbol} got worse: {_number(values[i])} → {_number(values[i + 1])}")
    direction = "rose" if session.algorithm_entry.higher_is_better else "fell"
    if not session.converged:
        return GoalCheck(False, f"{symbol} so far: {path} (not converged yet)")
    return GoalCheck(True, f"{symbol} {direction} or stayed at every one of {len(values) - 1} "
                           f"half-steps and steps: {path}")


_CHECKS = {
    "algorithm_is": _algorithm_is,
    "k_is": _k_is,
    "covariance_is": _covariance_is,
    "converged": _converged,
    "objective_below": lambda goal, session, labels: _objective_side(goal, session, below=True),
    "objective_above": lambda goal, session, labels: _objective_side(goal, session, below=False),
    "different_local_minimum": _different_local_minimum,
    "ari_above": _ari_above,
    "max_responsibility_above": _max_responsibility_above,
    "objective_never_worse": _objective_never_worse,
}
