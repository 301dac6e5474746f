"""The Lessons dock in a MainWindow: every chapter opens into a valid window,
PgUp / PgDn present, the Try-it feedback follows the session, lesson text is
shown as text, and File ▸ Export as notebook / script write what the window
holds."""
from __future__ import annotations

import json
import re
import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDockWidget, QListWidget, QTextBrowser

from clusterviz.data.lessons import LESSON_DIR


@pytest.fixture
def window(make_window):
    return make_window(show=True)  # MainWindow installs the Lessons dock and the notebook exports


def lessons(window):
    return window.findChild(QDockWidget, "lessonsPanel").widget()


def open_lessons(window, qtbot):
    action = next(a for a in window.help_menu.actions() if a.objectName() == "lessonsAction")
    action.trigger()
    dock = window.findChild(QDockWidget, "lessonsPanel")
    qtbot.waitUntil(dock.isVisible)
    return dock.widget()


def test_the_action_is_in_the_help_menu_and_shows_the_dock(window, qtbot):
    dock = window.findChild(QDockWidget, "lessonsPanel")
    assert dock is not None and not dock.isVisible()
    panel = open_lessons(window, qtbot)
    chapters = panel.findChild(QListWidget, "lessonList")
    assert chapters.count() >= 10
    assert chapters.item(0).text() == "1. K-Means on three blobs"
    assert panel.findChild(QTextBrowser, "lessonText") is not None


def test_walking_every_chapter_leaves_a_valid_window(window, qtbot):
    panel = open_lessons(window, qtbot)
    chapters = panel.findChild(QListWidget, "lessonList")
    text = panel.findChild(QTextBrowser, "lessonText")
    seen = set()
    for row in range(chapters.count()):
        chapters.setCurrentRow(row)  # selecting opens it, no extra button
        chapter = panel.chapters[row]
        s = window.session
        assert panel.current is chapter
        assert (s.dataset.name, s.algorithm, s.n_clusters, s.seed, s.init) == (
            chapter.dataset, chapter.algorithm, chapter.k, chapter.seed, chapter.init)
        assert s.state is not None and s.problem is None
        assert window.controls.findChild(QComboBox, "datasetCombo").currentData() == chapter.dataset
        assert window.controls.findChild(QComboBox, "algorithmCombo").currentData() == chapter.algorithm
        for layer, name in (("regions", "regionsCheck"), ("ambiguity", "ambiguityCheck"), ("trails", "trailsCheck")):
            assert window.findChild(QCheckBox, name).isChecked() == chapter.layers[layer], (chapter.name, layer)
        assert window.findChild(QComboBox, "colourModeCombo").currentData() == chapter.colours
        assert window.controller.half_steps == chapter.half_steps
        assert chapter.title in text.toPlainText() and "Try it." in text.toPlainText()
        assert panel.feedback.text().startswith("Not yet: ")
        seen.add((chapter.dataset, chapter.algorithm, chapter.k))
    assert len(seen) >= 6  # the chapters really set up different windows


def test_page_down_and_page_up_move_between_chapters(window, qtbot):
    panel = open_lessons(window, qtbot)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: panel.current is panel.chapters[0])
    qtbot.keyClick(window.canvas, Qt.Key.Key_PageDown)
    qtbot.keyClick(window.canvas, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: panel.current is panel.chapters[2])
    assert window.session.n_clusters == 3 and window.findChild(QCheckBox, "ambiguityCheck").isChecked()
    qtbot.keyClick(window.canvas, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: panel.current is panel.chapters[1])
    assert window.session.seed == 6 and window.controller.half_steps


def test_chapter_keys_do_nothing_while_the_dock_is_hidden(window, qtbot):
    panel = lessons(window)
    qtbot.keyClick(window.canvas, Qt.Key.Key_PageDown)
    assert panel.current is None and window.session.dataset.name == "tiny"


def test_try_it_feedback_quotes_the_numbers(window, qtbot):
    panel = open_lessons(window, qtbot)
    names = [c.name for c in panel.chapters]
    panel.open_chapter(names.index("08-initialisation"))
    assert "seed 0 reaches J = 322.00, the same minimum as 322.00" in panel.feedback.text()
    window.controls.seed_spin.setValue(2)  # the student's gesture: the Seed box
    assert window.session.seed == 2
    window.controls.converge_button.click()
    qtbot.waitUntil(lambda: panel.feedback.text().startswith("✓ Done"))
    assert panel.feedback.text() == (
        "✓ Done: you found a different local minimum: seed 2 stops at J = 1541.66, against 322.00")
    window.controls.seed_spin.setValue(0)  # once done, done
    assert panel.feedback.text().startswith("✓ Done")
    qtbot.keyClick(window.canvas, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: panel.current.name == "09-when-kmeans-fails")
    window.controls.algorithm_combo.setCurrentIndex(window.controls.algorithm_combo.findData("gmm"))
    window.controls.converge_button.click()
    qtbot.waitUntil(lambda: panel.feedback.text().startswith("✓ Done"))
    assert "algorithm: Gaussian mixture (EM) · ARI = 0.990, above 0.95" in panel.feedback.text()


def test_lesson_text_is_shown_as_text_and_a_bad_folder_is_refused(window, qtbot, tmp_path):
    panel = open_lessons(window, qtbot)
    before = list(panel.chapters)
    lesson = json.loads((LESSON_DIR / "01-kmeans-three-blobs.json").read_text(encoding="utf-8"))
    lesson["title"] = "<b>Bold</b> & <img src='x.png'>"
    lesson["text"] = ["A <a href='https://example.org'>link</a>.", "Plain."]
    (tmp_path / "01-own.json").write_text(json.dumps(lesson), encoding="utf-8")
    assert panel.open_folder(tmp_path)
    assert [c.name for c in panel.chapters] == ["01-own"]
    panel.open_chapter(0)
    shown = panel.findChild(QTextBrowser, "lessonText").toPlainText()
    assert "<b>Bold</b> & <img src='x.png'>" in shown and "<a href='https://example.org'>link</a>" in shown

    bad = tmp_path / "bad"
    bad.mkdir()
    lesson["formula"] = "<img src='x.png'>"
    (bad / "01-bad.json").write_text(json.dumps(lesson, indent=2), encoding="utf-8")
    assert not panel.open_folder(bad)
    title, message = window.last_error
    assert title == "No lessons in that folder"
    assert re.search(r"01-bad\.json, line \d+: field 'formula' uses the markup <img src='x.png'>", message), message
    assert [c.name for c in panel.chapters] == ["01-own"]  # kept what it had
    shutil.rmtree(bad)
    assert before  # the shipped chapters were there before


def test_export_notebook_and_script_write_what_the_window_holds(window, qtbot, tmp_path):
    import nbformat

    from clusterviz.ui.notebook_actions import export_notebook

    names = [a.objectName() for a in window.file_menu.actions()]
    assert "exportNotebookAction" in names and "exportScriptAction" in names
    for _ in range(3):
        window.controller.step()
    objectives = [repr(float(o)) for o, p in zip(window.session.objectives, window.session.phases) if p == "M"]
    assert export_notebook(window, tmp_path / "w.ipynb")
    assert export_notebook(window, tmp_path / "w.py", notebook=False)
    nbformat.validate(nbformat.read(tmp_path / "w.ipynb", as_version=4))
    script = (tmp_path / "w.py").read_text(encoding="utf-8")
    for i, value in enumerate(objectives, 1):
        assert f"step {i}: J = {value}" in script
    assert not export_notebook(window, tmp_path / "missing" / "w.ipynb")
    assert window.last_error[0] == "Cannot export" and "missing" in window.last_error[1]
