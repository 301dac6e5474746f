"""The docks beside the main window: where a floating dock opens, how its
View-menu action brings it forward, and `ChoosingDocks`, which builds the
Choosing K and Restarts docks and the k-means++ seeding mode."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QWidget


class LazyDock(QDockWidget):
    """A dock whose panel is built the first time the dock is shown (its
    View-menu action, its shortcut, ``show()``) or asked for (`panel`).

    Parameters
    ----------
    build : callable
        Returns the panel widget; called once.
    """

    def __init__(self, title: str, parent, build) -> None:
        super().__init__(title, parent)
        self._build = build
        self._panel: QWidget | None = None

    @property
    def built(self) -> bool:
        """Whether the panel exists yet."""
        return self._panel is not None

    @property
    def panel(self) -> QWidget:
        """The panel in the dock, built now if it was not yet."""
        if self._panel is None:
            self._panel = panel = self._build()
            panel.setMinimumWidth(DOCK_MIN_WIDTH)
            self.setWidget(panel)
        return self._panel

    def setVisible(self, visible: bool) -> None:  # Qt override: every way of showing comes here
        if visible and self._panel is None:
            self.panel
        super().setVisible(visible)


#: Size of a dock's tool window the first time it opens (clamped to the screen).
FLOATING_SIZE = (520, 720)
#: Narrowest a dock's contents may be, so that a docked panel leaves the canvas room.
DOCK_MIN_WIDTH = 300


def floating_geometry(main: QRect, screen: QRect, size=FLOATING_SIZE, offset: int = 0) -> QRect:
    """Where a floating dock opens: beside the main window's right edge if it
    fits on the screen, else against the screen's right edge (over the main
    window's side panel, never over the canvas on the left).

    Parameters
    ----------
    main : QRect
        The main window's frame geometry.
    screen : QRect
        The available geometry of its screen.
    size : (width, height)
    offset : int
        Cascade: moved this many pixels right and down (a second dock).
    """
    w = min(size[0], screen.width())
    h = min(size[1], screen.height() - 40)
    x = main.right() + 8 + offset
    if x + w > screen.right() + 1:  # no room beside it: against the screen's edge, cascaded
        x = screen.right() + 1 - w - 40 + offset
    y = max(screen.top(), min(main.top() + offset, screen.bottom() + 1 - h))
    return QRect(max(screen.left(), x), y, w, h)


class _DockBehaviour(QObject):
    """A dock that opens as a floating tool window beside the main window the
    first time it is shown, comes to the front when toggled on, and whose
    shortcut brings it to the front (rather than closing it) when it is open
    but hidden behind another dock's tab."""

    def __init__(self, window, dock: QDockWidget, action, offset: int) -> None:
        super().__init__(dock)
        self.window, self.dock, self.action, self.offset = window, dock, action, offset
        self.placed = False
        dock.installEventFilter(self)
        action.installEventFilter(self)
        action.triggered.connect(self._on_triggered)

    def eventFilter(self, obj, event) -> bool:  # Qt override
        if obj is self.dock and event.type() == QEvent.Type.Show and not self.placed:
            self.placed = True
            if self.dock.isFloating():
                self._place()
        elif obj is self.action and event.type() == QEvent.Type.Shortcut:
            behind = not self.dock.isVisible() or self.dock.visibleRegion().isEmpty()
            if not self.dock.isHidden() and behind:  # open, but behind another dock's tab
                self.dock.raise_()
                return True
        return False

    def _place(self) -> None:
        screen = self.window.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 800)
        self.dock.setGeometry(floating_geometry(self.window.frameGeometry(), area, offset=self.offset))

    def _on_triggered(self, checked: bool) -> None:
        if checked:
            self.dock.raise_()


def make_dock(window, build, title: str, name: str, tooltip: str) -> LazyDock:
    """A dock of ``window`` whose panel ``build()`` makes on first use."""
    dock = LazyDock(title, window, build)
    dock.setObjectName(name)
    dock.setToolTip(tooltip)
    dock.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
    return dock


def canvas_shortfall(window) -> int:
    """How many pixels the canvas of ``window`` lacks to fill half its width."""
    return window.width() // 2 - window.canvas.width()


