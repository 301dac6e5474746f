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
