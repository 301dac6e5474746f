"""k-means++ picks as "seed" timeline entries (Session.set_show_seeding)."""
from __future__ import annotations

import numpy as np
import pytest

from clusterviz.data import builtin_dataset, load_session_file, save_session_file
from clusterviz.model.seeding import kmeans_plusplus_picks
from clusterviz.session import ALGORITHMS, Session


@pytest.fixture(scope="module")
def blobs():
    return builtin_dataset("three_blobs")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_the_timeline_opens_with_one_entry_per_pick(blobs, algorithm):
    s = Session(blobs, algorithm=algorithm, n_clusters=4, seed=3, show_seeding=True)
    picks = list(kmeans_plusplus_picks(blobs.X, 4, 3))
    assert s.phases == ("seed",) * 4 + ("init",)
    assert s.n_seed_entries == 4 and s.cursor == 0
    np.testing.assert_array_equal(s.fit_entries, [False] * 4 + [True])
    for entry, pick in zip(s.timeline, picks):
        assert entry.seeding.chosen == pick.chosen
        np.testing.assert_array_equal(entry.means, pick.centers)
        assert entry.means.shape == (pick.number + 1, 2)
        assert entry.objective == pick.potential
        assert entry.labels is None and entry.soft_responsibilities is None
    np.testing.assert_array_equal(s.objectives[:4], [p.potential for p in picks])
    # the last pick's centres are where the fit starts (EM starts from K-Means' means)
    np.testing.assert_array_equal(s.timeline[3].means, s.timeline[4].means)
    plain = Session(blobs, algorithm=algorithm, n_clusters=4, seed=3)
    np.testing.assert_array_equal(plain.timeline[0].means, s.timeline[4].means)


def test_step_back_and_seek_walk_through_the_picks(blobs):
    s = Session(blobs, n_clusters=3, show_seeding=True)
    assert s.state.phase == "seed" and s.state.seeding.number == 0 and s.state.labels is None
    assert s.assign(blobs.X[:5]) is None and s.adjusted_rand is None and s.n_changed is None
    assert "centre 1 of 3" in s.info_text()
    s.step()
    assert s.cursor == 1 and s.entry.seeding.number == 1
    s.half_step()
    s.step()
    assert s.entry.phase == "init"
    assert s.shown_means().shape == (3, 2)
    s.step()
    assert s.phases[-1] == "M" and s.cursor == 4
    s.step_back()
    s.step_back()
    assert s.entry.phase == "seed" and s.entry.seeding.number == 2
    s.seek(0)
    assert s.shown_means().shape == (1, 2)
    s.run_to_convergence()
    assert s.converged and s.fit_entries[3:].all()


def test_seeding_is_shown_only_for_kmeans_plusplus_without_hand_placed_means(blobs):
    s = Session(blobs, n_clusters=3, init="random")
    version = s.version
    s.set_show_seeding(True)
    assert s.show_seeding and s.phases == ("init",) and s.version == version
    s.set_init("k-means++")
    assert s.phases == ("seed",) * 3 + ("init",)
    s.set_initial_means(blobs.X[:2])
    assert s.phases == ("init",) and not s.show_seeding  # hand-placed means end the seeding mode
    s.set_initial_means(None)
    assert s.phases == ("init",)
    s.set_show_seeding(True)
    assert s.phases == ("seed",) * 2 + ("init",)
    s.set_show_seeding(False)
    assert s.phases == ("init",)
    with pytest.raises(ValueError, match="show_seeding"):
        s.set_show_seeding("yes")


def test_editing_data_on_a_pick_reinitialises_and_after_it_restarts(blobs):
    s = Session(blobs, n_clusters=3, show_seeding=True)
    s.remove_points([0])
    assert s.phases == ("seed",) * 3 + ("init",) and s.n_points == blobs.X.shape[0] - 1
    s.seek_end()
    s.step()
    s.remove_points([1])
    assert s.phases == ("init",) and "Restarted" in s.entry.notes[0]


def test_beta_on_a_pick_reinitialises(blobs):
    s = Session(blobs, algorithm="soft-kmeans", n_clusters=3, show_seeding=True)
    s.set_beta(4.0)
    assert s.phases == ("seed",) * 3 + ("init",) and s.cursor == 0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_session_with_picks_comes_back_from_its_file(blobs, algorithm, tmp_path):
    s = Session(blobs, algorithm=algorithm, n_clusters=3, seed=5, show_seeding=True)
    s.seek_end()
    s.step()
    s.half_step()
    s.seek(1)
    path = tmp_path / "seed.clusterviz"
    save_session_file(path, s.to_payload())
    back = Session.from_payload(load_session_file(path), path.name)
    assert back.show_seeding and back.phases == s.phases and back.cursor == 1
    np.testing.assert_array_equal(back.objectives, s.objectives)
    assert back.entry.seeding.chosen == s.entry.seeding.chosen


def test_a_file_whose_picks_do_not_match_its_settings_is_refused(blobs):
    from clusterviz.data import DataError

    s = Session(blobs, n_clusters=3, show_seeding=True)
    payload = s.to_payload()
    payload["settings"]["show_seeding"] = False
    with pytest.raises(DataError, match=r"f\.clusterviz.*timeline\.phases.*3 'seed' entries"):
        Session.from_payload(payload, "f.clusterviz")
    payload = s.to_payload()
    payload["timeline"]["objectives"][1] *= 2
    with pytest.raises(DataError, match=r"timeline\.objectives' entry 1"):
        Session.from_payload(payload, "f.clusterviz")


def test_a_restarted_fit_with_seeding_on_comes_back(blobs):
    s = Session(blobs, n_clusters=3, show_seeding=True)
    s.seek_end()
    s.step()
    s.remove_points([0, 1])
    s.step()
    back = Session.from_payload(s.to_payload(), "r.clusterviz")
    assert back.phases == ("init", "M") and back.show_seeding
    np.testing.assert_array_equal(back.state.means, s.state.means)


def test_choosing_another_init_ends_the_seeding_mode(blobs):
    """Leaving k-means++ turns show_seeding off: the file says so, and going
    back to k-means++ does not bring the picks back."""
    s = Session(blobs, n_clusters=3, show_seeding=True)
    assert s.n_seed_entries == 3
    s.set_init("random")
    assert not s.show_seeding and s.phases == ("init",)
    assert s.to_payload()["settings"]["show_seeding"] is False
    s.set_init("k-means++")
    assert not s.show_seeding and s.phases == ("init",)
    s.set_init("random")
    s.set_show_seeding(True)  # allowed, but shows nothing until k-means++ is chosen
    version = s.version
    s.set_init("random")
    assert not s.show_seeding and s.version == version and s.phases == ("init",)
