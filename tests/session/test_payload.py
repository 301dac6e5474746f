"""Session.to_payload / from_payload: a saved session comes back bit for bit."""
from __future__ import annotations

import json

import numpy as np
import pytest

from clusterviz.data import DataError, Dataset, builtin_dataset, load_csv, load_session_file, save_session_file
from clusterviz.data.transform import pca_projection
from clusterviz.data.session_file import FORMAT_VERSION
from clusterviz.session import Session


def iris():
    return load_csv("resources/datasets/iris.csv")


def round_trip(session, tmp_path, name="s.clusterviz"):
    path = tmp_path / name
    save_session_file(path, session.to_payload())
    return Session.from_payload(load_session_file(path), name)


def assert_same(a: Session, b: Session):
    np.testing.assert_array_equal(a.X, b.X)
    assert a.dataset.columns == b.dataset.columns and a.dataset.name == b.dataset.name
    for attr in ("algorithm", "n_clusters", "init", "seed", "covariance_type", "beta", "max_iter", "cursor",
                 "phases", "view_columns"):
        assert getattr(a, attr) == getattr(b, attr), attr
    np.testing.assert_array_equal(a.objectives, b.objectives)
    if a.state is None:
        assert b.state is None and a.problem == b.problem
        return
    np.testing.assert_array_equal(a.state.means, b.state.means)  # bit for bit
    np.testing.assert_array_equal(a.state.weights, b.state.weights)
    if a.state.covariances is None:
        assert b.state.covariances is None
    else:
        np.testing.assert_array_equal(a.state.covariances, b.state.covariances)
    if a.state.responsibilities is None:
        assert b.state.responsibilities is None
    else:
        np.testing.assert_array_equal(a.state.responsibilities, b.state.responsibilities)
    assert a.info_text() == b.info_text()


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm", "soft-kmeans"])
def test_round_trip_mid_timeline_with_half_steps(tmp_path, algorithm):
    s = Session(iris(), algorithm=algorithm, n_clusters=3, seed=4, covariance_type="diag", beta=3.0, max_iter=50)
    s.step()
    s.half_step()
    s.half_step()
    s.half_step()
    s.run_to_convergence(max_steps=4)
    s.seek(3)
    back = round_trip(s, tmp_path)
    assert_same(s, back)
    back.seek_end()
    s.seek_end()
    assert_same(s, back)


def test_classes_settings_and_initial_means_survive(tmp_path):
    ds = iris()
    s = Session(ds, algorithm="gmm", n_clusters=2, seed=11, covariance_type="tied")
    s.set_initial_means(ds.X[[0, 60, 120]])
    s.set_view_columns(2, 3)
    s.run_to_convergence(max_steps=3)
    back = round_trip(s, tmp_path)
    assert_same(s, back)
    np.testing.assert_array_equal(back.initial_means, ds.X[[0, 60, 120]])
    np.testing.assert_array_equal(back.dataset.labels, ds.labels)
    assert back.dataset.class_names == ds.class_names


def test_tolerance_and_starts_survive(tmp_path):
    s = Session(builtin_dataset("three_blobs"), algorithm="gmm", seed=4, tol=1e-6, n_init=3)
    s.step()
    back = round_trip(s, tmp_path)
    assert (back.tol, back.n_init, back.start_seed) == (1e-6, 3, s.start_seed)
    assert_same(s, back)


def test_hmm_after_an_edit_keeps_its_chain_and_sequences(tmp_path):
    ds = builtin_dataset("geyser")
    s = Session(ds, algorithm="hmm", n_clusters=2, seed=3)
    s.step()
    s.step()
    s.add_point(3.0, 70.0)  # the fit restarts from the shown parameters, transitions included
    s.step()
    back = round_trip(s, tmp_path)
    assert_same(s, back)
    np.testing.assert_array_equal(back.state.transmat, s.state.transmat)
    np.testing.assert_array_equal(back.state.startprob, s.state.startprob)
    assert back.dataset.lengths == s.dataset.lengths


@pytest.mark.parametrize("where, value, words", [
    (("settings", "tol"), -1.0, "settings.tol"),
    (("settings", "n_init"), 10**6, "settings.n_init"),
    (("dataset", "lengths"), [5, 5], "dataset.lengths"),
])
def test_bad_run_settings_and_lengths_are_refused_by_name(tmp_path, where, value, words):
    s = Session(builtin_dataset("three_blobs"), algorithm="gmm")
    payload = json.loads(json.dumps(s.to_payload(), default=lambda a: a.tolist()))
    payload[where[0]][where[1]] = value
    path = tmp_path / "bad.clusterviz"
    path.write_text(json.dumps(payload))
    with pytest.raises(DataError, match=words.replace(".", r"\.")):
        load_session_file(path)


