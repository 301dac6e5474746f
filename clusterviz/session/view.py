"""What the canvas shows of the data: two columns, or a linear projection.

Changing the view never refits; `View.shown_points` is the one place points
and means are turned into canvas coordinates.
"""
from __future__ import annotations

import numbers

import numpy as np

from clusterviz.data.transform import project_points

from .settings import check_points

__all__ = ["View"]


class View:
    """The shown columns or projection of data with ``n_features`` columns."""

    def __init__(self, n_features: int) -> None:
        self.reset(n_features)

    def reset(self, n_features: int) -> None:
        """Columns (0, 1) (or (0, 0) for one column), no projection."""
        self.n_features = int(n_features)
        self.columns: tuple[int, int] = (0, 1) if n_features >= 2 else (0, 0)
        self.projection: np.ndarray | None = None  # (2, D) axes, or None for a column pair
        self.center: np.ndarray | None = None

    @property
    def view(self) -> np.ndarray | tuple[int, int]:
        return self.columns if self.projection is None else self.projection

    def set_columns(self, x_column: int, y_column: int) -> None:
        columns = []
        for c in (x_column, y_column):
            if isinstance(c, bool) or not isinstance(c, numbers.Integral) or not 0 <= c < self.n_features:
                raise ValueError(f"view column {c!r} should be a column index in 0..{self.n_features - 1}.")
            columns.append(int(c))
        self.columns = (columns[0], columns[1])
        self.projection = self.center = None

    def set_projection(self, W, center=None) -> None:
        if W is None:
            self.projection = self.center = None
            return
        D = self.n_features
        W = check_points("projection", W)
        if W.shape != (2, D):
            raise ValueError(f"projection should have shape (2, {D}); got shape {W.shape}.")
        c = None if center is None else check_points("center", np.reshape(center, (1, -1)))[0]
        if c is not None and c.shape != (D,):
            raise ValueError(f"center should have {D} numbers; got {c.shape[0]}.")
        W.setflags(write=False)
        if c is not None:
            c.setflags(write=False)
        self.projection, self.center = W, c

    def check_movable(self) -> None:
        """Raise ValueError when a dragged point cannot be written back to two columns."""
        if self.projection is not None:
            raise ValueError("Points cannot be moved in a PCA projection; show two columns to move them.")
        if self.columns[0] == self.columns[1]:  # x and y would both land in that one column
            raise ValueError("Both axes show the same column; choose two different columns to move points.")

    def shown_points(self, points: np.ndarray) -> np.ndarray:
        return project_points(points, self.view, self.center)
