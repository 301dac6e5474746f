"""Saving writes through: symlinks, permissions, planted temporaries, fsync, kills, bad text."""
from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import clusterviz
from clusterviz.data import DataError, load_session_file, save_session_file
from clusterviz.data.atomic_write import remove_stale_temporaries
from clusterviz.data.session_file import check_payload

from .test_session_file import minimal_payload

posix_only = pytest.mark.skipif(os.name != "posix", reason="symlinks, modes and fsync of folders are POSIX")


def saved_payload(name="t"):
    payload = minimal_payload()
    payload["dataset"]["name"] = name
    return payload


def others(folder: Path, *keep: str) -> list[str]:
    """The names in ``folder`` except ``keep``."""
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@posix_only
def test_save_through_a_symlink_updates_its_target_and_keeps_the_link(tmp_path):
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir()
    link_dir.mkdir()
    target = real_dir / "lesson.clusterviz"
    save_session_file(target, saved_payload("old"))
    link = link_dir / "lesson.clusterviz"
    link.symlink_to(os.path.relpath(target, link_dir))
    chain = link_dir / "again.clusterviz"
    chain.symlink_to("lesson.clusterviz")

    save_session_file(link, saved_payload("through the link"))
    assert link.is_symlink()
    assert load_session_file(target)["dataset"]["name"] == "through the link"
    save_session_file(chain, saved_payload("through two links"))
    assert chain.is_symlink() and link.is_symlink()
    assert load_session_file(target)["dataset"]["name"] == "through two links"
    assert others(real_dir) == ["lesson.clusterviz"]
    assert others(link_dir) == ["again.clusterviz", "lesson.clusterviz"]


@posix_only
def test_save_keeps_the_mode_and_a_new_file_gets_the_default(tmp_path):
    private = tmp_path / "private.clusterviz"
    save_session_file(private, saved_payload("first"))
    private.chmod(0o600)
    save_session_file(private, saved_payload("second"))
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert load_session_file(private)["dataset"]["name"] == "second"

    umask = os.umask(0o022)
    os.umask(umask)
    fresh = tmp_path / "fresh.clusterviz"
    save_session_file(fresh, saved_payload())
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


@posix_only
@pytest.mark.parametrize("planted", ["symlink", "regular file"])
def test_a_planted_part_file_is_never_opened(tmp_path, planted):
    folder = tmp_path / "sessions"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    part = folder / "lesson.clusterviz.part"
    if planted == "symlink":
        part.symlink_to(victim)
    else:
        part.write_text("someone else's file\n", encoding="utf-8")

    path = folder / "lesson.clusterviz"
    save_session_file(path, saved_payload("saved"))
    assert load_session_file(path)["dataset"]["name"] == "saved"
    assert victim.read_text(encoding="utf-8") == "precious\n"
    if planted == "symlink":
        assert part.is_symlink() and part.resolve() == victim.resolve()
    else:
        assert part.read_text(encoding="utf-8") == "someone else's file\n"
    assert others(folder) == ["lesson.clusterviz", "lesson.clusterviz.part"]


@posix_only
def test_the_file_is_flushed_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        kind = "folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        events.append(("fsync", kind, os.fstat(fd).st_size))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", Path(dst).name, None))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    path = tmp_path / "lesson.clusterviz"
    save_session_file(path, saved_payload())
    size = path.stat().st_size
    assert events == [("fsync", "file", size), ("replace", "lesson.clusterviz", None), ("fsync", "folder", events[2][2])]


_KILLED_SAVE = """
import os, sys
from clusterviz.data.session_file import save_session_file
payload = {payload!r}
def stall(src, dst):
    print("ready", flush=True)
    sys.stdin.read()
os.replace = stall
save_session_file({path!r}, payload)
"""


@posix_only
def test_a_temporary_left_by_a_kill_is_removed_by_the_next_save(tmp_path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    path = folder / "lesson.clusterviz"
    save_session_file(path, saved_payload("before the kill"))
    unrelated = ["notes.part", ".lesson.clusterviz.backup.part", ".other.clusterviz.0123456789abcdef.part",
                 "lesson.clusterviz.part"]
    for name in unrelated:
        (folder / name).write_text("not ours\n", encoding="utf-8")

    env = dict(os.environ, PYTHONPATH=str(Path(clusterviz.__file__).resolve().parents[1]))
    code = _KILLED_SAVE.format(payload=saved_payload("never finished"), path=str(path))
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        assert child.stdout.readline().strip() == b"ready"
    finally:
        child.kill()
        child.wait()
        child.stdin.close()
        child.stdout.close()
    leftovers = others(folder, "lesson.clusterviz", *unrelated)
    assert len(leftovers) == 1  # the killed save's temporary
    assert load_session_file(path)["dataset"]["name"] == "before the kill"

    save_session_file(path, saved_payload("after the kill"))
    assert load_session_file(path)["dataset"]["name"] == "after the kill"
    assert others(folder) == sorted(["lesson.clusterviz", *unrelated])
    for name in unrelated:
        assert (folder / name).read_text(encoding="utf-8") == "not ours\n"


def test_text_that_cannot_be_encoded_leaves_no_temporary(tmp_path):
    payload = saved_payload()
    payload["saved_by"] = "clusterviz \ud800"  # informative only, so not checked
    path = tmp_path / "lesson.clusterviz"
    with pytest.raises(DataError, match=r"lesson\.clusterviz: .*UTF-8"):
        save_session_file(path, payload)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("field, edit", [
    ("dataset.name", lambda p: p["dataset"].__setitem__("name", "caf\ud800")),
    ("dataset.columns[1]", lambda p: p["dataset"]["columns"].__setitem__(1, "y\udce9")),
    ("dataset.class_names[1]", lambda p: p["dataset"].update(labels=[0, 1, 1], class_names=["a", "\udfff"])),
])
def test_lone_surrogates_in_names_are_refused(tmp_path, field, edit):
    payload = saved_payload()
    edit(payload)
    pattern = rf"lesson\.clusterviz: field '{re.escape(field)}'.*lone surrogate"
    with pytest.raises(DataError, match=pattern):
        check_payload(payload, "lesson.clusterviz")
    path = tmp_path / "lesson.clusterviz"
    with pytest.raises(DataError, match=pattern):
        save_session_file(path, payload)
    assert list(tmp_path.iterdir()) == []
    path.write_text(json.dumps(payload), encoding="ascii")  # JSON's \\ud800 escape is valid ASCII
    with pytest.raises(DataError, match=pattern):
        load_session_file(path)


@posix_only
def test_a_temporary_another_writer_still_holds_is_left_alone(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    path = tmp_path / "lesson.clusterviz"
    held = tmp_path / ".lesson.clusterviz.00000000000000aa.part"
    dead = tmp_path / ".lesson.clusterviz.00000000000000bb.part"
    dead.write_bytes(b"{")
    fd = os.open(held, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        remove_stale_temporaries(path)
        assert held.exists() and not dead.exists()
        save_session_file(path, saved_payload("saved meanwhile"))
        assert held.exists()
    finally:
        os.close(fd)
    remove_stale_temporaries(path)
    assert others(tmp_path) == ["lesson.clusterviz"]
