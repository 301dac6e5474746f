"""One class per canvas editing tool: Add, Brush, Erase, Move, Blob and
Centroid (the Path tool lives in :mod:`.path_tool`).

A tool turns one press-drag-release gesture, in data coordinates, into edits
through the controller. The `CanvasTools` that owns the tools gives them what
they share (the pixel size, the spin boxes, the outlines on the canvas, the
random generator) and records each gesture as one undo step: a data edit
is recorded by `CanvasTools` when the gesture ends (`Tool.edited`), a
centroid edit by the Centroid tool itself.
"""
from __future__ import annotations

import numpy as np

from clusterviz.data.sketch import drag_covariance, points_in_circle, sample_blob, spray_disc

from ..canvas.cluster_canvas import ellipse_outline
from .undo import InitialMeansCommand

#: A press that moves less than this many pixels is a click.
CLICK_SLOP_PX = 4.0
#: How close (pixels) the mouse must be to grab a point or a centroid.
GRAB_PX = 9.0
CENTROID_GRAB_PX = 16.0


class Tool:
    """A canvas tool: its action's name, text, shortcut and tooltip, which
    settings it uses, and what it does with a gesture.

    Subclasses override `on_press`, `on_move`, `on_release` and `on_hover`;
    `press`, `move` and `release` keep the gesture's common state (where it
    started, whether it moved past a click, whether it edited the data or
    was stopped by a refusal).

    Parameters
    ----------
    host : CanvasTools
    """

    name = ""
    object_name = ""
    text = ""
    shortcut = ""
    tip = ""
    #: Undo text of the data edits of one gesture (recorded by the host on release).
    undo_text = "Edit"
    #: Which option boxes of the tool bar the tool reads (only those are shown while it is chosen).
    uses_radius = uses_density = uses_blob_size = uses_spacing = uses_class = False
    #: Works only on a view of two columns (not a projection).
    needs_columns = False
    #: Works only when the two axes show different columns.
    needs_two_columns = False
    #: A press on a point is the inspector's (it pins the point), not the tool's.
    leaves_points_to_inspector = False

    def __init__(self, host) -> None:
        self.host = host
        self.start = self.last = (0.0, 0.0)
        self.moved = self.edited = self.stopped = False
        self.before = None  # the data set when the gesture began

    @property
    def controller(self):
        return self.host.controller

    @property
    def session(self):
        return self.host.controller.session

    # ------------------------------------------------------------- gesture
    def press(self, x: float, y: float, shift: bool = False) -> None:
        """The left button went down at data point (x, y)."""
        self.start = self.last = (x, y)
        self.moved = self.edited = self.stopped = False
        self.before = self.session.dataset
        if self.needs_columns and self.host.refuse_projection(self):
            self.stopped = True
            return
        if self.needs_two_columns and len(set(self.session.view_columns)) < 2:
            self.host.refuse(f"Both axes show the same column; choose two different columns to use the "
                             f"{self.text} tool.")
            self.stopped = True
            return
        self.on_press(x, y, shift)

    def move(self, x: float, y: float) -> None:
        """The mouse moved to (x, y) with the left button down."""
        if self.stopped:
            return
        if not self.moved and self.host.pixels_between(self.start, (x, y)) >= CLICK_SLOP_PX:
            self.moved = True
        self.on_move(x, y)

    def release(self, x: float, y: float) -> None:
        """The left button came up at (x, y)."""
        if not self.stopped:
            self.on_release(x, y)

    # --------------------------------------------------- what tools override
    def on_press(self, x: float, y: float, shift: bool) -> None:
        pass

    def on_move(self, x: float, y: float) -> None:
        pass

    def on_release(self, x: float, y: float) -> None:
        pass

    def on_hover(self, x: float, y: float) -> None:
        """The mouse moved over the plot with no button down."""


class AddTool(Tool):
    """A click adds one point of the current class; a drag pans the view."""

    name, object_name, text, shortcut = "add", "toolAdd", "Add", "P"
    tip = "Add: click to add one point of the current class; drag to pan (P)."
    uses_class = True
    leaves_points_to_inspector = True
    on_point = False  # the press was on a point: a drag pans, a click adds nothing

    def on_press(self, x: float, y: float, shift: bool) -> None:
        self.on_point = self.host.nearest(self.host.shown_points(), x, y, GRAB_PX) >= 0

    def on_move(self, x: float, y: float) -> None:
        if self.moved and not self.on_point:
            # Pan so that the data point pressed stays under the cursor.
            x0, y0 = self.start
            self.host.canvas.view_box.translateBy(x=x0 - x, y=y0 - y)

    def on_release(self, x: float, y: float) -> None:
        if self.moved or self.on_point:
            return
        empty_click = self.host.empty_click
        if (empty_click is None or not empty_click()) and not self.host.refuse_projection(self):
            self.host.add_points([[x, y]], "Add point")


class BrushTool(Tool):
    """Press and drag to spray points around the cursor, one dab every half radius."""

    name, object_name, text, shortcut = "brush", "toolBrush", "Brush", "B"
    tip = "Brush: press and drag to spray points around the cursor (B)."
    undo_text = "Brush stroke"
    uses_radius = uses_density = uses_class = True
    needs_columns = True

    def on_press(self, x: float, y: float, shift: bool) -> None:
        self._dab(x, y)

    def on_move(self, x: float, y: float) -> None:
        self.host.show_cursor(x, y)
        if self.host.pixels_between(self.last, (x, y)) >= max(2.0, self.host.radius_spin.value() / 2.0):
            self._dab(x, y)

    def on_hover(self, x: float, y: float) -> None:
        self.host.show_cursor(x, y)

    def _dab(self, x: float, y: float) -> None:
        host = self.host
        P = spray_disc((x, y), host.radius_spin.value(), host.density_spin.value(), host.rng, host.pixel_size())
        self.last = (x, y)
        if self.controller.add_points(P, classes=host.current_class):
            self.edited = True
        else:
            self.stopped = True  # one message per stroke, not one per dab


