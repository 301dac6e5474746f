"""Fixtures for the UI tests: a real Session on a small data set, no mocks."""
from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
# The tests import their helpers (ui_helpers.py) from this folder
# (--import-mode=importlib puts no test folder on sys.path).
sys.path.insert(0, os.path.dirname(__file__))

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def tiny_dataset(n_per_blob: int = 7):
    """Three tight blobs, 21 points: every algorithm converges in a few steps."""
    from clusterviz.data import Dataset

    rng = np.random.default_rng(7)
    centres = np.array([[0.0, 0.0], [5.0, 0.5], [2.0, 5.0]])
    X = np.vstack([c + 0.4 * rng.standard_normal((n_per_blob, 2)) for c in centres])
    return Dataset(name="tiny", X=X, columns=("x", "y"), labels=None, class_names=None)


@pytest.fixture
def make_window(qtbot):
    """Build a MainWindow around a fresh Session (kwargs go to Session)."""
    from clusterviz.session import Session
    from clusterviz.ui import MainWindow

    def make(dataset=None, show: bool = False, **session_kwargs):
        session_kwargs.setdefault("n_clusters", 3)
        session_kwargs.setdefault("seed", 0)
        window = MainWindow(Session(dataset if dataset is not None else tiny_dataset(), **session_kwargs))
        qtbot.addWidget(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
            window.activateWindow()  # window shortcuts need the active window
            qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        return window

    return make