def test_restart_after_data_edit_is_restored(tmp_path):
    """After an edit the fit restarts from the shown parameters, which the
    seed alone cannot reproduce: the file stores that first entry."""
    s = Session(builtin_dataset("three_blobs"), algorithm="kmeans", n_clusters=3, seed=0)
    s.run_to_convergence(max_steps=3)
    s.add_point(0.5, 0.5)
    s.step()
    s.half_step()
    fresh = Session(s.dataset, algorithm="kmeans", n_clusters=3, seed=0)
    assert not np.array_equal(fresh.timeline[0].means, s.timeline[0].means)
    assert_same(s, round_trip(s, tmp_path))


def test_pca_view_survives(tmp_path):
    s = Session(iris(), algorithm="gmm", n_clusters=3)
    W, mean, _ = pca_projection(s.X)
    s.set_view_projection(W, mean)
    back = round_trip(s, tmp_path)
    np.testing.assert_array_equal(back.view_projection, W)
    np.testing.assert_array_equal(back.view_center, mean)


def test_too_few_points_round_trip(tmp_path):
    ds = Dataset("two", np.array([[0.0, 0.0], [1.0, 1.0]]), ("x", "y"))
    s = Session(ds, n_clusters=3)
    assert s.state is None
    back = round_trip(s, tmp_path)
    assert back.state is None and back.problem == s.problem


def test_payload_is_plain_json():
    s = Session(iris(), algorithm="gmm", n_clusters=3)
    s.step()
    text = json.dumps(s.to_payload(), allow_nan=False)
    assert f'"clusterviz_session": {FORMAT_VERSION}' in text


def test_tampered_objectives_raise_data_error(tmp_path):
    s = Session(iris(), algorithm="kmeans", n_clusters=3)
    s.run_to_convergence(max_steps=3)
    payload = s.to_payload()
    payload["timeline"]["objectives"][2] *= 1.5
    with pytest.raises(DataError, match=r"edited\.clusterviz: field 'timeline\.objectives' entry 2"):
        Session.from_payload(payload, "edited.clusterviz")


def test_timeline_longer_than_the_fit_raises(tmp_path):
    s = Session(builtin_dataset("three_blobs"), algorithm="kmeans", n_clusters=3)
    s.run_to_convergence()
    payload = s.to_payload()
    payload["timeline"]["phases"] += ["M"]
    payload["timeline"]["objectives"] += [payload["timeline"]["objectives"][-1]]
    with pytest.raises(DataError, match=r"x\.clusterviz: field 'timeline\.phases' cannot be replayed"):
        Session.from_payload(payload, "x.clusterviz")


def test_bad_setting_value_raises_data_error():
    s = Session(iris(), n_clusters=3)
    payload = s.to_payload()
    payload["initial_means"] = [[1.0, 2.0, 3.0, 4.0]] * 3
    payload["initial_means"][1] = [1.0, 2.0, 3.0]
    with pytest.raises(DataError, match=r"y\.clusterviz: field 'initial_means'"):
        Session.from_payload(payload, "y.clusterviz")


def test_projection_view_refuses_moving_points_and_is_cleared_by_columns():
    s = Session(iris(), n_clusters=3)
    W, mean, _ = pca_projection(s.X)
    s.set_view_projection(W, mean)
    with pytest.raises(ValueError, match="PCA projection"):
        s.move_point(0, 1.0, 2.0)
    with pytest.raises(ValueError, match=r"shape \(2, 4\)"):
        s.set_view_projection(W[:, :3])
    s.set_view_columns(1, 2)
    assert s.view_projection is None and s.view_center is None
    s.set_view_projection(W, mean)
    s.load_dataset(builtin_dataset("three_blobs"))
    assert s.view_projection is None


@pytest.mark.parametrize("field, value", [("algorithm", "dbscan"), ("init", "forgy"), ("covariance_type", "round")])
def test_settings_a_file_may_hold_come_from_the_registry(field, value):
    from clusterviz.session import ALGORITHMS, COVARIANCE_TYPES, INITS
    from clusterviz.session.payload import SETTING_CHOICES

    assert SETTING_CHOICES == {"algorithm": ALGORITHMS, "init": INITS, "covariance_type": COVARIANCE_TYPES}
    payload = Session(builtin_dataset("three_blobs"), n_clusters=3).to_payload()
    payload["settings"][field] = value
    with pytest.raises(DataError, match=rf"^x\.clusterviz: field 'settings\.{field}' is '{value}'; expected one of"):
        Session.from_payload(payload, "x.clusterviz")


@pytest.mark.parametrize("k", [13, 40, 10**6])
def test_a_session_file_with_k_above_the_maximum_is_refused(tmp_path, k):
    payload = Session(builtin_dataset("three_blobs"), n_clusters=3).to_payload()
    payload["settings"]["n_clusters"] = k
    path = tmp_path / "huge.clusterviz"
    path.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(DataError, match=r"huge\.clusterviz: field 'settings\.n_clusters' is .*at most 12"):
        Session.from_payload(load_session_file(path), path.name)

