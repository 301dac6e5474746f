"""MainWindow: building, stepping, playing, settings, errors, shortcuts."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QCheckBox, QComboBox, QLabel, QSlider, QSpinBox, QWidget
from ui_helpers import viewport_pos

CONTROL_NAMES = ("algorithmCombo", "datasetCombo", "kSpin", "initCombo", "seedSpin", "covarianceCombo",
                 "betaSlider", "speedSlider", "stepButton", "stepBackButton", "playButton", "resetButton",
                 "convergeButton", "aspectCheck", "halfStepButton")


def find(window, name: str, kind=QWidget):
    widget = window.findChild(kind, name)
    assert widget is not None, f"no widget named {name!r}"
    return widget


def test_default_window_builds_three_blobs_kmeans(qtbot):
    from clusterviz.data import BUILTIN_DATASETS
    from clusterviz.ui import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    s = window.session
    assert (s.dataset.name, s.algorithm, s.n_clusters, s.init, s.seed) == ("three_blobs", "kmeans", 3, "random", 0)
    assert window.windowTitle() == "clusterviz — three_blobs"
    assert window.width() >= 1000 and window.height() >= 700
    assert find(window, "algorithmCombo", QComboBox).currentText() == "K-Means"
    assert find(window, "datasetCombo", QComboBox).count() == len(BUILTIN_DATASETS)
    assert find(window, "kSpin", QSpinBox).value() == 3
    assert find(window, "canvas") is window.canvas
    assert find(window, "objectivePlot") is window.objective_plot


def test_every_control_has_a_name_and_a_one_line_tooltip(make_window):
    window = make_window()
    for name in CONTROL_NAMES + ("canvas", "objectivePlot", "infoLabel"):
        tip = find(window, name).toolTip()
        assert tip and "\n" not in tip, name


def test_dataset_combo_items_have_descriptions(make_window):
    from clusterviz.data import BUILTIN_DATASETS, DATASET_DESCRIPTIONS

    combo = find(make_window(), "datasetCombo", QComboBox)
    for i, name in enumerate(BUILTIN_DATASETS):
        assert combo.itemData(i) == name
        assert combo.itemData(i, Qt.ItemDataRole.ToolTipRole) == DATASET_DESCRIPTIONS[name]


def test_step_button_advances_cursor_and_info(make_window, qtbot):
    window = make_window()
    info = find(window, "infoLabel", QLabel)
    before = info.text()
    assert before
    assert not find(window, "stepBackButton").isEnabled()
    with qtbot.waitSignal(window.controller.stepped, timeout=2000):
        qtbot.mouseClick(find(window, "stepButton"), Qt.MouseButton.LeftButton)
    assert window.session.cursor == 1
    assert info.text() != before
    assert find(window, "stepBackButton").isEnabled()
    qtbot.mouseClick(find(window, "stepBackButton"), Qt.MouseButton.LeftButton)
    assert window.session.cursor == 0
    assert not find(window, "stepBackButton").isEnabled()


def test_play_runs_until_converged_and_unchecks_itself(make_window, qtbot):
    window = make_window()
    find(window, "speedSlider", QSlider).setValue(30)
    play = find(window, "playButton", QAbstractButton)
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    assert play.isChecked() and play.text() == "Pause"
    qtbot.waitUntil(lambda: window.session.converged, timeout=10000)
    qtbot.waitUntil(lambda: not play.isChecked(), timeout=2000)
    assert play.text() == "Play"
    assert not window.controller.playing
    assert not find(window, "stepButton").isEnabled()
    assert "onverged" in find(window, "infoLabel", QLabel).text()


def test_play_can_be_paused(make_window, qtbot):
    window = make_window(algorithm="gmm")
    find(window, "speedSlider", QSlider).setValue(30)
    play = find(window, "playButton", QAbstractButton)
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.session.cursor >= 1, timeout=5000)
    qtbot.mouseClick(play, Qt.MouseButton.LeftButton)
    assert not window.controller.playing and not play.isChecked()
    cursor = window.session.cursor
    assert not window.controller.findChild(QTimer, "playTimer").isActive()  # no tick can come
    QApplication.processEvents()  # let any queued event run: none may step
    assert window.session.cursor == cursor


def test_run_to_convergence_button(make_window, qtbot):
    window = make_window()
    qtbot.mouseClick(find(window, "convergeButton"), Qt.MouseButton.LeftButton)
    assert window.session.converged
    assert not find(window, "convergeButton").isEnabled()
    assert find(window, "resetButton").isEnabled()
    qtbot.mouseClick(find(window, "resetButton"), Qt.MouseButton.LeftButton)
    assert len(window.session.timeline) == 1 and window.session.cursor == 0


def test_changing_k_resets(make_window):
    window = make_window()
    window.controller.step()
    window.controller.step()
    find(window, "kSpin", QSpinBox).setValue(4)
    assert window.session.n_clusters == 4
    assert len(window.session.timeline) == 1
    assert window.session.state.means.shape[0] == 4


def test_settings_written_to_session(make_window):
    window = make_window()
    find(window, "initCombo", QComboBox).setCurrentIndex(find(window, "initCombo", QComboBox).findData("random"))
    assert window.session.init == "random"
    find(window, "seedSpin", QSpinBox).setValue(11)
    assert window.session.seed == 11
    algorithm = find(window, "algorithmCombo", QComboBox)
    algorithm.setCurrentText("Soft K-Means")
    assert window.session.algorithm == "soft-kmeans"
    beta = find(window, "betaSlider", QSlider)
    beta.setValue(beta.maximum())
    assert window.session.beta == pytest.approx(1e3)
    assert find(window, "betaLabel", QLabel).text() == "β = 1000"
    beta.setValue(0)
    assert window.session.beta == pytest.approx(1e-2)


def test_controls_follow_session_without_echo(make_window, qtbot):
    window = make_window()
    resets = []
    window.controller.reset.connect(lambda: resets.append(1))
    window.controller.set_n_clusters(5)
    assert find(window, "kSpin", QSpinBox).value() == 5
    window.controller.set_algorithm("gmm")
    assert find(window, "algorithmCombo", QComboBox).currentData() == "gmm"
    assert len(resets) == 2  # the controls' own updates did not call back into the session


def test_covariance_and_beta_shown_only_for_their_algorithm(make_window):
    window = make_window()
    cov = find(window, "covarianceCombo", QComboBox)
    beta = find(window, "betaSlider", QSlider)
    assert not cov.isEnabled() and not cov.isVisibleTo(window)
    assert not beta.isEnabled()
    algorithm = find(window, "algorithmCombo", QComboBox)
    algorithm.setCurrentIndex(algorithm.findData("gmm"))
    assert cov.isEnabled() and cov.isVisibleTo(window)
    cov.setCurrentIndex(cov.findData("diag"))
    assert window.session.covariance_type == "diag"
    algorithm.setCurrentIndex(algorithm.findData("soft-kmeans"))
    assert beta.isEnabled() and not cov.isEnabled()


def test_gmm_draws_ellipses_for_every_component(make_window):
    window = make_window()
    algorithm = find(window, "algorithmCombo", QComboBox)
    algorithm.setCurrentText("Gaussian mixture (EM)")
    assert window.session.algorithm == "gmm"
    window.controller.step()
    k = window.session.n_clusters
    for one, two in window.canvas.ellipses[:k]:
        assert one.xData is not None and len(one.xData) > 10
        assert two.xData is not None and len(two.xData) > 10
    for one, two in window.canvas.ellipses[k:]:
        assert one.xData is None or len(one.xData) == 0
    algorithm.setCurrentText("K-Means")
    for one, _ in window.canvas.ellipses:
        assert one.xData is None or len(one.xData) == 0


def test_point_opacity_follows_responsibilities(make_window):
    from clusterviz.ui.canvas.palette import ALPHA_LEVELS, MIN_ALPHA

    window = make_window(algorithm="gmm")
    scatter = window.canvas.points
    grey = window.canvas.brushes.unassigned
    assert all(b is None for b in scatter.data["brush"])  # before the first assignment: the default,
    assert scatter.opts["brush"] is grey  # grey
    window.controller.step()
    state = window.session.state
    brushes = scatter.data["brush"]
    strength = state.responsibilities.max(axis=1)
    expected = MIN_ALPHA + (1 - MIN_ALPHA) * np.rint(strength * (ALPHA_LEVELS - 1)) / (ALPHA_LEVELS - 1)
    alphas = np.array([b.color().alphaF() for b in brushes])
    np.testing.assert_allclose(alphas, expected, atol=1 / 255)
    # shared brushes from the table, not one per point
    assert len({id(b) for b in brushes}) <= state.n_clusters * ALPHA_LEVELS


def test_kmeans_points_are_opaque(make_window):
    window = make_window()
    window.controller.step()
    alphas = {round(b.color().alphaF(), 3) for b in window.canvas.points.data["brush"]}
    assert alphas == {1.0}


def test_click_on_canvas_adds_point_at_data_coordinates(make_window, qtbot):
    window = make_window(show=True)
    canvas = window.canvas
    vb = canvas.view_box
    (x0, x1), (y0, y1) = vb.viewRange()
    target = (x0 + 0.9 * (x1 - x0), y0 + 0.1 * (y1 - y0))  # an empty corner
    n = window.session.X.shape[0]
    pos = viewport_pos(canvas, *target)
    with qtbot.waitSignal(window.controller.data_changed, timeout=2000):
        QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    X = window.session.X
    assert X.shape[0] == n + 1
    px, py = vb.viewPixelSize()
    assert abs(X[-1, 0] - target[0]) <= 1.5 * px
    assert abs(X[-1, 1] - target[1]) <= 1.5 * py
    # the view did not jump
    np.testing.assert_allclose(vb.viewRange(), [[x0, x1], [y0, y1]])
    assert window.canvas.points.data.shape[0] == n + 1


def test_click_outside_plot_area_adds_nothing(make_window, qtbot):
    window = make_window(show=True)
    n = window.session.X.shape[0]
    QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(3, 3))
    assert window.session.X.shape[0] == n


def test_malformed_csv_shows_error_and_keeps_data(make_window, tmp_path):
    window = make_window()
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,oops\n4,5\n", encoding="utf-8")
    X = window.session.X.copy()
    assert window.open_csv(bad) is False
    assert window.last_error is not None
    title, text = window.last_error
    assert "bad.csv" in text
    assert window.session.dataset.name == "tiny"
    np.testing.assert_array_equal(window.session.X, X)
    assert window.windowTitle() == "clusterviz — tiny"


def test_good_csv_loads_and_reframes(make_window, tmp_path):
    window = make_window()
    good = tmp_path / "mine.csv"
    rows = "\n".join(f"{100 + i % 5},{200 + (i * 7) % 11}" for i in range(30))
    good.write_text("a,b\n" + rows + "\n", encoding="utf-8")
    assert window.open_csv(good) is True
    assert window.session.X.shape == (30, 2)
    assert window.windowTitle().startswith("clusterviz — ")
    (x0, x1), _ = window.canvas.view_box.viewRange()
    assert x0 < 100 < 104 < x1
    combo = find(window, "datasetCombo", QComboBox)
    assert "(file)" in combo.currentText()


def test_model_error_during_step_shows_error(make_window, monkeypatch):
    from clusterviz.model import ModelError

    window = make_window()

    def fail():
        raise ModelError("covariance 1 became singular.")

    monkeypatch.setattr(window.session, "step", fail)
    assert window.controller.step() is False
    assert window.last_error == ("Cannot do that", "covariance 1 became singular.")
    assert window.session.state is not None


def test_dataset_combo_loads_builtin(make_window):
    from clusterviz.data import BUILTIN_DATASETS

    window = make_window()
    combo = find(window, "datasetCombo", QComboBox)
    name = BUILTIN_DATASETS[-1]
    combo.setCurrentIndex(combo.findData(name))
    assert window.session.dataset.name == name
    assert window.windowTitle() == f"clusterviz — {name}"


def test_aspect_locked_only_for_comparable_scales(make_window):
    from clusterviz.data import builtin_dataset

    window = make_window()
    check = find(window, "aspectCheck", QCheckBox)
    assert check.isChecked() and window.canvas.equal_scales()
    window.controller.load_dataset(builtin_dataset("old_faithful"))
    assert not check.isChecked() and not window.canvas.equal_scales()
    check.setChecked(True)
    assert window.canvas.equal_scales()


def test_keyboard_shortcuts(make_window, qtbot):
    window = make_window(show=True)
    QTest.keyClick(window, Qt.Key.Key_Right)
    assert window.session.cursor == 1
    QTest.keyClick(window, Qt.Key.Key_Right)
    assert window.session.cursor == 2
    QTest.keyClick(window, Qt.Key.Key_Left)
    assert window.session.cursor == 1
    QTest.keyClick(window, Qt.Key.Key_R)
    assert len(window.session.timeline) == 1 and window.session.cursor == 0
    QTest.keyClick(window, Qt.Key.Key_Space)
    assert window.controller.playing
    QTest.keyClick(window, Qt.Key.Key_Space)
    assert not window.controller.playing


def test_space_on_focused_button_only_toggles_play(make_window, qtbot):
    window = make_window(show=True)
    step = find(window, "stepButton", QAbstractButton)
    step.setFocus()
    qtbot.waitUntil(step.hasFocus, timeout=2000)
    QTest.keyClick(step, Qt.Key.Key_Space)
    assert window.controller.playing
    assert window.session.cursor == 0  # the focused Step button was not pressed
    window.controller.pause()


def test_right_arrow_steps_even_when_a_slider_has_focus(make_window, qtbot):
    window = make_window(show=True)
    slider = find(window, "speedSlider", QSlider)
    slider.setFocus()
    qtbot.waitUntil(slider.hasFocus, timeout=2000)
    value = slider.value()
    QTest.keyClick(slider, Qt.Key.Key_Right)
    assert window.session.cursor == 1
    assert slider.value() == value


def test_objective_plot_tracks_timeline(make_window):
    window = make_window()
    plot = window.objective_plot
    window.controller.step()
    window.controller.step()
    # K-Means' start has no J (no point is assigned yet): the curve starts at iteration 1
    np.testing.assert_allclose(plot.curve.yData, window.session.objectives[1:])
    np.testing.assert_array_equal(plot.curve.xData, np.arange(1, len(window.session.timeline)))
    window.controller.step_back()
    x, y = plot.marker.getData()
    assert list(x) == [window.session.cursor]
    axis = plot.getPlotItem().getAxis("bottom")
    assert axis.labelText == "Iteration"
    assert plot.getPlotItem().getAxis("left").labelText == window.session.objective_name
    window.controller.set_algorithm("gmm")
    assert plot.getPlotItem().getAxis("left").labelText == window.session.objective_name


def test_too_few_points_shows_problem(make_window):
    from clusterviz.data import Dataset

    few = Dataset(name="few", X=np.array([[0.0, 0.0], [1.0, 1.0]]), columns=("x", "y"), labels=None,
                  class_names=None)
    window = make_window()
    window.controller.load_dataset(few)
    if window.session.state is None:
        assert window.session.problem in find(window, "infoLabel", QLabel).text()
        assert not find(window, "stepButton").isEnabled()
        assert not find(window, "playButton").isEnabled()
    else:  # the session refused: the error was shown and the data kept
        assert window.last_error is not None


def test_save_screenshot(make_window, tmp_path):
    window = make_window()
    path = tmp_path / "shot.png"
    assert window.save_screenshot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_more_than_two_columns_shows_column_choice(make_window, tmp_path):
    window = make_window()
    path = tmp_path / "four.csv"
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(c, 0.3, size=(10, 4)) for c in (0.0, 3.0, 6.0)])
    path.write_text("a,b,c,d\n" + "\n".join(",".join(f"{v:.4f}" for v in row) for row in X) + "\n",
                    encoding="utf-8")
    xcombo, ycombo = find(window, "xColumnCombo", QComboBox), find(window, "yColumnCombo", QComboBox)
    window.controls.tabs.setCurrentWidget(window.controls.view_group)  # the column choice is on the View tab
    assert not xcombo.isVisibleTo(window)  # two columns: nothing to choose
    assert window.open_csv(path)
    assert xcombo.isVisibleTo(window)
    assert [xcombo.itemText(i) for i in range(xcombo.count())] == ["a", "b", "c", "d"]
    assert (xcombo.currentIndex(), ycombo.currentIndex()) == (0, 1)
    window.controller.run_to_convergence()
    cursor = window.session.cursor
    ycombo.setCurrentIndex(3)
    assert tuple(window.session.view_columns) == (0, 3)
    assert window.session.cursor == cursor  # only the view changed, not the fit
    np.testing.assert_allclose(window.canvas.points.data["y"], window.session.X[:, 3])
    np.testing.assert_allclose(window.canvas.centroids.data["y"], window.session.state.means[:, 3])
    assert window.canvas.getPlotItem().getAxis("left").labelText == "d"


def test_empty_dataset_then_clicks(make_window, qtbot):
    from clusterviz.data import BUILTIN_DATASETS, builtin_dataset

    assert "empty" in BUILTIN_DATASETS
    window = make_window(show=True)
    window.controller.load_dataset(builtin_dataset("empty"))
    assert window.session.state is None
    assert not find(window, "stepButton").isEnabled()
    vb = window.canvas.view_box
    (x0, x1), (y0, y1) = vb.viewRange()
    for fx, fy in ((0.2, 0.2), (0.5, 0.8), (0.8, 0.3)):
        pos = viewport_pos(window.canvas, x0 + fx * (x1 - x0), y0 + fy * (y1 - y0))
        QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    assert window.session.X.shape[0] == 3
    assert window.session.state is not None
    assert find(window, "stepButton").isEnabled()


def test_hovering_a_point_shows_it_in_the_inspector(make_window, qtbot):
    window = make_window(show=True, algorithm="gmm")
    window.controller.step()
    x, y = window.session.X[4]
    label = find(window, "inspectorLabel", QLabel)
    jiggle = [0]

    def hovered() -> bool:
        # pyqtgraph's scene drops move events that come too soon after the
        # last one, so keep moving until one gets through; the point is looked
        # up anew each time, as the first paint may still resize the axes.
        jiggle[0] ^= 1
        QTest.mouseMove(window.canvas.viewport(), viewport_pos(window.canvas, x, y) + QPoint(jiggle[0], 0))
        return "Point" in label.text()

    qtbot.waitUntil(hovered, timeout=3000)
    assert "r =" in label.text()
    # a click on an existing point does not add another one
    n = window.session.X.shape[0]
    pos = viewport_pos(window.canvas, x, y)
    QTest.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    assert window.session.X.shape[0] == n


def test_seed_entries_are_walked_by_step_back_slider_and_plot_and_drawn(make_window, qtbot):
    window = make_window(show=True, init="k-means++", show_seeding=True, n_clusters=3)
    s, seeding = window.session, window.seeding_view
    slider = find(window, "timelineSlider", QSlider)
    label = find(window, "timelineLabel", QLabel)
    assert s.phases[:4] == ("seed", "seed", "seed", "init") and s.cursor == 0
    assert seeding.action.isChecked() and seeding.active and label.text() == "k-means++ pick 1 of 3"
    qtbot.keyClick(window, Qt.Key.Key_Right)  # Step: the next pick
    assert s.cursor == 1 and s.entry.seeding.number == 1 and label.text() == "k-means++ pick 2 of 3"
    assert len(seeding.centres.data) == 2 and seeding.prob_points.isVisible()
    np.testing.assert_allclose(seeding.prob_points.data["size"].argmin(), s.entry.seeding.indices[0])
    assert not window.canvas.points.isVisible()  # the overlay's D² sizes stand in for the points
    # the objective plot leaves the picks off its curve and names the pick shown
    plot = window.objective_plot
    assert plot.curve.xData is None or len(plot.curve.xData) == 0  # neither picks nor the start have a J
    assert plot.seed_note.isVisible() and "pick 2 of 3" in plot.seed_note.textItem.toPlainText()
    find(window, "stepButton", QAbstractButton).click()  # Step button: the last pick
    assert s.cursor == 2 and "Pick 3 of 3" in seeding.label.text()
    qtbot.keyClick(window, Qt.Key.Key_Right)  # the fit's start, step 0 of the curve
    assert s.entry.phase == "init" and label.text().startswith("Iteration 0 of ") and window.canvas.points.isVisible()
    assert not plot.seed_note.isVisible() and len(plot.marker.data) == 0  # no J at the start: nothing to mark
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert s.entry.iteration == 1 and plot.marker.data["x"][0] == 1
    slider.setValue(1)  # the timeline slider walks the picks like any entry
    assert s.cursor == 1 and seeding.active
    plot.step_clicked.emit(plot.entry_index(1))  # a click on the curve's step 1
    assert s.entry.iteration == 1 and not seeding.active
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.keyClick(window, Qt.Key.Key_Left)  # Step back: the last pick again
    assert s.cursor == 2 and seeding.active and window.step_back_action.isEnabled()


def test_the_ui_imports_no_estimator_module():
    import ast
    from pathlib import Path

    import clusterviz.ui

    estimators = {"seeding", "kmeans", "gmm", "soft_kmeans", "kmeans_grid", "gaussian"}
    offending = []
    for path in Path(clusterviz.ui.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = node.module.split(".") + [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [part for alias in node.names for part in alias.name.split(".")]
            else:
                continue
            if "model" in names and estimators & set(names):
                offending.append(f"{path.name}:{node.lineno}")
            if "model" in names and {"KMeans", "GaussianMixture", "SoftKMeans"} & set(names):
                offending.append(f"{path.name}:{node.lineno}")
    assert offending == []
