"""The data layer never imports Qt (STYLE.md, practice 1)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_data_package_does_not_import_qt():
    code = (
        "import sys, clusterviz.data as d\n"
        "d.builtin_dataset('iris')\n"
        "assert not any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules), "
        "sorted(m for m in sys.modules if 'Qt' in m or 'PySide' in m)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