class CanvasRoom(QObject):
    """Keeps docked panels from squeezing ``window``'s canvas below half the
    window's width: after a dock is docked, shown or the window resized, the
    docks beside the canvas narrow to their minimum, then the side column
    (``window.splitter``) to its; if that is still not enough (a narrow
    window), the docks float again as tool windows."""

    #: Passes after one change: each lets the layout settle, then looks again.
    PASSES = 3

    def __init__(self, window, docks) -> None:
        super().__init__(window)
        self.window, self.docks = window, list(docks)
        self._passes = 0
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._check)
        window.installEventFilter(self)
        for dock in self.docks:
            dock.topLevelChanged.connect(self.request)
            dock.dockLocationChanged.connect(self.request)
            dock.visibilityChanged.connect(self.request)

    def request(self, *_args) -> None:
        """Look again once the layout has settled."""
        self._passes = self.PASSES
        self.timer.start()

    def eventFilter(self, obj, event) -> bool:  # Qt override
        if obj is self.window and event.type() == QEvent.Type.Resize:
            self.request()
        return False

    def beside_canvas(self) -> list[QDockWidget]:
        """The visible docks docked left or right of the canvas."""
        sides = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
        return [dock for dock in self.docks
                if dock.isVisible() and not dock.isFloating() and self.window.dockWidgetArea(dock) in sides]

    def _check(self) -> None:
        self._passes -= 1
        docks = self.beside_canvas()
        short = canvas_shortfall(self.window)
        if not docks or short <= 0:
            return
        width = max(dock.width() for dock in docks)
        least = max(dock.minimumSizeHint().width() for dock in docks)
        narrower = min(short, max(0, width - least))
        if narrower > 0:
            self.window.resizeDocks(docks, [width - narrower] * len(docks), Qt.Orientation.Horizontal)
            short -= narrower
        splitter = getattr(self.window, "splitter", None)
        if short > 0 and splitter is not None:
            sizes = splitter.sizes()
            give = min(short, max(0, sizes[1] - splitter.widget(1).minimumSizeHint().width()))
            if give > 0:
                splitter.setSizes([sizes[0] + give, sizes[1] - give])
                short -= give
        if short > 0:  # a narrow window: no room beside the canvas
            for dock in docks:
                dock.setFloating(True)
        elif self._passes > 0:
            self.timer.start()  # the layout applies the new sizes later: look once more


class ChoosingDocks:
    """The "Choosing K" and "Restarts" docks of ``window`` (hidden, toggled
    from the View menu) and the k-means++ seeding mode (Run menu).

    The docks open as floating tool windows beside the main window, so the
    canvas keeps its size (on a 1024-px projector a docked panel would squeeze
    it); the title bar's float button, or a double-click on it, docks them on
    the right, tabbed, as narrow as leaves the canvas half the window
    (`CanvasRoom`; they float again where even that is not possible). The
    docks, their actions and menu entries exist from the start; each panel is
    built the first time its dock is shown or the panel is asked for (a
    window that never opens them never pays for their plots).

    Attributes
    ----------
    choosing_k : ChoosingKPanel
        Built on first access.
    restarts : RestartsPanel
        Built on first access; its ``seedingCheck`` mirrors ``seeding.action``.
    seeding : SeedingView
        The k-means++ seeding overlay and its ``seedingAction``, always there.
    choosing_k_dock, restarts_dock : LazyDock
        Named ``selectionPanel`` and ``restartsPanel``.
    """

    def __init__(self, window) -> None:
        from .seeding_view import SeedingView

        self._controller = controller = window.controller
        self.seeding = seeding = SeedingView(window.canvas, controller)

        sel_dock = make_dock(window, self._build_choosing_k, "Choosing K", "selectionPanel",
                             "Elbow, BIC/AIC and silhouette over K, and the silhouette of the shown clustering.")
        res_dock = make_dock(window, self._build_restarts, "Restarts and initialisation", "restartsPanel",
                             "Many runs from random and k-means++ starts: how much the start matters.")
        self.choosing_k_dock, self.restarts_dock = sel_dock, res_dock
        # Docked (by the user), they share the right-hand area as tabs; by default they float.
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, sel_dock)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, res_dock)
        window.tabifyDockWidget(sel_dock, res_dock)
        sel_dock.hide()
        res_dock.hide()
        sel_dock.setFloating(True)
        res_dock.setFloating(True)

        self.behaviours = []
        for dock, shortcut, tip, name, offset in (
                (sel_dock, "Ctrl+Shift+K", "Show or hide the Choosing K panel.", "selectionPanelAction", 0),
                (res_dock, "Ctrl+Shift+G", "Show or hide the restarts gallery.", "restartsPanelAction", 32)):
            action = dock.toggleViewAction()
            action.setObjectName(name)
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setToolTip(tip)
            action.setStatusTip(tip)
            window.addAction(action)
            window.view_menu.addAction(action)
            self.behaviours.append(_DockBehaviour(window, dock, action, offset))

        self.canvas_room = CanvasRoom(window, (sel_dock, res_dock))

        window.run_menu.addSeparator()
        window.run_menu.addAction(seeding.action)
        window.addAction(seeding.action)

    @property
    def choosing_k(self):
        """The Choosing K panel (built now if it was not yet)."""
        return self.choosing_k_dock.panel

    @property
    def restarts(self):
        """The restarts panel (built now if it was not yet)."""
        return self.restarts_dock.panel

    def built_panels(self) -> list:
        """The panels built so far (those with jobs to stop on close)."""
        return [dock.panel for dock in (self.choosing_k_dock, self.restarts_dock) if dock.built]

    def shutdown(self) -> None:
        """Stop the background jobs of the panels built so far (the window
        calls it once its close is confirmed)."""
        for panel in self.built_panels():
            panel.shutdown()

    def _build_choosing_k(self):
        from .choosing_k import ChoosingKPanel

        panel = ChoosingKPanel(self._controller)
        # Recompute the silhouette diagram when the dock comes into view.
        self.choosing_k_dock.visibilityChanged.connect(lambda visible: visible and panel.refresh_silhouette())
        return panel

    def _build_restarts(self):
        from .restarts import RestartsPanel

        panel = RestartsPanel(self._controller)
        panel.attach_seeding(self.seeding)
        return panel
