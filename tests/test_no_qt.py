"""The model and data layers and the session never import Qt (DESIGN.md, STYLE.md 1).

One fresh interpreter imports every module of `clusterviz.model`,
`clusterviz.data` and `clusterviz.session` (a module or a package: its
submodules are walked too, so a new module is covered without editing this
test), then runs a session to convergence, and must not have loaded PySide6,
shiboken6 or pyqtgraph at any point.
"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHECK = """
import importlib, pkgutil, sys

QT = ("PySide6", "shiboken6", "pyqtgraph")


def qt_modules():
    return sorted(m for m in sys.modules if m.split(".")[0] in QT)


imported = []
for top in ("clusterviz.model", "clusterviz.data", "clusterviz.session"):
    package = importlib.import_module(top)
    names = [top]
    if hasattr(package, "__path__"):
        names += [info.name for info in pkgutil.walk_packages(package.__path__, top + ".")]
    for name in names:
        importlib.import_module(name)
        imported.append(name)
        assert not qt_modules(), f"importing {name} loaded {qt_modules()}"

from clusterviz.data import builtin_dataset
from clusterviz.session import Session

Session(builtin_dataset("iris")).run_to_convergence()
assert not qt_modules(), f"running a session loaded {qt_modules()}"
print("\\n".join(imported))
"""


def test_model_data_and_session_import_and_run_without_qt():
    result = subprocess.run(
        [sys.executable, "-c", _CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    imported = set(result.stdout.split())
    # The walk reached the leaves of every layer, not just the packages.
    for module in ("clusterviz.model.kmeans", "clusterviz.model.registry", "clusterviz.data.csv_loader",
                   "clusterviz.data.datasets", "clusterviz.session"):
        assert module in imported, f"{module} was not imported; the walk found {sorted(imported)}"
