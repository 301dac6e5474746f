"""Where the main window's parts go, so that every control a teacher uses
stays in view on a projector (1280 x 720 and up):

- a layers tool bar on top: decision regions, mixture density, trails,
  ambiguity, Fit view and Presenter mode;
- the canvas, beside a side column: algorithm, data set and K, then the
  Setup / View / Inspect tabs, the objective plot and the formula panel;
- the run bar under them (stepping buttons, timeline, speed), and the info
  line across the bottom.

The side column sits in a scroll area only so that a window shorter than
that (a 1.5x-scaled laptop screen) still fits on the screen; from 720 px up
it has room for everything and shows no scroll bar.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QMainWindow, QScrollArea, QSplitter, QToolBar, QVBoxLayout, QWidget

from .panels.objective_plot import MIN_HEIGHT as OBJECTIVE_MIN_HEIGHT

__all__ = ["CANVAS_MIN_SIZE", "OBJECTIVE_PLOT_MIN_HEIGHT", "SIDE_COLUMN_MAX_SHARE", "SIDE_COLUMN_WIDTH",
           "build_central", "build_layers_toolbar", "canvas_area", "fit_side_column"]

#: Width of the side column at the default window size (the canvas gets the rest).
SIDE_COLUMN_WIDTH = 360
#: In presenter mode the side column widens with the text, up to this share of the width.
SIDE_COLUMN_MAX_SHARE = 0.4
#: The canvas never gets smaller than this (width, height).
CANVAS_MIN_SIZE = (320, 240)
#: The objective plot never gets shorter than this (times the text scale)
#: before the side column scrolls (`objective_plot.MIN_HEIGHT`).
OBJECTIVE_PLOT_MIN_HEIGHT = OBJECTIVE_MIN_HEIGHT


class _SideContent(QWidget):
    """The side column's content. Its height for a width (a wrapped label
    in it has one) is the least it needs, so the scroll area gives it the
    viewport's height rather than the sum of every part's preferred height."""

    def heightForWidth(self, width: int) -> int:  # Qt override
        layout = self.layout()
        return layout.minimumHeightForWidth(width) if layout is not None else -1


class SideColumn(QScrollArea):
    """The side column (``sideColumn``): its content at full height, scrolled
    only when the window is shorter than that."""

    def __init__(self, content: QWidget, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("sideColumn")
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def sizeHint(self) -> QSize:  # Qt override
        return QSize(SIDE_COLUMN_WIDTH, self.widget().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # Qt override
        content = self.widget().minimumSizeHint()
        return QSize(content.width() + self.verticalScrollBar().sizeHint().width(), 120)


def build_central(window) -> QWidget:
    """The central widget of ``window`` (a `MainWindow` with ``canvas``,
    ``controls``, ``objective_plot``, ``inspector``, ``formula_panel`` and
    ``info_label``)."""
    controls = window.controls
    index = controls.tabs.addTab(window.inspector, "Inspect")
    controls.tabs.setTabToolTip(index, "The point under the mouse, or pinned by a click: distances and "
                                       "responsibilities.")

    # A short window (a 1.5x-scaled laptop screen) may shrink the canvas this far.
    window.canvas.setMinimumSize(CANVAS_MIN_SIZE[0], CANVAS_MIN_SIZE[1])
    content = _SideContent()
    content.setObjectName("sideColumnContent")
    side_layout = QVBoxLayout(content)
    side_layout.setContentsMargins(4, 0, 2, 0)
    side_layout.setSpacing(4)
    side_layout.addWidget(controls)
    side_layout.addWidget(window.objective_plot, 2)
    side_layout.addWidget(window.formula_panel, 1)
    side = SideColumn(content)

    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.setObjectName("mainSplitter")
    splitter.addWidget(window.canvas)
    splitter.addWidget(side)
    splitter.setStretchFactor(0, 1)
    splitter.setStretchFactor(1, 0)
    splitter.setChildrenCollapsible(False)
    splitter.setSizes([1280 - SIDE_COLUMN_WIDTH, SIDE_COLUMN_WIDTH])
    window.splitter = splitter

    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(6, 2, 6, 0)
    layout.setSpacing(2)
    layout.addWidget(splitter, 1)
    layout.addWidget(controls.run_bar)
    layout.addWidget(window.info_label)
    return central


def fit_side_column(window, scale: float) -> None:
    """Give the side column room for text ``scale`` times its normal size
    (presenter mode), never more than `SIDE_COLUMN_MAX_SHARE` of the width."""
    splitter = window.splitter
    total = sum(splitter.sizes())
    side = min(round(SIDE_COLUMN_WIDTH * max(scale, 1.0)), round(SIDE_COLUMN_MAX_SHARE * total))
    side = max(side, splitter.widget(1).minimumSizeHint().width())
    splitter.setSizes([total - side, side])


def build_layers_toolbar(window) -> QToolBar:
    """The layers tool bar (``layersToolbar``) of ``window``: the layer and
    view check boxes (``regionsCheck``, ``densityCheck``, ``trailsCheck``,
    ``ambiguityCheck``), the ambiguity colour key while that layer is on,
    Fit view and Presenter mode."""
    layers_box, view = window.controls.layers_box, window.controls.view_group
    bar = QToolBar("Layers", window)
    bar.setObjectName("layersToolbar")
    bar.setMovable(False)
    bar.toggleViewAction().setVisible(False)  # not hidden by a right click: these controls stay in view
    for widget in (layers_box.regions_check, layers_box.density_check):
        bar.addWidget(widget)
    bar.addSeparator()
    for widget in (view.trails_check, view.ambiguity_check):
        bar.addWidget(widget)
    legend = view.legend

    def fit_legend(_scale: float = 1.0) -> None:  # its text grows with presenter mode
        legend.setFixedWidth(legend.fontMetrics().horizontalAdvance("sure  on the fence") + 90)
        legend.setMinimumHeight(legend.fontMetrics().height() + 12)

    fit_legend()
    window.presenter.scale_changed.connect(fit_legend)
    legend_action = bar.addWidget(legend)  # a tool bar shows and hides its widgets through their actions

    def show_legend(on: bool) -> None:
        legend_action.setVisible(on)
        legend.setVisible(on)  # at once, also before the tool bar is first laid out

    show_legend(view.ambiguity_check.isChecked())
    view.ambiguity_check.toggled.connect(show_legend)
    bar.addSeparator()
    bar.addAction(window.fit_view_action)
    bar.addAction(window.presenter.action)
    # The layers' own group box is left empty: its V and D keys become the window's.
    layers_box.setParent(window)
    layers_box.hide()
    for action in layers_box.actions():
        window.addAction(action)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    return bar


def canvas_area(window) -> QMainWindow:
    """Where the sequence docks dock (``window.canvas_area``, made with the
    window): under the canvas only, so that the side column beside it keeps
    its height (at 1280 x 720 it has none to spare).

    The canvas's place in the window's splitter (``window.splitter``) is
    taken by a small `QMainWindow` (``canvasArea``) with the canvas as its
    central widget; its docks still float, close and move like the window's.
    A window without that splitter docks them itself.
    """
    splitter = getattr(window, "splitter", None)
    canvas = window.canvas
    if splitter is None or splitter.indexOf(canvas) < 0:
        return window
    area = QMainWindow()
    area.setObjectName("canvasArea")
    area.setWindowFlags(Qt.WindowType.Widget)
    area.setDockNestingEnabled(True)
    splitter.replaceWidget(splitter.indexOf(canvas), area)  # the splitter unparents the canvas
    area.setCentralWidget(canvas)
    canvas.show()
    return area
