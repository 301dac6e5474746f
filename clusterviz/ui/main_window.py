"""The main window: the layers tool bar on top, the canvas with the run bar
under it, a side column (algorithm, data set, K; Setup / View / Inspect
tabs; the objective plot and the formula panel) and the info line at the
bottom (see `window_layout`)."""
from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox

from clusterviz.data import BUILTIN_DATASETS, DATASET_DESCRIPTIONS, DataError, builtin_dataset, load_csv
from clusterviz.data.limits import ReadCancelled
from clusterviz.data.session_file import FILE_SUFFIX

from .canvas.cluster_canvas import ClusterCanvas, equal_scales_suit
from .controller import SessionController
from .panels.controls import ControlPanel, dataset_title
from .file_actions import FileActions, open_session
from .names import printable, printable_dataset
from .panels.inspector import InspectorPanel
from .canvas.layers import BackgroundLayers
from .canvas.pin_marker import PinMarker
from .panels.formula import FormulaPanel
from .panels.objective_plot import ObjectivePlot
from .presenter import Presenter
from .window_layout import build_central, build_layers_toolbar, canvas_area, fit_side_column
from .panels.docks import ChoosingDocks
from .panels.lessons_dock import install_lessons
from .panels.run_settings import RunSettings
from .notebook_actions import install_notebook_export
from .windows.sklearn_check import install_sklearn_check
from .settings import AppSettings, fill_recent_menu
from .canvas.teaching import TeachingViews
from .tools.canvas_tools import CanvasTools
from .projection_view import set_pca_view, sync_projection_view

#: CSV files of this size or more are read on a worker thread (10**6 rows,
#: 17 MB, take 2.6 s to parse; 2 MB about 0.3 s), with a progress dialog
#: after CSV_PROGRESS_DELAY_MS.
CSV_BACKGROUND_BYTES = 2_000_000
CSV_PROGRESS_DELAY_MS = 300

SHORTCUTS = (
    ("Space", "Play / pause"),
    ("Right", "Step one iteration (a half-step in half-step mode)"),
    ("H", "Half-step mode on / off"),
    ("T", "Centroid trails on / off"),
    ("A", "Ambiguity layer on / off"),
    ("V", "Decision regions on / off"),
    ("D", "Mixture density on / off (EM, soft K-Means)"),
    ("Ctrl+K", "Compare K-Means and EM side by side"),
    ("Home", "Fit view: frame all the points again"),
    ("F5", "Presenter mode on / off (larger text, markers and axes)"),
    ("Ctrl+= / Ctrl+− / Ctrl+0", "Larger / smaller / normal text"),
    ("Esc", "Unpin the inspected point"),
    ("Shift+Right", "Half step (E or M)"),
    ("Left", "Step back"),
    ("R", "Reset"),
    ("Ctrl+Return", "Run to convergence"),
    ("Ctrl+O", "Open a CSV file"),
    ("Ctrl+S", "Save a screenshot"),
    ("Ctrl+Shift+S / Ctrl+Shift+O", "Save / open a session file"),
    ("Ctrl+E", "Export the canvas as PNG or SVG"),
    ("Ctrl+P", "PCA projection on / off (more than two columns)"),
    ("Ctrl+Shift+K", "Choosing K dock (elbow, BIC/AIC, silhouette)"),
    ("Ctrl+Shift+G", "Restarts gallery dock"),
    ("Ctrl+Shift+I", "Show k-means++ seeding step by step"),
    ("Ctrl+L", "Lessons panel"),
    ("PgUp / PgDn", "Previous / next chapter (Lessons open)"),
    ("F1", "Keyboard shortcuts"),
    ("Ctrl+Q", "Quit"),
    ("Left click", "Add a point on the canvas; on a point: pin it in the inspector"),
    ("P B E M G C W", "Canvas tool: Add, Brush, Erase, Move, Blob, Centroid, Path"),
    ("J / Shift+J", "Points joined in order / decoded path (HMM)"),
    ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo an edit of the data or the centroids"),
    ("Right drag / wheel", "Pan / zoom the canvas"),
)


