"""Random use of the real window: 500 seeded actions with the
invariants of `tests/stress/random_use.py` checked after each one."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

CI_SEED = 2026
CI_ACTIONS = 500


def _driver_module():
    name = "clusterviz_random_use"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "stress" / "random_use.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture
def driven(qtbot, tmp_path):
    """A shown default MainWindow and a driver factory."""
    from clusterviz.ui import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    def wait_until(predicate, timeout_ms):
        try:
            qtbot.waitUntil(predicate, timeout=timeout_ms)
        except qtbot.TimeoutError:
            return False
        return True

    def make(seed: int = CI_SEED):
        return _driver_module().RandomUse(window, seed, tmp_path, wait_until=wait_until)

    yield window, make
    window.controller.shutdown()
    for panel in window.docks.built_panels():  # the panels the actions opened
        panel.shutdown()


@pytest.mark.slow
def test_500_random_actions_break_nothing(driven):
    window, make = driven
    summary = make().run(CI_ACTIONS)
    assert summary.actions == CI_ACTIONS
    assert not summary.failures, summary.text()
    assert set(summary.counts) == set(_driver_module().ACTIONS), "every kind of action ran"
    assert window.session.n_points == make().expected  # the driver's count is the window's


def test_driver_reports_an_exception_inside_a_slot(driven):
    window, make = driven
    driver = make()

    def broken() -> None:
        raise RuntimeError("a bug in a slot")

    window.controller.stepped.connect(broken)
    with driver._capture():
        driver.one("step")
    window.controller.stepped.disconnect(broken)
    assert any("a bug in a slot" in f.message for f in driver.summary.failures)


def test_driver_notices_lost_points(driven):
    window, make = driven
    driver = make()
    lose = lambda: window.session.remove_points([0])  # noqa: E731 - a "bug": stepping drops a point
    window.controller.stepped.connect(lose)
    with driver._capture():
        driver.one("step")
    window.controller.stepped.disconnect(lose)
    assert any("changed the points" in f.message for f in driver.summary.failures)


def test_tool_pixel_size_follows_an_aspect_change(driven, qtbot):
    """Found by the random run: pyqtgraph's cached viewPixelSize went stale after
    "Equal axis scales" was toggled, so the Add tool took a click on a point
    for a click on empty space (and brush/eraser radii were off)."""
    window, _make = driven
    vb = window.canvas.view_box
    for _ in range(2):
        window.controls.aspect_check.click()
        QApplication.processEvents()
        vb.viewPixelSize()  # what fills pyqtgraph's cache
    qtbot.waitUntil(lambda: not vb._matrixNeedsUpdate, timeout=2000)
    t = vb.childGroup.sceneTransform()
    assert window.tools.pixel_size() == pytest.approx((1 / abs(t.m11()), 1 / abs(t.m22())), rel=1e-9)


def test_move_and_centroid_tools_refuse_when_both_axes_show_one_column(make_window):
    """Found by the random run: with the same column on both axes a dragged
    point landed on the diagonal (x and y were both written to that column)."""
    import numpy as np

    from clusterviz.data import Dataset

    X = np.random.default_rng(0).normal(size=(30, 3))
    window = make_window(Dataset(name="three", X=X, columns=("a", "b", "c"), labels=None, class_names=None))
    window.controls.y_column_combo.setCurrentIndex(0)
    assert tuple(window.session.view_columns) == (0, 0)
    for tool in ("move", "centroid"):
        window.tools.set_tool(tool)
        x = y = float(X[3, 0])
        window.tools.press(x, y)
        window.tools.move(x + 1.0, y + 2.0)
        window.tools.release(x + 1.0, y + 2.0)
        assert "same column" in window.last_error[1]
        np.testing.assert_array_equal(window.session.X, X)
    with pytest.raises(ValueError, match="same column"):
        window.session.move_point(3, 1.0, 2.0)


def test_em_keeps_climbing_on_data_with_a_tiny_spread(driven):
    """Data spread ~1e-3 (variance ~ 1e-6): reg_covar scales with the data,
    so EM's log-likelihood never falls and the driver reports nothing."""
    import numpy as np

    from clusterviz.data import Dataset

    window, make = driven
    driver = make()
    X = np.random.default_rng(3).normal(size=(60, 2)) * 1e-3
    window.controller.load_dataset(Dataset(name="tiny", X=X, columns=("x", "y"), labels=None, class_names=None))
    driver.expected = 60
    window.controls.algorithm_combo.setCurrentIndex(window.controls.algorithm_combo.findData("gmm"))
    window.controller.run_to_convergence()
    J = window.session.objectives
    full = [i for i, p in enumerate(window.session.phases) if p != "E"]
    assert len(full) > 2 and all(J[b] >= J[a] for a, b in zip(full, full[1:]))
    with driver._capture():
        driver.one("layer")
    assert not driver.summary.failures and not driver.summary.dips
