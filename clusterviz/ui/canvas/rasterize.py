"""Draw many points as one image: a numpy raster shown by a ``pg.ImageItem``.

pyqtgraph's ``ScatterPlotItem`` spends 2-9 µs of Python per point on every
update (0.9 s a frame at 10**5 points); a vectorised raster of
the view costs a few milliseconds whatever the number of points. The canvas
switches to this path from ``canvas.RASTER_THRESHOLD`` points on.

Here (no Qt): :func:`rasterize` takes points, their colours and a view
rectangle and gives an ``(H, W, 4)`` RGBA image; :class:`RasterGeometry`
keeps the colour-independent half of it while only the colours change.
:mod:`.point_raster` shows the image on the canvas and :mod:`.point_locator`
finds the point under the mouse.

Compositing
-----------
Each point is a disc of ``radius`` device pixels (the pixel offsets ``(dy,
dx)`` with ``dy**2 + dx**2 <= radius**2`` around the pixel holding the point's
centre). Where discs overlap, a pixel covered by points with opacities
``a_i`` and colours ``c_i`` gets, with the optical depths
``w_i = -log(1 - a_i)``,

- opacity ``1 - exp(-sum(w_i)) = 1 - prod(1 - a_i)``: exactly what painting
  them one over the other ("over" compositing) gives, in any order;
- colour ``sum(w_i c_i) / sum(w_i)``: the depth-weighted mean (more opaque
  points count more). It equals "over" compositing whenever the overlapping
  points share a colour (the usual case: neighbours belong to the same
  cluster), and blends the colours where clusters meet instead of showing
  whichever point happened to be drawn last.

This order-independent approximation is what makes the raster a handful of
whole-array operations: one ``np.bincount`` per channel (4: sum(w) and
sum(w * rgb)) over the points, then a sum of shifted copies of the grid for
the disc (a convolution, since every accumulated quantity is a sum). A single
point, or overlapping points of one colour, look exactly as the scatter draws
their fill.

The image is straight (not premultiplied) RGBA, drawn over the canvas's white
background like the scatter's translucent brushes. Unlike the scatter there
is no outline around each point: at 10**5 points outlines would paint
everything grey.
"""
from __future__ import annotations

import numpy as np

#: The largest opacity used for the optical depth -log(1 - a), which is
#: infinite at a = 1; 1 - 1/1024 still rounds to 255.
_MAX_ALPHA = 1.0 - 1.0 / 1024.0


def disc_offsets(radius: float) -> np.ndarray:
    """Pixel offsets ``(dy, dx)`` of a disc stamp.

    Parameters
    ----------
    radius : float >= 0
        In pixels; 0 is a single pixel, 1.5 a 3x3 square, 2.5 a 21-pixel disc.

    Returns
    -------
    ndarray of shape (n_offsets, 2), int
    """
    r = int(np.floor(max(float(radius), 0.0)))
    d = np.arange(-r, r + 1)
    dy, dx = np.meshgrid(d, d, indexing="ij")
    inside = dy * dy + dx * dx <= float(radius) ** 2 + 1e-9
    return np.stack([dy[inside], dx[inside]], axis=1)


def rasterize(x, y, rgba, x_range, y_range, width: int, height: int, radius: float = 2.0, *,
              index=None) -> np.ndarray:
    """Draw points as small discs into an RGBA image of the view.

    Parameters
    ----------
    x, y : array-like of shape (n_samples,)
        Point positions in data coordinates.
    rgba : array-like of shape (n_samples, 4) or (4,), or (n_colours, 4) with `index`
        Straight-alpha colour of each point (or one for all), uint8 0-255 or
        float 0-1. With `index`, a colour table.
    x_range, y_range : (float, float)
        The data rectangle the image covers: column 0 starts at
        ``x_range[0]``, row 0 is the *top* (``y_range[1]``), as in any image.
    width, height : int
        Image size in pixels (device pixels of the view).
    radius : float
        Disc radius in pixels (see `disc_offsets`).
    index : array-like of shape (n_samples,) of int, optional
        Row of `rgba` that colours each point. The fast path for colours
        from a small table (cluster colour x opacity level): per-point work
        becomes one gather per channel.

    Returns
    -------
    ndarray of shape (height, width, 4), uint8
        Straight RGBA; fully transparent where no point is. See the module
        docstring for how overlapping points are composited.

    Raises
    ------
    ValueError
        If the shapes disagree or the ranges are empty or not finite.
    """
    return RasterGeometry(x, y, x_range, y_range, width, height, radius).draw(rgba, index)


