"""Coordinates the canvas can draw: data near the float limit (+-1.8e308)
make a view's or a scatter's width (max - min) overflow to infinity, which
pyqtgraph refuses ("Cannot set range [-inf, inf]") and Qt cannot paint."""
from __future__ import annotations

import numpy as np

__all__ = ["VIEW_LIMIT", "DRAW_LIMIT", "drawable", "spans", "view_limits"]

#: The farthest a view edge goes: pyqtgraph's view limits. Beyond it the width
#: of a view or of a scatter's bounding box (max - min) overflows a float.
VIEW_LIMIT = 1e307
#: The farthest a drawn coordinate goes: half the view limit, so a point pinned
#: there is still inside a view framed around it with a margin.
DRAW_LIMIT = VIEW_LIMIT / 2


def drawable(values) -> np.ndarray:
    """``values`` as float64 with every coordinate pinned into +-`DRAW_LIMIT`
    (what can be drawn; data near the float limit appear near the view's edge)."""
    return np.clip(np.asarray(values, dtype=np.float64), -DRAW_LIMIT, DRAW_LIMIT)


def view_limits(low: np.ndarray, high: np.ndarray, margin: float = 0.08) -> tuple[np.ndarray, np.ndarray]:
    """The view's edges around data from ``low`` to ``high``, ``margin`` of
    the span added on each side, finite even for data near the float limit.

    Data beyond `DRAW_LIMIT` are framed at it; the span is taken as
    ``high/2 - low/2``, which cannot overflow (``high - low`` can).
    """
    low, high = drawable(low), drawable(high)
    half_span = high / 2 - low / 2
    half_span = np.where(half_span > 0.0, half_span, 0.5)
    return (np.maximum(low - 2 * margin * half_span, -VIEW_LIMIT),
            np.minimum(high + 2 * margin * half_span, VIEW_LIMIT))


def column_extremes(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) of every column of ``X`` (n, d), a column at a time: numpy
    reduces one long strided column some ten times quicker than many short
    rows (axis=0 on a narrow array)."""
    X = np.asarray(X, dtype=np.float64)
    columns = [X[:, j] for j in range(X.shape[1])]
    return np.array([c.min() for c in columns]), np.array([c.max() for c in columns])


def spans(X: np.ndarray) -> np.ndarray:
    """The span (max - min) of every column of ``X``, computed as twice the
    half span so data near the float limit give a large finite number."""
    low, high = column_extremes(X)
    return 2.0 * np.minimum(high / 2 - low / 2, np.finfo(np.float64).max / 2)
