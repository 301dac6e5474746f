"""File ▸ sessions and exports: save/open a session file, export the canvas or
the objective plot as PNG/SVG, the points with their clustering as CSV, and
the run so far as an animated GIF (or numbered PNG frames).

The file formats live in Qt-free modules (`clusterviz.data.session_file`,
`clusterviz.data.export`); here are only the menu actions, file dialogs, the
background saver and the offscreen rendering of animation frames.

Saving runs off the GUI thread (`clusterviz.ui.session_saver`): the session
is snapshot on the GUI thread and written by the window's `SessionSaver`.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QFileDialog, QProgressDialog

from clusterviz.data import DataError
from clusterviz.data.export import GifWriter, write_points_csv
from clusterviz.data.session_file import FILE_SUFFIX, load_session_file, save_session_file

from .names import printable
from .session_saver import SessionSaver, session_snapshot

SESSION_FILTER = f"clusterviz sessions (*{FILE_SUFFIX});;All files (*)"
IMAGE_FILTER = "PNG image (*.png);;SVG image (*.svg)"
ANIMATION_FILTER = "Animated GIF (*.gif);;PNG frames (*.png)"
#: How long each animation frame is shown.
FRAME_DELAY_MS = 600
#: The last frame (the shown step) stays longer before the loop restarts.
LAST_FRAME_DELAY_MS = 2500
#: The scales a PNG export may have (times the on-screen size), and the default (for slides).
IMAGE_SCALES = (1, 2, 3)
DEFAULT_IMAGE_SCALE = 2
#: The QSettings key that remembers the chosen scale.
IMAGE_SCALE_KEY = "export/image_scale"


class FileActions:
    """The session and export actions of a window's File menu.

    Actions (objectNames): ``openSessionAction`` (Ctrl+Shift+O),
    ``saveSessionAction`` (Ctrl+Shift+S), ``exportImageAction`` (Ctrl+E),
    ``exportPlotImageAction``, ``exportCsvAction``, ``exportAnimationAction``,
    and the PNG scale ``imageScale1xAction``, ``imageScale2xAction``,
    ``imageScale3xAction`` (one checked; remembered in QSettings).

    Parameters
    ----------
    window : MainWindow
        Makes the actions (``window._action``); they act on it.
    """

    def __init__(self, window) -> None:
        act = window._action
        self.open_session_action = act("Open sess&ion…", QKeySequence("Ctrl+Shift+O"),
                                       lambda: open_session(window),
                                       "Open a saved session: data, settings and the shown step.",
                                       "openSessionAction")
        self.saver = SessionSaver(window)
        self.save_session_action = act("Sa&ve session…", QKeySequence("Ctrl+Shift+S"),
                                       lambda: save_session(window, wait=False),
                                       "Save the data, settings, seed and shown step to a session file.",
                                       "saveSessionAction")
        self.export_image_action = act("Canvas as &image (PNG/SVG)…", QKeySequence("Ctrl+E"),
                                       lambda: export_image(window),
                                       "Save the canvas as a PNG or SVG picture.", "exportImageAction")
        self.export_plot_image_action = act("&Objective plot as image (PNG/SVG)…", None,
                                            lambda: export_image(window, target="objective"),
                                            "Save the objective plot as a PNG or SVG picture.",
                                            "exportPlotImageAction")
        self.export_csv_action = act("&Data as CSV…", None, lambda: export_data_csv(window),
                                     "Save the points with their cluster and responsibilities as CSV.",
                                     "exportCsvAction")
        self.export_animation_action = act("&Animation of the run (GIF)…", None,
                                           lambda: export_animation(window),
                                           "Save every step from the start to the shown one as an animated GIF.",
                                           "exportAnimationAction")
        self.image_scale_group = QActionGroup(window)
        self.image_scale_actions = []
        chosen = image_scale(window)
        for scale in IMAGE_SCALES:
            action = QAction(f"{scale}× the on-screen size", window)
            action.setObjectName(f"imageScale{scale}xAction")
            action.setCheckable(True)
            action.setChecked(scale == chosen)
            action.setToolTip(f"PNG images of the canvas and the objective plot get {scale}× the pixels "
                              f"shown on screen" + (" (for slides)" if scale == DEFAULT_IMAGE_SCALE else ""))
            action.setData(scale)
            action.triggered.connect(lambda checked=False, scale=scale: set_image_scale(window, scale))
            self.image_scale_group.addAction(action)
            self.image_scale_actions.append(action)

    def add_to_menu(self, menu) -> None:
        """Add the session actions and an Export submenu (``exportMenu``) to ``menu``."""
        menu.addSeparator()
        menu.addAction(self.open_session_action)
        menu.addAction(self.save_session_action)
        export_menu = menu.addMenu("&Export")
        export_menu.setObjectName("exportMenu")
        export_menu.setToolTipsVisible(True)
        for action in (self.export_image_action, self.export_plot_image_action, self.export_csv_action,
                       self.export_animation_action):
            export_menu.addAction(action)
        scale_menu = export_menu.addMenu("PNG image &scale")
        scale_menu.setObjectName("imageScaleMenu")
        scale_menu.setToolTipsVisible(True)
        for action in self.image_scale_actions:
            scale_menu.addAction(action)


def image_scale(window) -> int:
    """The remembered scale of PNG exports (1, 2 or 3; 2 by default)."""
    value = window.app_settings.settings.value(IMAGE_SCALE_KEY, DEFAULT_IMAGE_SCALE)
    try:
        scale = int(value)
    except (TypeError, ValueError):
        return DEFAULT_IMAGE_SCALE
    return scale if scale in IMAGE_SCALES else DEFAULT_IMAGE_SCALE


def set_image_scale(window, scale: int) -> None:
    """Use (and remember) ``scale`` for PNG exports; the menu shows it checked."""
    if scale not in IMAGE_SCALES:
        raise ValueError(f"the image scale must be one of {IMAGE_SCALES}; got {scale!r}")
    window.app_settings.settings.setValue(IMAGE_SCALE_KEY, int(scale))
    actions = getattr(getattr(window, "file_actions", None), "image_scale_actions", ())
    for action in actions:
        action.setChecked(action.data() == scale)


def _ask_save(window, title: str, default: str, filters: str) -> tuple[str, str]:
    path, selected = QFileDialog.getSaveFileName(window, title, default, filters)
    return path, selected


def _with_suffix(path: str, selected_filter: str, allowed: tuple[str, ...]) -> Path:
    """``path`` with the suffix of the chosen filter when it has none of ``allowed``."""
    p = Path(path)
    if p.suffix.lower() in allowed:
        return p
    for suffix in allowed:
        if f"*{suffix}" in selected_filter:
            return p.with_name(p.name + suffix)
    return p.with_name(p.name + allowed[0])


# ---------------------------------------------------------------- sessions
def save_session(window, path: str | os.PathLike | None = None, wait: bool = True) -> bool:
    """Save the window's session to a ``.clusterviz`` file (asks when ``path`` is None).

    The session is snapshot now (`session_snapshot`) and written on the
    window's `SessionSaver` worker; the window keeps processing events.

    Parameters
    ----------
    wait : bool
        True: return once the file is written (events are processed
        meanwhile), with whether it was. False (the menu action): return at
        once with True if the save started; the outcome shows in the status
        bar, or in an error box.
    """
    if path is None:
        name = f"{printable(window.session.dataset.name) or 'session'}{FILE_SUFFIX}"
        chosen, selected = _ask_save(window, "Save session", name, SESSION_FILTER)
        if not chosen:
            return False
        path = _with_suffix(chosen, selected, (FILE_SUFFIX,))
    path = Path(path)
    session = window.session
    try:
        payload = session_snapshot(session)
    except (DataError, ValueError) as exc:
        window.show_error("Cannot save the session", str(exc))
        return False
    saver = getattr(getattr(window, "file_actions", None), "saver", None)
    if saver is None:  # a window without the File actions: write here
        try:
            save_session_file(path, payload)
        except (DataError, OSError, ValueError) as exc:  # ValueError: also a name no UTF-8 file can hold
            window.show_error("Cannot save the session", str(exc))
            return False
        _saved(window, path, payload, session)
        return True
    outcome: dict[str, bool] = {}

    def ended(kind: str, detail) -> None:
        outcome["ok"] = kind == "saved"
        if kind == "saved":
            _saved(window, path, payload, session)
        elif kind == "failed":
            window.show_error("Cannot save the session", detail)
        else:
            window.statusBar().showMessage(printable(f"Save cancelled: {path.name} was left as it was."), 5000)

    saver.save(path, payload, on_end=ended)
    if not wait:
        return True
    while "ok" not in outcome:
        saver.wait()
    return outcome["ok"]


def _saved(window, path: Path, payload: dict, session) -> None:
    window.statusBar().showMessage(printable(f"Session saved to {os.fspath(path)}"), 5000)
    # A save that ends after other data were opened (a lesson, a file) says nothing about them.
    if getattr(window, "recovery", None) is not None and window.session is session:
        window.recovery.mark_saved(payload["dataset"]["X"])  # no "unsaved points" question on quit


def open_session(window, path: str | os.PathLike | None = None) -> bool:
    """Replace the window's session by one read from a file.

    A bad file shows an error naming the file and the field, and the open
    session stays exactly as it was.
    """
    if path is None:
        path, _ = QFileDialog.getOpenFileName(window, "Open session", window.app_settings.last_folder(),
                                              SESSION_FILTER)
        if not path:
            return False
    controller = window.controller
    if controller.busy:
        window.show_error("Cannot open the session", "A step is still being computed; try again in a moment.")
        return False
    from clusterviz.session import Session

    name = printable(Path(path).name)
    try:
        restored = Session.from_payload(load_session_file(path), name)
    except (DataError, OSError, ValueError) as exc:
        window.show_error("Cannot open the session", str(exc))
        return False
    # The controller takes the NEW session; views re-read it and re-frame on
    # dataset_loaded (and the undo stack forgets edits of the old data).
    if not controller.adopt(restored):
        return False
    window.app_settings.remember_file(path)  # File ▸ Open recent
    return True


# ----------------------------------------------------------------- images
def export_image(window, path: str | os.PathLike | None = None, target: str = "canvas",
                 scale: int | None = None) -> bool:
    """Save the canvas (or, with ``target="objective"``, the objective plot)
    as PNG or SVG, by the file's suffix, with pyqtgraph's exporters.

    A PNG gets ``scale`` times the on-screen pixels (default: the remembered
    `image_scale`, File ▸ Export ▸ PNG image scale); an SVG is vector graphics."""
    widget = window.canvas if target == "canvas" else window.objective_plot
    scale = image_scale(window) if scale is None else scale
    if path is None:
        default = f"{window.session.dataset.name}{'' if target == 'canvas' else '_objective'}.png"
        width, height = _png_size(widget, scale)
        chosen, selected = _ask_save(window, f"Export image (PNG at {scale}×: {width} × {height} pixels)",
                                     default, IMAGE_FILTER)
        if not chosen:
            return False
        path = _with_suffix(chosen, selected, (".png", ".svg"))
    path = Path(path)
    try:
        write_plot_image(widget, path, scale)
    except (OSError, ValueError) as exc:
        window.show_error("Cannot export the image", f"{path.name}: {exc}")
        return False
    window.statusBar().showMessage(f"Image saved to {path}", 5000)
    return True


def _png_size(widget, scale: int) -> tuple[int, int]:
    """The pixel size of a PNG of ``widget`` at ``scale``: the on-screen size
    (at least 640 wide, for a window never shown) times ``scale``."""
    base = max(int(widget.width()), 640)
    aspect = widget.height() / max(widget.width(), 1)
    return base * scale, int(base * scale * aspect)


def write_plot_image(widget, path: Path, scale: int = 1) -> None:
    """Write a ``pg.PlotWidget`` as ``.svg`` (vector) or a raster image with
    ``scale`` times its on-screen width in pixels."""
    import pyqtgraph.exporters as pg_exporters  # here, not at start-up: it is slow to import

    item = widget.getPlotItem()
    if path.suffix.lower() == ".svg":
        try:
            pg_exporters.SVGExporter(item).export(os.fspath(path))
        except ValueError:
            # pyqtgraph 0.14's SVG exporter cannot parse the "Z" (close path)
            # that Qt 6.11 writes for the view box outline; draw the widget
            # into Qt's own SVG generator instead (still vector graphics).
            _render_svg(widget, path)
    else:
        exporter = pg_exporters.ImageExporter(item)
        exporter.parameters()["width"] = _png_size(widget, scale)[0]  # the height follows the aspect
        exporter.export(os.fspath(path))
    if not path.exists() or path.stat().st_size == 0:
        folder = path.parent
        why = (f"the folder {str(folder)!r} does not exist" if not folder.is_dir() else
               f"the folder {str(folder)!r} is not writable" if not os.access(folder, os.W_OK) else
               "the image could not be encoded")
        raise OSError(f"nothing was written: {why}")


# -------------------------------------------------------------------- CSV
def export_data_csv(window, path: str | os.PathLike | None = None) -> bool:
    """Save the points with the shown state's clusters and responsibilities."""
    s = window.session
    if path is None:
        chosen, selected = _ask_save(window, "Export data", f"{s.dataset.name}_clusters.csv",
                                     "CSV files (*.csv);;All files (*)")
        if not chosen:
            return False
        path = _with_suffix(chosen, selected, (".csv",))
    state = s.state
    R = None if state is None else state.responsibilities
    labels = None if R is None else np.argmax(R, axis=1)
    ds = s.dataset
    classes = None
    if ds.labels is not None and ds.class_names is not None:
        classes = [ds.class_names[k] for k in ds.labels]
    elif ds.labels is not None:
        classes = [str(k) for k in ds.labels]
    try:
        write_points_csv(path, s.X, ds.columns, labels=labels, responsibilities=R, classes=classes)
    except DataError as exc:
        window.show_error("Cannot export the data", str(exc))
        return False
    window.statusBar().showMessage(f"Data saved to {os.fspath(path)}", 5000)
    return True


