"""The command line: screenshots in a fresh process, argument errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "clusterviz", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_screenshot_writes_png(tmp_path):
    out = tmp_path / "x.png"
    result = run_cli("--screenshot", str(out), "--steps", "3")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_screenshot_gmm_on_csv(tmp_path):
    data = tmp_path / "pts.csv"
    data.write_text("a,b\n" + "\n".join(f"{i % 7},{(i * 3) % 5}" for i in range(40)) + "\n", encoding="utf-8")
    out = tmp_path / "gmm.png"
    result = run_cli("--dataset", str(data), "--algorithm", "gmm", "--k", "2", "--covariance", "diag",
                     "--steps", "2", "--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 1000


def test_unknown_dataset_lists_names_and_exits_2(capsys):
    from clusterviz.app import main
    from clusterviz.data import BUILTIN_DATASETS

    assert main(["--dataset", "no_such_set"]) == 2
    err = capsys.readouterr().err
    assert "no_such_set" in err
    for name in BUILTIN_DATASETS:
        assert name in err


@pytest.mark.parametrize("argv", [["--algorithm", "dbscan"], ["--k", "0"], ["--k", "two"], ["--beta", "-1"],
                                  ["--init", "forgy"], ["--covariance", "round"], ["--steps", "-3"]])
def test_bad_arguments_are_argparse_errors(argv, capsys):
    from clusterviz.app import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "error" in capsys.readouterr().err


# ----------------------------------------------------- a file as the argument
def saved_session(path: Path, **settings) -> Path:
    from clusterviz.data import builtin_dataset
    from clusterviz.data.session_file import save_session_file
    from clusterviz.session import Session

    session = Session(builtin_dataset("three_blobs"), **settings)
    session.step()
    session.step()
    save_session_file(path, session.to_payload())
    return path


def test_a_csv_or_a_session_given_as_the_file_argument_renders(tmp_path):
    data = tmp_path / "pts.csv"
    data.write_text("a,b\n" + "\n".join(f"{i % 7},{(i * 3) % 5}" for i in range(40)) + "\n", encoding="utf-8")
    session = saved_session(tmp_path / "lesson.clusterviz", algorithm="gmm", n_clusters=2, seed=3)
    for given in (data, session):
        out = tmp_path / f"{given.stem}.png"
        result = run_cli(str(given), "--steps", "1", "--screenshot", str(out))
        assert result.returncode == 0, result.stderr
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_session_file_argument_keeps_its_settings_unless_an_option_changes_one(tmp_path):
    from clusterviz.app import _given_options, _open_file, build_parser

    path = saved_session(tmp_path / "lesson.clusterviz", algorithm="gmm", n_clusters=2, seed=3)
    for argv, k, cursor in (([str(path)], 2, 2), ([str(path), "--k", "4"], 4, 0)):
        args = build_parser().parse_args(argv)
        session = _open_file(args.file, args, _given_options(build_parser(), argv))
        assert (session.algorithm, session.n_clusters, session.seed, session.cursor) == ("gmm", k, 3, cursor)
    # a session file need not be named *.clusterviz: its content tells
    renamed = path.rename(tmp_path / "lesson.json")
    args = build_parser().parse_args([str(renamed)])
    assert _open_file(args.file, args, set()).n_clusters == 2


def test_a_file_argument_that_cannot_be_opened_exits_with_one_line_naming_it(tmp_path, capsys):
    from clusterviz.app import main

    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("a,b\n1,2\n3,<a href='x'>y</a>\n", encoding="utf-8")
    not_ours = tmp_path / "other.clusterviz"
    not_ours.write_text('{"x": 1}', encoding="utf-8")
    for given in (bad_csv, not_ours, tmp_path / "missing.csv", tmp_path):
        assert main([str(given), "--screenshot", str(tmp_path / "x.png")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(given) in err, err
    assert not (tmp_path / "x.png").exists()


def test_a_file_argument_and_dataset_together_are_refused(tmp_path, capsys):
    from clusterviz.app import main

    with pytest.raises(SystemExit) as info:
        main([str(tmp_path / "a.csv"), "--dataset", "iris"])
    assert info.value.code == 2
    assert "FILE or --dataset" in capsys.readouterr().err
