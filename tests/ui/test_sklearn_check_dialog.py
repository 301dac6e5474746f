"""Run ▸ Check against scikit-learn: the action, the dialog with both results,
and the messages without scikit-learn or without a counterpart."""
from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget

from clusterviz.data import builtin_dataset
from clusterviz.session.sklearn_check import INSTALL_HINT
from clusterviz.ui.windows.sklearn_check import SklearnCheckDialog

pytest.importorskip("sklearn")


def open_check(window, qtbot) -> SklearnCheckDialog:
    action = window.sklearn_check_action
    action.trigger()
    dialog = window.findChild(SklearnCheckDialog, "sklearnCheckDialog")
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: not dialog.running, timeout=20000)
    return dialog


def test_the_action_is_in_the_run_menu(make_window):
    window = make_window()
    action = window.sklearn_check_action
    assert action.objectName() == "sklearnCheckAction" and action.toolTip()
    assert action in window.run_menu.actions() and action in window.actions()


def test_k_means_on_three_blobs_is_the_same_in_both(make_window, qtbot):
    window = make_window(builtin_dataset("three_blobs"), seed=42, init="k-means++")
    window.controller.step()
    dialog = open_check(window, qtbot)
    verdict = dialog.findChild(QLabel, "sklearnCheckVerdict").text()
    assert verdict.startswith("The same result: J = ")
    assert dialog.comparison.ours.objective == pytest.approx(322.0, abs=0.01)  # the reference's J
    table = dialog.findChild(QTableWidget, "sklearnCheckTable")
    assert table.isVisible() and table.rowCount() >= 5
    c = dialog.comparison
    assert table.item(0, 0).text() == repr(c.ours.objective) and table.item(0, 1).text() == repr(c.theirs.objective)
    assert float(table.item(0, 0).text()) == pytest.approx(float(table.item(0, 1).text()), rel=1e-12)
    means = dialog.findChild(QTableWidget, "sklearnMeansTable")
    assert means.rowCount() == 3
    assert [means.item(k, 0).text() for k in range(3)] == [means.item(k, 1).text() for k in range(3)]
    assert "sklearn.cluster.KMeans(init=<the start's means>" in dialog.findChild(QLabel, "sklearnCheckCall").text()
    assert window.session.cursor == 1  # the window's run is left as it was


def test_em_is_checked_with_its_covariance_type(make_window, qtbot):
    window = make_window(builtin_dataset("old_faithful"), algorithm="gmm", covariance_type="diag", init="random")
    dialog = open_check(window, qtbot)
    assert dialog.comparison.same_result
    assert "covariance_type='diag'" in dialog.findChild(QLabel, "sklearnCheckCall").text()
    assert "diag covariances" in dialog.findChild(QLabel, "sklearnCheckWhat").text()


def test_without_sklearn_the_dialog_says_how_to_install_it(make_window, qtbot, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    window = make_window()
    dialog = open_check(window, qtbot)
    text = dialog.findChild(QLabel, "sklearnCheckVerdict").text()
    assert "scikit-learn is not installed" in text and INSTALL_HINT in text
    assert not dialog.findChild(QTableWidget, "sklearnCheckTable").isVisible()


def test_an_algorithm_without_a_counterpart_says_so(make_window, qtbot):
    window = make_window(algorithm="soft-kmeans")
    dialog = open_check(window, qtbot)
    assert "no scikit-learn counterpart" in dialog.findChild(QLabel, "sklearnCheckVerdict").text()


def test_a_result_after_closing_is_dropped(make_window, qtbot):
    window = make_window(builtin_dataset("old_faithful"), algorithm="gmm")
    window.sklearn_check_action.trigger()
    dialog = window.findChild(SklearnCheckDialog, "sklearnCheckDialog")
    dialog.close()
    qtbot.waitUntil(lambda: not dialog._worker.busy, timeout=20000)
    QApplication.processEvents()
    assert dialog.comparison is None


def test_opening_it_again_replaces_the_dialog(make_window, qtbot):
    window = make_window()
    action = window.sklearn_check_action
    action.trigger()
    first = window.sklearn_check_dialog
    action.trigger()
    assert window.sklearn_check_dialog is not first and not first.isVisible()
    qtbot.waitUntil(lambda: not window.sklearn_check_dialog.running, timeout=20000)