# -------------------------------------------------------------- animation
def frame_paths(path: Path, n: int) -> list[Path]:
    """Numbered PNG names beside ``path``: run_001.png, run_002.png, ..."""
    digits = max(3, len(str(n)))
    return [path.with_name(f"{path.stem}_{i + 1:0{digits}d}.png") for i in range(n)]


class FrameRenderer:
    """Draws timeline entries on the window's own canvas, so frames show
    exactly what the user sees (points, ellipses, trails, layers, class
    markers), with the step written above the plot.

    `render` moves the session's cursor and announces it (``stepped``), so
    every view follows; `close` puts the cursor back and removes the title.
    """

    def __init__(self, window) -> None:
        self.window = window
        self.cursor = window.session.cursor
        self.canvas = window.canvas
        if not window.isVisible():
            window.grab()  # lays out a window that was never shown (command line)
        # Every frame the same size, even if the info line below wraps differently.
        self._sizes = (self.canvas.minimumSize(), self.canvas.maximumSize())
        self.canvas.setFixedSize(self.canvas.size())

    def render(self, index: int) -> QImage:
        """The picture of timeline entry ``index``."""
        s = self.window.session
        self.window.controller.seek(index)
        title = " · ".join(s.info_text().split(" · ")[:4])
        self.canvas.getPlotItem().setTitle(title, color="#222222", size="11pt")
        return self.canvas.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)

    def close(self) -> None:
        self.canvas.setMinimumSize(self._sizes[0])
        self.canvas.setMaximumSize(self._sizes[1])
        self.canvas.getPlotItem().setTitle(None)
        self.window.controller.seek(self.cursor)


