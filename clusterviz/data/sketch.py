"""Points sketched by hand on the canvas: a brush's spray, a dragged Gaussian
blob, the points under an eraser. numpy only, no Qt.

The canvas may show the two axes at different scales, so every shape here is
round (or drawn) in *screen pixels*: a radius or a drag is given in pixels and
``pixel_size = (sx, sy)`` says how many data units one pixel spans along x
and y. Randomness comes from the generator passed in.
"""
from __future__ import annotations

import numpy as np

__all__ = ["spray_disc", "drag_covariance", "sample_blob", "points_in_circle", "DEFAULT_BLOB_SIGMA_PX"]

#: Spread (1 sigma, pixels) of a blob made by a click without a drag.
DEFAULT_BLOB_SIGMA_PX = 12.0


def _pixel_scale(pixel_size) -> np.ndarray:
    s = np.asarray(pixel_size, dtype=np.float64).reshape(2)
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError(f"pixel_size={tuple(s)} should be two finite numbers > 0.")
    return s


def spray_disc(center, radius_px: float, n: int, rng: np.random.Generator, pixel_size=(1.0, 1.0)) -> np.ndarray:
    """``n`` points spread uniformly over a disc of ``radius_px`` screen pixels.

    Parameters
    ----------
    center : array_like of shape (2,)
        Centre in data units.
    radius_px : float >= 0
    n : int >= 0
    rng : numpy.random.Generator
    pixel_size : (float, float)
        Data units per screen pixel along x and y.

    Returns
    -------
    ndarray of shape (n, 2)
    """
    scale = _pixel_scale(pixel_size)
    # r = R sqrt(u) makes the density uniform over the disc's area.
    r = float(radius_px) * np.sqrt(rng.random(int(n)))
    theta = rng.uniform(0.0, 2.0 * np.pi, int(n))
    offsets = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    return np.asarray(center, dtype=np.float64).reshape(1, 2) + offsets * scale


def drag_covariance(drag_px, minor_ratio: float = 0.5, pixel_size=(1.0, 1.0)) -> np.ndarray:
    """Covariance (data units) of a blob drawn by dragging ``drag_px`` pixels.

    The drag is the 2-sigma radius along its own direction (so about 86 % of
    the points fall inside the 2-sigma outline through the cursor); across
    it the spread is ``minor_ratio`` times as large. A drag shorter than a
    pixel gives a round blob of ``DEFAULT_BLOB_SIGMA_PX``.

    Parameters
    ----------
    drag_px : array_like of shape (2,)
        From press to cursor, in screen pixels (x right, y up).
    minor_ratio : float in (0, 1]
    pixel_size : (float, float)

    Returns
    -------
    ndarray of shape (2, 2)
    """
    scale = _pixel_scale(pixel_size)
    d = np.asarray(drag_px, dtype=np.float64).reshape(2)
    length = float(np.hypot(*d))
    if length < 1.0:
        cov_px = np.eye(2) * DEFAULT_BLOB_SIGMA_PX**2
    else:
        u = d / length
        v = np.array([-u[1], u[0]])
        major, minor = length / 2.0, minor_ratio * length / 2.0
        cov_px = major**2 * np.outer(u, u) + minor**2 * np.outer(v, v)
    # x_data = S x_px with S = diag(sx, sy), so Sigma_data = S Sigma_px S.
    return cov_px * np.outer(scale, scale)


def sample_blob(mean, covariance, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws from the 2-D Gaussian N(mean, covariance).

    Returns
    -------
    ndarray of shape (n, 2)
    """
    cov = np.asarray(covariance, dtype=np.float64)
    values, vectors = np.linalg.eigh(cov)  # robust for a flat (rank-1) blob
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    z = rng.standard_normal((int(n), 2))
    return np.asarray(mean, dtype=np.float64).reshape(1, 2) + z @ root.T


def points_in_circle(X, center, radius_px: float, pixel_size=(1.0, 1.0)) -> np.ndarray:
    """Indices of the points of ``X`` within ``radius_px`` screen pixels of
    ``center``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2)
        The shown coordinates.

    Returns
    -------
    ndarray of int, sorted
    """
    scale = _pixel_scale(pixel_size)
    X = np.asarray(X, dtype=np.float64).reshape(-1, 2)
    d = (X - np.asarray(center, dtype=np.float64).reshape(1, 2)) / scale
    return np.flatnonzero(np.einsum("ij,ij->i", d, d) <= float(radius_px) ** 2)
