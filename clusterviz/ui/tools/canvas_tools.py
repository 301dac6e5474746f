"""Editing the data on the canvas: the tool bar (Add, Brush, Erase, Move,
Blob, Centroid, Path, Clear all, the option boxes of the chosen tool, the
class palette), the mouse handling behind it
and the undo stack with its Edit menu.

Mouse handling
--------------
`CanvasTools` filters the canvas's ``QGraphicsScene`` events. A left press
inside the plot area belongs to the current tool (pyqtgraph never sees it, so
the view does not pan or jump); a right drag pans the view; the wheel zooms
(left to pyqtgraph). The tools themselves (one class each, in
:mod:`.edit_tools`) are driven by `press`, `move` and `release` in *data*
coordinates.

Every tool gesture is one undo step: the edit is applied live while the
mouse moves (so the user sees the points appear) and one command holding
the data before and after is pushed on release (:mod:`.undo`).
The sampling maths lives in the Qt-free `clusterviz.data.sketch`.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QKeySequence, QPainter, QPen, QPixmap, QUndoStack
from PySide6.QtWidgets import QComboBox, QLabel, QMenu, QSpinBox, QToolBar
import pyqtgraph as pg  # after PySide6

from clusterviz.session import default_class_name

from ..canvas.cluster_canvas import ellipse_outline
from . import edit_tools
from .edit_tools import Tool
from .path_tool import PathTool
from .undo import DataEditCommand

__all__ = ["TOOLS", "TOOL_CLASSES", "CLASS_SYMBOLS", "CanvasTools", "class_symbols"]

#: Every tool in tool-bar order.
TOOL_CLASSES: tuple[type[Tool], ...] = edit_tools.TOOL_CLASSES + (PathTool,)

#: The tool names in tool-bar order ("add", "brush", ...).
TOOLS: tuple[str, ...] = tuple(cls.name for cls in TOOL_CLASSES)

#: Marker of each true class (pyqtgraph symbol names); colours stay the clusters'.
CLASS_SYMBOLS: tuple[str, ...] = ("o", "s", "t", "d", "p", "h", "t1", "star")

#: A classless data set offers this many classes to paint with.
DEFAULT_N_CLASSES = 4


def class_symbols(labels) -> np.ndarray | str:
    """The marker of every point: ``CLASS_SYMBOLS[class]`` (cycled), or "o"
    for all when there are no classes."""
    if labels is None:
        return "o"
    codes = np.asarray(labels, dtype=np.int64) % len(CLASS_SYMBOLS)
    return np.asarray(CLASS_SYMBOLS, dtype=object)[codes]


def symbol_icon(symbol: str, size: int = 16) -> QIcon:
    """A small icon of a class marker for the class palette."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.translate(size / 2, size / 2)
    painter.scale(size * 0.8, size * 0.8)
    pen = QPen(QColor(40, 40, 40))
    pen.setCosmetic(True)
    pen.setWidthF(1.2)
    painter.setPen(pen)
    painter.setBrush(QColor(140, 140, 140))
    painter.drawPath(pg.graphicsItems.ScatterPlotItem.Symbols[symbol])
    painter.end()
    return QIcon(pixmap)


