"""Undo commands: exact restoration of points, classes and hand-placed
centroids through the controller, on Qt's QUndoStack."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QUndoStack

from clusterviz.data import builtin_dataset
from clusterviz.session import Session
from clusterviz.ui.controller import SessionController
from clusterviz.ui.tools.undo import DataEditCommand, InitialMeansCommand


@pytest.fixture
def controller(qtbot):
    c = SessionController(Session(builtin_dataset("three_blobs"), seed=0))
    yield c
    c.shutdown()


def test_data_edit_command_undo_and_redo_are_exact(controller, qtbot):
    s = controller.session
    stack = QUndoStack()
    before = s.dataset
    controller.add_points(np.array([[0.5, 0.25], [1.0, 1.0]]), classes=[2, 3])
    after = s.dataset
    stack.push(DataEditCommand(controller, "Add", before, after, applied=True))
    assert s.dataset is after  # pushing an applied edit does not redo it
    with qtbot.waitSignal(controller.data_changed, timeout=1000):
        stack.undo()
    np.testing.assert_array_equal(s.X, before.X)
    np.testing.assert_array_equal(s.dataset.labels, before.labels)
    assert s.dataset.class_names == before.class_names
    stack.redo()
    np.testing.assert_array_equal(s.X, after.X)
    np.testing.assert_array_equal(s.dataset.labels, after.labels)
    assert s.dataset.class_names == after.class_names == ("blob 1", "blob 2", "blob 3", "Class 4")


def test_an_unapplied_command_is_applied_on_push(controller):
    s = controller.session
    before = s.dataset
    after = before.__class__(before.name, before.X[:10], before.columns, before.labels[:10], before.class_names)
    stack = QUndoStack()
    stack.push(DataEditCommand(controller, "Keep ten", before, after, applied=False))
    assert s.n_points == 10
    stack.undo()
    assert s.n_points == 300


def test_undo_after_steps_keeps_the_shown_parameters(controller):
    s = controller.session
    controller.step()
    controller.step()
    means = s.state.means.copy()
    before = s.dataset
    controller.remove_points([0, 1, 2])
    stack = QUndoStack()
    stack.push(DataEditCommand(controller, "Erase", before, s.dataset))
    stack.undo()
    assert s.n_points == 300 and len(s.timeline) == 1
    np.testing.assert_array_equal(s.state.means, means)


def test_initial_means_command_restores_k_and_init(controller):
    s = controller.session
    assert s.n_clusters == 3 and s.initial_means is None
    stack = QUndoStack()
    M = np.array([[0.0, 0.0], [5.0, 5.0]])
    controller.set_initial_means(M)
    stack.push(InitialMeansCommand(controller, "Place", None, 3, s.initial_means))
    assert s.n_clusters == 2
    stack.undo()
    assert s.initial_means is None and s.n_clusters == 3 and s.state is not None
    stack.redo()
    np.testing.assert_array_equal(s.initial_means, M)
    assert s.n_clusters == 2


def test_a_failed_replay_reports_and_keeps_the_data(controller):
    s = controller.session
    errors = []
    controller.failed.connect(errors.append)
    X = s.X.copy()
    assert controller.set_data(np.array([[np.nan, 1.0]]), None) is False
    assert errors and "finite" in errors[0]
    np.testing.assert_array_equal(s.X, X)


def test_undo_and_redo_of_an_erase_in_the_middle_keep_the_sequences(qtbot):
    from clusterviz.data import Dataset

    X = np.random.default_rng(1).normal(size=(60, 2))
    c = SessionController(Session(Dataset(name="runs", X=X, columns=("x", "y"), lengths=(20, 20, 20)),
                                  algorithm="hmm", n_clusters=2))
    try:
        s = c.session
        before = s.dataset
        c.remove_points([25])  # from the middle of the second sequence
        after = s.dataset
        assert after.lengths == (20, 19, 20)
        stack = QUndoStack()
        stack.push(DataEditCommand(c, "Erase", before, after, applied=True))
        stack.undo()
        assert s.dataset.lengths == (20, 20, 20) and tuple(s.prepared.lengths) == (20, 20, 20)
        stack.redo()
        assert s.dataset.lengths == (20, 19, 20)
    finally:
        c.shutdown()
