"""Tests of the Qt-free Session: construction, settings, data edits and text."""
from __future__ import annotations

import numpy as np
import pytest

from clusterviz.data import Dataset, builtin_dataset
from clusterviz.model import FitState
from clusterviz.session import ALGORITHMS, COVARIANCE_TYPES, INITS, Session


@pytest.fixture(scope="module")
def blobs() -> Dataset:
    return builtin_dataset("three_blobs")


def tiny(n: int = 2, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    return Dataset("tiny", rng.uniform(0, 10, size=(n, 2)), ("x", "y"))


def distortion(X: np.ndarray, means: np.ndarray) -> float:
    """Sum of squared distances of every point to its nearest mean (brute force)."""
    d = ((X[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    return float(d.min(axis=1).sum())


# ----------------------------------------------------------------------
# Construction and reset
# ----------------------------------------------------------------------
def test_default_session_has_no_points_and_says_what_to_do():
    s = Session()
    assert s.n_points == 0
    assert s.X.shape == (0, 2)
    assert s.state is None
    assert s.timeline == []
    assert s.problem .startswith("Add at least 3 points to fit K = 3 clusters (")
    assert s.info_text() == s.problem
    assert s.step() is None and s.half_step() is None and s.step_back() is None
    assert s.run_to_convergence() is None and s.seek(5) is None and s.reset() is None
    assert s.objectives.shape == (0,)
    assert s.converged is False and s.at_start and s.at_end and not s.can_step
    assert s.n_changed is None


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_reset_gives_one_init_entry_without_responsibilities(blobs, algorithm):
    s = Session(blobs, algorithm=algorithm)
    assert len(s.timeline) == 1 and s.cursor == 0
    init = s.timeline[0]
    assert init.phase == "init" and init.iteration == 0
    assert init.means.shape == (3, 2)
    assert s.state is not None
    assert s.state.labels is None and s.state.responsibilities is None
    assert s.problem is None
    assert s.at_start and s.at_end and not s.converged and s.can_step
    s.run_to_convergence(max_steps=3)
    assert len(s.timeline) > 1
    s.reset()
    assert len(s.timeline) == 1 and s.cursor == 0 and s.state.phase == "init"
    # same seed, same start
    np.testing.assert_array_equal(s.timeline[0].means, init.means)


def test_objective_name_and_x(blobs):
    assert Session(blobs).objective_name == "Distortion J"
    assert Session(blobs, algorithm="gmm").objective_name == "Log-likelihood ℓ"
    s = Session(blobs)
    np.testing.assert_array_equal(s.X, blobs.X)
    assert s.n_points == 300 and s.view_columns == (0, 1)


# ----------------------------------------------------------------------
# Stepping and the cursor
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "setter, value, check",
    [
        ("set_n_clusters", 4, lambda s: s.n_clusters == 4 and s.timeline[0].means.shape == (4, 2)),
        ("set_seed", 7, lambda s: s.seed == 7),
        ("set_init", "random", lambda s: s.init == "random"),
        ("set_algorithm", "gmm", lambda s: s.algorithm == "gmm" and s.timeline[0].covariances is not None),
        ("set_algorithm", "soft-kmeans", lambda s: s.algorithm == "soft-kmeans"),
    ],
)
def test_settings_changes_reinitialise_and_truncate(blobs, setter, value, check):
    s = Session(blobs)
    s.step()
    s.step()
    s.step_back()
    state = getattr(s, setter)(value)
    assert check(s)
    assert len(s.timeline) == 1 and s.cursor == 0
    assert state is s.state and state.phase == "init"


def test_covariance_type_and_beta_reinitialise_their_algorithm(blobs):
    s = Session(blobs, algorithm="gmm")
    s.step()
    s.set_covariance_type("diag")
    assert s.covariance_type == "diag" and len(s.timeline) == 1
    s.step()
    s.set_beta(2.0)  # not used by the GMM: the timeline stays
    assert s.beta == 2.0 and len(s.timeline) == 2
    s.set_algorithm("soft-kmeans")
    s.step()
    s.set_beta(5.0)
    assert len(s.timeline) == 1 and s.model.beta == 5.0


def test_setting_the_current_value_keeps_the_timeline(blobs):
    s = Session(blobs)
    s.step()
    s.step()
    for setter, value in [("set_n_clusters", 3), ("set_seed", 0), ("set_init", "k-means++"),
                          ("set_algorithm", "kmeans"), ("set_covariance_type", "full"), ("set_beta", 1.0)]:
        getattr(s, setter)(value)
        assert len(s.timeline) == 3


@pytest.mark.parametrize(
    "setter, bad",
    [
        ("set_algorithm", "dbscan"),
        ("set_algorithm", None),
        ("set_n_clusters", 0),
        ("set_n_clusters", 2.5),
        ("set_n_clusters", True),
        ("set_init", "kmeans++"),
        ("set_seed", -1),
        ("set_seed", "7"),
        ("set_covariance_type", "round"),
        ("set_beta", 0.0),
        ("set_beta", float("nan")),
        ("set_max_iter", 0),
        ("load_dataset", "three_blobs"),
    ],
)
def test_setters_reject_bad_values_quoting_them(blobs, setter, bad):
    s = Session(blobs)
    s.step()
    with pytest.raises(ValueError) as excinfo:
        getattr(s, setter)(bad)
    assert repr(bad) in str(excinfo.value)
    assert len(s.timeline) == 2  # nothing changed


def test_choice_errors_list_the_allowed_values():
    with pytest.raises(ValueError, match="'kmeans', 'gmm', 'soft-kmeans'"):
        Session(algorithm="em")
    with pytest.raises(ValueError, match="'full', 'tied', 'diag', 'spherical'"):
        Session(covariance_type="wide")
    with pytest.raises(ValueError, match="'random', 'k-means\\+\\+'"):
        Session(init="forgy")
    assert INITS == ("random", "k-means++") and len(COVARIANCE_TYPES) == 4


def test_load_dataset_reinitialises(blobs):
    s = Session(tiny(10))
    s.step()
    s.load_dataset(blobs)
    assert s.dataset is blobs and s.n_points == 300
    assert len(s.timeline) == 1 and s.state.phase == "init"


def test_initial_means_replace_init(blobs):
    s = Session(blobs)
    M = np.array([[1.0, 1.0], [8.0, 8.0], [1.0, 9.0], [5.0, 5.0]])
    state = s.set_initial_means(M)
    assert s.n_clusters == 4
    np.testing.assert_array_equal(state.means, M)
    np.testing.assert_array_equal(s.initial_means, M)
    s.step()
    s.reset()
    np.testing.assert_array_equal(s.state.means, M)  # reset keeps the hand-placed start
    s.set_algorithm("soft-kmeans")
    np.testing.assert_array_equal(s.state.means, M)
    s.set_init("random")
    assert s.initial_means is None
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        s.set_initial_means(np.zeros((2, 3)))
    s.set_initial_means(M[:2])
    s.set_n_clusters(3)
    assert s.initial_means is None


# ----------------------------------------------------------------------
# Data edits
# ----------------------------------------------------------------------
def test_add_point_restarts_from_the_shown_parameters(blobs):
    s = Session(blobs, init="random")
    for _ in range(4):
        s.step()
    s.step_back()
    shown = s.timeline[s.cursor]
    state = s.add_point(5.0, 5.0)
    assert s.n_points == 301 and s.dataset.labels is None
    assert len(s.timeline) == 1 and s.cursor == 0
    assert state.phase == "init" and state.iteration == 0 and state.labels is None
    np.testing.assert_array_equal(state.means, shown.means)
    assert state.objective == pytest.approx(distortion(s.X, shown.means), rel=1e-9)
    assert "data changed" in s.info_text()


def test_gmm_edit_keeps_parameters_and_recomputes_the_log_likelihood(blobs):
    s = Session(blobs, algorithm="gmm")
    s.step()
    s.step()
    shown = s.timeline[-1]
    s.remove_points([0, 1, 2])
    init = s.timeline[0]
    assert s.n_points == 297 and s.dataset.labels.shape == (297,)
    np.testing.assert_array_equal(init.means, shown.means)
    np.testing.assert_array_equal(init.covariances, shown.covariances)
    np.testing.assert_array_equal(init.weights, shown.weights)
    expected = s.model.e_step(s.X, shown).objective
    assert init.objective == pytest.approx(expected, rel=1e-12)
    assert init.objective != shown.objective
    s.step()
    assert s.phases == ("init", "M")


def test_move_point_and_set_data_restart(blobs):
    s = Session(blobs)
    s.step()
    s.move_point(0, 9.5, 0.5)
    np.testing.assert_array_equal(s.X[0], [9.5, 0.5])
    assert len(s.timeline) == 1 and s.state.phase == "init"
    assert s.dataset.labels is not None  # moving keeps the true classes
    s.add_points(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert s.n_points == 302
    s.step()
    s.set_data(blobs.X)  # undo
    np.testing.assert_array_equal(s.X, blobs.X)
    assert len(s.timeline) == 1 and s.state.phase == "init"
    assert not s.X.flags.writeable


def test_edit_validation(blobs):
    s = Session(blobs)
    with pytest.raises(ValueError, match="nan"):
        s.add_point(float("nan"), 1.0)
    with pytest.raises(ValueError, match=r"\(1, 3\)"):
        s.add_points([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="300"):
        s.remove_points([300])
    with pytest.raises(ValueError, match="-1"):
        s.move_point(-1, 0.0, 0.0)
    with pytest.raises(ValueError, match="inf"):
        s.move_point(0, np.inf, 0.0)
    assert s.n_points == 300
    assert s.remove_points([]) is s.state and s.add_points(np.empty((0, 2))) is s.state


def test_k_greater_than_n_gives_problem_text_and_no_crash():
    s = Session(tiny(2), n_clusters=3)
    assert s.state is None
    assert s.problem .startswith("Add at least 3 points to fit K = 3 clusters (")
    assert s.step() is None and s.half_step() is None and s.run_to_convergence() is None
    assert s.seek(3) is None and s.step_back() is None and s.reset() is None
    assert s.n_changed is None and s.objectives.size == 0 and not s.converged
    s.move_point(0, 1.0, 1.0)
    assert s.state is None
    state = s.add_point(5.0, 5.0)  # now N == K: a fresh initialisation
    assert state is not None and state.phase == "init" and s.problem is None
    s.step()
    s.remove_points([0])  # below K again
    assert s.state is None and s.timeline == [] and "Add at least 3 points" in s.problem
    s.set_n_clusters(2)
    assert s.state is not None
    s.set_n_clusters(1)
    s.set_n_clusters(5)
    assert s.problem .startswith("Add at least 5 points to fit K = 5 clusters (")
    one = Session(Dataset("none", np.empty((0, 2)), ("x", "y")), n_clusters=1)
    assert one.problem .startswith("Add at least 1 point to fit K = 1 cluster (")


def test_more_than_two_columns_are_all_fitted():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.3, size=(40, 4)) for c in (0.0, 3.0, 6.0)])
    s = Session(Dataset("4d", X, ("a", "b", "c", "d")), algorithm="gmm")
    assert s.n_features == 4 and s.view_columns == (0, 1)
    assert s.state.means.shape == (3, 4) and s.state.covariances.shape == (3, 4, 4)
    s.run_to_convergence()
    assert s.converged
    s.move_point(0, 9.0, -9.0)
    np.testing.assert_array_equal(s.X[0, :2], [9.0, -9.0])
    np.testing.assert_array_equal(s.X[0, 2:], X[0, 2:])
    s.view_columns = (2, 3)
    s.move_point(1, 1.0, 2.0)
    np.testing.assert_array_equal(s.X[1], [X[1, 0], X[1, 1], 1.0, 2.0])
    with pytest.raises(ValueError, match="2-D data"):
        s.add_point(1.0, 1.0)
    with pytest.raises(ValueError, match="4"):
        s.set_view_columns(0, 4)


# ----------------------------------------------------------------------
# Errors from the model
# ----------------------------------------------------------------------
def test_info_text_format(blobs):
    s = Session(blobs)
    assert s.info_text().startswith("Iteration 0 · Initialisation · J = ")
    s.step()
    text = s.info_text()
    assert text.startswith("Iteration 1 · M-step · J = ")
    J = s.state.objective
    assert f"J = {J:.2f}" in text
    g = Session(blobs, algorithm="gmm")
    g.half_step()
    assert g.info_text().startswith("Iteration 1 · E-step · ℓ = -")


def test_assign_evaluates_the_shown_parameters_elsewhere(blobs):
    s = Session(blobs, algorithm="gmm")
    assert isinstance(s.state, FitState)
    s.step()
    grid = np.array([[2.0, 2.0], [7.0, 7.0], [2.0, 8.0], [5.0, 5.0]])
    out = s.assign(grid)
    assert out.responsibilities.shape == (4, 3)
    np.testing.assert_allclose(out.responsibilities.sum(axis=1), 1.0)
    assert len(set(out.labels[:3].tolist())) == 3
    assert len(s.timeline) == 2
    with pytest.raises(ValueError, match=r"2 columns; got shape \(2, 3\)"):
        s.assign(np.zeros((2, 3)))


def test_raising_beta_during_a_soft_kmeans_run_goes_on_from_the_current_means():
    session = Session(builtin_dataset("three_blobs"), algorithm="soft-kmeans", beta=0.05, seed=3)
    for _ in range(3):
        session.step()
    means = session.state.means.copy()
    session.set_beta(50.0)
    state = session.state
    assert len(session.timeline) == 1 and state.phase == "init"
    np.testing.assert_array_equal(state.means, means)
    np.testing.assert_allclose(state.covariances[0], np.eye(2) / 100.0)
    assert "ε = 1/(2β) = 0.01" in session.info_text() and "current means" in session.info_text()
    # at a large β the responsibilities are nearly hard (0/1), as in K-Means
    session.step()
    assert np.mean(session.state.responsibilities.max(axis=1) > 0.999) > 0.95


@pytest.mark.parametrize("seed", range(4))
def test_em_log_likelihood_never_falls_on_data_with_a_tiny_spread(seed):
    # reg_covar scales with the data: 1e-6 would swamp a spread of 1e-3.
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 5e-3, size=(4, 2))
    X = np.vstack([c + 3e-4 * rng.standard_normal((40, 2)) for c in centres])
    session = Session(Dataset("tiny spread", X, ("x", "y")), algorithm="gmm", n_clusters=4, seed=seed)
    session.run_to_convergence(max_steps=60)
    objectives = session.objectives
    assert np.all(np.diff(objectives) >= -1e-9 * np.abs(objectives[1:]))


def test_a_gmm_on_data_too_wide_for_full_covariances_is_a_problem_not_a_crash():
    X = np.random.default_rng(0).normal(size=(20, 5000))
    session = Session(Dataset("wide", X, tuple(f"c{i}" for i in range(5000))), algorithm="gmm", n_clusters=3)
    assert session.state is None and "columns" in session.problem
    session.set_max_iter(50)
    session.set_beta(2.0)
    assert session.state is None


def test_em_on_data_scaled_near_1e_160_names_the_datas_spread():
    from clusterviz.data import Dataset

    X = np.random.default_rng(0).normal(size=(200, 2)) * 1e-160
    session = Session(Dataset("tiny", X, ("a", "b")), algorithm="gmm", n_clusters=3)
    assert session.state is None
    assert session.problem.startswith("The data's spread is too small to fit Gaussians")
    assert "precisions_init" not in session.problem
