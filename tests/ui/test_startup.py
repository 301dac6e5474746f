"""Start-up stays light: what the app does not show at first is neither
imported nor built until it is used, and the garbage collector, paused while
the window is built, runs again once the window is painted.

The imports are checked in a fresh interpreter that runs the app as
``main.py`` does, up to the first paint of the canvas."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QDockWidget, QWidget

from clusterviz.model import registry

REPO = Path(__file__).parents[2]
SEQUENCE_MODEL = next(entry.name for entry in registry.ALGORITHMS.values() if entry.supports_sequences)

#: Modules for windows, panels and files a user opens later (or never); none is needed for the first paint.
LAZY_MODULES = (
    "clusterviz.model.gmm", "clusterviz.model.hmm", "clusterviz.model.soft_kmeans", "clusterviz.model.selection",
    "clusterviz.data.lessons", "clusterviz.data.notebook_export", "clusterviz.session.sklearn_check",
    "clusterviz.ui.panels.lessons", "clusterviz.ui.panels.sequence_docks", "clusterviz.ui.panels.sequence_posterior",
    "clusterviz.ui.panels.sequence_transitions", "clusterviz.ui.canvas.sequence_path",
    "clusterviz.ui.panels.choosing_k", "clusterviz.ui.panels.k_charts", "clusterviz.ui.panels.restarts",
    "clusterviz.ui.windows.csv_dialog", "clusterviz.ui.windows.compare",
    "html", "scipy", "sklearn",
)

#: Runs the app as main.py does; at the canvas's first paint prints what is imported and whether the garbage
#: collector runs, then waits (a condition, polled) until it runs again and quits.
CHILD = r"""
import gc, json, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(["clusterviz"])
report = {}

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if (not report and event.type() == QEvent.Type.Paint and obj.parent() is not None
                and type(obj.parent()).__name__ == "ClusterCanvas"):
            report.update(modules=sorted(sys.modules), collecting_at_paint=gc.isenabled())
            poll.start(10)
        return False

def check():
    if gc.isenabled() or poll.polls > 500:
        report["collecting_after"] = gc.isenabled()
        poll.stop()
        app.quit()
    poll.polls += 1

poll = QTimer()
poll.polls = 0
poll.timeout.connect(check)
watcher = FirstPaint()
app.installEventFilter(watcher)
from clusterviz.app import main
main([])
print("REPORT " + json.dumps(report))
"""


def start_app(tmp_path) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    line = next((x for x in result.stdout.splitlines() if x.startswith("REPORT ")), None)
    assert line is not None, result.stderr[-3000:]
    return json.loads(line[len("REPORT "):])


def test_the_first_paint_imports_none_of_the_later_windows_and_panels(tmp_path):
    report = start_app(tmp_path)
    loaded = sorted(set(LAZY_MODULES) & set(report["modules"]))
    assert not loaded, f"imported at start-up again: {loaded}"
    assert "clusterviz.ui.main_window" in report["modules"]  # the check ran where it should


def test_the_garbage_collector_pauses_for_the_first_paint_only(tmp_path):
    report = start_app(tmp_path)
    assert report["collecting_at_paint"] is False
    assert report["collecting_after"] is True


def test_main_leaves_the_garbage_collector_on(tmp_path, capsys):
    import gc

    from clusterviz.app import main

    assert gc.isenabled()
    assert main(["--dataset", str(tmp_path / "missing.csv")]) == 2
    assert gc.isenabled()
    assert main(["--screenshot", str(tmp_path / "shot.png")]) == 0
    assert gc.isenabled() and (tmp_path / "shot.png").stat().st_size > 1000


def test_lessons_and_sequence_views_are_built_when_first_shown(make_window, qtbot):
    window = make_window(show=True)
    dock = window.findChild(QDockWidget, "lessonsPanel")
    assert dock is not None and not dock.built  # the dock and its action exist; the panel does not yet
    assert window.findChild(QDockWidget, "posteriorDock") is None
    next(a for a in window.help_menu.actions() if a.objectName() == "lessonsAction").trigger()
    qtbot.waitUntil(dock.isVisible)
    assert dock.built and dock.widget().findChild(QWidget, "lessonList") is not None

    assert window.controller.set_algorithm(SEQUENCE_MODEL)
    posterior = window.findChild(QDockWidget, "posteriorDock")
    assert posterior is not None
    qtbot.waitUntil(posterior.isVisible)
    assert window.findChild(QDockWidget, "transitionDock").isVisible()