#: Help ▸ About: what the app is, and soft K-Means as the bridge from EM to K-Means.
ABOUT_TEXT = ("<b>clusterviz</b><p>Step K-Means and EM for Gaussian mixtures one iteration at a "
              "time, and see that K-Means is EM with hard responsibilities.</p>"
              "<p><b>Soft K-Means, the bridge.</b> Soft K-Means is EM for a mixture of K Gaussians "
              "with equal weights and one fixed covariance εI, where ε = 1/(2β): a point's "
              "responsibilities are exp(−β‖x−μ<sub>k</sub>‖²) normalised over the clusters. "
              "As β → ∞ (ε → 0) the responsibilities snap to 0 and 1, every point belongs to its "
              "nearest centre alone, and soft K-Means becomes K-Means (Bishop, <i>PRML</i> §9.3.2). "
              "Raise β with the slider during a run to watch it happen: the fit goes on from the "
              "current means.</p>")


def default_session():
    """The session a bare ``MainWindow()`` shows: three blobs, K-Means, K = 3, random start, seed 0."""
    from clusterviz.session import Session

    return Session(builtin_dataset("three_blobs"), algorithm="kmeans", n_clusters=3, init="random", seed=0)


def default_window_size() -> QSize:
    """1280 x 900, or 92 % of a smaller screen's free area (offscreen: always 1280 x 900)."""
    size = QSize(1280, 900)
    screen = QGuiApplication.primaryScreen()
    if screen is not None and QGuiApplication.platformName() != "offscreen":
        available = screen.availableGeometry().size() * 0.92
        size = size.boundedTo(available)
    return size


