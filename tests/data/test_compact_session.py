"""Session files version 2: points and class codes as array blocks, bit-exact,
checked before they are decoded; version 1 files still open."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from clusterviz.data import DataError, builtin_dataset, load_session_file, save_session_file
from clusterviz.data.session_file import FORMAT_KEY, SaveCancelled
from clusterviz.session import Session

from .test_session_file import minimal_payload

EXTREMES = [9e307, -9e307, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, -0.0, 0.0,
            2.2250738585072014e-308, 0.1 + 0.2, 1.0 / 3.0]

finite = st.one_of(st.sampled_from(EXTREMES), st.floats(allow_nan=False, allow_infinity=False))


def payload_with(X: np.ndarray, labels: np.ndarray | None = None) -> dict:
    payload = minimal_payload()
    payload["dataset"].update(X=X, columns=[f"c{j}" for j in range(X.shape[1])], labels=labels)
    payload["view"]["columns"] = [0, min(1, X.shape[1] - 1)]
    return payload


def bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a, dtype="<f8").tobytes()


@settings(max_examples=60, deadline=None)
@given(X=hnp.arrays(np.float64, st.tuples(st.integers(0, 40), st.integers(1, 4)), elements=finite),
       with_labels=st.booleans(), data=st.data())
def test_arrays_round_trip_bit_for_bit(tmp_path_factory, X, with_labels, data):
    labels = None
    if with_labels:
        labels = data.draw(hnp.arrays(np.int64, X.shape[0], elements=st.integers(0, 9_999)))
    path = tmp_path_factory.mktemp("rt") / "r.clusterviz"
    save_session_file(path, payload_with(X, labels))
    back = load_session_file(path)["dataset"]
    assert back["X"].shape == X.shape and back["X"].dtype == np.float64
    assert bits(back["X"]) == bits(X)  # -0.0 stays -0.0, 5e-324 stays 5e-324
    if labels is None:
        assert back["labels"] is None
    else:
        assert back["labels"].dtype == np.int64 and back["labels"].tolist() == labels.tolist()


def test_a_session_comes_back_with_the_same_bits_and_timeline(tmp_path):
    ds = builtin_dataset("iris")
    s = Session(ds, algorithm="gmm", n_clusters=3, seed=4)
    s.run_to_convergence(max_steps=6)
    s.seek(3)
    path = tmp_path / "iris.clusterviz"
    save_session_file(path, s.to_payload())
    back = Session.from_payload(load_session_file(path), path.name)
    assert bits(back.X) == bits(s.X) and back.dataset.labels.tolist() == ds.labels.tolist()
    assert back.cursor == 3 and back.phases == s.phases
    assert back.objectives.tolist() == s.objectives.tolist()


def test_a_big_session_file_is_a_third_of_the_old_size(tmp_path):
    X = np.random.default_rng(0).normal(size=(20_000, 2))
    payload = payload_with(X)
    compact, old = tmp_path / "new.clusterviz", tmp_path / "old.clusterviz"
    save_session_file(compact, payload)
    save_session_file(old, payload, version=1)
    assert compact.stat().st_size < 0.6 * old.stat().st_size
    assert bits(load_session_file(old)["dataset"]["X"]) == bits(X)


def test_old_version_files_still_load(tmp_path):
    """A version 1 file as clusterviz 0.1 wrote it: plain lists."""
    old = minimal_payload()
    old[FORMAT_KEY] = 1
    old["dataset"]["labels"] = [0, 1, 1]
    old["dataset"]["class_names"] = ["a", "b"]
    path = tmp_path / "old.clusterviz"
    path.write_text(json.dumps(old, indent=1), encoding="utf-8")
    back = load_session_file(path)
    assert back[FORMAT_KEY] == 1 and back["dataset"]["X"] == old["dataset"]["X"]
    s = Session(builtin_dataset("three_blobs"), n_clusters=3)
    s.step()
    save_session_file(path, s.to_payload(), version=1)
    assert json.loads(path.read_text(encoding="utf-8"))[FORMAT_KEY] == 1
    restored = Session.from_payload(load_session_file(path), path.name)
    assert bits(restored.X) == bits(s.X) and restored.objectives.tolist() == s.objectives.tolist()


def saved_text(tmp_path) -> tuple[dict, Path]:
    payload = payload_with(np.arange(12, dtype=float).reshape(6, 2), np.array([0, 1, 0, 1, 0, 1]))
    path = tmp_path / "crafted.clusterviz"
    save_session_file(path, payload)
    return json.loads(path.read_text(encoding="utf-8")), path


def _nan_bits(block):
    raw = bytearray(base64.b64decode(block["base64"]))
    raw[8:16] = np.array([np.nan], dtype="<f8").tobytes()
    block["base64"] = base64.b64encode(bytes(raw)).decode("ascii")


CORRUPTIONS = {
    "short-by-one-row": (lambda p: p["dataset"]["X"].update(
        base64=base64.b64encode(base64.b64decode(p["dataset"]["X"]["base64"])[:-16]).decode()),
        r"field 'dataset\.X' has an array block of shape \(6, 2\) that needs 96 bytes .* has 108 characters"),
    "shape-says-a-billion-rows": (lambda p: p["dataset"]["X"].update(shape=[10**9, 2]),
                                  r"field 'dataset\.X' .*needs 16000000000 bytes"),
    "shape-beyond-any-int": (lambda p: p["dataset"]["X"].update(shape=[10**400, 2]),
                             r"field 'dataset\.X' has the array shape \[10+\.\.\.; expected 2 whole numbers"),
    "wrong-column-count": (lambda p: p["dataset"]["X"].update(shape=[4, 3]),
                           r"field 'dataset\.X' has 3 entries along axis 1 .*expected 2"),
    "not-base64": (lambda p: p["dataset"]["X"].update(base64="!" * len(p["dataset"]["X"]["base64"])),
                   r"field 'dataset\.X' .*not valid base64"),
    "wrong-dtype": (lambda p: p["dataset"]["X"].update(dtype=">f8"),
                    r"field 'dataset\.X' .*element type '>f8'; expected '<f8'"),
    "unknown-key": (lambda p: p["dataset"]["X"].update(compression="zip"),
                    r"field 'dataset\.X' .*unknown keys 'compression'"),
    "missing-shape": (lambda p: p["dataset"]["X"].pop("shape"), r"field 'dataset\.X' .*missing 'shape'"),
    "negative-shape": (lambda p: p["dataset"]["X"].update(shape=[-6, 2]), r"field 'dataset\.X' .*array shape"),
    "nan-in-the-bits": (lambda p: _nan_bits(p["dataset"]["X"]),
                        r"field 'dataset\.X\[0\]\[1\]' should be a finite number"),
    "labels-longer-than-X": (lambda p: p["dataset"]["labels"].update(
        shape=[7], base64=base64.b64encode(np.zeros(7, "<i8").tobytes()).decode()),
        r"field 'dataset\.labels' has 7 entries along axis 0 .*expected 6"),
    "huge-label-in-the-bits": (lambda p: p["dataset"]["labels"].update(
        base64=base64.b64encode(np.full(6, 2147483647, "<i8").tobytes()).decode()),
        r"field 'dataset\.labels\[0\]' should be a class code 0\.\.9999"),
    "block-in-a-version-1-file": (lambda p: p.update({FORMAT_KEY: 1}),
                                  r"field 'dataset\.X' is an array block, which needs format version 2"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_corrupt_array_blocks_are_refused_naming_the_file_and_field(tmp_path, case):
    payload, path = saved_text(tmp_path)
    corrupt, pattern = CORRUPTIONS[case]
    corrupt(payload)
    path.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(DataError, match=r"^crafted\.clusterviz: " + pattern) as err:
        load_session_file(path)
    assert "\n" not in str(err.value)


def test_a_cancelled_save_leaves_the_old_file(tmp_path):
    path = tmp_path / "s.clusterviz"
    save_session_file(path, minimal_payload())
    before = path.read_bytes()
    X = np.random.default_rng(1).normal(size=(300_000, 2))
    seen = []
    with pytest.raises(SaveCancelled):
        save_session_file(path, payload_with(X), progress=lambda done, total: seen.append((done, total)),
                          is_cancelled=lambda: len(seen) >= 3)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.clusterviz"]  # no temporary left


def test_progress_counts_up_to_the_file_size(tmp_path):
    path = tmp_path / "p.clusterviz"
    seen = []
    save_session_file(path, payload_with(np.random.default_rng(2).normal(size=(200_000, 2))),
                      progress=lambda done, total: seen.append((done, total)))
    size = path.stat().st_size
    assert len(seen) > 3 and all(total == size for _, total in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1][0] == size
