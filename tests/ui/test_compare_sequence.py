"""Compare for a sequence model: a Gaussian mixture beside it on the same
sequence from the same start, Δℓ, and "Shuffle the order", after which the
mixture's fit is unchanged and the sequence model's gain all but vanishes."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QAction

from clusterviz.data import builtin_dataset
from clusterviz.model import registry
from clusterviz.ui.windows.compare_sequence import shuffled_dataset

SEQUENCE_MODEL = next(entry.name for entry in registry.ALGORITHMS.values() if entry.supports_sequences)


@pytest.fixture
def sequence_compare(make_window, qtbot):
    window = make_window(builtin_dataset("old_faithful"), algorithm=SEQUENCE_MODEL, n_clusters=2,
                         init="k-means++", seed=0)
    view = window.open_compare()
    qtbot.addWidget(view)
    return window, view


def _delta(view) -> float:
    left, right = view.pair.sides
    return float(right.entry.objective) - float(left.entry.objective)


def test_a_mixture_beside_the_sequence_model_from_the_same_start(sequence_compare):
    _window, view = sequence_compare
    left, right = (s.algorithm_entry for s in view.pair.sides)
    assert right.supports_sequences and not left.supports_sequences and left.has_density
    starts = [s.timeline[0] for s in view.pair.sides]
    np.testing.assert_array_equal(starts[0].means, starts[1].means)
    assert all(s.dataset.X is view.pair.dataset.X for s in view.pair.sides)
    assert view.findChild(QAction, "shuffleOrderAction") is not None
    assert "Δℓ" in view.sequence.delta_label.text()


def test_kmeans_compare_has_no_shuffle(make_window):
    window = make_window(algorithm="kmeans")
    view = window.open_compare()
    assert view.sequence is None and view.findChild(QAction, "shuffleOrderAction") is None


def test_order_gains_likelihood_and_shuffling_takes_the_gain_away(sequence_compare, qtbot):
    _window, view = sequence_compare
    view.controller.run_to_convergence()
    qtbot.waitUntil(lambda: not view.can_step)
    ordered_gain = _delta(view)
    mixture = float(view.pair.sides[0].entry.objective)
    assert ordered_gain > 10.0  # the order carries information the mixture cannot use
    assert f"{ordered_gain:+.2f}" in view.sequence.delta_label.text()
    # one y scale for both curves, and the mixture's curve dashed beside the sequence model's
    y_ranges = [plot.getPlotItem().getViewBox().viewRange()[1] for plot in view.plots.values()]
    np.testing.assert_allclose(y_ranges[0], y_ranges[1])
    left = view.pair.sides[0]
    np.testing.assert_array_equal(view.sequence.ghost.yData, np.asarray(left.objectives)[left.n_seed_entries:])

    action = view.findChild(QAction, "shuffleOrderAction")
    action.trigger()
    assert action.isChecked() and view.sequence.shuffled
    assert view.pair.cursor == 0 and "shuffled" in view.pair.dataset.name
    # the same points and the same start, in another order
    np.testing.assert_array_equal(np.sort(view.pair.dataset.X, axis=0),
                                  np.sort(builtin_dataset("old_faithful").X, axis=0))
    view.controller.run_to_convergence()
    qtbot.waitUntil(lambda: not view.can_step)
    shuffled_gain = _delta(view)
    np.testing.assert_allclose(float(view.pair.sides[0].entry.objective), mixture, rtol=1e-6)  # the mixture: same
    assert abs(shuffled_gain) < ordered_gain / 5  # the gain all but vanishes
    assert "rows shuffled" in view.sequence.delta_label.text()

    action.trigger()  # back to the true order
    assert not view.sequence.shuffled
    np.testing.assert_array_equal(view.pair.dataset.X, builtin_dataset("old_faithful").X)


def test_shuffling_is_seeded_and_keeps_classes_with_their_points():
    ds = builtin_dataset("iris")
    a, b = shuffled_dataset(ds, 3), shuffled_dataset(ds, 3)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, ds.X)
    # every point keeps its true class
    pairs = {(tuple(x), int(c)) for x, c in zip(ds.X, ds.labels)}
    assert {(tuple(x), int(c)) for x, c in zip(a.X, a.labels)} == pairs
