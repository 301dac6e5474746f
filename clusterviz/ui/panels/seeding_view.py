"""k-means++ seeding shown step by step on the canvas.

While the mode is on (Run ▸ "Show k-means++ seeding", or ``seedingCheck`` in
the restarts panel) and the session is at its start, each Step picks one
more initial centre: every point is drawn with a size that grows with its
D² sampling probability, the greedy variant's candidates get orange rings,
and the chosen one becomes a centre. One Step more leaves the seeding: the
canvas shows the session's own initial state, whose centres are exactly the
picked ones (the picks come from :func:`clusterviz.model.seeding.kmeans_plusplus_picks`
with the session's seed, which is what K-Means itself starts from), and
Lloyd's iterations continue as usual. Step back walks back through the picks.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QPen
from PySide6.QtWidgets import QLabel
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.model import ModelError
from clusterviz.model.seeding import SeedingPick, kmeans_plusplus_picks

from ..canvas.palette import MAX_CLUSTERS, cluster_colour

#: Algorithms whose "k-means++" start is plain k-means++ seeding (a mixture's
#: "k-means++" start runs K-Means after the seeding, so it is not shown here).
SEEDING_ALGORITHMS = ("kmeans", "soft-kmeans")
_LEVELS = 12
_PROB_COLOUR = "#3A3A3A"
_CANDIDATE_COLOUR = "#E69F00"


def _pen(colour, width: float) -> QPen:
    pen = QPen(QColor(colour))
    pen.setWidthF(width)
    pen.setCosmetic(True)
    return pen


class SeedingView(QObject):
    """Overlay on the canvas that steps through k-means++ seeding.

    Attributes
    ----------
    action : QAction
        Checkable "Show k-means++ seeding step by step" (objectName ``seedingAction``).
    picks : list of SeedingPick
        The picks for the session's data, K and seed.
    position : int
        0: no centre chosen yet; 1..K: that many picks shown; K + 1: done.
    """

    enabled_changed = Signal(bool)

    def __init__(self, canvas, controller, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else controller)
        self.canvas = canvas
        self.controller = controller
        self.session = controller.session
        self.enabled = False
        self.picks: list[SeedingPick] = []
        self.position = 0
        self._start = None
        self._canvas_items_visible = True
        self.action = QAction("Show k-means++ &seeding step by step", self)
        self.action.setObjectName("seedingAction")
        self.action.setCheckable(True)
        self.action.setShortcut("Ctrl+Shift+I")
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        tip = "Each Step picks one more k-means++ centre, showing the D² sampling probabilities, then K-Means runs."
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        self.action.toggled.connect(self.set_enabled)

        plot = canvas.getPlotItem()
        self._brushes = []
        for level in range(_LEVELS):
            colour = QColor(_PROB_COLOUR)
            colour.setAlphaF(0.18 + 0.82 * level / (_LEVELS - 1))
            self._brushes.append(QBrush(colour))
        self.prob_points = pg.ScatterPlotItem(pen=_pen(QColor(255, 255, 255, 160), 0.6), antialias=True, pxMode=True)
        self.prob_points.setZValue(12)
        self.candidate_marks = pg.ScatterPlotItem(size=22, symbol="o", pen=_pen(_CANDIDATE_COLOUR, 2.6),
                                                  brush=pg.mkBrush(None), antialias=True, pxMode=True)
        self.candidate_marks.setZValue(24)
        self.chosen_mark = pg.ScatterPlotItem(size=34, symbol="o", pen=_pen("#000000", 3.0),
                                              brush=pg.mkBrush(None), antialias=True, pxMode=True)
        self.chosen_mark.setZValue(26)
        self.centres = pg.ScatterPlotItem(size=28, symbol="star", pen=_pen("black", 2.0), antialias=True, pxMode=True)
        self.centres.setZValue(31)
        self._centre_brushes = [QBrush(cluster_colour(k)) for k in range(MAX_CLUSTERS)]
        for item in (self.prob_points, self.candidate_marks, self.chosen_mark, self.centres):
            item.setVisible(False)
            plot.addItem(item)
        self.label = QLabel(canvas)
        self.label.setObjectName("seedingLabel")
        self.label.setToolTip("What the k-means++ seeding step on the canvas shows.")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.label.setStyleSheet("QLabel { background: rgba(255,255,255,225); border: 1px solid #bbb; "
                                 "border-radius: 4px; padding: 4px 6px; color: #222; }")
        self.label.hide()

        controller.step_hooks.append(self._step_hook)
        controller.back_hooks.append(self._back_hook)
        controller.reset.connect(self._on_reset)
        controller.data_changed.connect(self._on_data_changed)
        controller.stepped.connect(self._on_stepped)
        controller.view_changed.connect(self._render)
        self._sync_action()

    # ------------------------------------------------------------ the mode
    def available(self) -> bool:
        return self.session.algorithm in SEEDING_ALGORITHMS

    def set_enabled(self, on: bool) -> None:
        """Turn the mode on (switching the start to k-means++ and resetting) or off."""
        on = bool(on) and self.available()
        if on == self.enabled:
            self._sync_action()
            return
        self.enabled = on
        self._sync_action()
        if on:
            if self.session.init != "k-means++" or self.session.initial_means is not None:
                self.controller.set_init("k-means++")  # emits reset, which rebuilds the picks
            self.controller.reset_fit()
        else:
            self.picks = []
            self._render()
        self.enabled_changed.emit(on)

    def _sync_action(self) -> None:
        self.action.blockSignals(True)
        self.action.setChecked(self.enabled)
        self.action.setEnabled(self.available())
        tip = ("Each Step picks one more k-means++ centre, showing the D² sampling probabilities, then K-Means runs."
               if self.available() else "k-means++ seeding is shown for K-Means and soft K-Means only.")
        self.action.setToolTip(tip)
        self.action.setStatusTip(tip)
        self.action.blockSignals(False)

    @property
    def active(self) -> bool:
        """Whether the overlay is showing a pick (not yet done)."""
        return (self.enabled and bool(self.picks) and self.position <= len(self.picks)
                and self.session.cursor == 0)

    def _rebuild(self) -> None:
        """Compute the picks for the session's data, K and seed; position 0."""
        s = self.session
        self.picks, self.position = [], 0
        timeline = s.timeline
        self._start = timeline[0] if timeline else None  # the session start the picks are for
        if not self.enabled or s.state is None:
            return
        try:
            self.picks = list(kmeans_plusplus_picks(np.asarray(s.X), s.n_clusters, int(s.seed)))
        except ModelError:
            self.picks = []

    def can_step_back(self) -> bool:
        """Whether Step back would show an earlier pick (False while the picks
        wait to be rebuilt for a session that was reset or changed)."""
        timeline = self.session.timeline
        fresh = bool(timeline) and timeline[0] is self._start
        return bool(self.enabled and self.picks and fresh and self.session.cursor == 0 and self.position > 0)

    def matches_session(self) -> bool:
        """Whether the picked centres are exactly the session's initial means."""
        timeline = self.session.timeline
        return bool(self.picks) and bool(timeline) and np.array_equal(self.picks[-1].centers, timeline[0].means)

    # --------------------------------------------------------------- hooks
    def _step_hook(self) -> bool:
        if not self.active:
            return False
        self.position += 1
        self._render()
        return True

    def _back_hook(self, dry_run: bool = False) -> bool:
        if not self.can_step_back():
            return False
        if dry_run:
            return True
        self.position = min(self.position, len(self.picks) + 1) - 1
        self._render()
        return True

    # ----------------------------------------------------- session changes
    def _on_reset(self) -> None:
        if self.enabled and (not self.available() or self.session.init != "k-means++"
                             or self.session.initial_means is not None):
            self.enabled = False  # another start was chosen: leave the mode
            self.picks = []
            self.enabled_changed.emit(False)
        self._sync_action()
        self._rebuild()
        self._render()

    def _on_data_changed(self) -> None:
        if self.enabled:
            self.controller.reset_fit()  # the start must be the seeding of the new data
        else:
            self._render()

    def _on_stepped(self) -> None:
        self._render()

    # ------------------------------------------------------------ drawing
    def _show_canvas_items(self, visible: bool) -> None:
        """Hide the canvas's own points and centroids under the overlay (and
        show them again after); touches them only when the overlay comes or goes."""
        if visible == self._canvas_items_visible:
            return
        self._canvas_items_visible = visible
        for item in (self.canvas.points, self.canvas.centroids, self.canvas.centroid_halos):
            item.setVisible(visible)

    def _render(self) -> None:
        overlay = self.active
        for item in (self.prob_points, self.candidate_marks, self.chosen_mark, self.centres):
            item.setVisible(overlay)
        self._show_canvas_items(not overlay)
        if not overlay:
            done = self.enabled and self.picks and self.session.cursor == 0
            if done:
                ok = self.matches_session()
                self._set_label(
                    f"<b>k-means++ seeding done:</b> these {len(self.picks)} centres are K-Means' start"
                    + ("" if ok else " <span style='color:#B00020'>(they differ from the session's start!)</span>")
                    + ". Step runs Lloyd's iterations; Step back shows the last pick again.")
            else:
                self.label.hide()
            return
        P = self.session.shown_points()  # the canvas's coordinates, a PCA view too
        K = len(self.picks)
        if self.position == 0:
            probs = self.picks[0].probabilities
            self._draw_points(P, probs)
            self.candidate_marks.setData(x=[], y=[])
            self.chosen_mark.setData(x=[], y=[])
            self.centres.setData(x=[], y=[])
            self._set_label(f"<b>k-means++ seeding, 0 of {K} centres.</b> Step picks the first centre: a point "
                            "chosen uniformly at random (all points equally likely).")
            return
        pick = self.picks[self.position - 1]
        self._draw_points(P, pick.probabilities)
        cand = P[pick.candidates]
        self.candidate_marks.setData(x=cand[:, 0], y=cand[:, 1]) if pick.number > 0 else \
            self.candidate_marks.setData(x=[], y=[])
        self.chosen_mark.setData(x=[P[pick.chosen, 0]], y=[P[pick.chosen, 1]])
        C = P[pick.indices]
        self.centres.setData(x=C[:, 0], y=C[:, 1],
                             brush=[self._centre_brushes[k % MAX_CLUSTERS] for k in range(C.shape[0])])
        if pick.number == 0:
            text = (f"<b>Pick 1 of {K}:</b> a point chosen uniformly at random (every point equally likely, so "
                    "all are drawn the same size). Next, a point's chance grows with D², its squared distance to "
                    "the nearest centre.")
        else:
            n_c = len(pick.candidates)
            text = (f"<b>Pick {pick.number + 1} of {K}:</b> point size = probability D²/ΣD² of being drawn "
                    f"(D = distance to the nearest centre so far). {n_c} candidates were drawn "
                    f"(<span style='color:{_CANDIDATE_COLOUR}'>orange rings</span>); the greedy variant keeps "
                    f"the one that leaves the smallest total D² ({pick.potential:.4g}, "
                    "<b>black ring</b>).")
        if self.position == K:
            text += " Step once more to start K-Means from these centres."
        self._set_label(text)

    def _draw_points(self, P: np.ndarray, probs: np.ndarray) -> None:
        top = float(probs.max()) if probs.size else 0.0
        rel = np.sqrt(probs / top) if top > 0 else np.zeros_like(probs)
        sizes = 3.0 + 17.0 * rel
        levels = np.rint(rel * (_LEVELS - 1)).astype(int)
        brushes = np.array(self._brushes, dtype=object)[levels]
        self.prob_points.setData(x=P[:, 0], y=P[:, 1], size=sizes, brush=brushes)

    def _set_label(self, html: str) -> None:
        width = max(200, min(460, self.canvas.width() - 90))
        self.label.setFixedWidth(width)
        self.label.setText(html)
        self.label.adjustSize()
        self.label.move(70, 8)
        self.label.show()
        self.label.raise_()
