"""The Path tool: press and drag to draw a sequence of points.

Points are appended to the data in the order they are drawn (one at the
press, then one every `spacing` pixels along the drag), so the data's row
order is the drawn order: what a sequence model such as a hidden Markov
model reads as time. The whole stroke is one undo step.
"""
from __future__ import annotations

import numpy as np

from .edit_tools import Tool


def path_samples(start, end, spacing: float, pixel_size) -> np.ndarray:
    """Points every ``spacing`` pixels on the segment from ``start`` towards
    ``end`` (data coordinates), ``start`` excluded; shape (n, 2), n = the
    whole number of spacings that fit.

    Parameters
    ----------
    start, end : (float, float)
    spacing : float
        Screen pixels between consecutive points (> 0).
    pixel_size : (float, float)
        Data units per pixel along x and y.
    """
    start = np.asarray(start, dtype=np.float64)
    end = np.asarray(end, dtype=np.float64)
    scale = np.asarray(pixel_size, dtype=np.float64)
    length_px = float(np.hypot(*((end - start) / scale)))
    n = int(length_px // spacing) if spacing > 0 else 0
    if n <= 0:
        return np.empty((0, 2))
    fractions = spacing * np.arange(1, n + 1) / length_px
    return start + fractions[:, None] * (end - start)


class PathTool(Tool):
    """Press and drag to draw a path: points appended in drag order."""

    name, object_name, text, shortcut = "path", "toolPath", "Path", "W"
    tip = ("Path: press and drag to draw a sequence of points, appended in the order drawn (the time order a "
           "hidden Markov model reads) (W).")
    undo_text = "Draw path"
    uses_spacing = uses_class = True
    needs_columns = True

    def on_press(self, x: float, y: float, shift: bool) -> None:
        self._append(np.array([[x, y]]))

    def on_move(self, x: float, y: float) -> None:
        P = path_samples(self.last, (x, y), float(self.host.spacing_spin.value()), self.host.pixel_size())
        if P.shape[0]:
            self._append(P)

    def _append(self, P: np.ndarray) -> None:
        if self.controller.add_points(P, classes=self.host.current_class):
            self.edited = True
            self.last = (float(P[-1, 0]), float(P[-1, 1]))
        else:
            self.stopped = True  # one message per stroke
