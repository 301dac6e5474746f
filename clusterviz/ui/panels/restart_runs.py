"""The work behind the restarts gallery, done on its worker thread: runs from
seeds 0 ... R-1 for each start method, cluster colours matched to the best
run, and the thumbnails drawn as images (`RestartsResult`).

Everything here runs off the GUI thread: the model's restarts
(`clusterviz.model.selection.run_restarts`), ``scipy.optimize.linear_sum_assignment``,
the canvas's numpy rasteriser and ``QPainter`` on a ``QImage`` (which, unlike
widgets and pixmaps, may be painted on any thread). The GUI thread only
wraps the finished images in buttons.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from scipy.optimize import linear_sum_assignment

from clusterviz.data.transform import project_points
from clusterviz.model import ModelError
from clusterviz.model.selection import RestartRun, run_restarts

from ..canvas.palette import CLUSTER_COLOURS, MAX_CLUSTERS
from ..canvas.rasterize import RasterGeometry

#: The session's start methods (every algorithm takes these names).
START_METHODS = ("random", "k-means++")
METHOD_COLOURS = {"random": "#D55E00", "k-means++": "#0072B2"}
#: Runs count as reaching the best objective within this relative
#: tolerance: the algorithms stop on a tolerance, so runs that found the
#: same clustering end a few parts in 10^5 apart (J = 991.50 vs 991.51 on
#: unequal_sizes).
RTOL = 1e-3
#: Thumbnail side in pixels, and the most points drawn in one.
THUMB = 104
THUMB_POINTS = 4000
_PAD = 7.0
_POINT_RADIUS = 1.6
_POINT_ALPHA = 190


@dataclass(frozen=True)
class RestartsResult:
    """What one press of "Run restarts" produced.

    Attributes
    ----------
    runs : list of RestartRun
        Best first; then one run of every other outcome (distinct final
        objective), best to worst, so the bad ones are on the first row; then
        the rest by objective.
    colour_maps : list of ndarray of shape (n_clusters,)
        For each run, the colour (cluster index of the best run) of each of
        its clusters: Hungarian matching of its final means to the best run's.
    images : list of QImage
        The thumbnail of each run.
    """

    runs: list
    colour_maps: list
    images: list


def seeded_runs(X, algorithm: str, n_clusters: int, n_restarts: int, inits=START_METHODS, params=None,
                progress=None, is_cancelled=None) -> list[RestartRun]:
    """Runs from seeds 0 ... ``n_restarts`` - 1 for every start method in
    ``inits`` (the exercise "run it with 10 seeds"; `run_restarts` with
    those seeds); a session's `Prepared` keeps its sequence lengths.

    Raises
    ------
    Cancelled
        If ``is_cancelled()`` turned True.
    ModelError
        If the data or a setting is invalid.
    """
    return run_restarts(X, algorithm, n_clusters, inits=inits, seeds=range(n_restarts), progress=progress,
                        is_cancelled=is_cancelled, **dict(params or {}))


def reached_best(runs, rtol: float = RTOL) -> np.ndarray:
    """Whether each run's objective is within ``rtol`` (relative) of the best."""
    if not runs:
        return np.zeros(0, dtype=bool)
    objectives = np.array([run.objective for run in runs])
    best = objectives.max() if runs[0].higher_is_better else objectives.min()
    return np.abs(objectives - best) <= rtol * abs(best)


def outcome_groups(objectives: np.ndarray, higher_is_better: bool, rtol: float = RTOL) -> np.ndarray:
    """Group number of each objective: runs within ``rtol`` of each other's
    objective share a group; group 0 is the best outcome."""
    objectives = np.asarray(objectives, dtype=np.float64)
    order = np.argsort(-objectives if higher_is_better else objectives, kind="stable")
    groups = np.empty(objectives.shape[0], dtype=np.intp)
    group, anchor = -1, None
    for i in order:
        if anchor is None or abs(objectives[i] - anchor) > rtol * max(abs(anchor), 1e-300):
            group, anchor = group + 1, objectives[i]
        groups[i] = group
    return groups


def gallery_order(runs) -> list:
    """``runs`` best first, then the first run of every worse outcome, then
    the others by objective (ties in the order they were made)."""
    if not runs:
        return []
    objectives = np.array([run.objective for run in runs])
    groups = outcome_groups(objectives, runs[0].higher_is_better)
    sign = -1.0 if runs[0].higher_is_better else 1.0
    by_objective = sorted(range(len(runs)), key=lambda i: (sign * objectives[i], runs[i].index))
    firsts, seen = [], set()
    for i in by_objective:
        if groups[i] not in seen:
            seen.add(groups[i])
            firsts.append(i)
    rest = [i for i in by_objective if i not in set(firsts)]
    return [runs[i] for i in firsts + rest]