def _rgb_array(image: QImage) -> np.ndarray:
    h, w = image.height(), image.width()
    stride = image.bytesPerLine()
    buf = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * h).reshape(h, stride)
    return buf[:, : w * 3].reshape(h, w, 3).copy()


def export_animation(window, path: str | os.PathLike | None = None, show_progress: bool = True) -> bool:
    """Save the run from the first timeline entry to the shown one, one frame
    per entry: an animated GIF for ``.gif``, numbered PNG files
    (``name_001.png`` ...) for ``.png``. A progress dialog with Cancel is shown;
    cancelling removes what was written.

    Returns True when every frame was written.
    """
    s = window.session
    controller = window.controller
    if s.state is None:
        window.show_error("Nothing to animate", s.problem or "There is no fit to animate yet.")
        return False
    if controller.busy:
        window.show_error("Cannot export the animation", "A step is still being computed; try again in a moment.")
        return False
    if path is None:
        chosen, selected = _ask_save(window, "Export animation", f"{s.dataset.name}_run.gif", ANIMATION_FILTER)
        if not chosen:
            return False
        path = _with_suffix(chosen, selected, (".gif", ".png"))
    path = Path(path)
    as_gif = path.suffix.lower() != ".png"
    controller.pause()
    n = s.cursor + 1
    progress = QProgressDialog("Rendering the animation…", "Cancel", 0, n, window)
    progress.setObjectName("animationProgress")
    progress.setWindowTitle("Export animation")
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(0 if show_progress else 10**9)
    progress.setAutoClose(False)
    progress.setAutoReset(False)
    written: list[Path] = []
    renderer = FrameRenderer(window)
    cancelled = False
    writer = None
    try:
        writer = GifWriter(path, delay_ms=FRAME_DELAY_MS) if as_gif else None
        names = frame_paths(path, n)
        for i in range(n):
            progress.setValue(i)
            progress.setLabelText(f"Rendering step {i + 1} of {n}…")
            QApplication.processEvents()
            if progress.wasCanceled():
                cancelled = True
                break
            image = renderer.render(i)
            if writer is not None:
                writer.add_frame(_rgb_array(image), delay_ms=LAST_FRAME_DELAY_MS if i == n - 1 else None)
            else:
                if not image.save(os.fspath(names[i])):
                    raise DataError(f"{names[i].name}: cannot write the frame.")
                written.append(names[i])
        if writer is not None:
            writer.close()
            written.append(path)
        progress.setValue(n)
    except DataError as exc:
        cancelled = True
        window.show_error("Cannot export the animation", str(exc))
    finally:
        if writer is not None:
            writer.close()
        renderer.close()  # back to the shown step
        progress.close()
        progress.deleteLater()
    if cancelled:
        for p in written + ([path] if as_gif else []):
            try:
                p.unlink(missing_ok=True)
            except OSError:
                pass
        return False
    what = f"{n} frames" if as_gif else f"{n} PNG frames ({written[0].name} …)"
    window.statusBar().showMessage(f"Animation saved: {what} to {path.parent}", 8000)
    return True


def _render_svg(widget, path: Path) -> None:
    """Paint ``widget`` into an SVG file with ``QSvgGenerator``."""
    from PySide6.QtCore import QRect, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    size = QSize(max(widget.width(), 640), max(widget.height(), 480))
    if widget.size() != size and not widget.isVisible():
        widget.resize(size)
    generator = QSvgGenerator()
    generator.setFileName(os.fspath(path))
    generator.setSize(widget.size())
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    generator.setTitle("clusterviz")
    painter = QPainter()
    if not painter.begin(generator):
        raise OSError("cannot open the SVG file for writing")
    try:
        widget.render(painter)
    finally:
        painter.end()
