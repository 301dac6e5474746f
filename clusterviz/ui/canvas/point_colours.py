"""Colours of the data points: per-point RGBA arrays for each colour mode and
for the ambiguity layer, and a cache of shared brushes for them.

The colour of every point is computed as an (n_samples, 4) uint8 RGBA array
(`point_rgba`; `halo_rgba` for the ambiguity layer's halos), so a scatter
item (via `RgbaBrushCache`) and a raster drawing path can both use it.

Colour modes
------------
- "hard": the opaque colour of the point's most likely cluster.
- "opacity": that colour with alpha = the largest responsibility (quantised
  to the same levels as `palette.BrushTable`).
- "blend": the responsibility-weighted mix of the cluster colours, sum_k
  r_nk c_k in RGB, opaque; a point torn between blue and orange looks grey.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from .palette import ALPHA_LEVELS, CLUSTER_COLOURS, MAX_CLUSTERS, MIN_ALPHA, alpha_levels

COLOUR_MODES: tuple[str, ...] = ("hard", "opacity", "blend")
COLOUR_MODE_TIPS: dict[str, str] = {
    "hard": "Each point in the solid colour of its most likely cluster.",
    "opacity": "Colour of the most likely cluster; opacity = its responsibility.",
    "blend": "The responsibility-weighted mix of the cluster colours.",
}

_LUT_SIZE = 256

#: The ambiguity layer draws a halo behind each point (the point keeps its
#: cluster's colour): this dark purple, with an opacity rising as
#: HALO_ALPHA * ambiguity**HALO_GAMMA, so sure points get none.
HALO_COLOUR = (68, 1, 84)
HALO_ALPHA = 235.0
HALO_GAMMA = 1.5

#: Levels per channel of the brush cache (32 levels: steps of about 8 / 255,
#: below what the eye tells apart on small markers).
QUANT_LEVELS = 32


def cluster_rgb() -> np.ndarray:
    """ndarray of shape (MAX_CLUSTERS, 3), float: the cluster colours as RGB 0..255."""
    return np.array([[QColor(c).red(), QColor(c).green(), QColor(c).blue()] for c in CLUSTER_COLOURS],
                    dtype=np.float64)


_CLUSTER_RGB = cluster_rgb()


def point_rgba(responsibilities: np.ndarray, mode: str) -> np.ndarray:
    """The colour of every point in a colour mode.

    Parameters
    ----------
    responsibilities : ndarray of shape (n_samples, n_clusters)
        Rows sum to 1 (one-hot for K-Means).
    mode : {"hard", "opacity", "blend"}

    Returns
    -------
    ndarray of shape (n_samples, 4), uint8
        RGBA of every point.
    """
    if mode not in COLOUR_MODES:
        raise ValueError(f"colour mode {mode!r} is not one of {', '.join(map(repr, COLOUR_MODES))}.")
    R = np.asarray(responsibilities, dtype=np.float64)
    n, k = R.shape
    colours = _CLUSTER_RGB[np.arange(k) % MAX_CLUSTERS]
    rgba = np.empty((n, 4), dtype=np.float64)
    if mode == "blend":
        rgba[:, :3] = R @ colours  # sum_k r_nk c_k
        rgba[:, 3] = 255.0
    else:
        labels = np.argmax(R, axis=1)
        rgba[:, :3] = colours[labels]
        if mode == "hard":
            rgba[:, 3] = 255.0
        else:
            levels = alpha_levels(R[np.arange(n), labels])
            rgba[:, 3] = 255.0 * (MIN_ALPHA + (1.0 - MIN_ALPHA) * levels / (ALPHA_LEVELS - 1))
    return np.clip(np.rint(rgba), 0, 255).astype(np.uint8)


def halo_rgba(values: np.ndarray) -> np.ndarray:
    """Halo colours of per-point ambiguities in [0, 1] (NaN counts as 0).

    Returns
    -------
    ndarray of shape (n_samples, 4), uint8
        `HALO_COLOUR` with an opacity rising with the ambiguity.
    """
    a = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0), 0.0, 1.0)
    rgba = np.empty(a.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = HALO_COLOUR
    rgba[..., 3] = np.rint(HALO_ALPHA * a ** HALO_GAMMA).astype(np.uint8)
    return rgba


def quantise_rgba(rgba: np.ndarray) -> np.ndarray:
    """Round RGBA to `QUANT_LEVELS` levels per channel (same shape, uint8)."""
    step = 255.0 / (QUANT_LEVELS - 1)
    q = np.rint(np.asarray(rgba, dtype=np.float64) / step) * step
    return np.clip(np.rint(q), 0, 255).astype(np.uint8)


class RgbaBrushCache:
    """Shared QBrush objects for per-point RGBA colours.

    Colours are quantised (`quantise_rgba`) and one brush is built per
    distinct quantised colour, then reused across frames (pyqtgraph caches
    the rendered symbol per brush, so fresh brushes every frame are slow).
    """

    def __init__(self, max_size: int = 8192) -> None:
        self._cache: dict[int, QBrush] = {}
        self.max_size = max_size

    def __len__(self) -> int:
        return len(self._cache)

    def brushes(self, rgba: np.ndarray) -> np.ndarray:
        """Object array of shape (n_samples,): the shared brush of each point.

        Parameters
        ----------
        rgba : ndarray of shape (n_samples, 4)
        """
        q = quantise_rgba(rgba).astype(np.uint32)
        keys = (q[:, 0] << 24) | (q[:, 1] << 16) | (q[:, 2] << 8) | q[:, 3]
        unique, inverse = np.unique(keys, return_inverse=True)
        if len(self._cache) + unique.shape[0] > self.max_size:
            self._cache.clear()
        table = np.empty(unique.shape[0], dtype=object)
        for i, key in enumerate(unique.tolist()):
            brush = self._cache.get(key)
            if brush is None:
                brush = QBrush(QColor((key >> 24) & 255, (key >> 16) & 255, (key >> 8) & 255, key & 255))
                self._cache[key] = brush
            table[i] = brush
        return table[inverse.reshape(-1)]


class ColourBar(QWidget):
    """A small horizontal legend of the ambiguity halos, "sure" to "on the fence"."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("ambiguityLegend")
        self.setToolTip("Ambiguity halo behind each point: left = sure of its cluster (no halo), "
                        "right = on the fence (dark halo). The point keeps its cluster's colour.")
        self.setMinimumHeight(self.fontMetrics().height() + 12)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        lut = np.ascontiguousarray(halo_rgba(np.linspace(0.0, 1.0, _LUT_SIZE))[None, :, :])
        self._image = QImage(lut.data, lut.shape[1], 1, 4 * lut.shape[1], QImage.Format.Format_RGBA8888).copy()

    def paintEvent(self, event) -> None:  # Qt override
        painter = QPainter(self)
        fm = self.fontMetrics()
        left_text, right_text = "sure", "on the fence"
        pad = 4
        x0 = fm.horizontalAdvance(left_text) + 2 * pad
        x1 = self.width() - fm.horizontalAdvance(right_text) - 2 * pad
        bar = QRectF(x0, 4, max(10, x1 - x0), self.height() - 8)
        painter.fillRect(bar, QColor("white"))  # the halos are seen on the white canvas
        painter.drawImage(bar, self._image)
        painter.setPen(QColor("#555555"))
        painter.drawRect(bar)
        painter.setPen(self.palette().windowText().color())
        align = Qt.AlignmentFlag.AlignVCenter
        painter.drawText(QRectF(0, 0, x0 - pad, self.height()), align | Qt.AlignmentFlag.AlignRight, left_text)
        painter.drawText(QRectF(x1 + pad, 0, self.width() - x1 - pad, self.height()),
                         align | Qt.AlignmentFlag.AlignLeft, right_text)
        painter.end()