def match_colours(means: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The colour of each of ``means``' clusters: the index of the
    ``reference`` mean it is matched to by the assignment that minimises the
    total squared distance (Hungarian method), so one answer found twice
    gets the same colours.

    Parameters
    ----------
    means, reference : ndarray of shape (n_clusters, n_features)

    Returns
    -------
    ndarray of shape (n_clusters,), int
    """
    means = np.asarray(means, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    cost = ((means[:, None, :] - reference[None, :, :]) ** 2).sum(axis=2)
    rows, cols = linear_sum_assignment(cost)
    out = np.arange(means.shape[0])
    out[rows] = cols
    return out


def _thumbnail_colours() -> np.ndarray:
    table = np.empty((MAX_CLUSTERS, 4), dtype=np.uint8)
    for k, name in enumerate(CLUSTER_COLOURS):
        c = QColor(name)
        table[k] = (c.red(), c.green(), c.blue(), _POINT_ALPHA)
    return table


class ThumbnailPainter:
    """Draws the thumbnails of one set of runs: the points' positions are
    rasterised once (`RasterGeometry`), each run only recolours them.

    Parameters
    ----------
    P : ndarray of shape (n, 2)
        Shown coordinates of (a subsample of) the points.
    """

    def __init__(self, P: np.ndarray) -> None:
        lo, hi = P.min(axis=0), P.max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        inner = THUMB - 2 * _PAD
        # the view, in data units, that puts the data _PAD pixels inside the image
        self.x_range = (lo[0] - span[0] * _PAD / inner, hi[0] + span[0] * _PAD / inner)
        self.y_range = (lo[1] - span[1] * _PAD / inner, hi[1] + span[1] * _PAD / inner)
        self.geometry = RasterGeometry(P[:, 0], P[:, 1], self.x_range, self.y_range, THUMB, THUMB, _POINT_RADIUS)
        self.colours = _thumbnail_colours()

    def _pixel(self, xy: np.ndarray) -> np.ndarray:
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        return np.stack([(xy[:, 0] - x0) / (x1 - x0) * THUMB, (y1 - xy[:, 1]) / (y1 - y0) * THUMB], axis=1)

    def draw(self, colours: np.ndarray, means: np.ndarray, best: bool, method_colour: str) -> QImage:
        """One thumbnail.

        Parameters
        ----------
        colours : ndarray of shape (n,)
            Colour index of every drawn point (a cluster of the best run).
        means : ndarray of shape (K, 2)
            The run's final means, shown coordinates.
        best : bool
            Draw a gold frame (the run reached the best objective).
        method_colour : str
            Colour of the corner square that tells the start method.
        """
        rgba = np.ascontiguousarray(self.geometry.draw(self.colours, np.asarray(colours) % MAX_CLUSTERS))
        points = QImage(rgba.data, THUMB, THUMB, 4 * THUMB, QImage.Format.Format_RGBA8888)
        image = QImage(THUMB, THUMB, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor("white"))
        painter = QPainter(image)
        painter.drawImage(0, 0, points)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(QColor("black"))
        pen.setWidthF(2.0)
        painter.setPen(pen)
        for a, b in self._pixel(np.asarray(means, dtype=np.float64)):
            painter.drawLine(QPointF(a - 4, b - 4), QPointF(a + 4, b + 4))
            painter.drawLine(QPointF(a - 4, b + 4), QPointF(a + 4, b - 4))
        painter.fillRect(QRectF(THUMB - 14, THUMB - 14, 10, 10), QColor(method_colour))
        if best:
            frame = QPen(QColor("#C8A000"))
            frame.setWidthF(3.0)
            painter.setPen(frame)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(1.5, 1.5, THUMB - 3, THUMB - 3))
        painter.end()
        return image


def restarts_work(X, algorithm: str, n_clusters: int, n_restarts: int, params: dict, view, centre=None,
                  progress=None, is_cancelled=None) -> RestartsResult:
    """The whole job: runs, colours matched to the best run, thumbnails.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or Prepared
        The data; pass the session's `Prepared` so that sequence lengths
        reach the runs.
    view, centre
        How the canvas shows the data (`Session.view`, `Session.view_center`).
    """
    runs = seeded_runs(X, algorithm, n_clusters, n_restarts, START_METHODS, params, progress, is_cancelled)
    runs = gallery_order(runs)
    reference = np.asarray(runs[0].final_means)
    colour_maps = [match_colours(run.final_means, reference) for run in runs]
    return RestartsResult(runs=runs, colour_maps=colour_maps,
                          images=draw_thumbnails(runs, colour_maps, X, view, centre))


def draw_thumbnails(runs, colour_maps, X, view, centre=None) -> list:
    """The thumbnail (QImage) of every run, the data seen through ``view``
    (a column pair or a projection, as `Session.view`)."""
    X = np.asarray(X, dtype=np.float64)
    idx = np.arange(X.shape[0])
    if X.shape[0] > THUMB_POINTS:
        idx = np.sort(np.random.default_rng(0).choice(X.shape[0], THUMB_POINTS, replace=False))
    shown = project_points(X[idx], view, centre)
    if not np.all(np.isfinite(shown)):
        raise ModelError("The shown coordinates are not finite; the thumbnails cannot be drawn.")
    painter = ThumbnailPainter(shown)
    best = reached_best(runs)
    images = []
    for run, colours, is_best in zip(runs, colour_maps, best):
        means = project_points(np.asarray(run.final_means), view, centre)
        images.append(painter.draw(colours[np.asarray(run.labels)[idx]], means, bool(is_best),
                                   METHOD_COLOURS.get(run.init, "#888888")))
    return images
