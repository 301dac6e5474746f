"""File menu: session files, image/CSV exports and the animation export."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QImageReader, QKeySequence
from PySide6.QtWidgets import QProgressDialog

from clusterviz.data import load_csv
from clusterviz.ui import file_actions as ex

IRIS = Path(__file__).resolve().parents[2] / "resources" / "datasets" / "iris.csv"


def action(window, name) -> QAction:
    found = window.findChild(QAction, name)
    assert found is not None, name
    return found


def test_actions_have_names_shortcuts_and_tips(make_window):
    window = make_window()
    assert action(window, "saveSessionAction").shortcut() == QKeySequence("Ctrl+Shift+S")
    assert action(window, "openSessionAction").shortcut() == QKeySequence("Ctrl+Shift+O")
    for name in ("exportImageAction", "exportPlotImageAction", "exportCsvAction", "exportAnimationAction",
                 "pcaViewAction"):
        assert action(window, name).toolTip()
    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text() for a in file_menu.actions()]
    assert "Sa&ve session…" in texts and "Open sess&ion…" in texts


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".svg", b"<?xml")])
@pytest.mark.parametrize("target", ["canvas", "objective"])
def test_image_export_writes_a_picture(make_window, tmp_path, suffix, magic, target):
    window = make_window(algorithm="gmm")
    window.controller.step()
    path = tmp_path / f"picture{suffix}"
    assert ex.export_image(window, path, target=target)
    data = path.read_bytes()
    assert len(data) > 1000 and data.startswith(magic)
    if suffix == ".svg":
        assert b"<svg" in data[:400]
    else:
        assert QImageReader(str(path)).size().width() >= 640


def test_csv_export_has_points_clusters_and_responsibilities(make_window, tmp_path):
    window = make_window(algorithm="gmm")
    window.open_csv(IRIS)
    window.controller.step()
    path = tmp_path / "out.csv"
    assert ex.export_data_csv(window, path)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header == ["sepal_length", "sepal_width", "petal_length", "petal_width", "class", "cluster",
                      "r1", "r2", "r3"]
    s = window.session
    assert len(body) == s.n_points
    X = np.array([[float(v) for v in r[:4]] for r in body])
    np.testing.assert_array_equal(X, s.X)  # repr floats: exact
    clusters = np.array([int(r[5]) for r in body])
    R = np.array([[float(v) for v in r[6:]] for r in body])
    np.testing.assert_array_equal(clusters, np.argmax(s.state.responsibilities, axis=1) + 1)
    np.testing.assert_allclose(R.sum(axis=1), 1.0)
    assert body[0][4] == "setosa"
    # The file reads back through the app's own loader (class column as labels).
    back = load_csv(path)
    assert back.X.shape[0] == s.n_points


def test_csv_export_before_any_assignment_has_no_cluster_column(make_window, tmp_path):
    window = make_window()
    path = tmp_path / "init.csv"
    assert ex.export_data_csv(window, path)
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "x,y"


def test_session_save_and_open_round_trip(make_window, tmp_path):
    window = make_window(algorithm="gmm", covariance_type="diag", seed=5)
    window.open_csv(IRIS)
    c = window.controller
    for _ in range(4):
        c.step()
    c.half_step()
    c.step_back()
    c.set_view_columns(2, 3)
    path = tmp_path / "lesson.clusterviz"
    assert ex.save_session(window, path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["clusterviz_session"] == 2

    other = make_window()
    session_object = other.session
    assert ex.open_session(other, path)
    s, t = window.session, other.session
    assert t is other.controller.session and t is not session_object  # a NEW session, adopted
    np.testing.assert_array_equal(t.X, s.X)
    assert (t.algorithm, t.covariance_type, t.seed, t.n_clusters, t.cursor) == \
        (s.algorithm, s.covariance_type, s.seed, s.n_clusters, s.cursor)
    np.testing.assert_array_equal(t.state.means, s.state.means)
    np.testing.assert_array_equal(t.state.covariances, s.state.covariances)
    assert other.windowTitle() == "clusterviz — iris"
    assert other.info_label.text() == window.info_label.text()
    np.testing.assert_array_equal(other.canvas.centroids.data["x"], window.canvas.centroids.data["x"])
    assert other.canvas.getPlotItem().getAxis("bottom").labelText == "petal_length"
    # Stepping on goes exactly as in the original.
    c.step()
    other.controller.step()
    np.testing.assert_array_equal(t.state.means, s.state.means)


def test_opening_a_session_file_gives_every_panel_the_new_session(make_window, tmp_path):
    source = make_window(algorithm="gmm", covariance_type="diag", seed=5, n_clusters=4)
    source.open_csv(IRIS)
    for _ in range(3):
        source.controller.step()
    path = tmp_path / "iris.clusterviz"
    assert ex.save_session(source, path)

    window = make_window()
    old = window.session
    replaced = []
    window.controller.session_replaced.connect(replaced.append)
    assert ex.open_session(window, path)
    new = window.session
    assert new is not old and new is window.controller.session and replaced == [new]
    assert (new.algorithm, new.n_clusters, new.n_points, new.cursor) == ("gmm", 4, 150, 3)
    # every panel that reads a session reads the new one, and shows its data
    for panel in (window.docks.choosing_k, window.restarts_panel, window.layers, window.seeding_view):
        assert panel.session is new, type(panel).__name__
    assert window.canvas.points.data.shape[0] == 150
    np.testing.assert_array_equal(window.canvas.centroids.data["x"], new.shown_means()[:, 0])
    np.testing.assert_allclose(window.objective_plot.curve.yData, new.objectives)
    assert window.controls.algorithm_combo.currentData() == "gmm"
    assert window.controls.k_spin.value() == 4
    assert window.info_label.text() == source.info_label.text()
    # actions act on the new session; the old one is left alone
    old_cursor = old.cursor
    window.controller.step()
    assert new.cursor == 4 and old.cursor == old_cursor


@pytest.mark.parametrize("content", [
    "",
    '{"clusterviz_session": 1, "dataset": {"name": "x", "col',
    '{"clusterviz_session": 7, "dataset": {}}',
    '{"clusterviz_session": 1, "dataset": {"name": "x", "columns": ["a", "b"], "X": [[1, 2], [3]], '
    '"labels": null, "class_names": null}}',
])
def test_corrupt_session_file_shows_error_and_keeps_session(make_window, tmp_path, content):
    window = make_window()
    window.controller.step()
    before = (window.session.X.copy(), window.session.cursor, window.session.algorithm,
              window.session.state.means.copy(), window.info_label.text())
    path = tmp_path / "broken.clusterviz"
    path.write_text(content, encoding="utf-8")
    assert not ex.open_session(window, path)
    title, text = window.last_error
    assert "broken.clusterviz" in text
    np.testing.assert_array_equal(window.session.X, before[0])
    assert (window.session.cursor, window.session.algorithm) == before[1:3]
    np.testing.assert_array_equal(window.session.state.means, before[3])
    assert window.info_label.text() == before[4]


def run_a_bit(window, steps=4):
    window.open_csv(IRIS)  # slow to converge: every step is a new picture
    window.controller.set_algorithm("gmm")
    for _ in range(steps):
        window.controller.step()
    window.controller.half_step()
    return window.session.cursor


def test_animation_gif_has_one_frame_per_step(make_window, tmp_path):
    window = make_window()
    cursor = run_a_bit(window)
    assert cursor == 5
    means = window.session.state.means.copy()
    path = tmp_path / "run.gif"
    assert ex.export_animation(window, path)
    reader = QImageReader(str(path))
    assert reader.imageCount() == cursor + 1
    first = reader.read()
    assert first.width() >= 640 and first.height() >= 480
    # The window still shows the same step.
    assert window.session.cursor == cursor
    np.testing.assert_array_equal(window.session.state.means, means)
    assert not any(dialog.isVisible() for dialog in window.findChildren(QProgressDialog, "animationProgress"))


def test_animation_png_sequence(make_window, tmp_path):
    window = make_window()
    cursor = run_a_bit(window, 3)
    window.session.seek(2)  # only up to the shown step
    assert ex.export_animation(window, tmp_path / "frame.png")
    frames = sorted(tmp_path.glob("frame_*.png"))
    assert [f.name for f in frames] == ["frame_001.png", "frame_002.png", "frame_003.png"]
    assert all(f.read_bytes().startswith(b"\x89PNG") for f in frames)
    assert cursor > 2 and window.session.cursor == 2


@pytest.mark.parametrize("name", ["cancelled.gif", "cancelled.png"])
def test_animation_can_be_cancelled(make_window, tmp_path, monkeypatch, name):
    window = make_window()
    cursor = run_a_bit(window)
    rendered = []
    real_render = ex.FrameRenderer.render

    def render_then_cancel(self, index):
        rendered.append(index)
        if index == 2:
            window.findChild(QProgressDialog, "animationProgress").cancel()  # what the Cancel button does
        return real_render(self, index)

    monkeypatch.setattr(ex.FrameRenderer, "render", render_then_cancel)
    assert not ex.export_animation(window, tmp_path / name)
    assert rendered == [0, 1, 2]
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left
    assert window.session.cursor == cursor


def test_cancel_button_before_the_first_frame(make_window, tmp_path):
    window = make_window()
    run_a_bit(window)
    QTimer.singleShot(0, lambda: window.findChild(QProgressDialog, "animationProgress").cancel())
    assert not ex.export_animation(window, tmp_path / "never.gif")
    assert not (tmp_path / "never.gif").exists()


def test_nothing_to_animate(make_window, tmp_path):
    from clusterviz.data import Dataset

    window = make_window(Dataset("two", np.array([[0.0, 0.0], [1.0, 1.0]]), ("x", "y")))
    assert not ex.export_animation(window, tmp_path / "x.gif")
    assert window.last_error[0] == "Nothing to animate"


def test_command_line_export_gif(tmp_path):
    """``--export-gif FILE`` beside ``--screenshot``: one frame per step, in a fresh process."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).parents[2]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")]))
    gif, png = tmp_path / "run.gif", tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "clusterviz", "--dataset", str(IRIS), "--algorithm", "gmm",
                             "--steps", "3", "--export-gif", str(gif), "--screenshot", str(png)],
                            cwd=repo, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert QImageReader(str(gif)).imageCount() == 4  # the start and three steps
    assert png.read_bytes().startswith(b"\x89PNG")


