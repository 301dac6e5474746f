"""File ▸ Export as notebook… / Export as script…: the shown fit as a Jupyter
notebook or a ``# %%`` Python script that reruns it with `clusterviz.model`
(see `clusterviz.data.notebook_export`).

`install_notebook_export(window)` adds ``exportNotebookAction`` and
``exportScriptAction`` to the window's File menu.
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from clusterviz.data import DataError

from .names import printable

NOTEBOOK_FILTER = "Jupyter notebooks (*.ipynb)"
SCRIPT_FILTER = "Python scripts (*.py)"


def export_notebook(window, path: str | os.PathLike | None = None, notebook: bool = True) -> bool:
    """Write the window's fit as a notebook (or, with ``notebook=False``, a
    script) to ``path`` (asks for one when None). Returns True if written;
    shows the error and returns False otherwise."""
    from clusterviz.data.notebook_export import export_run, write_export  # only when exporting: spares start-up

    suffix = ".ipynb" if notebook else ".py"
    if path is None:
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in window.session.dataset.name) or "clusterviz"
        chosen, _ = QFileDialog.getSaveFileName(
            window, "Export as notebook" if notebook else "Export as script",
            os.path.join(window.app_settings.last_folder(), f"{stem}-{window.session.algorithm}{suffix}"),
            NOTEBOOK_FILTER if notebook else SCRIPT_FILTER)
        if not chosen:
            return False
        path = chosen if chosen.lower().endswith(suffix) else chosen + suffix
    try:
        written = write_export(path, export_run(window.session), notebook=notebook)
    except DataError as exc:
        window.show_error("Cannot export", str(exc))
        return False
    names = ", ".join(p.name for p in written)
    window.statusBar().showMessage(printable(f"Exported {names} to {Path(path).resolve().parent}"), 5000)
    return True


def install_notebook_export(window) -> tuple[QAction, QAction]:
    """Add ``exportNotebookAction`` and ``exportScriptAction`` to ``window``'s
    File menu (after the Export submenu); returns them."""
    actions = []
    for notebook, text, tip, name in (
            (True, "Export as &notebook…", "Write the data, this start and the steps run so far as a Jupyter "
                                          "notebook that reruns them with clusterviz.model (and scikit-learn).",
             "exportNotebookAction"),
            (False, "Export as Python scrip&t…", "The same as a Python script with # %% cells.",
             "exportScriptAction")):
        action = QAction(text, window)
        action.setObjectName(name)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False, nb=notebook: export_notebook(window, notebook=nb))
        window.addAction(action)
        actions.append(action)
    menu = window.file_menu
    entries = menu.actions()
    export_menu = next((a for a in entries if a.menu() is not None and a.menu().objectName() == "exportMenu"), None)
    following = entries[entries.index(export_menu) + 1] if export_menu is not None and \
        entries.index(export_menu) + 1 < len(entries) else None
    for action in actions:
        menu.insertAction(following, action)
    window.export_notebook_action, window.export_script_action = actions
    return actions[0], actions[1]
