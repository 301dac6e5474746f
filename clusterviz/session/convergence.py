"""What the status line says about where a run stands: past the model's
tolerance (stepping goes on), or stopped for good (``max_iter``, a fixed
point). The rules themselves are in `clusterviz.session.timeline`
("Convergence")."""
from __future__ import annotations

from .text import format_setting

__all__ = ["run_note"]


def run_note(session) -> str | None:
    """A sentence for the end of the info line, or None.

    - The shown entry meets the tolerance and a step can go on: it says so,
      and that Step goes on with the run while Play and Run to convergence
      stop there.
    - At ``max_iter`` after meeting the tolerance: how to go further.
    - Converged on a fixed point: nothing is left to gain (unless the
      model's notes, shown before, already say so).
    """
    entry = session.entry
    if entry is None or not session.met_tolerance:
        return None
    tol = session.tol
    met = "Tolerance met" if tol is None else f"Tolerance met (tol = {format_setting(tol)})"
    if session.can_step:
        return f"{met}: Play stops here, Step continues the run"
    if not session.at_end:
        return None
    if session.reached_max_iter:
        return f"{met}; max_iter = {session.max_iter} reached: raise max_iter to go on"
    if entry.notes:  # the model's note already says why nothing moves
        return None
    return "Fixed point: another step would change nothing"
