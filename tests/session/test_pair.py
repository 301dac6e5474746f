"""SessionPair: K-Means and full-covariance EM stepped together."""
from __future__ import annotations

import numpy as np
import pytest

from clusterviz.data import builtin_dataset
from clusterviz.model import ModelError, registry
from clusterviz.session import Session, SessionPair
from clusterviz.session.pair import PAIR_ALGORITHMS


@pytest.fixture(scope="module")
def blobs():
    return builtin_dataset("three_blobs")


def test_the_two_sides_come_from_the_registry(blobs):
    hard, full = (registry.get_algorithm(name) for name in PAIR_ALGORITHMS)
    assert hard.hard and "full" in full.covariance_types and not full.hard
    pair = SessionPair(blobs, 3, seed=4)
    assert [s.algorithm for s in pair.sides] == list(PAIR_ALGORITHMS)
    assert pair.sides[1].covariance_type == "full"
    np.testing.assert_array_equal(pair.sides[0].entry.means, pair.sides[1].entry.means)


def test_steps_are_those_of_two_sessions_stepped_alone(blobs):
    pair = SessionPair(blobs, 3, seed=1, init="random")
    alone = [Session(blobs, algorithm=name, n_clusters=3, seed=1, init="random") for name in PAIR_ALGORITHMS]
    for _ in range(3):
        pair.step()
        for s in alone:
            s.step()
    for side, s in zip(pair.sides, alone):
        np.testing.assert_array_equal(side.objectives, s.objectives)
        np.testing.assert_array_equal(side.state.means, s.state.means)
    assert pair.cursor == 3 and len(pair.timeline) == 4 and all(len(t) == 2 for t in pair.timeline)


def test_a_converged_side_waits_while_the_other_goes_on(blobs):
    pair = SessionPair(blobs, 3, seed=0)
    pair.run_to_convergence()
    lengths = [len(s.timeline) for s in pair.sides]
    assert not pair.can_step and pair.at_end and pair.converged
    assert pair.cursor == max(lengths) - 1 and min(lengths) < max(lengths)
    short = int(np.argmin(lengths))
    assert pair.sides[short].cursor == lengths[short] - 1
    pair.seek(1)
    assert [s.cursor for s in pair.sides] == [1, 1]
    pair.seek(max(lengths) + 5)
    assert [s.cursor for s in pair.sides] == [n - 1 for n in lengths]
    pair.step_back()
    assert pair.cursor == max(lengths) - 2
    assert pair.sides[short].cursor == min(max(lengths) - 2, lengths[short] - 1)
    assert pair.timeline[-1][short] is pair.sides[short].timeline[-1]


def test_prepare_and_apply_like_a_session(blobs):
    pair = SessionPair(blobs, 3)
    pending = pair.prepare_step()
    assert pair.cursor == 0 and pending.changes_anything and pair.is_current(pending)
    assert pair.apply_step(pending) is not None and pair.cursor == 1
    assert pair.apply_step(pending) is None  # applied once: stale now
    pending = pair.prepare_step(half=True)
    pair.sides[0].reset()
    assert not pair.is_current(pending) and pair.apply_step(pending) is None
    version = pair.version
    pair.half_step()
    assert pair.version > version and [s.phases[-1] for s in pair.sides] == ["E", "E"]


def test_reset_goes_back_to_the_shared_start(blobs):
    pair = SessionPair(blobs, 3, initial_means=blobs.X[:3])
    start = [s.entry.means for s in pair.sides]
    pair.run_to_convergence(max_steps=2)
    assert pair.cursor == 2
    pair.reset()
    assert pair.at_start and [len(s.timeline) for s in pair.sides] == [1, 1]
    for s, means in zip(pair.sides, start):
        np.testing.assert_array_equal(s.entry.means, means)
    np.testing.assert_array_equal(start[0], blobs.X[:3])


def test_from_session_takes_data_k_init_seed_and_hand_placed_means(blobs):
    s = Session(blobs, algorithm="soft-kmeans", n_clusters=2, seed=7, init="random", max_iter=4)
    pair = SessionPair.from_session(s)
    assert [(p.n_clusters, p.seed, p.init, p.max_iter) for p in pair.sides] == [(2, 7, "random", 4)] * 2
    s.set_initial_means(blobs.X[5:9])
    assert SessionPair.from_session(s).n_clusters == 4


def test_a_side_whose_step_fails_waits_and_says_why(blobs, monkeypatch):
    pair = SessionPair(blobs, 3, seed=0)
    em = pair.sides[1]

    def fail(X, state):
        raise ModelError("Component 2 collapsed.")

    monkeypatch.setattr(em.model, "e_step", fail)
    pair.step()
    assert pair.sides[0].cursor == 1 and em.cursor == 0
    assert pair.errors == {PAIR_ALGORITHMS[0]: None, PAIR_ALGORITHMS[1]: "Component 2 collapsed."}
    pair.sides[0].run_to_convergence()
    with pytest.raises(ModelError, match="collapsed"):  # only the failing side could step
        pair.step()
    pair.seek(0)
    assert pair.errors == dict.fromkeys(PAIR_ALGORITHMS)


def test_without_points_there_is_nothing_to_step():
    pair = SessionPair(builtin_dataset("empty"), 3)
    assert pair.prepare_step() is None and pair.state is None and not pair.can_step
    assert "Add at least 3 points" in pair.problem
