"""Show many points as one image: :class:`PointRaster` owns a
``pg.ImageItem`` placed in data coordinates with ``setRect`` and
re-rasterises (:mod:`.rasterize`) on every new colouring and resize and,
debounced, after pans and zooms; from ``ASYNC_POINTS`` points on on a worker
thread. `raster_colours` turns the canvas's colour mode into raster input.
The canvas switches to this path from ``cluster_canvas.RASTER_THRESHOLD``
points on.
"""
from __future__ import annotations

import numpy as np

from ..jobs import Worker
from .point_locator import PointLocator
from .rasterize import RasterGeometry

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

def _draw_job(request, geometry, radius: float):
    """Worker side of `PointRaster.render`: (request, geometry, image)."""
    key, x, y, rgba, index = request
    if geometry is None:
        x0, x1, y0, y1, width, height = key[:6]
        geometry = RasterGeometry(x, y, (x0, x1), (y0, y1), width, height, radius)
    return request, geometry, geometry.draw(rgba, index)


#: One worker draws the rasters of every canvas.
_RASTER_WORKER = Worker("raster")


class PointRaster:
    """Show points as a rasterised ``pg.ImageItem`` in a ``pg.ViewBox``.

    The image covers exactly the visible data rectangle at the view's size
    in device pixels. It is re-rasterised by `set_points`, `set_colours`
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
    hit_radius : float
        Pixels around the pointer in which `point_at` finds a point.
    """

    def __init__(self, view_box, radius: float = 2.5, z_value: float = 10.0, debounce_ms: int = 30,
                 follow=None, async_points: int = ASYNC_POINTS) -> None:
        from PySide6.QtCore import QRectF, QTimer
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
        self._generation = 0  # bumped whenever an image on its way is no longer wanted
        self._task = None  # the raster on the worker thread, if any
        self._pending = None  # the latest request waiting for the worker
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
        return self._task is None and self._pending is None and not self._timer.isActive()

    def set_active(self, on: bool) -> None:
        """Show (and render) or hide the image."""
        self._active = bool(on)
        self.item.setVisible(self._active)
        if self._active:
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

    def set_colours(self, rgba: np.ndarray, index: np.ndarray | None = None) -> None:
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
        if self._task is not None or self._pending is None:
            return  # one raster at a time; the waiting request goes when it ends
        request, self._pending = self._pending, None
        geometry = self._geometry if self._geometry_key == request[0] else None
        generation = self._generation
        task = None

        def done(result) -> None:
            self._on_done(task, generation, result)

        task = self._task = _RASTER_WORKER.submit(_draw_job, request, geometry, self.radius, on_done=done)

    def _on_done(self, task, generation: int, result) -> None:
        """On the GUI thread: show the image if it is still wanted."""
        if task is not self._task or not self._alive():
            return
        self._task = None
        request, geometry, image = result
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

    Mirrors ``ClusterCanvas._colour_points``: "blend" gives per-point
    RGBA (``canvas.point_rgba``); "hard" and "opacity"
    give rows of the brush table's colours (`rgba_table`) and each point's
    row, so no per-point colour array is built.

    Returns
    -------
    (rgba, index)
        As taken by `PointRaster.set_colours`.
    """
    from .palette import ALPHA_LEVELS, MAX_CLUSTERS

    unassigned = brush_rgba(canvas.brushes.unassigned)
    mode = getattr(canvas, "colour_mode", "opacity")
    if state is None:
        return unassigned, None
    if mode == "blend":
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
