"""Hostile files: sizes checked before anything is built, only regular files read.

A FIFO or a symlink to /dev/zero used to hang or read until memory ran out,
so those opens run in a subprocess with a timeout (and an address-space
limit): a regression fails the test instead of hanging the suite.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from clusterviz.data import DataError, load_csv, load_session_file
from clusterviz.data.limits import MAX_CLASS_CODE, MAX_CLUSTERS, MAX_CSV_BYTES, MAX_SESSION_BYTES
from clusterviz.data.session_file import check_payload

from .test_session_file import minimal_payload

REPO = Path(__file__).resolve().parents[2]

_OPEN = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))
    from clusterviz.data import DataError, load_csv, load_session_file
    opener = load_csv if sys.argv[1] == "csv" else load_session_file
    try:
        opener(sys.argv[2])
    except DataError as err:
        print(err)
        sys.exit(3)
    except BaseException as err:
        print(type(err).__name__, err)
        sys.exit(4)
""")


def open_in_subprocess(kind: str, path: Path) -> str:
    """What opening ``path`` says, from a subprocess that must finish in 20 s."""
    try:
        done = subprocess.run([sys.executable, "-c", _OPEN, kind, str(path)], cwd=REPO, capture_output=True,
                              text=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"opening {path.name} as {kind} did not finish in 20 s")
    assert done.returncode == 3, (done.returncode, done.stdout, done.stderr)
    return done.stdout.strip()


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


@needs_fifo
@pytest.mark.parametrize("kind, name", [("csv", "f.csv"), ("session", "f.clusterviz"),
                                        ("session", "recovery-123.clusterviz")])
def test_a_fifo_is_refused_at_once(tmp_path, kind, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    message = open_in_subprocess(kind, fifo)
    assert message.startswith(f"{name} is not a regular file"), message


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("kind, name", [("csv", "zero.csv"), ("session", "zero.clusterviz")])
def test_a_symlink_to_dev_zero_is_refused_at_once(tmp_path, kind, name):
    link = tmp_path / name
    link.symlink_to("/dev/zero")
    message = open_in_subprocess(kind, link)
    assert message.startswith(f"{name} is not a regular file"), message


def test_a_symlink_to_a_regular_file_still_loads(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert load_csv(link).X.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize("name, opener, limit", [("big.csv", load_csv, MAX_CSV_BYTES),
                                                 ("big.clusterviz", load_session_file, MAX_SESSION_BYTES)])
def test_a_file_over_the_size_limit_is_refused_with_its_size(tmp_path, name, opener, limit):
    path = tmp_path / name
    with open(path, "wb") as f:  # sparse: no disk space used, nothing worth reading
        f.truncate(limit + 1)
    with pytest.raises(DataError) as info:
        opener(path)
    assert str(info.value).startswith(f"{name} is ") and f"({limit + 1} bytes)" in str(info.value)


# ---------------------------------------------------------------- sizes held in a session file
def refused(payload, field: str) -> str:
    with pytest.raises(DataError) as info:
        check_payload(payload, "huge.clusterviz")
    message = str(info.value)
    assert message.startswith(f"huge.clusterviz: field {field!r}"), message
    return message


@pytest.mark.parametrize("k", [MAX_CLUSTERS + 1, 40, 10**5, 10**6, 10**9])
def test_n_clusters_above_the_apps_maximum_is_refused(k):
    payload = minimal_payload()
    payload["settings"]["n_clusters"] = k
    assert f"at most {MAX_CLUSTERS} clusters" in refused(payload, "settings.n_clusters")


def test_hand_placed_means_for_k_equal_n_are_refused():
    n = 50
    payload = minimal_payload()
    payload["dataset"]["X"] = [[float(i), float(-i)] for i in range(n)]
    payload["settings"].update(algorithm="soft-kmeans", n_clusters=n)
    payload["initial_means"] = payload["dataset"]["X"]
    refused(payload, "settings.n_clusters")


def test_the_largest_allowed_k_passes():
    payload = minimal_payload()
    payload["dataset"]["X"] = [[float(i), 0.5 * i] for i in range(MAX_CLUSTERS)]
    payload["settings"]["n_clusters"] = MAX_CLUSTERS
    check_payload(payload, "ok.clusterviz")


@pytest.mark.parametrize("code", [MAX_CLASS_CODE + 1, 2**31 - 1])
def test_huge_class_codes_without_names_are_refused(code):
    payload = minimal_payload()
    payload["dataset"]["labels"] = [0, code, 1]
    assert "0..9999" in refused(payload, "dataset.labels[1]")


def test_class_codes_with_names_need_a_name_each():
    payload = minimal_payload()
    payload["dataset"]["labels"] = [0, 2**31 - 1, 1]
    payload["dataset"]["class_names"] = ["a", "b"]
    refused(payload, "dataset.labels")


def test_a_timeline_too_long_to_replay_is_refused():
    payload = minimal_payload()
    n = 10**6
    payload["timeline"].update(phases=["init"] + ["M"] * (n - 1), objectives=[1.0] * n, cursor=n - 1)
    refused(payload, "timeline.phases")


def test_too_many_columns_are_refused():
    d = 10**4
    payload = minimal_payload()
    payload["dataset"].update(columns=[f"c{j}" for j in range(d)], X=[[0.0] * d])
    payload["settings"].update(algorithm="gmm", n_clusters=1)
    payload["view"]["columns"] = [0, 1]
    refused(payload, "dataset.columns")
