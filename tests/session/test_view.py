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


# ---------------------------------------------------------------------------
# The words of the shown entry: one vocabulary (iteration, E-/M-step), and
# numbers only for what is drawn
# ---------------------------------------------------------------------------
def _labelled_blobs() -> Dataset:
    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(c, 0.3, size=(15, 2)) for c in ((0, 0), (4, 0), (2, 4))])
    return Dataset("labelled", X, ("x", "y"), labels=np.repeat(np.arange(3), 15))


def test_timeline_position_uses_the_info_lines_iteration_and_half_step():
    from clusterviz.session.text import position_text

    s = Session(_labelled_blobs(), n_clusters=3, seed=1)
    assert position_text(s) == "Iteration 0 of 0 · Initialisation"
    s.half_step()
    assert position_text(s) == "Iteration 1 of 1 · E-step" and s.info_text().startswith("Iteration 1 · E-step")
    s.half_step()
    s.half_step()
    assert position_text(s) == "Iteration 2 of 2 · E-step"
    s.seek(2)
    assert position_text(s) == "Iteration 1 of 2 · M-step" and s.info_text().startswith("Iteration 1 · M-step")


def test_kmeans_pick_positions_name_the_pick():
    from clusterviz.session.text import position_text

    s = Session(_labelled_blobs(), n_clusters=3, init="k-means++", show_seeding=True)
    assert position_text(s) == "k-means++ pick 1 of 3"
    assert "ARI" not in s.info_text() and "J =" not in s.info_text()


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "soft-kmeans"])
def test_the_start_shows_no_ari_and_no_objective_that_needs_assignments(algorithm):
    from clusterviz.model import registry

    s = Session(_labelled_blobs(), algorithm=algorithm, n_clusters=3, seed=2)
    entry = registry.get_algorithm(algorithm)
    text = s.info_text()
    assert s.entry.phase == "init" and s.adjusted_rand is not None  # the property still answers
    assert "ARI" not in text
    # K-Means' J sums over assignments the start has not made; a mixture's ℓ needs only its parameters
    assert ("points not assigned yet" in text) == entry.hard
    assert (f"{entry.objective_symbol} = -" in text) == (not entry.hard)
    s.half_step()
    text = s.info_text()
    assert f"ARI vs true classes = {s.adjusted_rand:.3f}" in text and "not assigned" not in text
