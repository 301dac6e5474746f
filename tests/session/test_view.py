"""Session.view, shown_points and shown_means: the 2-D coordinates every view draws."""
from __future__ import annotations

import numpy as np
import pytest

from clusterviz.data import Dataset
from clusterviz.data.transform import pca_projection
from clusterviz.session import Session


def four_d(n: int = 60, seed: int = 1) -> Dataset:
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(c, 0.4, size=(n // 3, 4)) for c in ((0, 0, 0, 0), (3, 1, -2, 5), (-2, 4, 1, -1))])
    return Dataset("four_d", X, ("a", "b", "c", "d"))


def test_column_view_shows_the_chosen_columns():
    s = Session(four_d(), n_clusters=3)
    s.set_view_columns(2, 0)
    assert s.view == (2, 0)
    np.testing.assert_array_equal(s.shown_points(), s.X[:, [2, 0]])
    np.testing.assert_array_equal(s.shown_means(), np.asarray(s.state.means)[:, [2, 0]])


def test_projection_view_centres_then_projects_points_and_means():
    s = Session(four_d(), n_clusters=3)
    W, center, _ = pca_projection(s.X)
    s.set_view_projection(W, center)
    assert s.view is s.view_projection
    np.testing.assert_allclose(s.shown_points(), (s.X - center) @ W.T)
    means = np.asarray(s.state.means)
    np.testing.assert_allclose(s.shown_means(), (means - center) @ W.T)
    # Back to the column pair: the projection is forgotten.
    s.set_view_projection(None)
    np.testing.assert_array_equal(s.shown_points(), s.X[:, list(s.view_columns)])


def test_shown_means_of_an_earlier_state_and_of_given_points():
    s = Session(four_d(), n_clusters=3)
    s.step()
    s.step()
    first = s.timeline[0]
    np.testing.assert_array_equal(s.shown_means(first), np.asarray(first.means)[:, [0, 1]])
    P = np.arange(8.0).reshape(2, 4)
    np.testing.assert_array_equal(s.shown_points(P), P[:, [0, 1]])
    np.testing.assert_array_equal(s.shown_points(P[0]), P[:1, [0, 1]])  # one point gives one row


def test_nothing_to_show():
    s = Session(Dataset("empty", np.empty((0, 3)), ("a", "b", "c")), n_clusters=2)
    assert s.shown_points().shape == (0, 2)
    assert s.state is None and s.shown_means() is None


def test_one_column_data_is_shown_on_the_diagonal():
    s = Session(Dataset("line", np.array([[1.0], [2.0], [5.0]]), ("x",)), n_clusters=2)
    np.testing.assert_array_equal(s.shown_points(), [[1.0, 1.0], [2.0, 2.0], [5.0, 5.0]])


def test_shown_points_refuses_points_of_the_wrong_width():
    s = Session(four_d(), n_clusters=3)
    with pytest.raises(ValueError):
        s.shown_points(np.zeros((2, 3)))
