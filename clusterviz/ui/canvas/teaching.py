"""Wiring of the teaching views into the main window: centroid
trails, colour modes, the ambiguity layer, the point inspector with pinning,
and the changed-points count of the info line.

`TeachingViews.refresh` runs on every render, before the canvas colours the
points; the numbers come from Qt-free code (`clusterviz.model.ambiguity`,
`trails.trail_points`), this class only routes them to the widgets.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from clusterviz.model.ambiguity import ambiguity

from .trails import trail_points


def changed_words(n_changed: int, n_points: int, hard: bool) -> str:
    """"3 of 300 points changed cluster" for hard assignments; for soft ones
    the count is of points whose most likely cluster (largest
    responsibility) changed, and the words say so: "3 of 300 points changed
    their most likely cluster". The info line and the compare window both
    use it."""
    one = n_changed == 1
    what = "cluster" if hard else f"{'its' if one else 'their'} most likely cluster"
    return f"{n_changed} of {n_points} {'point' if n_points == 1 else 'points'} changed {what}"


def changed_text(session) -> str | None:
    """`changed_words` for the session's shown step, or None when there is
    no count (the first step, or before any assignment)."""
    n_changed = session.n_changed
    if n_changed is None:
        return None
    return changed_words(int(n_changed), int(session.n_points), bool(session.algorithm_entry.hard))


class TeachingViews(QObject):
    """Trails, colour mode, ambiguity and the inspector of one main window.

    Parameters
    ----------
    window : MainWindow
        Provides ``session``, ``controller``, ``canvas``, ``controls`` (with
        ``view_group``), ``inspector`` and ``pin_marker``, and ``render()``
        redraws everything (``_on_stepped``).

    Attributes
    ----------
    hovered : int
        The point under the mouse (-1: none).
    pinned : int
        The pinned point (-1: none); while set, hovering does not change the
        inspector.
    """

    def __init__(self, window, render) -> None:
        super().__init__(window)
        self.window = window
        self._render = render
        self.hovered = -1
        self.pinned = -1
        view = window.controls.view_group
        self.unpin_action = QAction("&Unpin the inspected point", window)
        self.unpin_action.setObjectName("unpinAction")
        self.unpin_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.unpin_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.unpin_action.setToolTip("Let the inspector follow the mouse again (Esc).")
        self.unpin_action.setEnabled(False)
        self.unpin_action.triggered.connect(self.unpin)
        window.addAction(self.unpin_action)
        view.trails_check.toggled.connect(self._on_trails)
        view.ambiguity_check.toggled.connect(lambda _on: self._render())
        view.colour_mode_combo.currentIndexChanged.connect(self._on_colour_mode)
        canvas = window.canvas
        canvas.point_selected.connect(self.toggle_pin)
        canvas.point_hovered.connect(self.hover)
        window.controller.data_changed.connect(self.data_changed)

    # ------------------------------------------------------------ rendering
    def refresh(self) -> None:
        """Update the ambiguity values, trails, pin ring and inspector for
        the shown state (call before the canvas colours the points)."""
        w = self.window
        s = w.session
        view = w.controls.view_group
        state = s.state
        X = np.asarray(s.X)
        values = None
        if view.ambiguity_check.isChecked() and state is not None and X.shape[0] > 0:
            R = state.soft_responsibilities
            values = ambiguity(X, np.asarray(state.means), R, hard=R is None)
        w.canvas.ambiguity = values
        dataset = s.dataset  # true classes as marker shapes (the legend names them)
        w.canvas.set_classes(dataset.labels, dataset.class_names)
        trails = w.canvas.trails
        if view.trails_check.isChecked() and state is not None:
            trails.show(trail_points(s.timeline, s.cursor, s.view, s.view_center))
        else:
            trails.show(None)
        trails.set_visible(view.trails_check.isChecked())
        if self.pinned >= X.shape[0]:
            self.pinned = -1
        self._show_inspector()

    def info_line(self, text: str) -> str:
        """``text`` with the number of points that changed cluster inserted
        after the objective (the third part)."""
        changed = changed_text(self.window.session)
        if changed is None:
            return text
        parts = text.split(" · ")
        parts.insert(min(3, len(parts)), changed)
        return " · ".join(parts)

    def _show_inspector(self) -> None:
        w = self.window
        index = self.pinned if self.pinned >= 0 else self.hovered
        w.inspector.show_point(w.session, index, pinned=self.pinned >= 0)
        if self.pinned >= 0:
            X2 = w.session.shown_points()
            w.pin_marker.show((X2[self.pinned, 0], X2[self.pinned, 1]) if self.pinned < X2.shape[0] else None)
        else:
            w.pin_marker.show(None)
        self.unpin_action.setEnabled(self.pinned >= 0)

    # ---------------------------------------------------------------- input
    def hover(self, index: int) -> None:
        self.hovered = int(index)
        if self.pinned < 0:
            self._show_inspector()

    def toggle_pin(self, index: int) -> None:
        """A click on a point: pin it (a click on the pinned point unpins it)."""
        self.pinned = -1 if index == self.pinned else int(index)
        self._show_inspector()

    def unpin(self) -> bool:
        """Unpin the inspected point; False if none was pinned. The window's
        Add tool calls it first on a click on empty canvas (``tools.empty_click``),
        so that click only unpins and adds nothing."""
        if self.pinned < 0:
            return False
        self.pinned = -1
        self._show_inspector()
        return True

    def data_changed(self) -> None:
        """Point indices may have shifted: forget the pinned point."""
        self.pinned = -1
        self.hovered = -1
        self._show_inspector()

    # -------------------------------------------------------------- toggles
    def _on_trails(self, _on: bool) -> None:
        self._render()

    def _on_colour_mode(self, _index: int) -> None:
        self.window.canvas.set_colour_mode(self.window.controls.view_group.colour_mode)
        self._render()
