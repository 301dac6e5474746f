"""Guard against PySide6 builds that leak references to None.

PySide6 6.12.0 on CPython 3.11 drops a reference to None on every Qt method
that returns void; after about 5,000 calls Python aborts with "Fatal Python
error: none_dealloc" — a few seconds into playing an animation. The pin in
pyproject.toml excludes it; this test catches any future build that does it.
"""
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6 import QtWidgets
    app = QtWidgets.QApplication([])
    item = QtWidgets.QGraphicsRectItem(0, 0, 10, 10)
    before = sys.getrefcount(None)
    for _ in range(50_000):
        item.update()          # returns void
        item.setVisible(True)  # returns void
    drift = sys.getrefcount(None) - before
    print("drift", drift)
    """
)


def test_fifty_thousand_void_qt_calls_exit_cleanly():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"Python aborted after void Qt calls:\n{result.stderr[-2000:]}"
    drift = int(result.stdout.split()[-1])
    # Where None is immortal (3.12+) the count is fixed; on 3.11 it must not drift.
    assert abs(drift) < 100, f"None's reference count drifted by {drift} over 100,000 void Qt calls"
