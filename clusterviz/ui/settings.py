"""What the app remembers between runs, in QSettings: window geometry, the
last folder used in a file dialog, the recently opened files, and presenter
mode with its text scale.

The store carries a version key; a store written by another version is
cleared rather than misread.
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMenu, QWidget

from .names import printable

SETTINGS_VERSION = 1
MAX_RECENT = 8


class AppSettings:
    """Typed access to the app's QSettings.

    Parameters
    ----------
    settings : QSettings, optional
        The store; by default the user's ("clusterviz", "clusterviz"), which
        follows ``XDG_CONFIG_HOME`` on Linux (the tests point it at a
        temporary folder).
    """

    def __init__(self, settings: QSettings | None = None) -> None:
        self.settings = settings if settings is not None else QSettings("clusterviz", "clusterviz")
        if self.settings.value("version") != str(SETTINGS_VERSION):
            self.settings.clear()
            self.settings.setValue("version", str(SETTINGS_VERSION))

    # ------------------------------------------------------------- folders
    def last_folder(self) -> str:
        """The folder of the last file opened or saved ("" at first)."""
        folder = str(self.settings.value("last_folder", "") or "")
        return folder if folder and os.path.isdir(folder) else ""

    def remember_file(self, path: str | os.PathLike) -> None:
        """Note a file the user opened: its folder and the recent list."""
        path = str(Path(path).resolve())
        if printable(path) != path:
            return  # a name that is not UTF-8: Qt's settings would store it cut short
        self.settings.setValue("last_folder", str(Path(path).parent))
        recent = [p for p in self.recent_files() if p != path]
        self.settings.setValue("recent_files", [path, *recent][:MAX_RECENT])

    def recent_files(self) -> list[str]:
        """Recently opened files that still exist, newest first."""
        value = self.settings.value("recent_files", []) or []
        paths = [value] if isinstance(value, str) else list(value)
        return [str(p) for p in paths if os.path.isfile(str(p))]

    def clear_recent(self) -> None:
        self.settings.setValue("recent_files", [])

    # ----------------------------------------------------------- presenter
    def presenter_mode(self) -> tuple[bool, float]:
        """(presenter mode on, text zoom) as last chosen; (False, 1.0) at first."""
        on = str(self.settings.value("presenter_mode", "false")).lower() == "true"
        try:
            zoom = float(self.settings.value("text_zoom", 1.0))
        except (TypeError, ValueError):
            zoom = 1.0
        return on, zoom if math.isfinite(zoom) and zoom > 0 else 1.0

    def save_presenter_mode(self, on: bool, zoom: float) -> None:
        self.settings.setValue("presenter_mode", "true" if on else "false")
        self.settings.setValue("text_zoom", float(zoom))

    # ------------------------------------------------------------ geometry
    def restore_geometry(self, window: QWidget) -> bool:
        """Give ``window`` its saved size and place; False if none was saved."""
        geometry = self.settings.value("window_geometry")
        return isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)

    def save_geometry(self, window: QWidget) -> None:
        self.settings.setValue("window_geometry", window.saveGeometry())
        self.settings.sync()


def fill_recent_menu(menu: QMenu, settings: AppSettings, open_file) -> None:
    """Rebuild ``menu`` with one action per recent file (``open_file(path)``)
    and a Clear entry; a disabled placeholder when there are none."""
    menu.clear()
    recent = settings.recent_files()
    for number, path in enumerate(recent, start=1):
        action = menu.addAction(f"&{number} {Path(path).name}")
        action.setToolTip(path)
        action.triggered.connect(lambda _checked=False, p=path: open_file(p))
    if not recent:
        menu.addAction("No recent files").setEnabled(False)
        return
    menu.addSeparator()
    menu.addAction("Clear recent files", settings.clear_recent)