def test_png_export_scale_multiplies_the_pixels_and_is_remembered(make_window, tmp_path):
    window = make_window(algorithm="gmm")
    window.resize(900, 640)
    window.controller.step()
    sizes = {}
    for scale in (1, 2, 3):
        path = tmp_path / f"x{scale}.png"
        assert ex.export_image(window, path, scale=scale)
        sizes[scale] = QImageReader(str(path)).size()
    assert sizes[2].width() == 2 * sizes[1].width() and sizes[3].width() == 3 * sizes[1].width()
    assert abs(sizes[2].height() - 2 * sizes[1].height()) <= 2  # the aspect stays
    # The default is 2x (slides); a choice from the menu is remembered by the next window.
    window.app_settings.settings.remove(ex.IMAGE_SCALE_KEY)
    assert ex.image_scale(window) == 2
    action(window, "imageScale3xAction").trigger()
    assert action(window, "imageScale3xAction").isChecked() and not action(window, "imageScale2xAction").isChecked()
    other = make_window()
    assert ex.image_scale(other) == 3 and action(other, "imageScale3xAction").isChecked()
    path = tmp_path / "remembered.png"
    other.resize(900, 640)
    assert ex.export_image(other, path)
    assert QImageReader(str(path)).size().width() == 3 * max(other.canvas.width(), 640)
    other.app_settings.settings.remove(ex.IMAGE_SCALE_KEY)