class MainWindow(QMainWindow):
    """The clusterviz window.

    Parameters
    ----------
    session : Session, optional
        The session to show; by default three blobs, K-Means, K = 3,
        random initial points and seed 0.

    Attributes
    ----------
    session : Session
        The controller's current session (read-only: opening a file gives
        the controller a new one, see `SessionController.adopt`).
    controller : SessionController
    last_error : tuple of (str, str) or None
        Title and text of the last error shown.
    recovery : RecoveryManager or None
        Autosave and crash recovery (see `start_crash_recovery`).
    exception_handler : ExceptionHandler or None
        Shows unexpected exceptions (see `show_exceptions_in_dialog`).
    """

    def __init__(self, session=None, parent=None) -> None:
        super().__init__(parent)
        self.controller = SessionController(session if session is not None else default_session(), self)
        self.last_error: tuple[str, str] | None = None
        self._error_box: QMessageBox | None = None
        self.recovery = None  # crash recovery and autosave, once `start_crash_recovery` ran
        self.exception_handler = None  # the error dialog, once `show_exceptions_in_dialog` ran
        self._csv_job = None
        self._framed = None  # the data `_reframe` drew last, until the data_changed that follows it
        self._sequence_docks = None  # built when first needed (see `sequence_docks`)

        self.canvas = ClusterCanvas()
        self.objective_plot = ObjectivePlot()
        self.controls = ControlPanel(self.controller)
        self.run_settings = RunSettings(self.controller)  # tolSpin, maxIterSpin, nInitSpin: the Run tab
        self.controls.tabs.insertTab(1, self.run_settings, "Run")
        self.controls.tabs.setTabToolTip(1, "When a run stops (tol, max_iter) and how many starts are tried "
                                            "(n_init).")
        self.info_label = QLabel()
        self.info_label.setObjectName("infoLabel")
        self.info_label.setToolTip("The shown step: iteration, phase, objective and notes.")
        self.info_label.setWordWrap(True)
        self.info_label.setTextFormat(Qt.TextFormat.PlainText)
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.info_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.1)
        self.info_label.setFont(font)
        self.info_label.setContentsMargins(6, 2, 6, 4)

        self.inspector = InspectorPanel()  # the hovered or pinned point (inspectorPanel)
        self.inspector_label = self.inspector.label
        self.formula_panel = FormulaPanel()
        self.setCentralWidget(build_central(self))
        self.resize(default_window_size())

        self.app_settings = AppSettings()  # recent files, last folder, window geometry, presenter mode (QSettings)
        self.presenter = Presenter(self, self.app_settings, (self.canvas, self.objective_plot))
        for widget in (self.info_label, self.inspector.caption):
            self.presenter.keep_relative(widget)
        self._build_actions()
        self._build_menus()
        self.layers_toolbar = build_layers_toolbar(self)

        c = self.controller
        c.stepped.connect(self._on_stepped)
        c.reset.connect(self._on_reset)
        c.data_changed.connect(self._on_data_changed)
        c.dataset_loaded.connect(self._on_dataset_loaded)
        c.view_changed.connect(self._on_view_changed)
        c.failed.connect(lambda text: self.show_error("Cannot do that", text))
        c.playing_changed.connect(self._on_playing)
        c.session_replaced.connect(self._on_session_replaced)
        self.objective_plot.step_clicked.connect(c.seek)
        self.controls.aspect_check.toggled.connect(self.canvas.set_equal_scales)
        self.pin_marker = PinMarker(self.canvas.getPlotItem())
        # trails, colour modes, ambiguity, inspector and pinning; canvas clicks and hovers
        self.teaching = TeachingViews(self, self._on_stepped)
        self.layers = BackgroundLayers(self.canvas, self.session)
        self.controls.layers_box.regions_check.toggled.connect(self.layers.set_regions_visible)
        self.controls.layers_box.density_check.toggled.connect(self.layers.set_density_visible)

        self._on_dataset_loaded()  # frames and draws the points
        self._on_reset()
        # Choosing K, the restarts gallery and k-means++ seeding: docks, View and Run menu entries.
        self.docks = ChoosingDocks(self)
        self.restarts_dock = self.docks.restarts_dock
        self.seeding_view = self.docks.seeding
        # Canvas tools, class palette, undo stack and the Edit menu.
        self.tools = CanvasTools(self.canvas, self.controller, parent=self)
        self.edit_menu = self.tools.add_to_window(self)
        self.tools.empty_click = self.teaching.unpin  # a click on empty canvas while a point is pinned only unpins
        # Posterior strip and transition matrix (docked in canvas_area): built when an algorithm that models
        # the order is first shown.
        self.canvas_area = canvas_area(self)
        self._offer_sequence_views()
        for signal in (c.reset, c.data_changed, c.view_changed):  # an algorithm change resets
            signal.connect(self._offer_sequence_views)
        self.insertToolBarBreak(self.tools.toolbar)  # the layers on their own row: both fit at 1280 px
        self.inspector.shown.connect(self._show_formulas)
        self.sklearn_check_action = install_sklearn_check(self)  # Run ▸ Check against scikit-learn…
        self.lessons_dock = install_lessons(self)  # Help ▸ Lessons (lessonsPanel), PgUp / PgDn
        install_notebook_export(self)  # File ▸ Export as notebook / as script
        self.presenter.scale_changed.connect(lambda scale: fit_side_column(self, scale))
        if self.presenter.scale != 1.0:
            self.presenter.apply()

    @property
    def session(self):
        """The session shown: always the controller's current one."""
        return self.controller.session

    @property
    def sequence_docks(self):
        """The posterior and transition docks (`SequenceDocks`), built when first asked for or needed."""
        if self._sequence_docks is None:
            from .panels.sequence_docks import SequenceDocks

            self._sequence_docks = docks = SequenceDocks(self)
            self.presenter.scaled.append(docks)
            if self.presenter.scale != 1.0:
                docks.set_scale(self.presenter.scale)
        return self._sequence_docks

    def _offer_sequence_views(self) -> None:
        """Build the sequence docks once the algorithm models the order (``supports_sequences``)."""
        if self._sequence_docks is None and self.session.algorithm_entry.supports_sequences:
            self.sequence_docks  # noqa: B018 (builds them)

    @property
    def restarts_panel(self):
        """The restarts panel (built on first use, see `ChoosingDocks`)."""
        return self.docks.restarts

    def _on_session_replaced(self, session) -> None:
        self.layers.set_session(session)
        self._offer_sequence_views()

    # -------------------------------------------------------------- actions
    def _action(self, text: str, shortcut, slot, tip: str, name: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)  # window-level: works whatever has focus, even with the menu bar hidden
        return action

    def _build_actions(self) -> None:
        c = self.controller
        self.open_action = self._action("&Open CSV…", QKeySequence.StandardKey.Open, lambda: self.open_csv(),
                                        "Load points from a CSV file.", "openAction")
        self.screenshot_action = self._action("&Save screenshot…", QKeySequence.StandardKey.Save,
                                              lambda: self.save_screenshot(), "Save an image of the window.",
                                              "screenshotAction")
        self.quit_action = self._action("&Quit", "Ctrl+Q", self.close, "Quit clusterviz.",
                                        "quitAction")
        self.step_action = self._action("&Step", Qt.Key.Key_Right, c.advance,
                                        "Run one step (a half-step in half-step mode).", "stepAction")
        self.half_step_action = self._action("&Half step", QKeySequence("Shift+Right"), c.half_step,
                                             "Run one half-step (E or M).", "halfStepAction")
        self.step_back_action = self._action("Step &back", Qt.Key.Key_Left, c.step_back,
                                             "Show the previous step.", "stepBackAction")
        self.play_action = self._action("&Play", Qt.Key.Key_Space, c.toggle_play, "Play or pause.", "playAction")
        self.reset_action = self._action("&Reset", Qt.Key.Key_R, c.reset_fit, "Start again from the initial centroids.",
                                         "resetAction")
        self.converge_action = self._action("Run to &convergence", QKeySequence("Ctrl+Return"),
                                            c.run_to_convergence, "Step until converged.", "convergeAction")
        self.shortcuts_action = self._action("&Keyboard shortcuts", "F1",
                                             self.show_shortcuts, "List the keyboard shortcuts.", "shortcutsAction")
        self.about_action = self._action("&About clusterviz", None, self.show_about, "About clusterviz.",
                                         "aboutAction")
        self.compare_action = self._action("&Compare K-Means and EM…", QKeySequence("Ctrl+K"),
                                           lambda: self.open_compare(),
                                           "Step K-Means and EM side by side from the same start.",
                                           "compareAction")
        self.pca_view_action = self._action(
            "&PCA projection", "Ctrl+P", lambda *_: set_pca_view(self, self.pca_view_action.isChecked()),
            "Show the data on its first two principal axes (for more than two columns).", "pcaViewAction")
        self.pca_view_action.setCheckable(True)
        self.fit_view_action = self._action("&Fit view", Qt.Key.Key_Home, self.fit_view,
                                            "Frame all the points again after panning or zooming (Home).",
                                            "fitViewAction")
        self.file_actions = FileActions(self)
        self.dataset_actions = QActionGroup(self)
        for name in BUILTIN_DATASETS:
            action = QAction(dataset_title(name), self)
            action.setObjectName(f"datasetAction_{name}")
            action.setCheckable(True)
            action.setToolTip(DATASET_DESCRIPTIONS.get(name, ""))
            action.setStatusTip(DATASET_DESCRIPTIONS.get(name, ""))
            action.setData(name)
            action.triggered.connect(lambda _checked=False, n=name: c.load_builtin(n))
            self.dataset_actions.addAction(action)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = self.file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        datasets = file_menu.addMenu("&Data sets")
        datasets.setToolTipsVisible(True)
        for action in self.dataset_actions.actions():
            datasets.addAction(action)
        file_menu.addAction(self.screenshot_action)
        self.file_actions.add_to_menu(file_menu)  # sessions and exports
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.setToolTipsVisible(True)
        self.recent_menu.aboutToShow.connect(
            lambda: fill_recent_menu(self.recent_menu, self.app_settings, self.open_recent))
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        run_menu = self.run_menu = bar.addMenu("&Run")
        for action in (self.step_action, self.half_step_action, self.step_back_action, self.play_action,
                       self.reset_action, self.converge_action):
            run_menu.addAction(action)
        view_menu = self.view_menu = bar.addMenu("&View")
        view_menu.addAction(self.compare_action)
        view_menu.addAction(self.pca_view_action)
        view_menu.addAction(self.fit_view_action)
        view_menu.addSeparator()
        for action in self.presenter.actions:
            view_menu.addAction(action)
        view_menu.addSeparator()
        help_menu = self.help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

    # ------------------------------------------------------------ rendering
    def _view(self) -> tuple[np.ndarray, tuple[int, int]]:
        """The points as shown (`Session.shown_points`: a column pair or PCA axes),
        shape (n_samples, 2), and the indices of the chosen columns."""
        return self.session.shown_points(), tuple(self.session.view_columns)

    def _on_dataset_loaded(self) -> None:
        if self._csv_job is not None and self._csv_job.is_running():
            self._csv_job.abandon()  # other data were chosen: the file being read would be dropped anyway
        dataset = self.session.dataset
        self.setWindowTitle(f"clusterviz — {printable(dataset.name)}")
        for action in self.dataset_actions.actions():
            action.setChecked(action.data() == dataset.name)
        self._reframe()

    def _reframe(self) -> None:
        """Frame the shown columns afresh: labels, view range, aspect rule."""
        X, columns = self._view()
        names = tuple(self.session.dataset.columns)
        self.canvas.set_axis_labels(tuple(names[c] if c < len(names) else f"column {c}" for c in columns))
        sync_projection_view(self)  # PCA axis titles, the PCA action, the column choice
        self.canvas.fit_view(X)  # first: set_points would frame the first points itself, then again here
        self.canvas.set_points(X)
        self._framed = self.session.X  # data_changed comes next with these very points: drawn already
        self.controls.aspect_check.setChecked(equal_scales_suit(X))
        self.canvas.set_equal_scales(self.controls.aspect_check.isChecked())

    def _on_view_changed(self) -> None:
        self._reframe()
        self._on_reset()

    def _on_data_changed(self) -> None:
        if self._framed is not self.session.X:
            self.canvas.set_points(self._view()[0])
        self._framed = None
        self._on_reset()

    def _on_reset(self) -> None:
        self.controls.sync()
        self._on_stepped()

    def _on_stepped(self) -> None:
        s = self.session
        X, columns = self._view()
        self.teaching.refresh()  # ambiguity values first: show_state colours the points
        self.canvas.show_state(s.state, X.shape[0], columns, s.view_projection,
                               s.view_center)
        self.objective_plot.show_session(s)
        self.info_label.setText(self.teaching.info_line(s.info_text()))
        self._show_formulas()
        self.layers.refresh()
        if self.layers.problem is not None:  # a layer is on but cannot be drawn: say why
            self.statusBar().showMessage(self.layers.problem, 5000)
        self.controls.sync_buttons()
        self._sync_actions()

    def _show_formulas(self) -> None:
        inspector = self.inspector
        self.formula_panel.show_session(self.session, inspector.index if inspector.pinned else -1)

    def fit_view(self) -> None:
        """Frame the shown points again (after panning or zooming)."""
        self.canvas.fit_view(self._view()[0])
        self.canvas.set_equal_scales(self.controls.aspect_check.isChecked())

    def _on_playing(self, playing: bool) -> None:
        self.play_action.setText("&Pause" if playing else "&Play")
        self._sync_actions()

    def _sync_actions(self) -> None:
        panel = self.controls
        self.step_action.setEnabled(panel.step_button.isEnabled())
        self.half_step_action.setEnabled(panel.half_step_button.isEnabled())
        self.step_back_action.setEnabled(self.controller.can_step_back())
        self.play_action.setEnabled(panel.play_button.isEnabled())
        self.reset_action.setEnabled(panel.reset_button.isEnabled())
        self.converge_action.setEnabled(panel.converge_button.isEnabled())

    def open_compare(self):
        """Open (or raise) the K-Means-beside-EM view on the current data and K."""
        from .windows.compare import CompareView

        view = getattr(self, "compare_view", None)
        if view is not None:
            view.close()
            view.deleteLater()
        self.compare_view = CompareView.from_session(self.session, self, self.controller.speed)
        self.compare_view.show()
        self.compare_view.raise_()
        return self.compare_view

    # ------------------------------------------------------- file and errors
    def open_csv(self, path: str | os.PathLike | None = None, ask_columns: bool | None = None) -> bool:
        """Load points from a CSV file (asks for one when ``path`` is None).

        With ``ask_columns`` (the default when asking for the file) the CSV
        dialog (``csvDialog``) opens first to choose the fitted columns, the
        view and standardising; the data set is loaded when it is accepted.

        Returns True if the data set was loaded (or the dialog opened); on a
        malformed file shows the error and keeps the current data.
        """
        if ask_columns is None:
            ask_columns = path is None
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open CSV", self.app_settings.last_folder(),
                                                  "CSV files (*.csv);;All files (*)")
            if not path:
                return False
        if os.path.isfile(path) and os.path.getsize(path) >= CSV_BACKGROUND_BYTES:
            return self.read_csv_in_background(path, ask_columns)  # a big file: the window stays live
        request = self.controller.request_data()  # a read still running elsewhere is superseded
        try:
            dataset = printable_dataset(load_csv(path))
        except (DataError, OSError) as exc:
            self.show_error("Cannot open the file", str(exc))
            return False
        self.app_settings.remember_file(path)
        if ask_columns:
            from .windows.csv_dialog import open_csv_dialog  # the dialog is built only when a file is opened

            open_csv_dialog(self, dataset)
            return True
        return self.controller.load_dataset(dataset, request=request)

    def read_csv_in_background(self, path: str | os.PathLike, ask_columns: bool = False) -> bool:
        """Read a CSV file on a worker thread, then go on as `open_csv`.

        A progress dialog (``csvProgressDialog``) appears if reading takes
        longer than ``CSV_PROGRESS_DELAY_MS``; Cancel stops the read and
        keeps the current data. The result is keyed to the moment it was
        asked for (`SessionController.request_data`): if the user chose other
        data meanwhile (a data set, another file, a session) it is dropped.
        Returns True: reading started.
        """
        from PySide6.QtWidgets import QProgressDialog

        from clusterviz.model.selection import Cancelled

        from .jobs import BackgroundJob

        if self._csv_job is not None:
            self._csv_job.abandon()  # superseded: its thread stops at its next look at the cancel flag
        request = self.controller.request_data()
        job = self._csv_job = BackgroundJob("csv-reader", self)
        dialog = QProgressDialog(f"Reading {printable(os.path.basename(path))}…", "Cancel", 0, 0, self)
        dialog.setObjectName("csvProgressDialog")
        dialog.setWindowTitle("Open CSV")
        dialog.setToolTip("Reading the file; Cancel keeps the current data.")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(CSV_PROGRESS_DELAY_MS)
        dialog.setValue(0)
        dialog.canceled.connect(job.cancel)

        def read(_progress, is_cancelled):
            try:
                dataset = printable_dataset(load_csv(path, is_cancelled=is_cancelled))
            except ReadCancelled:
                raise Cancelled() from None
            if is_cancelled():
                raise Cancelled()
            return dataset

        def loaded(dataset) -> None:
            if not self.controller.is_latest_request(request):
                return  # other data were chosen while the file was read
            if ask_columns:
                from .windows.csv_dialog import open_csv_dialog

                open_csv_dialog(self, dataset)
            else:
                self.controller.load_dataset(dataset, request=request)

        job.finished.connect(loaded)
        job.failed.connect(lambda text: self.show_error("Cannot open the file", text))
        job.running_changed.connect(lambda running: None if running else dialog.reset())
        job.start(read)
        return True

    def save_screenshot(self, path: str | os.PathLike | None = None) -> bool:
        """Save an image of the whole window (asks for a file when ``path`` is None)."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save screenshot", "clusterviz.png", "PNG images (*.png)")
            if not path:
                return False
        if not self.grab().save(os.fspath(path)):
            self.show_error("Cannot save the screenshot", f"Could not write an image to {os.fspath(path)}.")
            return False
        return True

    def show_error(self, title: str, text: str) -> None:
        """Show an error without blocking; ``last_error`` records it."""
        title, text = printable(title), printable(text)
        self.last_error = (title, text)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setTextFormat(Qt.TextFormat.PlainText)  # a message may quote a file's cells: never markup
        box.setObjectName("errorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if self._error_box is not None:
            self._error_box.close()
        self._error_box = box
        box.finished.connect(lambda _result, b=box: self._forget_box(b))
        box.open()

    def _forget_box(self, box) -> None:
        if self._error_box is box:
            self._error_box = None

    def show_shortcuts(self) -> None:
        from .windows.shortcuts import show_shortcuts  # here: start-up does not need it

        show_shortcuts(self, SHORTCUTS)

    def show_about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "About clusterviz", ABOUT_TEXT,
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def open_recent(self, path: str) -> bool:
        """Open a file from File ▸ Open recent: a session file or a CSV."""
        if path.endswith(FILE_SUFFIX):
            return open_session(self, path)
        return self.open_csv(path, ask_columns=True)

    def start_crash_recovery(self, directory=None, delay_ms: int | None = None):
        """Autosave the session and mark the app as running (`recovery`);
        returns the `RecoveryManager`. Call its ``offer_recovery`` once the
        window shows. The app does this for the window it shows."""
        from .recovery import AUTOSAVE_DELAY_MS, RecoveryManager

        self.recovery = RecoveryManager(self, directory, AUTOSAVE_DELAY_MS if delay_ms is None else delay_ms)
        self.recovery.start()
        return self.recovery

    def show_exceptions_in_dialog(self):
        """Show unexpected exceptions in a dialog over this window from now on;
        returns the `ExceptionHandler` (``uninstall`` gives the old hooks back)."""
        from .windows.error_dialog import ExceptionHandler

        self.exception_handler = ExceptionHandler(self)
        self.exception_handler.install()
        return self.exception_handler

    def closeEvent(self, event) -> None:  # Qt override
        recovery = self.recovery
        if recovery is not None and not recovery.confirm_close():
            event.ignore()  # Cancel: unsaved painted points stay
            return
        self.controller.shutdown()
        self.docks.shutdown()  # no Choosing K or restarts job outlives the window
        if self._sequence_docks is not None:
            self._sequence_docks.shutdown()
        if not self.testAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen):  # not a --screenshot window
            self.app_settings.save_geometry(self)
        if getattr(self, "compare_view", None) is not None:
            self.compare_view.close()  # shuts down its controller
        if self._csv_job is not None:
            # The read stops at its next look at the cancel flag; closing does not wait for the parse.
            self._csv_job.abandon()
        if recovery is not None:
            recovery.finish()  # a normal quit: no recovery file, no running marker
        super().closeEvent(event)
