"""The model and data layers must never import Qt (DESIGN.md, STYLE.md 1)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports_without_qt(module: str) -> None:
    code = (f"import sys; import {module}; "
            "assert 'PySide6' not in sys.modules, sorted(m for m in sys.modules if 'PySide6' in m); "
            "assert 'pyqtgraph' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_model_does_not_import_qt():
    _imports_without_qt("clusterviz.model")
    _imports_without_qt("clusterviz.model.kmeans")
    _imports_without_qt("clusterviz.model.soft_kmeans")


def test_data_does_not_import_qt():
    package = ROOT / "clusterviz" / "data"
    if not (package / "__init__.py").exists() and not any(package.glob("*.py")):
        pytest.skip("clusterviz.data is still empty")
    _imports_without_qt("clusterviz.data")
