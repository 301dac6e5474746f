"""A fourth algorithm needs one registry entry and nothing else.

A fresh interpreter adds an entry to the registry before the app is
imported (as a new model module's entry would be): a copy of soft K-Means
under its own name and label. The command line, the algorithm combo, the
settings shown, stepping, the Step button's half-step texts, the layers,
the inspector, the restarts and session files then know it, with no other
edit; and it steps exactly as the algorithm it copies.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = r"""
import dataclasses, json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from clusterviz.model import registry

copied = registry.get_algorithm("soft-kmeans")
fourth = dataclasses.replace(copied, name="stiff-kmeans", label="Stiff K-Means", short_label="Stiff",
                             description="A copy of soft K-Means under another name.",
                             half_step_labels=("Share points", "Shift centres"),
                             responsibility_caption="Stiff (β = {beta:.3g}): soft",
                             ambiguity_tip="Stiff ambiguity tip.")
registry.ALGORITHMS[fourth.name] = fourth  # the one edit: an entry in the registry

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from clusterviz.app import build_parser
from clusterviz.data import builtin_dataset
from clusterviz.session import Session
from clusterviz.ui import MainWindow
from clusterviz.ui.file_actions import open_session, save_session

out = {"cli": build_parser().parse_args(["--algorithm", fourth.name]).algorithm}
app = QApplication.instance() or QApplication([])
window = MainWindow(Session(builtin_dataset("three_blobs"), init="random", seed=3))
controls, controller = window.controls, window.controller
combo = controls.algorithm_combo
index = combo.findData(fourth.name)
out["combo"] = [combo.itemText(i) for i in range(combo.count())]
out["tooltip"] = combo.itemData(index, 3) if index >= 0 else None  # Qt.ToolTipRole
combo.setCurrentIndex(index)
session = window.session
out["algorithm"] = session.algorithm
out["beta_shown"] = not controls.beta_slider.parentWidget().isHidden() and controls.beta_slider.isEnabled()
out["covariance_shown"] = controls.covariance_combo.isEnabled()
controls.half_step_check.setChecked(True)
out["step_texts"] = [controls.step_button.text()]
controller.advance()
out["step_texts"].append(controls.step_button.text())
controls.half_step_check.setChecked(False)
for _ in range(3):
    controller.step()
out["objectives"] = [float(v) for v in window.session.objectives]
out["density_enabled"] = controls.layers_box.density_check.isEnabled()
controls.layers_box.regions_check.setChecked(True)
controls.layers_box.density_check.setChecked(True)
out["layers_visible"] = [window.layers.regions_image.isVisible(), window.layers.density_image.isVisible()]
window.inspector.show_point(window.session, 0, pinned=False)
out["caption"] = window.inspector.caption.text()

panel = window.restarts_panel
panel.restarts_spin.setValue(2)
loop = QEventLoop()
panel.job.finished.connect(lambda _runs: loop.quit())
panel.job.failed.connect(lambda _text: loop.quit())
QTimer.singleShot(60000, loop.quit)
panel.run()
out["restarts_running"] = panel.status_label.text()
loop.exec()
out["restarts"] = [len(panel.runs), panel.status_label.text()]

path = os.path.join(sys.argv[1], "fourth.cvz")
out["saved"] = save_session(window, path)
controller.set_algorithm("kmeans")
out["opened"] = open_session(window, path)
out["reopened"] = [window.session.algorithm, combo.currentText(), len(window.session.timeline)]

twin = Session(builtin_dataset("three_blobs"), algorithm=copied.name, init="random", seed=3)
twin.half_step()
for _ in range(3):
    twin.step()
out["twin_objectives"] = [float(v) for v in twin.objectives]
controller.shutdown()
print(json.dumps(out))
"""


@pytest.fixture
def fourth_algorithm_run(tmp_path):
    """What the app shows with a fourth registry entry (run in a fresh interpreter)."""
    result = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path)], cwd=ROOT, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_fourth_registry_entry_appears_everywhere_and_steps(fourth_algorithm_run):
    run = fourth_algorithm_run
    assert run["cli"] == "stiff-kmeans"
    assert run["combo"][:3] == ["K-Means", "Gaussian mixture (EM)", "Soft K-Means"]
    assert run["combo"][-1] == "Stiff K-Means" and len(run["combo"]) == len(set(run["combo"]))
    assert run["tooltip"] == "A copy of soft K-Means under another name."
    assert run["algorithm"] == "stiff-kmeans"
    assert run["beta_shown"] and not run["covariance_shown"]  # from uses_beta and covariance_types
    assert run["step_texts"] == ["Share points ▶", "Shift centres ▶"]  # its half_step_labels
    # stepped as the algorithm it copies, entry for entry
    assert len(run["objectives"]) > 3
    assert run["objectives"] == run["twin_objectives"]
    assert run["density_enabled"] and run["layers_visible"] == [True, True]
    assert run["caption"].startswith("Stiff (β = 1): soft")
    n_runs, status = run["restarts"]
    assert run["restarts_running"].startswith("Running 2 + 2 restarts of Stiff K-Means")
    assert n_runs == 4 and status.startswith("Best (highest) ℓ = ")
    assert run["saved"] and run["opened"]
    assert run["reopened"] == ["stiff-kmeans", "Stiff K-Means", len(run["objectives"])]
