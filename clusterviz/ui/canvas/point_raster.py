"""Draw many points as one image: a numpy raster shown by a ``pg.ImageItem``.

pyqtgraph's ``ScatterPlotItem`` spends 2-9 µs of Python per point on every
update (0.9 s a frame at 10**5 points, see PERF-NOTES); a vectorised raster of
the view costs a few milliseconds whatever the number of points. The canvas
switches to this path from ``canvas.RASTER_THRESHOLD`` points on.

Parts:

- :func:`rasterize` (no Qt): points, their colours and a view rectangle in,
  an ``(H, W, 4)`` RGBA image out; :class:`RasterGeometry` keeps the
  colour-independent half of it while only the colours change. Both are
  unit-tested without Qt (the module imports no Qt at import time).
- :class:`PointLocator` (no Qt): the point under the mouse, by a KD-tree
  built lazily on a worker thread.
- :class:`PointRaster` (Qt): owns a ``pg.ImageItem`` placed in data
  coordinates with ``setRect``; re-rasterises on every new colouring and
  resize and, debounced, after pans and zooms. `raster_colours` turns the
  canvas's colour mode into raster input.

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


class PointLocator:
    """Which point is under the mouse, in data coordinates (no Qt).

    A ``scipy.spatial.cKDTree`` on the points (scaled by their spans) is
    built once per data set, lazily: the first query starts the build on a
    worker thread (cKDTree releases the GIL, so the GUI keeps running; 0.2 s
    at 10**6 points) and answers by a vectorised scan until the tree is ready.

    Parameters
    ----------
    x, y : ndarray of shape (n_samples,)
    """

    _executor = None  # one shared single-thread pool for all tree builds

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        n = self.x.shape[0]
        spans = [float(np.ptp(a)) if n else 1.0 for a in (self.x, self.y)]
        self._scale = np.array([s if s > 0 else 1.0 for s in spans])
        self._future = None

    @property
    def tree(self):
        """The built tree, or None while it is being built (or not yet asked for)."""
        future = self._future
        if future is None or not future.done():
            return None
        return future.result()

    def start_build(self):
        """Start building the tree on the worker thread (once); returns the future."""
        if self._future is None:
            if PointLocator._executor is None:
                from concurrent.futures import ThreadPoolExecutor

                PointLocator._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clusterviz-kdtree")
            scaled = np.column_stack([self.x / self._scale[0], self.y / self._scale[1]])
            self._future = PointLocator._executor.submit(_build_tree, scaled)
        return self._future

    def topmost(self, px: float, py: float, rx: float, ry: float) -> int:
        """Index of the last-drawn point within the ellipse of radii (rx, ry)
        around (px, py) -- the one the scatter's ``pointsAt`` would report
        on top -- or -1.
        """
        if self.x.shape[0] == 0 or not (rx > 0 and ry > 0):
            return -1
        tree = self.tree
        if tree is None:
            self.start_build()
            candidates = np.flatnonzero((np.abs(self.x - px) <= rx) & (np.abs(self.y - py) <= ry))
        else:
            centre = (px / self._scale[0], py / self._scale[1])
            reach = max(rx / self._scale[0], ry / self._scale[1])
            candidates = np.asarray(tree.query_ball_point(centre, r=reach, p=np.inf), dtype=np.intp)
        if candidates.size == 0:
            return -1
        inside = ((self.x[candidates] - px) / rx) ** 2 + ((self.y[candidates] - py) / ry) ** 2 <= 1.0
        return int(candidates[inside].max()) if inside.any() else -1


def keep_freed_memory() -> bool:
    """Ask glibc's allocator to keep freed memory for reuse (Linux only).

    Every raster and every model step on 10**5-10**6 points allocates and
    frees arrays of megabytes; by default glibc returns them to the system
    at once, and touching fresh pages again cost about 5,000 page faults
    and 10 ms of system time per raster at 10**5 points (a third of its
    time). Raising the mmap and trim thresholds (64 MB, 256 MB) removes
    that. Returns whether the allocator accepted it; elsewhere does nothing.
    """
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED is None:
        _ALLOCATOR_TUNED = False
        try:
            import ctypes

            libc = ctypes.CDLL("libc.so.6")
            m_trim_threshold, m_mmap_threshold = -1, -3  # from <malloc.h>
            _ALLOCATOR_TUNED = bool(libc.mallopt(m_mmap_threshold, 64 << 20)) and bool(
                libc.mallopt(m_trim_threshold, 256 << 20))
        except (OSError, AttributeError):  # not glibc
            pass
    return _ALLOCATOR_TUNED


_ALLOCATOR_TUNED: bool | None = None


def _build_tree(points: np.ndarray):
    from scipy.spatial import cKDTree  # heavy: only when a big data set is hovered

    # Unbalanced and not compacted: 2.5x faster to build, queries as fast.
    return cKDTree(points, balanced_tree=False, compact_nodes=False)


# ---------------------------------------------------------------------------
# Qt part: only the wrapper below touches Qt, and only when built.
# ---------------------------------------------------------------------------
def rgba_table(brush_table) -> np.ndarray:
    """The colours of a ``palette.BrushTable`` as uint8 RGBA.

    Returns
    -------
    ndarray of shape (n_colours * n_alpha_levels, 4), uint8
        Row ``k * n_alpha_levels + level`` is the colour of the brush of
        cluster ``k`` at opacity level ``level``, so raster and scatter draw
        from the same brushes.
    """
    brushes = brush_table._table
    out = np.empty(brushes.shape + (4,), dtype=np.uint8)
    for index in np.ndindex(brushes.shape):
        out[index] = brushes[index].color().getRgb()
    return out.reshape(-1, 4)


def brush_rgba(brush) -> np.ndarray:
    """One QBrush's colour as uint8 RGBA, shape (4,)."""
    return np.array(brush.color().getRgb(), dtype=np.uint8)


