"""The data edits of a `Session`: add, remove and move points, replace them all.

`DataEdits` is a mixin of `clusterviz.session.Session` (it keeps the
facade's class small); every edit goes through the session's ``_data``
owner and then ``_edit`` (the fit restarts from the shown parameters) or
``_new_columns`` (data with other columns: a fresh start).
"""
from __future__ import annotations

from clusterviz.model import FitState

from .data import KEEP
from .settings import check_points

__all__ = ["DataEdits"]


class DataEdits:
    """Data-edit actions of `Session` (see the facade's module docstring)."""

    def add_point(self, x: float, y: float) -> FitState | None:
        """Add one point at (x, y) (2-D data only)."""
        return self.add_points([[x, y]])

    def add_points(self, points, classes=None) -> FitState | None:
        """Add points of shape (n_new, 2) (2-D data only).

        ``classes`` (an int, or n_new ints >= 0): the true classes of the new
        points; a data set without classes makes its points class 0, codes
        past `class_names` get `default_class_name(code)`. None drops the
        data set's classes. Raises ValueError for points that are not finite
        pairs, data with more than two columns, or a bad class.
        """
        edited = self._data.with_added(points, classes)
        return self.state if edited is None else self._edit(*edited)

    def remove_points(self, indices) -> FitState | None:
        """Remove the points at `indices` (ints in 0..N-1; repeats are fine)."""
        edited = self._data.without(indices)
        return self.state if edited is None else self._edit(*edited)

    def move_point(self, i: int, x: float, y: float) -> FitState | None:
        """Move point `i` to (x, y) in the shown columns (`view_columns`)."""
        self._data.check_index(i)
        self._view.check_movable()
        return self._edit(self._data.with_moved(i, x, y, self.view_columns), self.dataset.labels)

    def set_data(self, X, classes=KEEP, class_names=None, lengths=KEEP) -> FitState | None:
        """Replace all points (used by undo/redo).

        ``classes`` (n_samples codes, or None for no classes) restores the
        true classes exactly, with ``class_names`` (default: the data set's,
        extended by `default_class_name`). Without ``classes`` the labels are
        kept when the number of points is unchanged, dropped otherwise.
        ``lengths`` (positive ints adding up to n_samples, or None for one
        sequence) restores the sequences exactly; without it they are kept
        where the edit only added or removed points at the end.
        """
        X = check_points("X", X)
        if lengths is not KEEP:
            self._data.with_lengths(X, lengths)
        if classes is not KEEP:
            return self._edit(*self._data.exactly(X, classes, class_names))
        if X.shape[1] != self.n_features:
            self._data.replace_columns(X)
            return self._new_columns()
        return self._edit(X, self.dataset.labels if X.shape[0] == self.n_points else None)