class RasterGeometry:
    """Where the points fall in one view: the part of `rasterize` that does
    not depend on the colours, kept while only the colours change (every new
    state of a fit), so a frame at 10**6 points skips half the work.

    Parameters are those of `rasterize`.
    """

    def __init__(self, x, y, x_range, y_range, width: int, height: int, radius: float = 2.0) -> None:
        width, height = int(width), int(height)
        if width < 0 or height < 0:
            raise ValueError(f"width={width} and height={height} should be >= 0.")
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"x and y should have the same length; got {x.shape[0]} and {y.shape[0]}.")
        x0, x1 = float(x_range[0]), float(x_range[1])
        y0, y1 = float(y_range[0]), float(y_range[1])
        if not (np.isfinite([x0, x1, y0, y1]).all() and x1 > x0 and y1 > y0):
            raise ValueError(f"x_range={x_range!r} and y_range={y_range!r} should be finite, increasing ranges.")
        self.n = x.shape[0]
        self.shape = (height, width)
        self.offsets = disc_offsets(radius)
        self.kept: np.ndarray | None = None  # indices of the points drawn; None = all
        self.flat = np.empty(0, dtype=np.intp)  # their pixel in the bounding box, row-major
        self.box = (0, 0, 0, 0)  # rows, columns of the padded bounding box: r_lo, c_lo, bh, bw
        if width == 0 or height == 0 or self.n == 0:
            return
        reach = int(np.abs(self.offsets).max()) if self.offsets.size else 0
        # Pixel coordinates of the centres in an image padded by `reach` on every
        # side (a disc centred just outside the view still reaches into it); row 0
        # at the top. All kept values are >= 0, so truncation is the floor.
        sx, sy = width / (x1 - x0), height / (y1 - y0)
        u = x - (x0 - reach / sx)
        u *= sx
        v = (y1 + reach / sy) - y
        v *= sy
        keep = u >= 0
        keep &= u < width + 2 * reach
        keep &= v >= 0
        keep &= v < height + 2 * reach
        if not keep.all():
            self.kept = np.flatnonzero(keep)
            u, v = u[self.kept], v[self.kept]
            if self.kept.size == 0:
                return
        col = u.astype(np.intp)
        row = v.astype(np.intp)
        # Work in the bounding box of the occupied pixels only, padded by
        # 2 * reach: the stamp's input margin plus the discs' overhang.
        c_lo, r_lo = int(col.min()) - 2 * reach, int(row.min()) - 2 * reach
        bw, bh = int(col.max()) + 1 + 2 * reach - c_lo, int(row.max()) + 1 + 2 * reach - r_lo
        flat = row
        flat -= r_lo
        flat *= bw
        flat += col
        flat -= c_lo
        self.flat = flat
        # Row r of the stamped box is image row r + r_lo (padded rows are
        # shifted by reach, the box by another reach).
        self.box = (r_lo, c_lo, bh, bw)

    def draw(self, rgba, index=None) -> np.ndarray:
        """The image for these colours (see `rasterize` for ``rgba`` and ``index``)."""
        n = self.n
        colours = np.asarray(rgba)
        colours = colours.astype(np.float64) / (255.0 if colours.dtype.kind in "ui" else 1.0)
        if index is not None:
            index = np.asarray(index, dtype=np.intp).ravel()
            if colours.ndim != 2 or colours.shape[1] != 4 or index.shape[0] != n:
                raise ValueError(f"with index, rgba should be a (n_colours, 4) table and index have {n} "
                                 f"entries; got {colours.shape} and {index.shape}.")
            if n and (index.min() < 0 or index.max() >= colours.shape[0]):
                raise ValueError(f"index should be in [0, {colours.shape[0]}); got [{index.min()}, {index.max()}].")
        elif colours.shape == (4,):
            colours, index = colours[None, :], np.zeros(n, dtype=np.intp)
        elif colours.shape != (n, 4):
            raise ValueError(f"rgba should have shape ({n}, 4) or (4,); got {colours.shape}.")
        height, width = self.shape
        image = np.zeros((height, width, 4), dtype=np.uint8)
        if self.flat.size == 0:
            return image
        # Per-point weights: depth w = -log(1 - a) and w * rgb (a table when indexed).
        depth = -np.log1p(-np.minimum(colours[:, 3], _MAX_ALPHA))
        table = np.stack([depth, depth * colours[:, 0], depth * colours[:, 1], depth * colours[:, 2]])
        if self.kept is not None:
            if index is not None:
                index = index.take(self.kept)
            else:
                table = table.take(self.kept, axis=1)
        r_lo, c_lo, bh, bw = self.box
        centres = np.empty((4, bh, bw), dtype=np.float32)
        for channel in range(4):
            weights = table[channel] if index is None else table[channel].take(index)
            centres[channel] = np.bincount(self.flat, weights=weights, minlength=bh * bw).reshape(bh, bw)
        summed = _stamp(centres, self.offsets)  # (4, bh - 2 reach, bw - 2 reach)
        # Place the box in the image, clipped.
        i0, j0 = max(r_lo, 0), max(c_lo, 0)
        i1, j1 = min(r_lo + summed.shape[1], height), min(c_lo + summed.shape[2], width)
        if i1 <= i0 or j1 <= j0:
            return image
        sums = summed[:, i0 - r_lo:i1 - r_lo, j0 - c_lo:j1 - c_lo]
        covered = sums[0] > 0  # transparent points (w = 0) cover nothing
        scale = np.divide(np.float32(255.0), sums[0], out=np.zeros_like(sums[0]), where=covered)
        rgb = sums[1:4] * scale  # the depth-weighted mean colour, 0 .. 255
        np.minimum(rgb, 255.0, out=rgb)
        rgb += 0.5  # round on the cast below (all values are >= 0)
        region = image[i0:i1, j0:j1]
        region[..., :3] = rgb.transpose(1, 2, 0)
        # 1 - prod(1 - a) = 1 - exp(-sum(w)); 0 where nothing is.
        opacity = np.expm1(-sums[0])
        opacity *= -255.0
        opacity += 0.5
        region[..., 3] = opacity
        return image