class EraseTool(Tool):
    """Click or drag to remove the points under the circle."""

    name, object_name, text, shortcut = "erase", "toolErase", "Erase", "E"
    tip = "Erase: click or drag to remove the points under the circle (E)."
    undo_text = "Erase"
    uses_radius = True

    def on_press(self, x: float, y: float, shift: bool) -> None:
        self._erase(x, y)

    def on_move(self, x: float, y: float) -> None:
        self.host.show_cursor(x, y)
        self._erase(x, y)

    def on_hover(self, x: float, y: float) -> None:
        self.host.show_cursor(x, y)

    def _erase(self, x: float, y: float) -> None:
        host = self.host
        idx = points_in_circle(host.shown_points(), (x, y), host.radius_spin.value(), host.pixel_size())
        if idx.size and self.controller.remove_points(idx):
            self.edited = True


class MoveTool(Tool):
    """Drag a point to a new place."""

    name, object_name, text, shortcut = "move", "toolMove", "Move", "M"
    tip = "Move: drag a point to a new place (M)."
    undo_text = "Move point"
    needs_columns = needs_two_columns = True
    index = -1  # the point being dragged

    def on_press(self, x: float, y: float, shift: bool) -> None:
        self.index = self.host.nearest(self.host.shown_points(), x, y, GRAB_PX)

    def on_move(self, x: float, y: float) -> None:
        if self.index >= 0 and self.moved:
            if self.controller.move_point(self.index, x, y):
                self.edited = True
            else:
                self.index = -1

    def on_release(self, x: float, y: float) -> None:
        if self.index >= 0 and self.moved and self.controller.move_point(self.index, x, y):
            self.edited = True


class BlobTool(Tool):
    """Press at the mean and drag out the spread and direction of a Gaussian blob."""

    name, object_name, text, shortcut = "blob", "toolBlob", "Blob", "G"
    tip = "Blob: press at the mean and drag out the spread and direction of a Gaussian blob (G)."
    uses_blob_size = uses_class = True
    needs_columns = True

    def on_press(self, x: float, y: float, shift: bool) -> None:
        self._show(x, y)

    def on_move(self, x: float, y: float) -> None:
        self._show(x, y)

    def on_release(self, x: float, y: float) -> None:
        P = sample_blob(self.start, self._covariance(x, y), self.host.blob_spin.value(), self.host.rng)
        self.host.add_points(P, "Blob")

    def _covariance(self, x: float, y: float) -> np.ndarray:
        sx, sy = self.host.pixel_size()
        x0, y0 = self.start
        return drag_covariance(((x - x0) / sx, (y - y0) / sy), 0.5, (sx, sy))

    def _show(self, x: float, y: float) -> None:
        outline = ellipse_outline(np.asarray(self.start), self._covariance(x, y), 2.0)
        self.host.blob_outline.setData(x=outline[:, 0], y=outline[:, 1])
        self.host.blob_outline.setVisible(True)


class CentroidTool(Tool):
    """Place initial centroids by hand (K follows), drag one to move it,
    Shift+click to remove it; each is one undo step of the initial means."""

    name, object_name, text, shortcut = "centroid", "toolCentroid", "Centroid", "C"
    tip = ("Centroid: click to place initial centroids by hand (K follows), drag one to move it, "
           "Shift+click to remove it (C).")
    needs_columns = needs_two_columns = True
    centroid = -1  # the centroid pressed on
    means = means_before = None  # the centroids shown, and the hand-placed ones, at the press
    k_before = 0
    shift = False

    def on_press(self, x: float, y: float, shift: bool) -> None:
        s = self.session
        self.means_before = None if s.initial_means is None else np.array(s.initial_means)
        self.k_before = s.n_clusters
        self.centroid = -1
        self.means = self.host.shown_means()
        if self.means is not None:
            drawn = self.means if s.entry is None else self.means[:len(s.entry.means)]  # fewer while picking
            self.centroid = self.host.nearest(s.shown_points(drawn), x, y, CENTROID_GRAB_PX)
        self.shift = shift

    def on_move(self, x: float, y: float) -> None:
        if self.centroid >= 0 and self.moved and not self.controller.set_initial_means(self._moved(x, y)):
            self.centroid = -1

    def on_release(self, x: float, y: float) -> None:
        s = self.session
        k = self.centroid
        if k >= 0 and self.moved:
            M, text = self._moved(x, y), "Move centroid"
        elif k >= 0 and self.shift:
            M, text = np.delete(self.means, k, axis=0), "Remove centroid"
            M = M if M.shape[0] else None
        elif k < 0 and not self.moved:
            new = np.asarray(s.X).mean(axis=0) if s.n_points else np.zeros(s.n_features)
            new[list(s.view_columns)] = (x, y)
            M = new[None, :] if self.means_before is None else np.vstack([self.means_before, new])
            text = "Place centroid"
        else:
            return
        if not self.controller.set_initial_means(M):
            return
        self.host.undo_stack.push(InitialMeansCommand(self.controller, text, self.means_before, self.k_before,
                                                      self.session.initial_means, applied=True))

    def _moved(self, x: float, y: float) -> np.ndarray:
        M = self.means.copy()
        M[self.centroid, list(self.session.view_columns)] = (x, y)
        return M


#: The tools of this module in tool-bar order (`canvas_tools.TOOL_CLASSES` adds the Path tool).
TOOL_CLASSES: tuple[type[Tool], ...] = (AddTool, BrushTool, EraseTool, MoveTool, BlobTool, CentroidTool)