class CanvasTools(QObject):
    """The canvas tools, their tool bar, the class palette and the undo stack.

    Parameters
    ----------
    canvas : ClusterCanvas
    controller : SessionController
    seed : int
        Seeds the generator of brush and blob points (reproducible tests).

    Attributes
    ----------
    toolbar : QToolBar
    undo_stack : QUndoStack
    rng : numpy.random.Generator
    actions : dict of str to QAction
        The checkable tool actions by tool name.

    Signals
    -------
    tool_changed(str)
    """

    tool_changed = Signal(str)

    def __init__(self, canvas, controller, seed: int = 0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.controller = controller
        self.rng = np.random.default_rng(seed)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(200)
        self._tools: dict[str, Tool] = {cls.name: cls(self) for cls in TOOL_CLASSES}
        self._tool = "add"
        self._gesture: Tool | None = None  # the tool of the press-drag-release in progress
        self._pan_from: QPointF | None = None  # scene position of a right drag
        self._class_key: tuple | None = None
        #: Called on an Add click on empty space before adding; returning True
        #: consumes the click (the window unpins an inspected point this way).
        self.empty_click = None

        self.toolbar = QToolBar("Tools")
        self.toolbar.setObjectName("toolBar")
        self.toolbar.setToolTip("Tools to edit the data on the canvas.")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.actions: dict[str, QAction] = {}
        for name, tool in self._tools.items():
            action = QAction(tool.text, self.toolbar)
            action.setObjectName(tool.object_name)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(tool.shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setToolTip(tool.tip)
            action.setStatusTip(tool.tip)
            action.setData(name)
            action.toggled.connect(lambda on, n=name: on and self.set_tool(n))
            self.group.addAction(action)
            self.toolbar.addAction(action)
            self.actions[name] = action
        self.clear_action = QAction("Clear all", self.toolbar)
        self.clear_action.setObjectName("toolClear")
        self.clear_action.setToolTip("Remove every point (undo with Ctrl+Z).")
        self.clear_action.setStatusTip(self.clear_action.toolTip())
        self.clear_action.triggered.connect(self.clear_all)
        self.toolbar.addAction(self.clear_action)
        self.toolbar.addSeparator()

        self.radius_spin = self._spin("radiusSpin", 3, 300, 30, " px",
                                      "Radius of the brush and the eraser, in screen pixels.")
        self.density_spin = self._spin("densitySpin", 1, 100, 6, "",
                                       "Points the brush sprays per dab (one dab every half radius dragged).")
        self.blob_spin = self._spin("blobSpin", 1, 5000, 100, "", "Number of points in a blob.")
        self.spacing_spin = self._spin("pathSpacingSpin", 2, 200, 18, " px",
                                       "Distance between consecutive points of a drawn path, in screen pixels.")
        self.class_combo = QComboBox()
        self.class_combo.setObjectName("classCombo")
        self.class_combo.setToolTip("True class of new points (drawn with its marker); the info line then "
                                    "shows the adjusted Rand index.")
        self.class_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        #: The tool-bar actions of each option box (its caption and its widget), by the `Tool` flag that uses it.
        self._options: dict[str, tuple[QAction, QAction]] = {}
        for flag, label, widget in (("uses_radius", "Radius", self.radius_spin),
                                    ("uses_density", "Density", self.density_spin),
                                    ("uses_blob_size", "Blob", self.blob_spin),
                                    ("uses_spacing", "Spacing", self.spacing_spin),
                                    ("uses_class", "Class", self.class_combo)):
            caption = QLabel(f" {label} ")
            caption.setBuddy(widget)
            caption.setToolTip(widget.toolTip())
            self._options[flag] = (self.toolbar.addWidget(caption), self.toolbar.addWidget(widget))

        # Feedback drawn on the canvas: the brush/eraser circle and the blob outline.
        plot = canvas.getPlotItem()
        cursor_pen = QPen(QColor(60, 60, 60, 200))
        cursor_pen.setCosmetic(True)
        cursor_pen.setWidthF(1.2)
        cursor_pen.setStyle(Qt.PenStyle.DashLine)
        self.cursor_outline = pg.PlotCurveItem(pen=cursor_pen, antialias=True)
        self.blob_outline = pg.PlotCurveItem(pen=cursor_pen, antialias=True)
        for item in (self.cursor_outline, self.blob_outline):
            item.setZValue(40)
            item.setVisible(False)
            plot.addItem(item, ignoreBounds=True)
        # Hand-placed centroids while there is no fit to draw them (fewer points than K).
        self.placed_means = pg.ScatterPlotItem(size=24, symbol="star", pen=pg.mkPen("#222222", width=1.5),
                                               brush=pg.mkBrush(255, 255, 255, 160), pxMode=True)
        self.placed_means.setZValue(30)
        plot.addItem(self.placed_means, ignoreBounds=True)

        self._scene = canvas.scene()
        self._scene.installEventFilter(self)
        controller.dataset_loaded.connect(self.undo_stack.clear)  # old edits mean nothing on new data
        controller.dataset_loaded.connect(self._forget_class)  # new data starts at its own default class
        controller.data_changed.connect(self.refresh)
        controller.view_changed.connect(self.refresh)
        controller.reset.connect(self._show_placed_means)
        # Undo or redo in the middle of a drag ends the drag without recording it.
        self.undo_stack.indexChanged.connect(self._drop_gesture)
        self.set_tool("add")
        self.refresh()

    def _spin(self, name: str, low: int, high: int, value: int, suffix: str, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setObjectName(name)
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setSuffix(suffix)
        spin.setToolTip(tip)
        spin.setKeyboardTracking(False)
        return spin

    # ------------------------------------------------------------ the tool
    @property
    def tool(self) -> str:
        """The current tool: one of `TOOLS`."""
        return self._tool

    def set_tool(self, name: str) -> None:
        """Choose the current tool by name ("add", "brush", ...)."""
        if name not in TOOLS:
            raise ValueError(f"tool {name!r} is not one of {', '.join(TOOLS)}.")
        self._finish_gesture()
        self._tool = name
        action = self.actions[name]
        if not action.isChecked():
            action.setChecked(True)
        tool = self._tools[name]
        for flag, actions in self._options.items():  # only the boxes this tool reads
            for option in actions:
                option.setVisible(bool(getattr(tool, flag)))
        self.canvas.setToolTip(tool.tip.rsplit(" (", 1)[0] + ". Right-drag pans, the wheel zooms.")
        self.cursor_outline.setVisible(False)
        self.tool_changed.emit(name)

    @property
    def current_class(self) -> int | None:
        """Class code new points get, or None (the data has no classes)."""
        data = self.class_combo.currentData()
        return None if data is None or int(data) < 0 else int(data)

    # --------------------------------------------------------- refreshing
    def refresh(self) -> None:
        """After a data change: class markers on the canvas, the class palette."""
        dataset = self.controller.session.dataset
        symbols = class_symbols(dataset.labels)
        points = self.canvas.points
        if isinstance(symbols, str) or len(symbols) == len(points.data):
            points.setSymbol(symbols)
        self._sync_classes(dataset)
        self._show_placed_means()

    def _show_placed_means(self) -> None:
        s = self.session
        M = s.initial_means
        if M is None or s.state is not None:
            self.placed_means.setData(x=[], y=[])
            return
        P = s.shown_points(M)
        self.placed_means.setData(x=P[:, 0], y=P[:, 1])

    def _forget_class(self) -> None:
        """A new data set: the Class box shows its default again ("No class"
        for data without classes, its first class otherwise), as at start-up."""
        self._class_key = None
        self.class_combo.setCurrentIndex(-1)

    def _sync_classes(self, dataset) -> None:
        labels = dataset.labels
        if labels is None:
            names = tuple(default_class_name(k) for k in range(DEFAULT_N_CLASSES))
            key = (None, names)
        else:
            top = int(labels.max()) + 1 if labels.size else 1
            names = tuple(dataset.class_names or ())
            names = names + tuple(default_class_name(k) for k in range(len(names), max(top, len(names))))
            names = names + (default_class_name(len(names)),)  # room for one more class
            key = ("labels", names)
        if key == self._class_key:
            return
        had_labels = self._class_key is not None and self._class_key[0] == "labels"
        self._class_key = key
        # Data that lost its classes (e.g. cleared) offers "No class" again; otherwise the chosen class stays.
        previous = None if labels is None and had_labels else self.class_combo.currentData()
        combo = self.class_combo
        combo.blockSignals(True)
        combo.clear()
        if labels is None:
            combo.addItem("No class", -1)
        for k, name in enumerate(names):
            combo.addItem(symbol_icon(CLASS_SYMBOLS[k % len(CLASS_SYMBOLS)]), name, k)
        index = combo.findData(previous) if previous is not None else -1
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    # ------------------------------------------------------- coordinates
    @property
    def session(self):
        return self.controller.session

    def pixel_size(self) -> tuple[float, float]:
        """Data units per screen pixel along x and y."""
        vb = self.canvas.view_box
        # From the view range and the plot size, not vb.viewPixelSize(): pyqtgraph caches that and can
        # return a stale value after a zoom or an aspect change (clicks then missed points).
        view, box = vb.viewRect(), vb.rect()
        with np.errstate(divide="ignore", invalid="ignore"):
            sx = abs(view.width()) / np.float64(box.width())
            sy = abs(view.height()) / np.float64(box.height())
        if not (np.isfinite(sx) and np.isfinite(sy) and sx > 0 and sy > 0):
            (x0, x1), (y0, y1) = vb.viewRange()  # not laid out yet: assume a 500-pixel plot
            sx, sy = max(abs(x1 - x0), 1e-12) / 500.0, max(abs(y1 - y0), 1e-12) / 500.0
        return sx, sy

    def shown_points(self) -> np.ndarray:
        """The points as the canvas shows them, shape (n_samples, 2)."""
        return self.session.shown_points()

    def nearest(self, P: np.ndarray, x: float, y: float, within_px: float) -> int:
        if P.shape[0] == 0:
            return -1
        d = (P - [x, y]) / self.pixel_size()
        d2 = np.einsum("ij,ij->i", d, d)
        i = int(np.argmin(d2))
        return i if d2[i] <= within_px**2 else -1

    def pixels_between(self, a, b) -> float:
        sx, sy = self.pixel_size()
        return float(np.hypot((b[0] - a[0]) / sx, (b[1] - a[1]) / sy))

    def refuse(self, text: str) -> None:
        """Say why an edit was not done (the window shows it)."""
        self.controller.report(text)

    def refuse_projection(self, tool) -> bool:
        """Whether a projection is shown, so ``tool`` cannot edit (and say so)."""
        if self.session.view_projection is None:
            return False
        self.refuse(f"The {tool.text} tool works on a view of two columns, not on a projection; "
                    "choose two columns to view first.")
        return True

    # ------------------------------------------------------------ gestures
    def press(self, x: float, y: float, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        """The left button went down at data point (x, y)."""
        self._finish_gesture()  # a release we never saw (e.g. a dialog took it)
        tool = self._gesture = self._tools[self._tool]
        tool.press(x, y, bool(modifiers & Qt.KeyboardModifier.ShiftModifier))

    def move(self, x: float, y: float) -> None:
        """The mouse moved to (x, y) with the left button down."""
        if self._gesture is None:
            self.hover(x, y)
        else:
            self._gesture.move(x, y)

    def release(self, x: float, y: float) -> None:
        """The left button came up at (x, y): finish the gesture (one undo step)."""
        if self._gesture is not None:
            self._gesture.release(x, y)
            self._finish_gesture()

    def hover(self, x: float, y: float) -> None:
        """The mouse moved over the plot with no button down."""
        self._tools[self._tool].on_hover(x, y)

    def leave(self) -> None:
        """The mouse left the canvas."""
        if self._gesture is None:
            self.cursor_outline.setVisible(False)

    def _drop_gesture(self, _index: int = 0) -> None:
        self._gesture = None
        self.blob_outline.setVisible(False)

    def _finish_gesture(self) -> None:
        tool, self._gesture = self._gesture, None
        self.blob_outline.setVisible(False)
        if tool is not None and tool.edited and self.session.dataset is not tool.before:
            self._push_data(tool.undo_text, tool.before)

    def _push_data(self, text: str, before) -> None:
        after = self.session.dataset
        n = after.n_samples - before.n_samples
        if n:
            text = f"{text} ({n:+d} {'point' if abs(n) == 1 else 'points'})"
        self.undo_stack.push(DataEditCommand(self.controller, text, before, after, applied=True))

    # ------------------------------------------------ shared by the tools
    def add_points(self, P, text: str) -> bool:
        """Add the points ``P`` (n, 2) of the current class as one undo step ``text``."""
        before = self.session.dataset
        if not self.controller.add_points(np.asarray(P, dtype=np.float64), classes=self.current_class):
            return False
        self._push_data(text, before)
        return True

    def show_cursor(self, x: float, y: float) -> None:
        """Draw the brush / eraser circle around (x, y)."""
        sx, sy = self.pixel_size()
        r = self.radius_spin.value()
        outline = ellipse_outline(np.array([x, y]), np.diag([(r * sx) ** 2, (r * sy) ** 2]), 1.0)
        self.cursor_outline.setData(x=outline[:, 0], y=outline[:, 1])
        self.cursor_outline.setVisible(True)

    def shown_means(self) -> np.ndarray | None:
        """The centroids the Centroid tool edits, shape (K, D), or None: the
        shown state's; during k-means++ picks, the fit's start (all K picks;
        the centres drawn so far are its first rows), so K never changes."""
        s = self.session
        entry = s.entry
        if entry is not None and entry.phase == "seed":
            return np.array(s.timeline[s.n_seed_entries].means, dtype=np.float64)
        state = s.state
        if state is not None:
            return np.array(state.means, dtype=np.float64)
        return None if s.initial_means is None else np.array(s.initial_means)

    # ----------------------------------------------------------- clear all
    def clear_all(self) -> None:
        """Remove every point (one undo step)."""
        self._finish_gesture()
        s = self.session
        if s.n_points == 0:
            return
        before = s.dataset
        if self.controller.set_data(np.empty((0, s.n_features)), None):
            self._push_data("Clear all", before)

    # ---------------------------------------------------------- mouse events
    _PRESS = (QEvent.Type.GraphicsSceneMousePress, QEvent.Type.GraphicsSceneMouseDoubleClick)
    _HANDLED = frozenset(_PRESS + (QEvent.Type.GraphicsSceneMouseMove, QEvent.Type.GraphicsSceneMouseRelease,
                                   QEvent.Type.GraphicsSceneLeave))

    def eventFilter(self, obj, event) -> bool:  # Qt override
        kind = event.type()
        if kind not in self._HANDLED or obj is not self._scene:
            return False
        if kind == QEvent.Type.GraphicsSceneLeave:
            self.leave()
            return False
        if kind in self._PRESS:
            return self._on_press(event)
        if kind == QEvent.Type.GraphicsSceneMouseMove:
            return self._on_move(event)
        if kind == QEvent.Type.GraphicsSceneMouseRelease:
            return self._on_release(event)
        return False

    def _in_plot(self, scene_pos) -> bool:
        return self.canvas.view_box.sceneBoundingRect().contains(scene_pos)

    def _data_pos(self, scene_pos) -> tuple[float, float]:
        p = self.canvas.view_box.mapSceneToView(scene_pos)
        return float(p.x()), float(p.y())

    def _on_press(self, event) -> bool:
        pos = event.scenePos()
        if not self._in_plot(pos):
            return False
        if event.button() == Qt.MouseButton.LeftButton:
            if self._tools[self._tool].leaves_points_to_inspector and self.canvas.point_at(pos) >= 0:
                return False  # a click on a point is the inspector's (pin); a drag pans
            event.accept()
            self.press(*self._data_pos(pos), event.modifiers())
            return True
        if event.button() == Qt.MouseButton.RightButton:
            event.accept()
            self._pan_from = QPointF(pos)
            return True
        return False

    def _on_move(self, event) -> bool:
        pos = event.scenePos()
        if self._pan_from is not None:
            vb = self.canvas.view_box
            a, b = vb.mapSceneToView(self._pan_from), vb.mapSceneToView(pos)
            vb.translateBy(x=a.x() - b.x(), y=a.y() - b.y())
            self._pan_from = QPointF(pos)
            event.accept()
            return True
        if self._gesture is not None:
            event.accept()
            self.move(*self._data_pos(pos))
            return True
        if self._in_plot(pos):
            self.hover(*self._data_pos(pos))
        else:
            self.leave()
        return False  # hovering: the inspector still hears it

    def _on_release(self, event) -> bool:
        if event.button() == Qt.MouseButton.RightButton and self._pan_from is not None:
            self._pan_from = None
            event.accept()
            return True
        if event.button() == Qt.MouseButton.LeftButton and self._gesture is not None:
            event.accept()
            self.release(*self._data_pos(event.scenePos()))
            return True
        return False

    def add_to_window(self, window) -> QMenu:
        """Put the tool bar above ``window``'s canvas, add window-wide
        shortcuts (Ctrl+Z, Ctrl+Shift+Z, P/B/E/M/G/C) and return the Edit
        menu (Undo, Redo, Clear all, Tool) inserted before the Run menu."""
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        undo = self.undo_action = self.undo_stack.createUndoAction(window, "&Undo")
        undo.setObjectName("undoAction")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        undo.setToolTip("Undo the last edit of the data or the centroids (Ctrl+Z).")
        redo = self.redo_action = self.undo_stack.createRedoAction(window, "&Redo")
        redo.setObjectName("redoAction")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        redo.setToolTip("Redo the last undone edit (Ctrl+Shift+Z).")
        for action in (undo, redo):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            window.addAction(action)
        for action in self.actions.values():
            window.addAction(action)
        edit_menu = QMenu("&Edit", window.menuBar())
        window.menuBar().insertMenu(window.run_menu.menuAction(), edit_menu)  # File, Edit, Run, ...
        edit_menu.setObjectName("editMenu")
        edit_menu.setToolTipsVisible(True)
        edit_menu.addAction(undo)
        edit_menu.addAction(redo)
        edit_menu.addSeparator()
        edit_menu.addAction(self.clear_action)
        tool_menu = edit_menu.addMenu("&Tool")
        for action in self.actions.values():
            tool_menu.addAction(action)
        return edit_menu