def _stamp(grid: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Sum of ``grid`` over a symmetric stamp around every pixel.

    Parameters
    ----------
    grid : ndarray of shape (channels, h, w)
        Padded by ``reach`` (the stamp's largest offset) on every side.
    offsets : ndarray of shape (n, 2)
        The stamp (from `disc_offsets`): symmetric, and each row ``dy`` a
        contiguous run ``|dx| <= half(dy)``.

    Returns
    -------
    ndarray of shape (channels, h - 2 reach, w - 2 reach)
    """
    reach = int(np.abs(offsets).max()) if offsets.size else 0
    _c, h, w = grid.shape
    out_h, out_w = max(h - 2 * reach, 0), max(w - 2 * reach, 0)
    if reach == 0 or out_h == 0 or out_w == 0:
        return grid[:, reach:reach + out_h, reach:reach + out_w]
    half = {int(dy): int(np.abs(offsets[offsets[:, 0] == dy, 1]).max()) for dy in np.unique(offsets[:, 0])}

    def column(dx):
        return grid[:, :, reach + dx:reach + dx + out_w]

    # Horizontal runs |dx| <= hw, each grown from the last by two shifted
    # adds, then one add per stamp row: about 4 * reach whole-grid passes
    # instead of one per offset (21 for a radius of 2.5).
    runs = {0: column(0)}
    for hw in range(1, max(half.values()) + 1):
        previous = runs[hw - 1]
        run = previous + column(-hw) if hw > 1 else column(-1) + column(0)
        run += column(hw)
        runs[hw] = run
    rows = [runs[hw][:, reach + dy:reach + dy + out_h, :] for dy, hw in sorted(half.items())]
    out = rows[0] + rows[1]  # a radius >= 1 has at least three rows
    for row in rows[2:]:
        out += row
    return out
