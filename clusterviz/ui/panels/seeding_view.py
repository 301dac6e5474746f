"""k-means++ seeding drawn on the canvas, pick by pick.

The picks are the session's own timeline entries (phase "seed", see
`clusterviz.session.seeding`): Run ▸ "Show k-means++ seeding" (or
``seedingCheck`` in the restarts panel) asks the controller to open the
timeline with them (`SessionController.set_show_seeding`, switching the start
to k-means++ first). Step, Step back, Play, the timeline slider and a click on
the objective plot then walk through the picks like any other entry.

While a "seed" entry is shown this overlay draws its `SeedingPick`: every
point with a size that grows with its D² sampling probability, the greedy
variant's candidates with orange rings, the chosen point with a black ring and
the centres picked so far as stars. On the "init" entry that follows the
last pick a note says that these centres are the fit's start.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import QLabel
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from ..canvas.palette import MAX_CLUSTERS, cluster_colour, cosmetic_pen

_LEVELS = 12
_PROB_COLOUR = "#3A3A3A"
_CANDIDATE_COLOUR = "#E69F00"
_TIP = "Each Step picks one more k-means++ centre, showing the D² sampling probabilities, then the fit runs."


class SeedingView(QObject):
    """Overlay on the canvas that draws the shown k-means++ pick.

    Attributes
    ----------
    action : QAction
        Checkable "Show k-means++ seeding step by step" (objectName ``seedingAction``).
    label : QLabel
        The note over the canvas (``seedingLabel``).

    Signals
    -------
    enabled_changed(bool)
        The picks started or stopped opening the timeline.
    """

    enabled_changed = Signal(bool)

    def __init__(self, canvas, controller, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else controller)
        self.canvas = canvas
        self.controller = controller
        self._enabled = self.enabled
        self._canvas_items_visible = True
        self.action = QAction("Show k-means++ &seeding step by step", self)
        self.action.setObjectName("seedingAction")
        self.action.setCheckable(True)
        self.action.setShortcut("Ctrl+Shift+I")
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.setToolTip(_TIP)
        self.action.setStatusTip(_TIP)
        self.action.toggled.connect(self.set_enabled)

        # The overlay (4 scatter items and the note) is made the first time there is something to draw.
        self.prob_points = self.candidate_marks = self.chosen_mark = self.centres = None
        self.label: QLabel | None = None

        for signal in (controller.stepped, controller.reset, controller.data_changed, controller.view_changed):
            signal.connect(self._refresh)
        self._sync_action()

    # ------------------------------------------------------------ the mode
    @property
    def session(self):
        """The controller's current session."""
        return self.controller.session

    @property
    def enabled(self) -> bool:
        """Whether the k-means++ picks open the session's timeline."""
        return bool(self.session.settings.seeds_shown)

    def available(self) -> bool:
        """Whether the picks can be shown (always: any algorithm can start
        from k-means++ seeding; turning the mode on switches the start)."""
        return True

    def set_enabled(self, on: bool) -> None:
        """Open the timeline with the picks (switching the start to
        k-means++ first) or not; the controller resets the fit."""
        on = bool(on)
        if on == self.enabled:
            self._sync_action()
            return
        c, s = self.controller, self.session
        if on and (s.init != "k-means++" or s.initial_means is not None):
            c.set_init("k-means++")  # also drops hand-placed means
        c.set_show_seeding(on)

    def _sync_action(self) -> None:
        self.action.blockSignals(True)
        self.action.setChecked(self.enabled)
        self.action.setEnabled(self.available())
        self.action.blockSignals(False)

    @property
    def pick(self):
        """The `SeedingPick` of the shown entry, or None when it is no pick."""
        entry = self.session.entry
        return entry.seeding if entry is not None and entry.phase == "seed" else None

    @property
    def active(self) -> bool:
        """Whether the overlay is drawing a pick."""
        return self.pick is not None

    # ------------------------------------------------------------ drawing
    def _build_overlay(self) -> None:
        """The overlay's scatter items on the canvas and its note (``seedingLabel``)."""
        canvas = self.canvas
        plot = canvas.getPlotItem()
        self._brushes = []
        for level in range(_LEVELS):
            colour = QColor(_PROB_COLOUR)
            colour.setAlphaF(0.18 + 0.82 * level / (_LEVELS - 1))
            self._brushes.append(QBrush(colour))
        self.prob_points = pg.ScatterPlotItem(pen=cosmetic_pen(QColor(255, 255, 255, 160), 0.6), antialias=True,
                                              pxMode=True)
        self.prob_points.setZValue(12)
        self.candidate_marks = pg.ScatterPlotItem(size=22, symbol="o", pen=cosmetic_pen(_CANDIDATE_COLOUR, 2.6),
                                                  brush=pg.mkBrush(None), antialias=True, pxMode=True)
        self.candidate_marks.setZValue(24)
        self.chosen_mark = pg.ScatterPlotItem(size=34, symbol="o", pen=cosmetic_pen("#000000", 3.0),
                                              brush=pg.mkBrush(None), antialias=True, pxMode=True)
        self.chosen_mark.setZValue(26)
        self.centres = pg.ScatterPlotItem(size=28, symbol="star", pen=cosmetic_pen("black", 2.0), antialias=True,
                                          pxMode=True)
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

    def _refresh(self) -> None:
        enabled = self.enabled
        self._sync_action()
        if enabled != self._enabled:
            self._enabled = enabled
            self.enabled_changed.emit(enabled)
        self._render()

    def _show_canvas_items(self, visible: bool) -> None:
        """Hide the canvas's own points and centroids under the overlay (and
        show them again after); touches them only when the overlay comes or goes."""
        if visible == self._canvas_items_visible:
            return
        self._canvas_items_visible = visible
        for item in (self.canvas.points, self.canvas.centroids, self.canvas.centroid_halos):
            item.setVisible(visible)

    def _render(self) -> None:
        s = self.session
        pick = self.pick
        K = s.n_seed_entries
        if self.label is None:
            if pick is None and not (K and s.cursor == K):
                return  # nothing drawn yet: nothing to hide
            self._build_overlay()
        for item in (self.prob_points, self.candidate_marks, self.chosen_mark, self.centres):
            item.setVisible(pick is not None)
        self._show_canvas_items(pick is None)
        if pick is None:
            if K and s.cursor == K:  # the "init" entry right after the last pick
                self._set_label(f"<b>k-means++ seeding done:</b> these {K} centres are the fit's start. "
                                "Step runs the iterations; Step back shows the last pick again.")
            else:
                self.label.hide()
            return
        P = s.shown_points()  # the canvas's coordinates, a PCA view too
        self._draw_points(P, pick.probabilities)
        if pick.number > 0:
            cand = P[pick.candidates]
            self.candidate_marks.setData(x=cand[:, 0], y=cand[:, 1])
        else:
            self.candidate_marks.setData(x=[], y=[])
        self.chosen_mark.setData(x=[P[pick.chosen, 0]], y=[P[pick.chosen, 1]])
        C = s.shown_means(s.entry)
        self.centres.setData(x=C[:, 0], y=C[:, 1],
                             brush=[self._centre_brushes[k % MAX_CLUSTERS] for k in range(C.shape[0])])
        if pick.number == 0:
            text = (f"<b>Pick 1 of {K}:</b> a point chosen uniformly at random (every point equally likely, so "
                    "all are drawn the same size). Next, a point's chance grows with D², its squared distance to "
                    "the nearest centre.")
        else:
            text = (f"<b>Pick {pick.number + 1} of {K}:</b> point size = probability D²/ΣD² of being drawn "
                    f"(D = distance to the nearest centre so far). {len(pick.candidates)} candidates were drawn "
                    f"(<span style='color:{_CANDIDATE_COLOUR}'>orange rings</span>); the greedy variant keeps "
                    f"the one that leaves the smallest total D² ({pick.potential:.4g}, <b>black ring</b>).")
        if pick.number == K - 1:
            text += " Step once more to start the fit from these centres."
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
