"""Tests of the Session's timeline: stepping, replay, half-steps, shown
responsibilities, the step protocol and failures."""
from __future__ import annotations

import numpy as np
import pytest

from clusterviz.data import Dataset, builtin_dataset
from clusterviz.model import ModelError
from clusterviz.session import ALGORITHMS, Session


@pytest.fixture(scope="module")
def blobs() -> Dataset:
    return builtin_dataset("three_blobs")


def distortion(X: np.ndarray, means: np.ndarray) -> float:
    """Sum of squared distances of every point to its nearest mean (brute force)."""
    d = ((X[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    return float(d.min(axis=1).sum())


def assert_no_assignments(session: Session) -> None:
    for entry in session.timeline:
        assert entry.labels is None
        assert entry.soft_responsibilities is None


def test_step_appends_only_the_m_snapshot(blobs):
    s = Session(blobs)
    state = s.step()
    assert s.phases == ("init", "M")
    assert s.cursor == 1 and state is s.state
    assert state.phase == "M" and state.iteration == 1
    assert state.labels is not None and state.labels.shape == (300,)
    assert s.iterations.tolist() == [0, 1]


def test_step_back_and_seek_move_the_cursor_and_clamp(blobs):
    s = Session(blobs, init="random")
    for _ in range(3):
        s.step()
    n = len(s.timeline)
    assert s.cursor == n - 1 and s.at_end
    s.step_back()
    assert s.cursor == n - 2 and not s.at_end
    s.seek(0)
    assert s.cursor == 0 and s.at_start
    s.step_back()
    assert s.cursor == 0
    s.seek(100)
    assert s.cursor == n - 1
    s.seek(-5)
    assert s.cursor == 0
    assert len(s.timeline) == n  # moving the cursor never changes the timeline
    with pytest.raises(ValueError, match="1.5"):
        s.seek(1.5)


def test_replay_returns_identical_snapshots_and_does_not_grow(blobs):
    s = Session(blobs, algorithm="gmm", init="random")
    for _ in range(5):
        s.step()
    before = s.timeline
    shown = [s.seek(i) for i in range(len(before))]
    s.seek(0)
    for i in range(1, len(before)):
        state = s.step()
        assert s.cursor == i
        assert state.means is before[i].means
        assert state.covariances is before[i].covariances
        assert state.objective == before[i].objective
        np.testing.assert_array_equal(state.responsibilities, shown[i].responsibilities)
    after = s.timeline
    assert len(after) == len(before)
    assert all(a is b for a, b in zip(after, before))


def test_replay_after_half_steps_moves_to_the_next_m(blobs):
    s = Session(blobs, init="random")
    for _ in range(4):
        s.half_step()
    assert s.phases == ("init", "E", "M", "E", "M")
    s.seek(0)
    s.step()
    assert s.cursor == 2  # a full iteration: over the E to the M
    s.half_step()
    assert s.cursor == 3
    s.step()
    assert s.cursor == 4  # the missing half
    assert len(s.timeline) == 5


def test_step_from_a_past_init_replays_a_final_e_then_computes_its_m(blobs):
    s = Session(blobs, init="random")
    s.half_step()
    s.seek(0)
    s.step()
    assert s.phases == ("init", "E", "M") and s.cursor == 2


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_half_step_alternates_e_and_m(blobs, algorithm):
    s = Session(blobs, algorithm=algorithm, init="random", seed=3)
    for _ in range(8):
        s.half_step()
    phases = s.phases
    assert phases[0] == "init"
    assert all(p == ("E" if i % 2 else "M") for i, p in enumerate(phases[1:], start=1))
    # E keeps the iteration number; M completes it
    its = s.iterations.tolist()
    assert its == [0, 0, 1, 1, 2, 2, 3, 3, 4][: len(its)]
    assert_no_assignments(s)


@pytest.mark.parametrize("seed", range(5))
def test_kmeans_distortion_never_rises_across_half_steps(seed):
    s = Session(builtin_dataset("uniform"), n_clusters=6, init="random", seed=seed)
    while s.can_step:
        s.half_step()
    J = s.objectives
    assert len(J) > 3
    assert np.all(np.diff(J) <= 1e-9 * J[0])
    # and each objective is what it says: after an E, the distortion to the nearest centre
    for i, entry in enumerate(s.timeline):
        if entry.phase in ("init", "E"):
            assert entry.objective == pytest.approx(distortion(s.X, entry.means), rel=1e-9)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_half_steps_and_full_steps_end_on_the_same_state(blobs, algorithm):
    halves = Session(blobs, algorithm=algorithm, init="random", seed=6)
    while halves.can_step and not halves.met_tolerance:
        halves.half_step()
    fulls = Session(blobs, algorithm=algorithm, init="random", seed=6)
    fulls.run_to_convergence()
    assert halves.converged and fulls.converged
    a, b = halves.timeline[-1], fulls.timeline[-1]
    assert a.phase == b.phase == "M" and a.iteration == b.iteration
    np.testing.assert_array_equal(a.means, b.means)
    assert [e.objective for e in halves.timeline if e.phase == "M"] == [e.objective for e in fulls.timeline[1:]]
    if algorithm == "kmeans":
        # the E in which no label changed is converged; its M completes the iteration
        assert halves.timeline[-2].phase == "E" and halves.timeline[-2].converged
        halves.seek(len(halves.timeline) - 2)
        assert halves.can_step and "Converged" in halves.info_text()


def test_gmm_log_likelihood_never_drops_across_steps(blobs):
    s = Session(blobs, algorithm="gmm", init="random", seed=1)
    s.run_to_convergence()
    ll = s.objectives
    assert np.all(np.diff(ll) >= -1e-9 * abs(ll[0]))


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_run_to_convergence_on_three_blobs(blobs, algorithm):
    s = Session(blobs, algorithm=algorithm)
    state = s.run_to_convergence()
    assert state.converged and s.converged and s.at_end and s.met_tolerance
    assert state.iteration < s.max_iter
    assert "Converged after" in s.info_text()
    n = len(s.timeline)
    if not s.can_step:
        # a fixed point: step and half_step return the state and keep it converged
        assert "Fixed point" in s.info_text() or "stay where they are" in s.info_text()
        assert s.step() is s.state and s.half_step() is s.state
        assert len(s.timeline) == n and s.converged
        assert s.run_to_convergence() is s.state and len(s.timeline) == n
    else:
        # the tolerance met: Step goes on with the same run
        assert "Step continues" in s.info_text()
        s.step()
        assert len(s.timeline) == n + 1 and s.cursor == n and s.entry.iteration == state.iteration + 1
    if algorithm == "kmeans":
        assert not s.can_step  # no label changes any more: another step would repeat the last
        # three well separated blobs: each true blob is one cluster
        labels = state.labels
        for k in range(3):
            assert len(np.unique(labels[blobs.labels == k])) == 1


def test_run_to_convergence_with_max_steps_then_from_the_middle(blobs):
    s = Session(blobs, init="random")
    s.run_to_convergence(max_steps=1)
    assert s.cursor == 1 and len(s.timeline) == 2
    s.run_to_convergence()
    full = s.timeline
    s.seek(1)
    s.run_to_convergence()  # replays to the end, computes nothing new
    assert len(s.timeline) == len(full) and all(a is b for a, b in zip(s.timeline, full))
    assert s.at_end and s.converged
    with pytest.raises(ValueError, match="-1"):
        s.run_to_convergence(max_steps=-1)


def test_max_iter_is_respected():
    s = Session(builtin_dataset("uniform"), algorithm="gmm", n_clusters=6, init="random", max_iter=2)
    s.run_to_convergence()
    last = s.timeline[-1]
    assert last.iteration == 2 and not last.converged
    assert s.reached_max_iter and not s.can_step
    assert "max_iter = 2" in s.info_text()
    n = len(s.timeline)
    s.step()
    s.half_step()
    assert len(s.timeline) == n
    s.set_max_iter(3)  # a higher limit lets the fit go on, keeping the timeline
    assert len(s.timeline) == n
    s.step()
    assert s.timeline[-1].iteration == 3


# ----------------------------------------------------------------------
# Shown responsibilities and the memory rule
# ----------------------------------------------------------------------
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_timeline_stores_no_n_by_k_arrays(blobs, algorithm):
    s = Session(blobs, algorithm=algorithm, init="random")
    s.half_step()
    s.half_step()
    s.half_step()
    s.step()
    s.step()
    s.run_to_convergence(max_steps=5)
    assert_no_assignments(s)
    s.add_point(5.0, 5.0)
    s.step()
    assert_no_assignments(s)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_m_entry_shows_the_responsibilities_of_the_e_before_it(blobs, algorithm):
    s = Session(blobs, algorithm=algorithm, init="random", seed=2)
    for _ in range(6):
        s.half_step()
    for i, entry in enumerate(s.timeline):
        if entry.phase != "M":
            continue
        e_shown = s.seek(i - 1)
        m_shown = s.seek(i)
        assert m_shown.phase == "M" and m_shown.means is entry.means
        np.testing.assert_array_equal(m_shown.responsibilities, e_shown.responsibilities)
    # recomputed from scratch (cache evicted) they are still equal
    s.seek(0)
    s.seek(1)
    s.seek(3)
    m = s.seek(4)
    fresh = s.model.e_step(s.X, s.timeline[3])
    np.testing.assert_allclose(m.responsibilities, fresh.responsibilities, rtol=0, atol=1e-12)


def test_full_step_m_entry_shows_the_e_step_of_the_previous_entry(blobs):
    s = Session(blobs, algorithm="gmm", init="random")
    s.step()
    s.step()
    expected = s.model.e_step(s.X, s.timeline[1])
    np.testing.assert_allclose(s.state.responsibilities, expected.responsibilities, rtol=0, atol=1e-12)
    # the state has the entry's own parameters and objective
    assert s.state.means is s.timeline[2].means
    assert s.state.objective == s.timeline[2].objective


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_shown_e_state_matches_the_model_chain(blobs, algorithm):
    s = Session(blobs, algorithm=algorithm, init="random", seed=4)
    model = s.model
    state = model.initialize(s.X)
    for _ in range(3):
        s.half_step()
        s.half_step()
        state = model.step(s.X, state)
    assert s.state.iteration == state.iteration == 3
    np.testing.assert_array_equal(s.state.means, state.means)
    assert s.state.objective == state.objective


def test_n_changed(blobs):
    s = Session(blobs, init="random", seed=5)
    assert s.n_changed is None  # init
    s.half_step()
    assert s.n_changed is None  # nothing with labels before
    first = s.state.labels
    s.half_step()
    assert s.n_changed is None  # an M reports its E's change: none to count
    s.half_step()
    assert s.n_changed == int(np.count_nonzero(s.state.labels != first))
    moved = s.n_changed
    s.half_step()
    assert s.n_changed == moved  # the M after it: the same points moved in this iteration
    s.seek(0)
    s.step()
    s.step()
    assert isinstance(s.n_changed, int)


# ----------------------------------------------------------------------
# Settings
# ----------------------------------------------------------------------
@pytest.mark.parametrize("method", ["step", "half_step"])
@pytest.mark.parametrize("broken", ["e_step", "m_step"])
def test_model_error_leaves_the_timeline_unchanged(blobs, monkeypatch, method, broken):
    s = Session(blobs, algorithm="gmm", init="random")
    s.step()
    if broken == "m_step" and method == "half_step":
        s.half_step()  # the next half is an M
    before, cursor, shown, version = s.timeline, s.cursor, s.state, s.version

    def fail(X, state):
        raise ModelError("covariance 1 became singular.")

    monkeypatch.setattr(s.model, broken, fail)
    with pytest.raises(ModelError, match="singular"):
        getattr(s, method)()
    assert s.cursor == cursor and s.version == version
    assert all(a is b for a, b in zip(s.timeline, before)) and len(s.timeline) == len(before)
    assert s.state is shown
    monkeypatch.undo()
    getattr(s, method)()
    assert len(s.timeline) == len(before) + 1


def test_model_error_during_run_keeps_the_steps_before_it(blobs, monkeypatch):
    s = Session(blobs, init="random")
    real = s.model.step_halves  # what a full step calls
    calls = []

    def fail_third(X, state):
        calls.append(1)
        if len(calls) == 3:
            raise ModelError("boom")
        return real(X, state)

    monkeypatch.setattr(s.model, "step_halves", fail_third)
    with pytest.raises(ModelError, match="boom"):
        s.run_to_convergence()
    assert s.phases == ("init", "M", "M") and s.cursor == 2


def test_initialisation_error_becomes_the_problem(blobs, monkeypatch):
    s = Session(blobs)

    def fail(X, *args, **kwargs):
        raise ModelError("All points are the same; there is nothing to cluster.")

    monkeypatch.setattr(type(s.model), "initialize", fail)
    assert s.set_seed(11) is None
    assert s.problem == "All points are the same; there is nothing to cluster."
    assert s.info_text() == s.problem
    monkeypatch.undo()
    assert s.reset() is not None and s.problem is None


# ----------------------------------------------------------------------
# Pending steps (for a worker thread)
# ----------------------------------------------------------------------
def test_prepare_step_changes_nothing_until_applied(blobs):
    s = Session(blobs)
    pending = s.prepare_step()
    assert len(s.timeline) == 1 and s.cursor == 0
    assert s.is_current(pending)
    state = s.apply_step(pending)
    assert state.phase == "M" and len(s.timeline) == 2
    stale = s.prepare_step()
    s.set_seed(3)
    assert not s.is_current(stale)
    assert s.apply_step(stale) is None and len(s.timeline) == 1


def test_a_step_computed_while_the_data_changed_is_dropped_and_caches_nothing(monkeypatch):
    # As on a worker thread: the user adds a point while prepare_step runs.
    session = Session(builtin_dataset("three_blobs"), seed=1)
    session.step()
    model = session.model
    original_step = model.step_halves  # what a full step calls

    def step_while_the_user_edits(X, state):
        monkeypatch.setattr(model, "step_halves", original_step)
        session.add_point(5.0, 5.0)
        return original_step(X, state)

    monkeypatch.setattr(model, "step_halves", step_while_the_user_edits)
    pending = session.prepare_step()
    assert session.apply_step(pending) is None  # stale: dropped
    assert session.n_points == 301 and len(session.timeline) == 1
    shown = session.state
    assert shown.phase == "init" and session.step().labels.shape == (301,)


@pytest.mark.parametrize("algorithm, setter, value", [
    ("kmeans", "set_max_iter", 2), ("gmm", "set_max_iter", 500), ("kmeans", "set_beta", 3.0),
    ("kmeans", "set_covariance_type", "diag"), ("soft-kmeans", "set_covariance_type", "tied"),
])
def test_a_rebuilt_model_drops_a_step_prepared_before(blobs, algorithm, setter, value):
    """A setting that rebuilds the model but keeps the timeline moves the
    version on: a step computed with the old model (e.g. under the old
    max_iter, as on a worker thread) never lands."""
    s = Session(blobs, algorithm=algorithm, init="random", seed=2)
    s.step()
    model, version, entries = s.model, s.version, s.timeline
    pending = s.prepare_step()
    getattr(s, setter)(value)
    assert s.model is not model and s.version > version
    assert all(a is b for a, b in zip(s.timeline, entries)) and len(s.timeline) == len(entries)
    assert not s.is_current(pending) and s.apply_step(pending) is None and len(s.timeline) == len(entries)
    version = s.version
    getattr(s, setter)(value)  # the same value again changes nothing
    assert s.version == version


def test_the_data_are_prepared_when_they_change_never_by_a_step(blobs, monkeypatch):
    """The session's Prepared exists before any step is prepared (a worker
    only reads it); each data version is prepared once, by the edit."""
    import clusterviz.session.data as data_module

    made = []
    original = data_module.prepare
    monkeypatch.setattr(data_module, "prepare", lambda X: made.append(X) or original(X))
    s = Session(blobs, init="random")
    assert len(made) == 1 and s.prepared.X is s.X
    prepared = s.prepared
    s.run_to_convergence(max_steps=3)
    s.half_step()
    assert len(made) == 1 and s.prepared is prepared
    s.add_point(1.0, 2.0)
    assert len(made) == 2 and s.prepared is not prepared and s.prepared.X is s.X
    pending = s.prepare_step()
    assert len(made) == 2 and s.apply_step(pending) is not None


def test_half_steps_compute_what_full_steps_do_on_large_data():
    """On data K-Means puts through a grid of cells, the M half-step uses the
    sums its E half-step made, as a full step does: the same bits."""
    from clusterviz.model.kmeans_grid import MIN_POINTS

    rng = np.random.default_rng(3)
    n = MIN_POINTS + 5
    X = np.concatenate([rng.normal(size=(n // 3, 2)) + c for c in ([0, 0], [4, 1], [1, 5])]) * 1e3 + 12345.678
    full = Session(Dataset("d", X, ("x", "y")), init="random", seed=1)
    halves = Session(Dataset("d", X.copy(), ("x", "y")), init="random", seed=1)
    for _ in range(4):
        full.step()
        halves.half_step()
        halves.half_step()
    m_full = [e for e in full.timeline if e.phase == "M"]
    m_halves = [e for e in halves.timeline if e.phase == "M"]
    assert len(m_full) == len(m_halves) == 4
    for a, b in zip(m_full, m_halves):
        np.testing.assert_array_equal(a.means, b.means)
        assert a.objective == b.objective and a.converged == b.converged
