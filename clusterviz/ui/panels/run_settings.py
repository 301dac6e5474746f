"""Run settings: the convergence tolerance, the iteration limit and the
number of starts tried, as scikit-learn calls them (``tol``, ``max_iter``,
``n_init``).

`RunSettings` is a small group box (objectName ``runSettingsGroup``) with the
spin boxes ``tolSpin``, ``maxIterSpin`` and ``nInitSpin`` (and
``tolDefaultButton``, back to the algorithm's own tolerance). It writes to the
controller (`set_tol`, `set_max_iter`, `set_n_init`) and reads the session
back whenever it changes or is replaced, with its widgets' signals blocked.
The spin boxes report a value when editing is finished (Enter, focus out, the
arrows), not on every keystroke, so typing "300" is one change, not three.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QSpinBox,
                               QToolButton, QWidget)

from clusterviz.session.settings import MAX_N_INIT

__all__ = ["MAX_ITER_LIMIT", "N_INIT_LIMIT", "RunSettings", "ToleranceSpinBox"]

#: Largest iteration limit offered (a run that long is a deliberate choice).
MAX_ITER_LIMIT = 100_000
#: Most starts tried at each (re)initialisation (each is a full run): the session's limit.
N_INIT_LIMIT = MAX_N_INIT
#: Smallest tolerance above 0 that the arrows reach.
TOL_FLOOR = 1e-12

TOL_TIP = ("tol: when the run counts as converged. EM and soft K-Means: the log-likelihood changed by less "
           "than tol per point in one step; K-Means: the centres moved by less than tol times the data's "
           "variance (or no point changed cluster). Play and Run to convergence stop there; Step goes on "
           "with the same run. 0: never by tolerance. The arrows multiply or divide by 10.")
MAX_ITER_TIP = "max_iter: no run goes beyond this many full iterations (a higher limit lets a stopped run go on)."
N_INIT_TIP = ("n_init: how many starts to try (seeds seed … seed + n_init − 1); each is run to convergence and "
              "the fit starts from the one that ends best, as scikit-learn keeps the best of n_init runs. "
              "Every reset runs them all again.")


class ToleranceSpinBox(QDoubleSpinBox):
    """A spin box for a tolerance: shown as 1e-03, edited as any number >= 0,
    stepped by factors of 10 (from 0 up to `TOL_FLOOR`, and back to 0)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(323)  # keep tiny values: the text is ours (textFromValue)
        self.setRange(0.0, 1e6)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return "0" if value == 0 else f"{value:.3g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        stripped = text.strip()
        if not stripped or stripped in ("-", "+", ".") or stripped[-1] in "eE+-":
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        if not math.isfinite(value) or value < 0 or value > self.maximum():
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos

    def stepBy(self, steps: int) -> None:
        value = self.value()
        if value == 0:
            new = TOL_FLOOR if steps > 0 else 0.0
        else:
            new = value * 10.0 ** steps
            if new < TOL_FLOOR * (1 - 1e-9):
                new = 0.0
        self.setValue(min(new, self.maximum()))


def _spin(name: str, tooltip: str, maximum: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setToolTip(tooltip)
    spin.setRange(1, maximum)
    spin.setKeyboardTracking(False)
    return spin


class RunSettings(QGroupBox):
    """tol, max_iter and n_init of the controller's session; see the module docstring."""

    def __init__(self, controller, parent: QWidget | None = None) -> None:
        super().__init__("Run settings", parent)
        self.setObjectName("runSettingsGroup")
        self.setToolTip("When a run stops, and how many starts are tried (as in scikit-learn).")
        self.controller = controller
        self.tol_spin = ToleranceSpinBox()
        self.tol_spin.setObjectName("tolSpin")
        self.tol_spin.setToolTip(TOL_TIP)
        self.tol_default_button = QToolButton()
        self.tol_default_button.setObjectName("tolDefaultButton")
        self.tol_default_button.setText("Default")
        self.tol_default_button.setToolTip("Use the algorithm's own tolerance again.")
        self.max_iter_spin = _spin("maxIterSpin", MAX_ITER_TIP, MAX_ITER_LIMIT)
        self.n_init_spin = _spin("nInitSpin", N_INIT_TIP, N_INIT_LIMIT)

        tol_row = QHBoxLayout()
        tol_row.setContentsMargins(0, 0, 0, 0)
        tol_row.addWidget(self.tol_spin, 1)
        tol_row.addWidget(self.tol_default_button)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        tol_label = QLabel("&tol")
        tol_label.setBuddy(self.tol_spin)
        form.addRow(tol_label, tol_row)
        form.addRow("max_&iter", self.max_iter_spin)
        form.addRow("n_i&nit", self.n_init_spin)

        self.tol_spin.valueChanged.connect(lambda value: controller.set_tol(float(value)))
        self.tol_default_button.clicked.connect(lambda: controller.set_tol(None))
        self.max_iter_spin.valueChanged.connect(lambda value: controller.set_max_iter(int(value)))
        self.n_init_spin.valueChanged.connect(lambda value: controller.set_n_init(int(value)))
        for signal in (controller.stepped, controller.reset, controller.data_changed, controller.session_replaced,
                       controller.failed):
            signal.connect(self.sync)
        self.sync()

    def sync(self, *_) -> None:
        """Show the session's settings (signals blocked: nothing is written back)."""
        session = self.controller.session
        tol, chosen = getattr(session, "tol", None), getattr(session, "settings", None)
        explicit = chosen is not None and getattr(chosen, "tol", None) is not None
        with QSignalBlocker(self.tol_spin), QSignalBlocker(self.max_iter_spin), QSignalBlocker(self.n_init_spin):
            self.tol_spin.setEnabled(tol is not None)
            if tol is not None:
                self.tol_spin.setValue(float(tol))
            self.max_iter_spin.setValue(int(getattr(session, "max_iter", 1)))
            self.n_init_spin.setValue(int(getattr(session, "n_init", 1)))
        self.tol_default_button.setEnabled(explicit)
        self.tol_spin.setToolTip(TOL_TIP + ("" if explicit else " Now: the algorithm's default."))
