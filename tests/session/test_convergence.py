"""Convergence does not end a run: Step goes on past the tolerance, runs to
convergence stop at it; tol, max_iter and n_init as session settings; K is
refused beyond what the app can draw."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterviz.data import Dataset, builtin_dataset
from clusterviz.data.limits import MAX_CLUSTERS
from clusterviz.session import ALGORITHMS, Session, SessionPair
from clusterviz.session.settings import MAX_N_INIT


@pytest.fixture(scope="module")
def anisotropic() -> Dataset:
    return builtin_dataset("anisotropic")


@pytest.fixture(scope="module")
def blobs() -> Dataset:
    return builtin_dataset("three_blobs")


# ------------------------------------------------------------ past the tolerance
def test_em_on_anisotropic_is_stepped_past_convergence_until_it_wins(anisotropic):
    """With the app's defaults (init "random", seed 0) EM meets its tolerance
    at ARI ~0.5; stepping on, the same run separates the three elongated
    clusters."""
    s = Session(anisotropic, algorithm="gmm", n_clusters=3, init="random", seed=0)
    s.run_to_convergence()
    first = s.cursor
    assert s.met_tolerance and s.at_end and s.adjusted_rand < 0.6
    assert s.can_step, "Step stays available after convergence"
    assert "Tolerance met" in s.info_text() and "Step continues the run" in s.info_text()
    steps = 0
    while s.adjusted_rand < 0.95 and steps < 400:
        before = len(s.timeline)
        s.step()
        assert len(s.timeline) == before + 1  # each step computes a new entry of the same run
        steps += 1
    assert s.adjusted_rand >= 0.95, f"ARI {s.adjusted_rand:.3f} after {steps} steps past convergence"
    assert s.timeline[first].iteration + steps == s.entry.iteration
    assert np.all(np.diff(s.objectives) >= -1e-9 * abs(s.objectives[0]))  # EM never loses likelihood


def test_run_to_convergence_stops_at_the_tolerance_and_started_there_goes_on_to_max_iter(anisotropic):
    s = Session(anisotropic, algorithm="gmm", init="random", seed=0)
    s.run_to_convergence()
    met_at = s.entry.iteration
    assert s.met_tolerance and all(not e.converged for e in s.timeline[:-1])
    s.set_max_iter(met_at + 7)
    s.run_to_convergence()  # started on an entry meeting the tolerance: on to max_iter
    assert s.entry.iteration == met_at + 7 and s.reached_max_iter and not s.can_step
    assert f"max_iter = {met_at + 7} reached" in s.info_text()
    s.set_max_iter(met_at + 10)
    assert s.can_step  # a higher limit lets the run go on
    s.step()
    assert s.entry.iteration == met_at + 8


def test_half_steps_go_on_past_convergence_too(anisotropic):
    s = Session(anisotropic, algorithm="gmm", init="random", seed=0)
    s.run_to_convergence()
    n = len(s.timeline)
    s.half_step()
    s.half_step()
    assert s.phases[n:] == ("E", "M") and s.entry.iteration == s.timeline[n - 1].iteration + 1


def test_stepping_back_then_running_replays_up_to_the_tolerance(anisotropic):
    s = Session(anisotropic, algorithm="gmm", init="random", seed=0)
    s.run_to_convergence()
    met = s.cursor
    for _ in range(5):
        s.step()
    s.seek(2)
    s.run_to_convergence()  # replays the stored entries, and stops where the tolerance was first met
    assert s.cursor == met and len(s.timeline) == met + 6


def test_k_means_stops_at_its_fixed_point(blobs):
    s = Session(blobs, algorithm="kmeans", init="random", seed=6)
    s.run_to_convergence()
    assert s.met_tolerance and not s.can_step
    n = len(s.timeline)
    assert s.step() is s.state and s.half_step() is s.state and len(s.timeline) == n
    info = s.info_text()  # the reason once, not three ways
    assert info.count("onverged") == 1 and "No point changed its cluster, so the centres stay where they are" in info
    np.testing.assert_array_equal(s.timeline[-1].means, s.timeline[-2].means)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_steps_on_until_a_fixed_point_or_max_iter(blobs, algorithm):
    s = Session(blobs, algorithm=algorithm, init="random", seed=3, max_iter=60)
    s.run_to_convergence()
    assert s.met_tolerance
    while s.can_step:
        s.step()
    assert s.reached_max_iter or s.timeline[-1].converged
    assert s.entry.iteration <= 60
    assert s.prepare_step().changes_anything is False


def test_a_pair_still_waits_at_each_side_s_tolerance(blobs):
    pair = SessionPair(blobs, 3, init="random", seed=0)
    pair.run_to_convergence()
    assert pair.met_tolerance and not pair.can_step
    assert all(side.met_tolerance for side in pair.sides)
    n = [len(side.timeline) for side in pair.sides]
    pair.step()
    assert [len(side.timeline) for side in pair.sides] == n


# --------------------------------------------------------------------- tol
def test_tol_defaults_to_the_algorithm_s_and_can_be_set(blobs):
    s = Session(blobs, algorithm="gmm")
    assert s.settings.tol is None and s.tol == s.model.tol == 1e-3
    s.step()
    version, n = s.version, len(s.timeline)
    s.set_tol(1e-8)
    assert s.tol == s.model.tol == 1e-8 and s.settings.tol == 1e-8
    assert len(s.timeline) == n and s.version > version  # the run is kept; a step in flight is dropped
    s.set_algorithm("kmeans")
    assert s.model.tol == 1e-8  # the tolerance set is kept
    s.set_tol(None)
    assert s.settings.tol is None and s.tol == s.model.tol == 1e-4


def test_a_tighter_tolerance_meets_convergence_later(anisotropic):
    loose = Session(anisotropic, algorithm="gmm", init="random", seed=0)
    tight = Session(anisotropic, algorithm="gmm", init="random", seed=0, tol=1e-6)
    loose.run_to_convergence()
    tight.run_to_convergence()
    assert tight.entry.iteration > loose.entry.iteration
    np.testing.assert_array_equal(tight.objectives[:len(loose.objectives)], loose.objectives)


@pytest.mark.parametrize("tol", [-1e-3, float("nan"), float("inf"), "1e-3", True])
def test_a_bad_tol_is_refused_with_its_value(blobs, tol):
    s = Session(blobs)
    with pytest.raises(ValueError, match=r"tol=.* should be a finite number >= 0"):
        s.set_tol(tol)
    assert s.settings.tol is None


# ------------------------------------------------------------------ n_init
def _final_objective(dataset, algorithm, seed, init="random"):
    s = Session(dataset, algorithm=algorithm, init=init, seed=seed)
    s.run_to_convergence()
    return s.entry.objective


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_n_init_starts_from_the_seed_whose_run_ends_best(blobs, algorithm):
    seed, n_init = 2, 6
    s = Session(blobs, algorithm=algorithm, init="random", seed=seed, n_init=n_init)
    ends = {k: _final_objective(blobs, algorithm, k) for k in range(seed, seed + n_init)}
    pick = max if s.algorithm_entry.higher_is_better else min
    best = pick(ends.values())
    assert s.start_seed == min(k for k, v in ends.items() if v == best)
    assert s.seed == seed and s.n_init == n_init
    assert any(f"Best of {n_init} starts" in note for note in s.timeline[0].notes)
    # the timeline is that seed's own run, step for step
    alone = Session(blobs, algorithm=algorithm, init="random", seed=s.start_seed)
    np.testing.assert_array_equal(s.timeline[0].means, alone.timeline[0].means)
    s.run_to_convergence()
    assert s.entry.objective == best


def test_k_means_best_of_ten_finds_the_lowest_distortion(blobs):
    """Some of the seeds 0..9 stop in a poor local minimum; n_init=10 starts
    from one that does not."""
    ends = [_final_objective(blobs, "kmeans", seed) for seed in range(10)]
    s = Session(blobs, algorithm="kmeans", init="random", seed=0, n_init=10)
    s.run_to_convergence()
    assert s.entry.objective == min(ends)
    assert max(ends) > 1.5 * min(ends), "the data should have a poor local minimum for this test to mean much"


def test_n_init_one_uses_the_seed_and_changing_it_reinitialises(blobs):
    s = Session(blobs, init="random", seed=4)
    assert s.start_seed == 4 and s.n_init == 1
    s.step()
    s.set_n_init(5)
    assert len(s.timeline) == 1 and s.n_init == 5 and 4 <= s.start_seed <= 8
    s.set_n_init(1)
    assert s.start_seed == 4
    with pytest.raises(ValueError, match=r"n_init=0 should be a whole number >= 1"):
        s.set_n_init(0)
    with pytest.raises(ValueError, match=rf"n_init={MAX_N_INIT + 1} is too many starts.*from 1 to {MAX_N_INIT}"):
        s.set_n_init(MAX_N_INIT + 1)
    assert s.n_init == 1


def test_n_init_has_nothing_to_choose_with_hand_placed_means(blobs):
    s = Session(blobs, n_init=5, seed=3)
    s.set_initial_means([[0.0, 0.0], [5.0, 5.0], [2.0, 8.0]])
    assert s.start_seed == 3 and not any("Best of" in note for note in s.timeline[0].notes)


def test_n_init_shows_the_winning_seed_s_k_means_plus_plus_picks(blobs):
    s = Session(blobs, init="k-means++", seed=0, n_init=4, show_seeding=True)
    alone = Session(blobs, init="k-means++", seed=s.start_seed, show_seeding=True)
    assert s.n_seed_entries == 3
    for mine, theirs in zip(s.timeline[:4], alone.timeline[:4]):
        np.testing.assert_array_equal(mine.means, theirs.means)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000), n_init=st.integers(1, 4))
def test_the_start_chosen_is_never_worse_than_the_seed_s_own(seed, n_init):
    X = np.random.default_rng(seed).normal(size=(40, 2)) * [3.0, 1.0]
    ds = Dataset(name="cloud", X=X, columns=("x", "y"))
    best = Session(ds, n_clusters=4, init="random", seed=seed, n_init=n_init)
    own = Session(ds, n_clusters=4, init="random", seed=seed)
    best.run_to_convergence()
    own.run_to_convergence()
    assert seed <= best.start_seed < seed + n_init
    assert best.entry.objective <= own.entry.objective


# -------------------------------------------------------------------- K
@pytest.mark.parametrize("k", [MAX_CLUSTERS + 1, 45, 10**6])
def test_k_beyond_what_the_app_can_draw_is_refused_and_nothing_changes(blobs, k):
    s = Session(blobs, n_clusters=3)
    s.step()
    before = (s.n_clusters, len(s.timeline), s.version)
    with pytest.raises(ValueError, match=rf"n_clusters={k} is more than the app can show.*from 1 to {MAX_CLUSTERS}"):
        s.set_n_clusters(k)
    assert (s.n_clusters, len(s.timeline), s.version) == before
    with pytest.raises(ValueError, match="more than the app can show"):
        Session(blobs, n_clusters=k)


def test_k_below_one_is_refused(blobs):
    with pytest.raises(ValueError, match=r"n_clusters=0 should be a whole number >= 1"):
        Session(blobs).set_n_clusters(0)


def test_max_clusters_is_allowed(blobs):
    s = Session(blobs, n_clusters=MAX_CLUSTERS)
    assert s.n_clusters == MAX_CLUSTERS and s.state is not None


def test_too_many_hand_placed_means_are_refused(blobs):
    s = Session(blobs)
    means = np.random.default_rng(0).normal(size=(MAX_CLUSTERS + 1, 2))
    with pytest.raises(ValueError, match=rf"{MAX_CLUSTERS + 1} initial means are more than the app can show"):
        s.set_initial_means(means)
    assert s.n_clusters == 3 and s.initial_means is None


def test_a_pair_side_that_met_its_tolerance_does_not_go_on(blobs):
    pair = SessionPair(blobs, 3, init="random", seed=0)
    names = list(pair.sessions)
    assert all(pair.goes_on(name) for name in names)
    pair.run_to_convergence()
    assert not any(pair.goes_on(name) for name in names)
    assert pair.sessions[names[1]].can_step  # EM alone could step on; in the pair it waits
