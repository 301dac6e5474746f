"""How a `Session` shows its data: the view (two columns or a projection),
points and means as the canvas draws them, and the E-step of the shown
parameters on other points (a grid of pixels, a hovered point).

`Showing` is a mixin of `clusterviz.session.Session` (it keeps the facade's
class small); it reads the session's ``_view``, ``_timeline`` and ``_model``.
Nothing here refits.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from clusterviz.model import FitState

from .settings import check_points

__all__ = ["Showing"]


class Showing:
    """The view and assignment methods of `Session`."""

    @property
    def view_columns(self) -> tuple[int, int]:
        """The two columns of X the canvas shows (the fit uses all columns)."""
        return self._view.columns

    @view_columns.setter
    def view_columns(self, columns: Sequence[int]) -> None:
        self.set_view_columns(*columns)

    view_projection = property(lambda self: self._view.projection,
                               doc="ndarray of shape (2, n_features) shown instead of `view_columns`, or None.")
    view_center = property(lambda self: self._view.center,
                           doc="ndarray of shape (n_features,) subtracted before `view_projection`, or None.")
    view = property(lambda self: self._view.view,
                    doc="`view_projection`, or the `view_columns` pair when there is none.")

    def shown_points(self, points=None) -> np.ndarray:
        """Points as the canvas shows them: ndarray of shape (n, 2).

        ``points`` (array_like of shape (n, n_features); default `X`) seen
        through the view: the `view_columns` pair, or ``(points - view_center)
        view_projection^T`` while a projection is shown.
        """
        P = self.X if points is None else np.asarray(points, dtype=np.float64).reshape(-1, self.n_features)
        return self._view.shown_points(P)

    def shown_means(self, state: FitState | None = None) -> np.ndarray | None:
        """The means of ``state`` (default: the shown `state`) as the canvas
        shows them, shape (K, 2) (fewer rows for a k-means++ pick); None when there is no state."""
        state = self.state if state is None else state
        return None if state is None else self.shown_points(state.means)

    def set_view_columns(self, x_column: int, y_column: int) -> None:
        """Choose which two columns of X the canvas shows (does not refit)."""
        self._view.set_columns(x_column, y_column)

    def set_view_projection(self, W, center=None) -> None:
        """Show the data through a linear projection ``W`` of shape (2,
        n_features) after subtracting ``center`` (does not refit); None goes
        back to `view_columns`."""
        self._view.set_projection(W, center)

    def assign(self, points) -> FitState | None:
        """E-step of the shown parameters on other points (e.g. a grid for
        decision regions), array_like of shape (n, n_features): a FitState
        whose labels/responsibilities are those of `points`; None when there
        is no fit or a k-means++ pick is shown."""
        entry = self._timeline.entry
        if entry is None or entry.phase == "seed":
            return None
        P = check_points("points", points)
        if P.shape[1] != self.n_features:
            raise ValueError(f"points should have {self.n_features} columns; got shape {P.shape}.")
        return self._model.e_step(P, entry)
