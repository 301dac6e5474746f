"""True classes follow data edits; the adjusted Rand index against them; the
Qt-free sketch helpers (brush spray, dragged blob, eraser circle)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from clusterviz.data import Dataset, builtin_dataset
from clusterviz.data.sketch import drag_covariance, points_in_circle, sample_blob, spray_disc
from clusterviz.session import Session, default_class_name


def unlabelled(n: int = 12) -> Dataset:
    rng = np.random.default_rng(3)
    return Dataset("plain", rng.normal(size=(n, 2)), ("x", "y"))


# ------------------------------------------------------------------ classes
def test_add_points_with_classes_keeps_the_old_ones():
    s = Session(builtin_dataset("three_blobs"))
    old = s.dataset.labels.copy()
    s.add_points([[1.0, 2.0], [3.0, 4.0]], classes=[2, 0])
    np.testing.assert_array_equal(s.dataset.labels, np.concatenate([old, [2, 0]]))
    assert s.dataset.class_names == ("blob 1", "blob 2", "blob 3")


def test_a_new_class_code_gets_a_default_name():
    s = Session(builtin_dataset("three_blobs"))
    s.add_points([[1.0, 2.0]], classes=3)
    assert s.dataset.labels[-1] == 3
    assert s.dataset.class_names == ("blob 1", "blob 2", "blob 3", default_class_name(3)) == (
        "blob 1", "blob 2", "blob 3", "Class 4")


def test_painting_a_class_on_unclassified_data_puts_old_points_in_class_0():
    s = Session(unlabelled(5), n_clusters=2)
    s.add_points([[0.0, 0.0]], classes=1)
    np.testing.assert_array_equal(s.dataset.labels, [0, 0, 0, 0, 0, 1])
    assert s.dataset.class_names == ("Class 1", "Class 2")


def test_add_without_classes_still_drops_them():
    s = Session(builtin_dataset("three_blobs"))
    s.add_point(0.0, 0.0)
    assert s.dataset.labels is None and s.dataset.class_names is None


def test_remove_and_move_keep_the_classes_of_the_remaining_points():
    ds = builtin_dataset("three_blobs")
    s = Session(ds)
    s.remove_points([0, 150])
    np.testing.assert_array_equal(s.dataset.labels, np.delete(ds.labels, [0, 150]))
    s.move_point(0, 1.0, 1.0)
    np.testing.assert_array_equal(s.dataset.labels, np.delete(ds.labels, [0, 150]))


def test_set_data_with_classes_restores_exactly():
    ds = builtin_dataset("three_blobs")
    s = Session(ds)
    s.add_points([[9.0, 9.0]], classes=5)
    s.set_data(ds.X, classes=ds.labels, class_names=ds.class_names)
    np.testing.assert_array_equal(s.X, ds.X)
    np.testing.assert_array_equal(s.dataset.labels, ds.labels)
    assert s.dataset.class_names == ds.class_names
    s.set_data(ds.X, classes=None)
    assert s.dataset.labels is None


@pytest.mark.parametrize("bad", [-1, [0, 1, 2], 1.5, "a"])
def test_bad_classes_are_refused_with_a_message(bad):
    s = Session(builtin_dataset("three_blobs"))
    before = s.X.copy()
    with pytest.raises(ValueError, match="class"):
        s.add_points([[1.0, 2.0], [3.0, 4.0]], classes=bad)
    np.testing.assert_array_equal(s.X, before)


def test_edit_mid_run_keeps_parameters_and_truncates():
    s = Session(builtin_dataset("three_blobs"), seed=1)
    s.step()
    s.step()
    s.step_back()
    shown = s.state.means.copy()
    s.add_points([[0.0, 0.0]], classes=0)
    assert len(s.timeline) == 1 and s.state.phase == "init"
    np.testing.assert_array_equal(s.state.means, shown)


# ---------------------------------------------------------------------- ARI
@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "soft-kmeans"])
def test_ari_matches_scikit_learn_at_every_step(algorithm):
    ds = builtin_dataset("anisotropic")
    s = Session(ds, algorithm=algorithm, n_clusters=3, seed=2)
    for _ in range(6):
        s.half_step()
        state = s.state
        R = state.responsibilities
        expected = adjusted_rand_score(ds.labels, np.argmax(R, axis=1))
        assert s.adjusted_rand == pytest.approx(expected, abs=1e-12)
        assert f"ARI vs true classes = {expected:.3f}" in s.info_text()


def test_ari_at_init_uses_the_initial_assignment():
    ds = builtin_dataset("three_blobs")
    s = Session(ds, seed=0)
    e = s.model.e_step(s.X, s.entry)
    assert s.adjusted_rand == pytest.approx(adjusted_rand_score(ds.labels, e.labels))


def test_no_ari_without_classes_or_fit():
    assert Session(unlabelled()).adjusted_rand is None
    assert "ARI" not in Session(unlabelled()).info_text()
    s = Session(builtin_dataset("three_blobs"), n_clusters=3)
    s.set_data(np.empty((0, 2)), classes=np.empty(0, dtype=np.int64))
    assert s.adjusted_rand is None and s.state is None


# ------------------------------------------------------------------- sketch
def test_spray_disc_stays_inside_its_screen_circle():
    rng = np.random.default_rng(0)
    P = spray_disc((10.0, -5.0), 20.0, 500, rng, pixel_size=(0.1, 2.0))
    assert P.shape == (500, 2)
    d = (P - [10.0, -5.0]) / [0.1, 2.0]
    assert np.all(np.hypot(d[:, 0], d[:, 1]) <= 20.0 + 1e-9)
    assert np.hypot(d[:, 0], d[:, 1]).max() > 18.0  # it fills the disc
    np.testing.assert_array_equal(P, spray_disc((10.0, -5.0), 20.0, 500, np.random.default_rng(0),
                                                pixel_size=(0.1, 2.0)))


def test_blob_follows_the_drag():
    rng = np.random.default_rng(1)
    cov = drag_covariance((60.0, 0.0), minor_ratio=0.5, pixel_size=(0.5, 0.5))
    # 2 sigma along x = 60 px = 30 data units; across, half of it.
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), [15.0, 7.5])
    P = sample_blob((1.0, 2.0), cov, 4000, rng)
    np.testing.assert_allclose(P.mean(axis=0), [1.0, 2.0], atol=0.8)
    np.testing.assert_allclose(P.std(axis=0), [15.0, 7.5], rtol=0.05)


def test_diagonal_drag_tilts_the_blob():
    cov = drag_covariance((30.0, 30.0))
    values, vectors = np.linalg.eigh(cov)
    np.testing.assert_allclose(np.abs(vectors[:, 1]), [np.sqrt(0.5)] * 2)
    assert values[1] == pytest.approx(4 * values[0])


def test_points_in_circle_uses_screen_pixels():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    # 1 px = 0.1 data units along x, 1 along y: radius 15 px reaches x = 1.5 and y = 15.
    np.testing.assert_array_equal(points_in_circle(X, (0.0, 0.0), 15.0, (0.1, 1.0)), [0, 1, 2])
    with pytest.raises(ValueError, match="pixel_size"):
        points_in_circle(X, (0.0, 0.0), 1.0, (0.0, 1.0))


def test_info_line_says_the_centroids_were_placed_by_hand():
    s = Session(unlabelled(), n_clusters=3)
    assert "by hand" not in s.info_text()
    s.set_initial_means([[0.0, 0.0], [1.0, 1.0]])
    assert "Initial centroids placed by hand" in s.info_text() and s.n_clusters == 2
    s.step()
    assert "by hand" not in s.info_text()