#: From this many points on, `PointRaster` rasterises on a worker thread: at
#: 10**6 points one raster takes 40-50 ms (more on a loaded machine), which
#: would otherwise add to every GUI-thread stall while playing. Below it the
#: raster is drawn at once (a few ms to ~25 ms).
ASYNC_POINTS = 200_000

_RELAY_CLASS = None


def _relay_class():
    """A QObject with one signal, to hand worker results to the GUI thread
    (defined on first use, so importing this module needs no Qt)."""
    global _RELAY_CLASS
    if _RELAY_CLASS is None:
        from PySide6.QtCore import QObject, Signal

        class _Relay(QObject):
            done = Signal(object)

        _RELAY_CLASS = _Relay
    return _RELAY_CLASS


def _draw_job(request, geometry, radius: float):
    """Worker side of `PointRaster.render`: (request, geometry, image)."""
    key, x, y, rgba, index = request
    if geometry is None:
        x0, x1, y0, y1, width, height = key[:6]
        geometry = RasterGeometry(x, y, (x0, x1), (y0, y1), width, height, radius)
    return request, geometry, geometry.draw(rgba, index)


class PointRaster:
    """Show points as a rasterised ``pg.ImageItem`` in a ``pg.ViewBox``.

    The image covers exactly the visible data rectangle at the view's size
    in device pixels. It is re-rasterised by `set_points`, `set_colors`
    (every new state) and a resize, and ``debounce_ms`` after the last pan
    or zoom (meanwhile the previous image moves with the view: it is placed
    in data coordinates). Below ``async_points`` points that happens at
    once; from there on on a worker thread, one raster at a time, the latest
    request replacing any waiting one, results shown in order (`idle` says
    when the image is up to date).

    Parameters
    ----------
    view_box : pg.ViewBox
        Where the image item is added.
    radius : float
        Disc radius in device pixels.
    z_value : float
        Z order of the image item (the scatter's, so other layers keep theirs).
    debounce_ms : int
        Delay before re-rasterising after the view changed.
    follow : QGraphicsObject, optional
        An item in the view (the scatter) to attach the image to as a child:
        it then shares its coordinates (data coordinates) and its visibility,
        so code that hides the points hides them on either path.
    async_points : int
        From this many points on, rasterise on a worker thread.

    Attributes
    ----------
    item : pg.ImageItem
    renders : int
        How many images were shown (tests observe it).
    hit_radius : float
        Pixels around the pointer in which `point_at` finds a point.
    """

    _executor = None  # one raster worker thread for all canvases

    def __init__(self, view_box, radius: float = 2.5, z_value: float = 10.0, debounce_ms: int = 30,
                 follow=None, async_points: int = ASYNC_POINTS) -> None:
        from PySide6.QtCore import QRectF, Qt, QTimer
        import pyqtgraph as pg
        from shiboken6 import isValid

        self._QRectF = QRectF
        self._alive = lambda: isValid(self.item)  # False once the scene deleted the item
        self.view_box = view_box
        self.radius = float(radius)
        self.hit_radius = max(4.0, self.radius + 1.0)
        self.async_points = int(async_points)
        self.item = pg.ImageItem(axisOrder="row-major")
        self.item.setZValue(z_value)
        self.item.setVisible(False)
        if follow is not None:
            self.item.setParentItem(follow)
        else:
            view_box.addItem(self.item, ignoreBounds=True)
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._rgba: np.ndarray = np.zeros(4, dtype=np.uint8)
        self._index: np.ndarray | None = None
        self._locator: PointLocator | None = None
        self._geometry: RasterGeometry | None = None
        self._geometry_key = None
        self._active = False
        self.renders = 0
        self._generation = 0  # bumped whenever an image on its way is no longer wanted
        self._future = None  # the raster on the worker thread, if any
        self._pending = None  # the latest request waiting for the worker
        self._relay = _relay_class()(self.item)  # parented: deleted with the item
        self._relay.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._timer = QTimer(self.item)
        self._timer.setSingleShot(True)
        self._timer.setInterval(int(debounce_ms))
        self._timer.timeout.connect(self.render)
        view_box.sigRangeChanged.connect(self._schedule)
        # A resize renders at once: a window grabbed right after its layout
        # (screenshots, exports) must not show a stretched image.
        view_box.sigResized.connect(self._on_resized)

    @property
    def active(self) -> bool:
        """Whether the raster (rather than a scatter) shows the points."""
        return self._active

    @property
    def idle(self) -> bool:
        """Whether the shown image is the latest one asked for (no raster
        running or waiting on the worker thread, none due after a pan)."""
        return self._future is None and self._pending is None and not self._timer.isActive()

    def set_active(self, on: bool) -> None:
        """Show (and render) or hide the image."""
        self._active = bool(on)
        self.item.setVisible(self._active)
        if self._active:
            keep_freed_memory()
            self.render()
        else:
            self._timer.stop()
            self._drop_waiting()
            self.item.clear()

    def set_points(self, x: np.ndarray, y: np.ndarray, rgba: np.ndarray, active: bool | None = None) -> None:
        """New positions (n,), (n,) and colours, (n, 4) or (4,) uint8;
        ``active`` switches the raster on or off at the same time."""
        self._x = np.asarray(x, dtype=np.float64)
        self._y = np.asarray(y, dtype=np.float64)
        self._locator = None  # rebuilt lazily for the new positions
        self._geometry = None
        self._geometry_key = None
        self._drop_waiting()  # an image of the old points must not appear
        self._rgba, self._index = np.asarray(rgba), None
        self.set_active(self._active if active is None else active)

    def set_colors(self, rgba: np.ndarray, index: np.ndarray | None = None) -> None:
        """New colours for the same points: (n, 4) or (4,) uint8 RGBA, or a
        colour table (m, 4) with ``index`` (n,) choosing each point's row."""
        self._rgba = np.asarray(rgba)
        self._index = None if index is None else np.asarray(index)
        if self._active:
            self.render()

    def _schedule(self, *_args) -> None:
        if self._active and self._alive():  # not while the scene is torn down
            self._timer.start()

    def _on_resized(self, *_args) -> None:
        if self._active and self._alive():
            self.render()

    def view_size(self) -> tuple[int, int]:
        """(width, height) of the view in device pixels."""
        rect = self.view_box.sceneBoundingRect()
        scene = self.view_box.scene()
        views = scene.views() if scene is not None else []
        ratio = views[0].devicePixelRatioF() if views else 1.0
        return max(1, int(round(rect.width() * ratio))), max(1, int(round(rect.height() * ratio)))

    def render(self) -> None:
        """Rasterise the visible rectangle (now, or on the worker thread from
        ``async_points`` points on)."""
        self._timer.stop()
        if not self._active:
            return
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        n = self._x.shape[0]
        rgba, index = self._rgba, self._index
        if index is not None and index.shape[0] != n or index is None and rgba.ndim == 2 and rgba.shape[0] != n:
            rgba, index = np.zeros(4, dtype=np.uint8), None  # colours of other points: draw none wrong
        if not (x1 > x0 and y1 > y0) or n == 0:
            self._drop_waiting()
            self.item.clear()
            return
        width, height = self.view_size()
        key = (x0, x1, y0, y1, width, height, self.radius)
        request = (key, self._x, self._y, rgba, index)
        if n >= self.async_points:
            self._pending = request
            self._submit()
            return
        self._drop_waiting()
        if self._geometry is None or self._geometry_key != key:  # new points or a new view
            self._geometry = RasterGeometry(self._x, self._y, (x0, x1), (y0, y1), width, height, self.radius)
            self._geometry_key = key
        self._show(key, self._geometry.draw(rgba, index))

    def _drop_waiting(self) -> None:
        self._pending = None
        self._generation += 1  # a raster in flight is shown no more

    def _submit(self) -> None:
        if self._future is not None or self._pending is None:
            return  # one raster at a time; the waiting request goes when it ends
        request, self._pending = self._pending, None
        geometry = self._geometry if self._geometry_key == request[0] else None
        if PointRaster._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            PointRaster._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clusterviz-raster")
        generation = self._generation
        self._future = PointRaster._executor.submit(_draw_job, request, geometry, self.radius)
        self._future.add_done_callback(lambda future: self._deliver(generation, future))

    def _deliver(self, generation: int, future) -> None:
        """Runs on the worker thread: hand the result to the GUI thread."""
        try:
            self._relay.done.emit((generation, future))
        except RuntimeError:  # the canvas was deleted meanwhile
            pass

    def _on_done(self, message) -> None:
        generation, future = message
        if future is not self._future or not self._alive():
            return
        self._future = None
        request, geometry, image = future.result()  # a bug in the raster surfaces here
        key, x = request[0], request[1]
        if x is self._x:  # still the same points: keep the geometry for the next colours
            self._geometry, self._geometry_key = geometry, key
        if generation == self._generation and self._active:
            self._show(key, image)
        self._submit()

    def _show(self, key, image: np.ndarray) -> None:
        x0, x1, y0, y1 = key[:4]
        # Item row 0 sits at the rect's y0, which the (y-up) view draws at the bottom.
        self.item.setImage(image[::-1], autoLevels=False, levels=None)
        self.item.setRect(self._QRectF(x0, y0, x1 - x0, y1 - y0))
        self.renders += 1

    def point_at(self, scene_pos) -> int:
        """Index of the topmost point within `hit_radius` pixels of
        ``scene_pos`` (scene coordinates), or -1."""
        if not self._active or self._x.shape[0] == 0:
            return -1
        if self._locator is None:
            self._locator = PointLocator(self._x, self._y)
        pos = self.view_box.mapSceneToView(scene_pos)
        view, box = self.view_box.viewRect(), self.view_box.rect()  # not the (stale-prone) viewPixelSize cache
        px, py = abs(view.width()) / max(box.width(), 1.0), abs(view.height()) / max(box.height(), 1.0)
        return self._locator.topmost(pos.x(), pos.y(), self.hit_radius * px, self.hit_radius * py)


