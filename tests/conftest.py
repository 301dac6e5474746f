"""Test setup: Qt runs offscreen, so the suite needs no screen.

The suite runs in one worker process per core (pytest-xdist, ``-n auto`` in
pyproject.toml; ``pytest -n 0`` runs it in one process). Each process, worker
or not, gets its own throw-away configuration and data folders, so no test
touches the user's own settings or crash-recovery files, and two workers never
share them.
"""
import atexit
import os
import shutil
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_HOME = tempfile.mkdtemp(prefix="clusterviz-test-home-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
# QSettings (window geometry, recent files) go to XDG_CONFIG_HOME; the
# recovery folder (QStandardPaths.AppDataLocation) to XDG_DATA_HOME.
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")
for _folder in ("config", "data"):
    os.makedirs(os.path.join(_HOME, _folder))
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")


def pytest_collection_modifyitems(items):
    """Tests marked ``slow`` first (otherwise in collection order): a long test
    that a worker starts last would leave the other workers idle at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
