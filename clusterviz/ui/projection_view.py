"""The PCA view of the main window's data (View ▸ PCA projection,
``pcaViewAction``): switch it on or off, and keep the axis titles, the action
and the column choice in step with the shown view."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker

from clusterviz.data.transform import explained_variance, pca_dominance_warning, pca_projection


def projection_axis_labels(session) -> tuple[str, str]:
    """Axis titles for a projected view: "PC1 (73% of variance)", ..."""
    W = session.view_projection
    ratio = explained_variance(session.X, W)
    return tuple(f"PC{i + 1} ({100 * r:.0f}% of variance)" for i, r in enumerate(ratio[:2]))


def set_pca_view(window, on: bool) -> bool:
    """Show the window's data on its first two principal axes (``on``), or
    go back to the chosen column pair. Nothing is refitted."""
    controller = window.controller
    session = controller.session
    if not on:
        if session.view_projection is None:
            return True
        return controller.set_view_projection(None)
    try:
        W, mean, _ = pca_projection(session.X)
    except ValueError as exc:
        controller.report(str(exc))
        sync_projection_view(window)
        return False
    warning = pca_dominance_warning(session.X, session.dataset.columns)
    shown = controller.set_view_projection(W, mean)
    if shown and warning is not None:  # e.g. PCA on unstandardised columns: PC1 is the column in the largest units
        window.statusBar().showMessage(warning, 20000)
    return shown


def sync_projection_view(window) -> None:
    """After the view changed: PCA axis titles, the action's check mark, and
    the column choice (not used while a projection is shown)."""
    session = window.session
    projected = session.view_projection is not None
    if projected:
        window.canvas.set_axis_labels(projection_axis_labels(session))
    action = getattr(window, "pca_view_action", None)
    if action is not None:
        with QSignalBlocker(action):
            action.setChecked(projected)
        action.setEnabled(session.n_features >= 3 or projected)
    box = getattr(window.controls, "columns_box", None)
    if box is not None:
        box.setEnabled(not projected)
        box.setToolTip("Shown on the PCA axes (View ▸ PCA projection); uncheck it to choose columns."
                       if projected else "")
