"""The Class box after switching data sets in the window: what the data offers,
as when the window starts on that data."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from clusterviz.data import builtin_dataset


def _class_box(window) -> QComboBox:
    return window.findChild(QComboBox, "classCombo")


def test_switching_to_data_without_classes_says_no_class(make_window):
    window = make_window(builtin_dataset("three_blobs"))
    box = _class_box(window)
    assert box.currentText() == "blob 1"
    controls = window.controls
    controls.dataset_combo.setCurrentIndex(controls.dataset_combo.findData("old_faithful"))
    assert window.session.dataset.labels is None
    assert box.currentText() == "No class"
    assert window.tools.current_class is None
    # ... and the first class again on data with classes
    controls.dataset_combo.setCurrentIndex(controls.dataset_combo.findData("iris"))
    assert window.session.dataset.labels is not None
    assert box.currentIndex() == 0 and window.tools.current_class == 0


def test_a_chosen_class_stays_while_painting(make_window):
    window = make_window(builtin_dataset("three_blobs"))
    box = _class_box(window)
    box.setCurrentIndex(2)
    window.controller.add_points([[1.0, 1.0]], classes=[window.tools.current_class])
    assert box.currentIndex() == 2 and window.session.dataset.labels[-1] == 2
