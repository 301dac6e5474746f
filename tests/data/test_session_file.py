"""Session files: format checks and clear errors naming the file and field."""
from __future__ import annotations

import json

import pytest

from clusterviz.data import DataError, load_session_file, save_session_file
from clusterviz.data.session_file import FORMAT_KEY, FORMAT_VERSION, check_payload


def minimal_payload():
    return {
        FORMAT_KEY: FORMAT_VERSION,
        "dataset": {"name": "t", "columns": ["x", "y"], "X": [[0.0, 1.0], [2.5, -1.0], [1e-300, 3.0]],
                    "labels": None, "class_names": None},
        "settings": {"algorithm": "kmeans", "n_clusters": 2, "init": "k-means++", "seed": 0,
                     "covariance_type": "full", "beta": 1.0, "max_iter": 300},
        "initial_means": None,
        "view": {"columns": [0, 1], "projection": None, "center": None},
        "timeline": {"start": None, "phases": ["init"], "objectives": [1.0], "cursor": 0},
    }


def test_round_trip_is_exact(tmp_path):
    payload = minimal_payload()
    payload["dataset"]["X"][0][0] = 0.1 + 0.2  # not representable in few digits
    path = tmp_path / "lesson.clusterviz"
    save_session_file(path, payload)
    back = load_session_file(path)
    assert back["dataset"]["X"].tolist() == payload["dataset"]["X"]
    assert back["dataset"]["X"][0][0] == 0.1 + 0.2
    assert {k: v for k, v in back.items() if k != "dataset"} == {k: v for k, v in payload.items() if k != "dataset"}
    text = path.read_text(encoding="utf-8")
    assert json.loads(text)[FORMAT_KEY] == FORMAT_VERSION == 2


CHOICES = {"algorithm": ("kmeans", "gmm"), "init": ("random", "k-means++"), "covariance_type": ("full",)}


def test_failed_save_leaves_no_file(tmp_path):
    payload = minimal_payload()
    payload["settings"]["algorithm"] = "dbscan"
    path = tmp_path / "bad.clusterviz"
    with pytest.raises(DataError, match=r"bad\.clusterviz.*settings\.algorithm.*dbscan"):
        save_session_file(path, payload, choices=CHOICES)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def write(tmp_path, text, name="broken.clusterviz"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, pattern", [
    ("", r"broken\.clusterviz: the session file is empty"),
    ('{"clusterviz_session": 1, "dataset": {', r"broken\.clusterviz: .*corrupt or truncated.*line 1"),
    ("[1, 2, 3]", r"broken\.clusterviz: not a clusterviz session file"),
    ('{"hello": 1}', r"broken\.clusterviz: not a clusterviz session file"),
    ('{"clusterviz_session": 99}', r"broken\.clusterviz: .*format version 99, newer .*version 2"),
    ('{"clusterviz_session": "one"}', r"broken\.clusterviz: field 'clusterviz_session'"),
    ('{"clusterviz_session": 1}', r"broken\.clusterviz: field 'dataset' is missing"),
])
def test_bad_files_name_the_file_and_problem(tmp_path, text, pattern):
    with pytest.raises(DataError, match=pattern):
        load_session_file(write(tmp_path, text))


def test_truncated_real_file(tmp_path):
    path = tmp_path / "cut.clusterviz"
    save_session_file(path, minimal_payload())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"cut\.clusterviz: .*truncated"):
        load_session_file(path)


def test_not_utf8_and_missing_file(tmp_path):
    path = tmp_path / "binary.clusterviz"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataError, match=r"binary\.clusterviz: not a clusterviz session file"):
        load_session_file(path)
    with pytest.raises(DataError, match=r"nothere\.clusterviz: cannot read"):
        load_session_file(tmp_path / "nothere.clusterviz")


def test_nan_in_file_is_refused(tmp_path):
    text = json.dumps(minimal_payload()).replace("2.5", "NaN")
    with pytest.raises(DataError, match=r"broken\.clusterviz: .*NaN.*finite"):
        load_session_file(write(tmp_path, text))


def mutate(path_parts, value):
    payload = minimal_payload()
    target = payload
    for key in path_parts[:-1]:
        target = target[key]
    target[path_parts[-1]] = value
    return payload


@pytest.mark.parametrize("parts, value, field", [
    (("dataset", "X"), [[0.0, 1.0], [2.0]], "dataset.X"),
    (("dataset", "X"), [[0.0, 1.0], [2.0, "a"]], "dataset.X[1][1]"),
    (("dataset", "columns"), [], "dataset.columns"),
    (("dataset", "labels"), [0, 1], "dataset.labels"),
    (("dataset", "labels"), [0, -1, 0], "dataset.labels[1]"),
    (("settings", "n_clusters"), 0, "settings.n_clusters"),
    (("settings", "n_clusters"), True, "settings.n_clusters"),
    (("settings", "seed"), 1.5, "settings.seed"),
    (("settings", "beta"), -1, "settings.beta"),
    (("settings", "covariance_type"), 3, "settings.covariance_type"),
    (("initial_means",), [[0.0, 1.0, 2.0]], "initial_means"),
    (("view", "columns"), [0, 5], "view.columns"),
    (("view", "projection"), [[1.0, 0.0]], "view.projection"),
    (("timeline", "phases"), ["E", "M"], "timeline.phases"),
    (("timeline", "phases"), ["init", "E", "E"], "timeline.phases"),
    (("timeline", "objectives"), [1.0, 2.0], "timeline.objectives"),
    (("timeline", "cursor"), 4, "timeline.cursor"),
    (("timeline", "start"), {"means": [[0.0]], "weights": [1.0], "covariances": None, "objective": 0.0},
     "timeline.start.means"),
])
def test_wrong_shapes_and_values_name_the_field(parts, value, field):
    payload = mutate(parts, value)
    with pytest.raises(DataError) as info:
        check_payload(payload, "wrong.clusterviz")
    message = str(info.value)
    assert message.startswith("wrong.clusterviz: ")
    assert repr(field) in message


@pytest.mark.parametrize("field, value", [("algorithm", "dbscan"), ("init", "forgy"), ("covariance_type", "tied")])
def test_text_settings_are_checked_against_the_choices_given(field, value):
    payload = minimal_payload()
    payload["settings"][field] = value
    check_payload(payload, "lesson.clusterviz")  # without choices: any text
    with pytest.raises(DataError, match=rf"lesson\.clusterviz.*settings\.{field}.*{value}.*expected one of"):
        check_payload(payload, "lesson.clusterviz", choices=CHOICES)


def test_seed_entries_may_only_open_the_timeline():
    payload = minimal_payload()
    payload["settings"]["show_seeding"] = True
    payload["timeline"].update(phases=["seed", "seed", "init", "E"], objectives=[3.0, 1.0, 1.0, 1.0], cursor=0)
    check_payload(payload, "s.clusterviz")
    for phases in (["init", "seed"], ["seed"], ["seed", "E", "init"]):
        payload["timeline"].update(phases=phases, objectives=[1.0] * len(phases))
        with pytest.raises(DataError, match=r"s\.clusterviz.*timeline\.phases.*start with 'init'"):
            check_payload(payload, "s.clusterviz")


def test_show_seeding_must_be_a_boolean():
    payload = minimal_payload()
    payload["settings"]["show_seeding"] = 1
    with pytest.raises(DataError, match=r"settings\.show_seeding.*true or false"):
        check_payload(payload, "s.clusterviz")
