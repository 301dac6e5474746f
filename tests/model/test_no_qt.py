"""The model and data layers and the session never import Qt (DESIGN.md, STYLE.md 1)."""
import pkgutil
import subprocess
import sys
from pathlib import Path

import clusterviz.data
import clusterviz.model

ROOT = Path(__file__).resolve().parents[2]


def _qt_free_modules() -> list[str]:
    modules = ["clusterviz.session"]
    for package in (clusterviz.model, clusterviz.data):
        modules.append(package.__name__)
        modules += [info.name for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    return modules


def test_every_qt_free_module_imports_without_qt():
    modules = _qt_free_modules()
    assert "clusterviz.model.kmeans" in modules and "clusterviz.data.csv_loader" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "    qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken')))\n"
        "    assert not qt, f'{name} imported {qt}'\n"
        "from clusterviz.data import builtin_dataset\n"
        "from clusterviz.session import Session\n"
        "Session(builtin_dataset('iris')).run_to_convergence()\n"
        "assert not any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