def raster_colours(canvas, state, n_points: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The colours the canvas's scatter would get for ``state``, as raster input.

    Mirrors ``ClusterCanvas._colour_points``: "blend" and the ambiguity
    layer give per-point RGBA (``canvas.point_rgba``); "hard" and "opacity"
    give rows of the brush table's colours (`rgba_table`) and each point's
    row, so no per-point colour array is built.

    Returns
    -------
    (rgba, index)
        As taken by `PointRaster.set_colors`.
    """
    from .palette import ALPHA_LEVELS, MAX_CLUSTERS

    unassigned = brush_rgba(canvas.brushes.unassigned)
    ambiguity = getattr(canvas, "ambiguity", None)
    mode = getattr(canvas, "colour_mode", "opacity")
    if state is None:
        return unassigned, None
    if mode == "blend" or (ambiguity is not None and ambiguity.shape[0] == n_points):
        rgba = canvas.point_rgba(state, n_points)
        return (unassigned if rgba is None else rgba), None
    labels, strength = _assignment(state)
    if labels is None or labels.shape[0] != n_points:
        return unassigned, None
    table = getattr(canvas, "_raster_table", None)
    if table is None:
        table = canvas._raster_table = rgba_table(canvas.brushes)
    index = np.asarray(labels, dtype=np.intp)
    n_clusters = np.shape(getattr(state, "means", np.empty((0, 0))))[0]
    if not 0 < n_clusters <= MAX_CLUSTERS:  # colours repeat past the table, as the brushes'
        index = index % MAX_CLUSTERS
    index = index * ALPHA_LEVELS
    if mode == "hard" or strength is None:  # hard labels: full opacity, as the scatter's np.ones
        index += ALPHA_LEVELS - 1
    else:
        # palette.alpha_levels without its clip (responsibilities are in [0, 1]): 3 passes, not 5.
        levels = strength * (ALPHA_LEVELS - 1)
        levels += 0.5
        index += levels.astype(np.intp)
    return table, index


def _assignment(state) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(labels, largest responsibility) as ``ClusterCanvas._assignment``, but
    reusing the state's labels (argmax over a short axis is slow in numpy)."""
    soft = getattr(state, "soft_responsibilities", None)
    labels = getattr(state, "labels", None)
    if soft is None:
        return (None, None) if labels is None else (np.asarray(labels), None)
    if labels is None or np.asarray(labels).shape[0] != soft.shape[0]:
        labels = np.argmax(soft, axis=1)
    labels = np.asarray(labels, dtype=np.intp)
    n, k = soft.shape
    # soft[i, labels[i]] as a flat gather (1.6x faster than take_along_axis),
    # in whichever order the model stored the matrix: never copy 10**6 x K.
    if soft.flags.c_contiguous:
        return labels, soft.reshape(-1).take(labels + k * np.arange(n))
    if soft.flags.f_contiguous:
        return labels, soft.T.reshape(-1).take(labels * n + np.arange(n))
    return labels, np.take_along_axis(soft, labels[:, None], axis=1)[:, 0]
