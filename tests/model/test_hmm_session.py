"""The HMM through the app's session: chosen by its registry name, stepped
half-step by half-step like the others, on data whose sequences follow the
edits."""
from __future__ import annotations

import numpy as np
import pytest

from clusterviz.data import Dataset, builtin_dataset
from clusterviz.model.registry import get_algorithm
from clusterviz.session import Session


def test_the_registry_entry_is_a_sequence_model():
    entry = get_algorithm("hmm")
    assert "HMM" in entry.label and entry.supports_sequences and entry.higher_is_better
    assert entry.objective_symbol == "ℓ" and "γ" in entry.responsibility_caption
    assert entry.half_step_labels[0].startswith("E") and "forward-backward" in entry.half_step_labels[0]
    assert set(entry.covariance_types) == {"full", "tied", "diag", "spherical"}
    assert not any(other.supports_sequences for other in map(get_algorithm, ("kmeans", "gmm", "soft-kmeans")))


def test_stepping_on_old_faithful_rises_past_the_mixture_and_steps_back():
    faithful = builtin_dataset("old_faithful")
    hmm = Session(faithful, algorithm="hmm", n_clusters=2, seed=0, max_iter=200)
    gmm = Session(faithful, algorithm="gmm", n_clusters=2, seed=0, max_iter=200)
    start = hmm.state
    assert start.startprob is not None and start.transmat.shape == (2, 2)
    e = hmm.half_step()
    assert e.phase == "E" and e.soft_responsibilities.shape == (272, 2)
    assert e.transition_counts.sum() == pytest.approx(271.0)
    m = hmm.half_step()
    assert m.phase == "M" and m.objective >= e.objective
    while hmm.can_step:
        hmm.step()
    while gmm.can_step:
        gmm.step()
    assert np.all(np.diff(hmm.objectives) >= -1e-9)
    assert hmm.state.objective > gmm.state.objective + 30.0  # -1096 against -1130
    hmm.seek(1)
    assert hmm.state.phase == "E" and hmm.state.soft_responsibilities is not None


def test_sequences_reach_the_model_and_follow_edits():
    X = np.random.default_rng(0).normal(size=(10, 2))
    session = Session(Dataset("walk", X, ("x", "y"), lengths=(4, 6)), algorithm="hmm", n_clusters=2)
    assert session.prepared.lengths.tolist() == [4, 6]
    session.add_points([[0.0, 0.0], [1.0, 1.0]])
    assert session.dataset.lengths == (4, 8) and session.prepared.lengths.tolist() == [4, 8]
    session.remove_points([0, 1, 2, 3])
    assert session.dataset.lengths == (8,)
    session.move_point(0, 5.0, 5.0)
    assert session.dataset.lengths == (8,)
    before = session.X.copy()
    session.remove_points([7])
    session.set_data(before)  # undo: the removed last row comes back to the last sequence
    assert session.dataset.lengths == (8,)
    assert session.state.transmat.shape == (2, 2)


def test_a_session_file_brings_the_hmm_back():
    session = Session(builtin_dataset("geyser"), algorithm="hmm", n_clusters=2, seed=1)
    session.step()
    session.half_step()
    again = Session.from_payload(session.to_payload())
    assert again.algorithm == "hmm"
    np.testing.assert_array_equal(again.objectives, session.objectives)
    np.testing.assert_allclose(again.state.transmat, session.state.transmat, rtol=1e-12)
