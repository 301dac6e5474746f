"""Test setup: Qt runs offscreen, so the suite needs no screen."""
import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QSettings (window geometry, recent files) go to a throw-away folder, never
# to the user's own configuration.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="clusterviz-test-config-")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
