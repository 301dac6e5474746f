"""Undoable edits for Qt's undo stack: each ``QUndoCommand`` here stores what
the session held before and after one edit of the data (a whole brush
stroke, one drag, one blob, "Clear all") or of the hand-placed initial
centroids, and replays it through the `SessionController` so the window
hears ``data_changed`` / ``reset`` as for any other edit.

Data snapshots are the session's `Dataset` objects themselves: they are
frozen with read-only arrays, so keeping one costs no copy.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QUndoCommand

__all__ = ["DataEditCommand", "InitialMeansCommand"]


class DataEditCommand(QUndoCommand):
    """Replace the points and their true classes: ``before`` on undo, ``after``
    on redo.

    Parameters
    ----------
    controller : SessionController
    text : str
        Shown in the Edit menu ("Undo Brush stroke").
    before, after : Dataset
        The session's data set before and after the edit.
    applied : bool
        True when the edit is already on screen (a stroke applied live while
        dragging): the first ``redo`` that ``QUndoStack.push`` calls does
        nothing.
    """

    def __init__(self, controller, text: str, before, after, applied: bool = True) -> None:
        super().__init__(text)
        self._controller = controller
        self.before = before
        self.after = after
        self._skip_redo = applied

    def redo(self) -> None:  # Qt override
        if self._skip_redo:
            self._skip_redo = False
            return
        self._apply(self.after)

    def undo(self) -> None:  # Qt override
        self._apply(self.before)

    def _apply(self, dataset) -> None:
        self._controller.set_data(dataset.X, dataset.labels, dataset.class_names, dataset.lengths)


class InitialMeansCommand(QUndoCommand):
    """Set the hand-placed initial means (K follows); undo restores the
    previous means, or the chosen initialisation and the previous K.

    Parameters
    ----------
    controller : SessionController
    text : str
    before : ndarray of shape (K0, D) or None
        `Session.initial_means` before the edit.
    before_k : int
        K before the edit (restored when ``before`` is None).
    after : ndarray of shape (K1, D) or None
    applied : bool
        As for `DataEditCommand`.
    """

    def __init__(self, controller, text: str, before, before_k: int, after, applied: bool = True) -> None:
        super().__init__(text)
        self._controller = controller
        self.before = None if before is None else np.array(before, dtype=np.float64)
        self.before_k = int(before_k)
        self.after = None if after is None else np.array(after, dtype=np.float64)
        self._skip_redo = applied

    def redo(self) -> None:  # Qt override
        if self._skip_redo:
            self._skip_redo = False
            return
        self._controller.set_initial_means(self.after)

    def undo(self) -> None:  # Qt override
        self._controller.set_initial_means(self.before)
        if self.before is None:
            self._controller.set_n_clusters(self.before_k)
