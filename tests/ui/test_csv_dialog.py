"""The CSV open dialog: fitted columns, the shown pair or PCA, standardising,
and means/ellipses projected correctly on 4-D Iris."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from clusterviz.data import load_csv
from clusterviz.data.transform import pca_projection
from clusterviz.ui.canvas.cluster_canvas import ellipse_outline
from clusterviz.ui.windows.csv_dialog import VIEW_COLUMNS, VIEW_PCA, CsvDialog

IRIS = Path(__file__).resolve().parents[2] / "resources" / "datasets" / "iris.csv"


def open_dialog(window, path=IRIS) -> CsvDialog:
    assert window.open_csv(path, ask_columns=True)
    dialog = window.findChild(CsvDialog, "csvDialog")
    assert dialog is not None and dialog.isVisible()
    return dialog


def ok_button(dialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_all_columns_fitted_by_default(make_window):
    window = make_window()
    dialog = open_dialog(window)
    assert dialog.fitted_columns() == (0, 1, 2, 3)
    assert dialog.view_mode == VIEW_COLUMNS
    assert "150 rows" in dialog.summary_label.text() and "setosa" in dialog.summary_label.text()
    assert "dominates" in dialog.standardise_check.toolTip()
    dialog.accept()
    assert window.session.n_features == 4
    assert window.session.dataset.name == "iris"
    np.testing.assert_array_equal(window.session.X, load_csv(IRIS).X)


def test_chosen_columns_and_pair_are_fitted_and_shown(make_window):
    window = make_window()
    dialog = open_dialog(window)
    dialog.column_list.item(1).setCheckState(Qt.CheckState.Unchecked)  # drop sepal_width
    assert dialog.fitted_columns() == (0, 2, 3)
    assert [dialog.x_combo.itemText(i) for i in range(dialog.x_combo.count())] == \
        ["sepal_length", "petal_length", "petal_width"]
    dialog.set_view_pair(1, 2)
    ok_button(dialog).click()
    s = window.session
    assert s.dataset.columns == ("sepal_length", "petal_length", "petal_width")
    np.testing.assert_array_equal(s.X, load_csv(IRIS).X[:, [0, 2, 3]])
    assert tuple(s.view_columns) == (1, 2)
    np.testing.assert_array_equal(window.canvas.points.data["x"], s.X[:, 1])
    assert window.canvas.getPlotItem().getAxis("left").labelText == "petal_width"


def test_standardise_checkbox_rescales_columns(make_window):
    window = make_window()
    dialog = open_dialog(window)
    dialog.standardise_check.setChecked(True)
    dialog.accept()
    X = window.session.X
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1.0, rtol=1e-12)


def test_old_faithful_hint_suggests_standardising(make_window):
    window = make_window()
    dialog = open_dialog(window, IRIS.parent / "old_faithful.csv")
    assert dialog.spread_label.isVisibleTo(dialog)
    assert "waiting" in dialog.spread_label.text()
    dialog.reject()


def test_fewer_than_two_columns_cannot_be_loaded(make_window):
    window = make_window()
    dialog = open_dialog(window)
    dialog.set_fitted_columns([3])
    assert not ok_button(dialog).isEnabled()
    assert "at least two columns" in dialog.problem_label.text()
    dialog.set_fitted_columns([2, 3])
    assert ok_button(dialog).isEnabled()
    # PCA needs three columns or more.
    pca_item = dialog.view_combo.model().item(dialog.view_combo.findData(VIEW_PCA))
    assert not pca_item.isEnabled()
    dialog.set_fitted_columns([0, 2, 3])
    assert pca_item.isEnabled()
    dialog.set_view_pair(1, 1)
    assert not ok_button(dialog).isEnabled()
    dialog.reject()


def test_cancel_keeps_the_session(make_window):
    window = make_window()
    X = window.session.X.copy()
    dialog = open_dialog(window)
    dialog.reject()
    assert window.session.dataset.name == "tiny"
    np.testing.assert_array_equal(window.session.X, X)


def test_loader_warnings_are_shown(make_window, tmp_path):
    path = tmp_path / "awkward.csv"
    rows = ["a,b,flat,c"] + [f"{i},{i * i % 7},5,{(i * 3) % 5}" for i in range(12)] + ["3,NA,5,1", "4,,5,2"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    window = make_window()
    dialog = open_dialog(window, path)
    text = dialog.warnings_label.text()
    assert dialog.warnings_label.isVisibleTo(dialog)
    assert "2 rows" in text or "dropped" in text.lower()
    assert "flat" in text and "constant" in text
    dialog.set_fitted_columns([0, 1, 2, 3])
    dialog.standardise_check.setChecked(True)
    dialog.accept()
    X = window.session.X
    assert np.isfinite(X).all() and X.shape == (12, 4)
    assert np.all(X[:, 2] == 0.0)


def test_pca_view_projects_points_means_and_ellipses(make_window):
    window = make_window()
    dialog = open_dialog(window)
    dialog.set_view_mode(VIEW_PCA)
    assert not dialog.pair_box.isVisibleTo(dialog)
    dialog.accept()
    c = window.controller
    c.set_algorithm("gmm")
    for _ in range(3):
        c.step()
    s = window.session
    W, mean, _ = pca_projection(s.X)
    np.testing.assert_allclose(s.view_projection, W)
    canvas = window.canvas
    np.testing.assert_allclose(canvas.points.data["x"], (s.X - mean) @ W[0])
    np.testing.assert_allclose(canvas.points.data["y"], (s.X - mean) @ W[1])
    m2 = (s.state.means - mean) @ W.T
    np.testing.assert_allclose(canvas.centroids.data["x"], m2[:, 0])
    np.testing.assert_allclose(canvas.centroids.data["y"], m2[:, 1])
    for k in range(s.n_clusters):
        expected = ellipse_outline(m2[k], W @ s.state.covariances[k] @ W.T, 1.0)
        np.testing.assert_allclose(canvas.ellipses[k][0].xData, expected[:, 0], atol=1e-9)
        np.testing.assert_allclose(canvas.ellipses[k][0].yData, expected[:, 1], atol=1e-9)
    assert canvas.getPlotItem().getAxis("bottom").labelText.startswith("PC1 (")
    assert window.pca_view_action.isChecked()
    assert not window.controls.columns_box.isEnabled()


@pytest.mark.parametrize("pair", [(2, 3), (3, 0), (1, 2)])
def test_iris_ellipses_for_a_pair_are_the_marginal_block(make_window, pair):
    window = make_window()
    dialog = open_dialog(window)
    dialog.set_view_pair(*pair)
    dialog.accept()
    window.controller.set_algorithm("gmm")
    window.controller.run_to_convergence()
    s = window.session
    i, j = pair
    canvas = window.canvas
    np.testing.assert_array_equal(canvas.centroids.data["x"], s.state.means[:, i])
    np.testing.assert_array_equal(canvas.centroids.data["y"], s.state.means[:, j])
    for k in range(s.n_clusters):
        S = s.state.covariances[k]
        block = np.array([[S[i, i], S[i, j]], [S[j, i], S[j, j]]])
        for n_sigma, item in zip((1.0, 2.0), canvas.ellipses[k]):
            expected = ellipse_outline(s.state.means[k, [i, j]], block, n_sigma)
            np.testing.assert_allclose(item.xData, expected[:, 0], atol=1e-12)
            np.testing.assert_allclose(item.yData, expected[:, 1], atol=1e-12)


def test_pca_action_toggles_the_view_without_refitting(make_window):
    window = make_window()
    action = window.pca_view_action
    assert not action.isEnabled()  # two columns: nothing to project
    window.open_csv(IRIS)  # programmatic: no dialog
    assert action.isEnabled() and not action.isChecked()
    window.controller.step()
    cursor, version = window.session.cursor, window.session.version
    action.trigger()
    assert window.session.view_projection is not None
    assert window.canvas.getPlotItem().getAxis("left").labelText.startswith("PC2 (")
    action.trigger()
    assert window.session.view_projection is None
    assert window.controls.columns_box.isEnabled()
    assert window.canvas.getPlotItem().getAxis("bottom").labelText == "sepal_length"
    assert (window.session.cursor, window.session.version) == (cursor, version)


def _penguins(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "penguins.csv"
    rows = ["bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g"]
    rows += [f"{rng.normal(44, 5):.1f},{rng.normal(17, 2):.1f},{rng.normal(200, 14):.0f},{rng.normal(4200, 800):.0f}"
             for _ in range(200)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_column_names_are_never_cut_even_at_the_smallest_size(make_window, qtbot, tmp_path):
    window = make_window(show=True)
    dialog = open_dialog(window, _penguins(tmp_path))
    dialog.resize(10, 10)  # as small as the dialog lets itself be
    qtbot.waitUntil(lambda: dialog.width() >= dialog.minimumWidth())
    for combo in (dialog.x_combo, dialog.y_combo):
        widest = max(combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
        assert combo.width() >= widest + 16  # the text and the drop-down arrow
    fm = dialog.column_list.fontMetrics()
    for i in range(dialog.column_list.count()):
        text = dialog.column_list.item(i).text()
        assert dialog.column_list.viewport().width() >= fm.horizontalAdvance(text)


def test_pca_of_unstandardised_penguins_warns_that_one_column_is_pc1(make_window, qtbot, tmp_path):
    window = make_window(show=True)
    dialog = open_dialog(window, _penguins(tmp_path))
    assert not dialog.pca_label.isVisible()
    dialog.set_view_mode(VIEW_PCA)
    assert dialog.pca_label.isVisible() and "'body_mass_g'" in dialog.pca_label.text()
    dialog.standardise_check.setChecked(True)
    assert not dialog.pca_label.isVisible()
    dialog.standardise_check.setChecked(False)
    ok_button(dialog).click()
    qtbot.waitUntil(lambda: window.session.view_projection is not None)
    assert "PC1 explains" in window.statusBar().currentMessage()
