"""Fuzzing session files: every mutated file either opens -- a
Session with finite data, a finite shown state (or a `problem`) and a view
that keeps the points finite -- or raises `DataError`, never anything else;
and opening it the way the app does (`load_session_file`, then
`Session.from_payload`, then `adopt` into the open session) never changes
the open session when it fails.

Valid files come from real sessions (`Session.to_payload` +
`save_session_file`): each algorithm, half-steps, a data edit (a stored
start entry), hand-placed means, a PCA view. Mutations: truncation, byte
flips and insertions, wrong encodings, NUL bytes, deep nesting, and JSON-level
edits that put odd values (huge integers, 1e308, -0.0, denormals, wrong
types, missing or extra keys) anywhere in the tree. Seeded loops and
derandomized hypothesis keep the run identical everywhere.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterviz.data import DataError, builtin_dataset
from clusterviz.data.session_file import load_session_file, save_session_file
from clusterviz.data.transform import pca_projection, project_points
from clusterviz.model import ModelError
from clusterviz.session import Session

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=120,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ODD_VALUES = [None, True, False, 0, -1, 1, 3, 2**31, 2**63, 10**400, -(10**400), 1e308, -1e308, 5e-324,
              -0.0, 0.5, 1e-300, "", "x", "kmeans", "gmm", "E", "init", [], [0], [[0.0, 0.0]],
              [[1e308, 1e308], [1.0, 0.0]], {}, {"a": 1}, [None], [[[1.0, 2.0], [2.0, 1.0]]]]


def _sessions() -> dict[str, Session]:
    out = {}
    s = Session(builtin_dataset("three_blobs"), algorithm="gmm", n_clusters=3, seed=2)
    s.step()
    s.half_step()
    out["gmm-full-half-step"] = s
    s = Session(builtin_dataset("old_faithful"), algorithm="kmeans", n_clusters=2, init="random", seed=1)
    s.run_to_convergence(max_steps=3)
    s.step_back()
    out["kmeans-stepped-back"] = s
    s = Session(builtin_dataset("moons"), algorithm="soft-kmeans", n_clusters=4, beta=3.0)
    s.step()
    s.add_point(0.5, 0.25)  # a data edit: the timeline restarts from a stored start entry
    s.step()
    out["soft-kmeans-after-edit"] = s
    s = Session(builtin_dataset("unequal_sizes"), algorithm="gmm", covariance_type="tied", n_clusters=2)
    s.set_initial_means([[0.0, 0.0], [1.0, 1.0]])
    s.step()
    out["gmm-tied-hand-placed"] = s
    s = Session(builtin_dataset("iris"), algorithm="gmm", covariance_type="diag", n_clusters=3)
    W, mean, _ = pca_projection(s.X)
    s.set_view_projection(W, mean)
    s.step()
    out["gmm-diag-iris-pca"] = s
    return out


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("valid_sessions")
    files = {}
    for name, session in _sessions().items():
        path = folder / f"{name}.clusterviz"
        save_session_file(path, session.to_payload())
        files[name] = path.read_bytes()
        restored = Session.from_payload(load_session_file(path), path.name)  # the seeds are valid
        assert restored.to_payload() == session.to_payload()
    return files


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz_sessions")


def fingerprint(session: Session) -> tuple:
    return (json.dumps(session.to_payload(), sort_keys=True), session.cursor, len(session.timeline))


def assert_session_sane(s: Session) -> None:
    assert np.all(np.isfinite(s.X))
    state = s.state
    if state is None:
        assert isinstance(s.problem, str) and s.problem
    else:
        for value in (state.means, state.weights, state.covariances, state.responsibilities):
            if value is not None:
                assert np.all(np.isfinite(value))
        assert np.isfinite(state.objective) and np.all(np.isfinite(s.objectives))
        assert 0 <= s.cursor < len(s.timeline)
    if s.view_projection is not None:
        assert np.all(np.isfinite(project_points(s.X, s.view_projection, s.view_center)))


def open_session_into(current: Session, path: Path) -> bool:
    """What File > Open session does: read and rebuild a new session (the
    controller then adopts it). A failure must leave the open session exactly
    as it was; a success must be usable."""
    before = fingerprint(current)
    try:
        restored = Session.from_payload(load_session_file(path), path.name)
    except DataError as err:
        assert str(err).startswith(path.name), err  # the message names the file
        assert len(str(err)) < 2000
        assert fingerprint(current) == before
        return False
    assert fingerprint(current) == before  # the open session is left alone
    assert_session_sane(restored)
    try:  # and the restored fit can go on (or refuse in words)
        restored.step()
    except ModelError as err:
        assert str(err)
    assert_session_sane(restored)
    return True


def check_file(path: Path) -> bool:
    """The invariant without an open session."""
    try:
        restored = Session.from_payload(load_session_file(path), path.name)
    except DataError as err:
        assert str(err)
        return False
    assert_session_sane(restored)
    return True


# ----------------------------------------------------------------------
# Byte-level mutations
# ----------------------------------------------------------------------
def truncate(rng, data):
    return data[: int(rng.integers(0, len(data) + 1))]


def flip_bits(rng, data):
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 6))):
        i = int(rng.integers(0, len(b)))
        b[i] ^= 1 << int(rng.integers(0, 8))
    return bytes(b)


def insert_bytes(rng, data):
    token = [b"\x00", b"\xff", b",", b"]", b"{", b'"', b"-", b"e400", b"9" * 30, b"NaN", b"Infinity",
             b"\n", b"\xc3", b"0" * 5000][int(rng.integers(0, 14))]
    i = int(rng.integers(0, len(data) + 1))
    return data[:i] + token + data[i:]


def delete_span(rng, data):
    i = int(rng.integers(0, len(data)))
    return data[:i] + data[i + int(rng.integers(1, 40)):]


def digit_change(rng, data):
    """Change one digit of a number: the file stays valid JSON, but its data
    and stored objectives disagree (or a shape/class code changes)."""
    positions = [i for i, c in enumerate(data) if 48 <= c <= 57]
    b = bytearray(data)
    i = positions[int(rng.integers(0, len(positions)))]
    b[i] = 48 + (b[i] - 48 + int(rng.integers(1, 10))) % 10
    return bytes(b)


def wrong_encoding(rng, data):
    text = data.decode("utf-8", errors="replace").replace('"saved_by": "clusterviz"', '"saved_by": "clusterviz é"')
    return text.encode(["utf-16", "utf-32", "latin-1", "cp1252"][int(rng.integers(0, 4))], errors="replace")


BYTE_MUTATIONS = [truncate, flip_bits, insert_bytes, delete_span, digit_change, wrong_encoding]


@pytest.mark.parametrize("mutation", BYTE_MUTATIONS, ids=[m.__name__ for m in BYTE_MUTATIONS])
def test_byte_mutations_open_or_raise_data_error(mutation, valid_files, fuzz_dir):
    rng = np.random.default_rng(BYTE_MUTATIONS.index(mutation))
    names = sorted(valid_files)
    current = Session(builtin_dataset("three_blobs"), algorithm="gmm", n_clusters=3)
    current.step()
    path = fuzz_dir / f"{mutation.__name__}.clusterviz"
    opened = 0
    for n in range(30):
        data = valid_files[names[n % len(names)]]
        for _ in range(int(rng.integers(1, 3))):
            data = mutation(rng, data) if data else data
        path.write_bytes(data)
        opened += open_session_into(current, path)
    if mutation is truncate:
        assert opened <= 5  # a cut file is corrupt (unless cut after the last brace)


# ----------------------------------------------------------------------
# JSON-level mutations: odd values anywhere in the tree
# ----------------------------------------------------------------------
def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):  # the first few rows suffice
            yield from _paths(v, prefix + (i,))


def _set(tree, path, value):
    if not path:
        return value
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return tree


def mutate_json(rng, payload):
    payload = json.loads(json.dumps(payload))
    paths = list(_paths(payload))
    path = paths[int(rng.integers(0, len(paths)))]
    how = int(rng.integers(0, 4))
    if how <= 1:
        return _set(payload, path, ODD_VALUES[int(rng.integers(0, len(ODD_VALUES)))])
    parent_path, key = path[:-1], path[-1] if path else None
    parent = payload
    for k in parent_path:
        parent = parent[k]
    if how == 2 and isinstance(parent, dict) and key is not None:
        del parent[key]  # a missing field
    elif how == 2 and isinstance(parent, list) and key is not None:
        parent.append(parent[key])  # a longer list
    elif isinstance(parent, list) and key is not None:
        del parent[key]  # a shorter list
    elif isinstance(parent, dict):
        parent["unexpected"] = ODD_VALUES[int(rng.integers(0, len(ODD_VALUES)))]
    return payload


@pytest.mark.parametrize("which", range(5))
def test_json_mutations_open_or_raise_data_error(which, valid_files, fuzz_dir):
    name = sorted(valid_files)[which]
    payload = json.loads(valid_files[name])
    rng = np.random.default_rng(1000 + which)
    current = Session(builtin_dataset("moons"), algorithm="soft-kmeans", n_clusters=2)
    current.step()
    path = fuzz_dir / f"json-{name}.clusterviz"
    outcomes = []
    for _ in range(60):
        mutated = payload
        for _ in range(int(rng.integers(1, 3))):
            mutated = mutate_json(rng, mutated)
        path.write_text(json.dumps(mutated, allow_nan=True), encoding="utf-8")
        outcomes.append(open_session_into(current, path))
    assert not all(outcomes)  # most odd values are refused ...


def test_mutated_payload_objects_raise_data_error_from_from_payload(valid_files):
    """`Session.from_payload` on its own (the recovery file path hands it a
    dict too) refuses odd payloads with a DataError."""
    rng = np.random.default_rng(7)
    for name in sorted(valid_files):
        payload = json.loads(valid_files[name])
        for _ in range(20):
            mutated = mutate_json(rng, payload)
            try:
                restored = Session.from_payload(mutated, "recovery")
            except DataError:
                continue
            assert_session_sane(restored)


# ----------------------------------------------------------------------
# Hand-made files
# ----------------------------------------------------------------------
HAND_MADE = {
    "empty": b"",
    "whitespace": b" \n\t ",
    "nul": b"\x00" * 10,
    "deeply-nested-list": b"[" * 100_000 + b"]" * 100_000,
    "deeply-nested-object": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "top-level-list": b"[1, 2, 3]",
    "top-level-number": b"1e400",
    "nan": b'{"clusterviz_session": NaN}',
    "5000-digit-number": b'{"clusterviz_session": ' + b"9" * 5000 + b"}",
    "future-version": b'{"clusterviz_session": 99}',
    "utf16-bom": "{}".encode("utf-16"),
    "very-long-string": b'{"clusterviz_session": 1, "dataset": {"name": "' + b"x" * 1_000_000 + b'"}}',
}


@pytest.mark.parametrize("name", list(HAND_MADE))
def test_hand_made_files_raise_data_error(name, fuzz_dir):
    path = fuzz_dir / f"{name}.clusterviz"
    path.write_bytes(HAND_MADE[name])
    with pytest.raises(DataError) as err:
        Session.from_payload(load_session_file(path), path.name)
    assert str(err.value).startswith(path.name) and len(str(err.value)) < 500


def _edited(valid_files, name, edit):
    payload = json.loads(valid_files[name])
    edit(payload)
    return payload


START = {"means": [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]], "weights": [0.2, 0.3, 0.5],
         "covariances": [[[1.0, 0.0], [0.0, 1.0]]] * 3, "objective": -5.0, "notes": []}

EDITS = {
    "huge-int-in-X": lambda p: p["dataset"].update(X=[[10**400] * len(p["dataset"]["columns"])]),
    "huge-class-code": lambda p: p["dataset"].update(labels=[2**40] * len(p["dataset"]["X"]), class_names=None),
    "huge-seed": lambda p: p["settings"].__setitem__("seed", 10**30),
    "huge-max-iter": lambda p: p["settings"].__setitem__("max_iter", 10**30),
    "huge-k": lambda p: p["settings"].__setitem__("n_clusters", 10**30),
    "overflowing-projection": lambda p: p["view"].update(projection=[[1e308, 1e308], [1.0, 0.0]],
                                                           center=[0.0, 0.0]),
    "indefinite-start-covariance": lambda p: p["timeline"].update(
        start=dict(START, covariances=[[[1.0, 2.0], [2.0, 1.0]]] * 3), phases=["init"], objectives=[-5.0],
        cursor=0),
    "start-weights-sum-to-10": lambda p: p["timeline"].update(
        start=dict(START, weights=[2.0, 3.0, 5.0]), phases=["init"], objectives=[-5.0], cursor=0),
    "start-objective-does-not-match": lambda p: p["timeline"].update(
        start=START, phases=["init"], objectives=[-5.0], cursor=0),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_tampered_fields_raise_data_error(edit, valid_files, fuzz_dir):
    payload = _edited(valid_files, "gmm-full-half-step", EDITS[edit])
    path = fuzz_dir / f"{edit}.clusterviz"
    path.write_text(json.dumps(payload), encoding="utf-8")
    current = Session(builtin_dataset("iris"), algorithm="kmeans")
    assert not open_session_into(current, path)


# ----------------------------------------------------------------------
# Hypothesis: random bytes spliced into valid files (derandomized)
# ----------------------------------------------------------------------
@FUZZ
@given(which=st.integers(0, 4), at=st.integers(0, 10**6), cut=st.integers(0, 40), blob=st.binary(max_size=40))
def test_random_bytes_spliced_into_a_session_file(which, at, cut, blob, valid_files, tmp_path_factory):
    data = valid_files[sorted(valid_files)[which]]
    i = at % (len(data) + 1)
    path = tmp_path_factory.getbasetemp() / "hypothesis-splice.clusterviz"
    path.write_bytes(data[:i] + blob + data[i + cut:])
    check_file(path)


@FUZZ
@given(value=st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8), which=st.integers(0, 4), spot=st.integers(0, 10**6))
def test_random_json_values_anywhere(value, which, spot, valid_files):
    payload = json.loads(valid_files[sorted(valid_files)[which]])
    paths = list(_paths(payload))
    mutated = _set(payload, paths[spot % len(paths)], value)
    try:
        restored = Session.from_payload(mutated, "hypothesis")
    except DataError:
        return
    assert_session_sane(restored)
