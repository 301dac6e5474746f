"""Open crafted files from the command line, as a file manager's "Open with" would.

    python tests/stress/crafted_files.py [--only NAME ...] [--keep DIR]

Builds every case into a temporary folder -- session files with huge K,
labels, cursors or hand-placed means, a corrupt array block; CSV files with
values near the float limit, HTML in cells, 10**4 and 10**6 columns, a name
that is not UTF-8, nothing in it; a FIFO; a symlink to /dev/zero; and valid
CSV and session files -- then runs, for each one,

    python main.py FILE --steps 1 --screenshot out.png

under a 6 GB address-space limit (``ulimit -v 6000000``) with a 30 s
timeout, and prints a table: case, exit code, seconds, the stderr line.

Every case must end by itself (no signal, no timeout) without a traceback.
A valid file exits 0 and writes the screenshot; a refused one exits non-zero
with exactly one line on stderr that names the file as it was given. Exit
code 1 if any case does not.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

#: The address-space limit of each run, as ``ulimit -v 6000000`` (KiB).
ADDRESS_SPACE_BYTES = 6_000_000 * 1024
#: Longest a run may take.
TIMEOUT_S = 30.0

LOADS, REFUSED = "loads", "refused"


@dataclass
class Case:
    name: str
    file: str  # the file name given on the command line (made in the case folder)
    expect: str  # LOADS or REFUSED
    build: Callable[[Path], None]  # writes ``file`` into the folder it is given


@dataclass
class Outcome:
    case: Case
    code: int | None  # None: timed out
    seconds: float
    stderr: str
    screenshot: bool
    problems: list[str]

    @property
    def line(self) -> str:
        lines = [x for x in self.stderr.splitlines() if x.strip()]
        return lines[-1] if lines else ""


# ---------------------------------------------------------------- building
def _valid_payload(n_steps: int = 2, version: int = 2) -> dict:
    """A real session's file contents (three_blobs, K-Means, two steps) as JSON data."""
    from clusterviz.data import builtin_dataset
    from clusterviz.data.session_file import save_session_file
    from clusterviz.session import Session

    session = Session(builtin_dataset("three_blobs"), algorithm="kmeans", n_clusters=3, seed=1)
    for _ in range(n_steps):
        session.step()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "s.clusterviz"
        save_session_file(path, session.to_payload(), version=version)
        return json.loads(path.read_text(encoding="utf-8"))


def _session(edit: Callable[[dict], None] | None = None, version: int = 2):
    def build(path: Path) -> None:
        payload = _valid_payload(version=version)
        if edit is not None:
            edit(payload)
        path.write_text(json.dumps(payload), encoding="utf-8")
    return build


def _set_k(k: int):
    return lambda p: p["settings"].__setitem__("n_clusters", k)


def _huge_labels(p: dict) -> None:
    n = p["dataset"]["X"]["shape"][0]
    p["dataset"]["labels"] = [2147483647] * n
    p["dataset"]["class_names"] = None


def _cursor(p: dict) -> None:
    p["timeline"]["cursor"] = 10**6


def _truncated_block(p: dict) -> None:
    block = p["dataset"]["X"]
    block["base64"] = base64.b64encode(base64.b64decode(block["base64"])[:-16]).decode("ascii")


def _soft_kmeans_k_equals_n(path: Path) -> None:
    """Soft K-Means with K = N = 50,000 hand-placed means (the file asks for 18.6 GiB)."""
    import numpy as np

    p = _valid_payload(n_steps=0)
    X = np.random.default_rng(5).normal(size=(50_000, 2))
    p["dataset"].update(name="k-equals-n", X=X.tolist(), labels=None, class_names=None)
    p["settings"].update(algorithm="soft-kmeans", n_clusters=50_000)
    p["initial_means"] = X.tolist()
    p["timeline"] = {"start": None, "phases": [], "objectives": [], "cursor": 0}
    path.write_text(json.dumps(p), encoding="utf-8")


def _text(content: str):
    return lambda path: path.write_text(content, encoding="utf-8")


def _wide_csv(columns: int, rows: int = 3):
    def build(path: Path) -> None:
        with path.open("w", encoding="utf-8") as f:
            f.write(",".join(f"c{j}" for j in range(columns)) + "\n")
            for i in range(rows):
                f.write(",".join(str((i * 7 + j) % 11) for j in range(columns)) + "\n")
    return build


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


VALID_CSV = "x,y\n" + "".join(f"{(i * 37) % 11 / 3:.3f},{(i * 53) % 13 / 4:.3f}\n" for i in range(60))
HTML_CSV = ('x,y\n1,2\n3,4\n<a href="http://example.com">click <b>here</b></a>,5\n'
            '<img src=x onerror=alert(1)>,6\n')

CASES = [
    Case("valid-session", "lesson.clusterviz", LOADS, _session()),
    Case("valid-session-version-1", "old.clusterviz", LOADS, _session(version=1)),
    Case("valid-csv", "points.csv", LOADS, _text(VALID_CSV)),
    Case("csv-near-float-limit", "huge.csv", LOADS, _text("x,y\n9e307,9e307\n-9e307,-9e307\n0,1\n")),
    Case("csv-non-utf8-name", "caf\udce9.csv", LOADS, _text(VALID_CSV)),
    Case("session-k-40", "k40.clusterviz", REFUSED, _session(_set_k(40))),
    Case("session-k-1e5", "k1e5.clusterviz", REFUSED, _session(_set_k(10**5))),
    Case("session-k-1e6", "k1e6.clusterviz", REFUSED, _session(_set_k(10**6))),
    Case("session-k-1e9", "k1e9.clusterviz", REFUSED, _session(_set_k(10**9))),
    Case("session-labels-2147483647", "labels.clusterviz", REFUSED, _session(_huge_labels)),
    Case("session-cursor-out-of-range", "cursor.clusterviz", REFUSED, _session(_cursor)),
    Case("session-soft-kmeans-k-equals-n-50000", "means.clusterviz", REFUSED, _soft_kmeans_k_equals_n),
    Case("session-array-block-wrong-length", "block.clusterviz", REFUSED, _session(_truncated_block)),
    Case("csv-html-in-cells", "html.csv", REFUSED, _text(HTML_CSV)),
    Case("csv-10^4-columns", "wide4.csv", LOADS, _wide_csv(10**4)),
    Case("csv-10^6-columns", "wide6.csv", REFUSED, _wide_csv(10**6, rows=1)),
    Case("csv-empty", "empty.csv", REFUSED, _text("")),
    Case("fifo-csv", "fifo.csv", REFUSED, _fifo),
    Case("fifo-session", "fifo.clusterviz", REFUSED, _fifo),
    Case("symlink-to-dev-zero-csv", "zero.csv", REFUSED, _dev_zero),
    Case("symlink-to-dev-zero-session", "zero.clusterviz", REFUSED, _dev_zero),
    Case("missing-file", "missing.csv", REFUSED, lambda path: None),
]

#: A representative subset (CI runs it: tests/test_crafted_files.py).
SUBSET = ("valid-session", "csv-near-float-limit", "session-k-1e6", "session-soft-kmeans-k-equals-n-50000",
          "session-array-block-wrong-length", "csv-html-in-cells", "fifo-csv", "symlink-to-dev-zero-session")


# ----------------------------------------------------------------- running
def _limit_memory() -> None:  # in the child, before main.py runs
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))


def _judge(case: Case, code: int | None, stderr: str, screenshot: bool, given: str) -> list[str]:
    from clusterviz.ui.names import printable

    problems = []
    if code is None:
        return [f"no answer within {TIMEOUT_S:.0f} s"]
    if code < 0:
        problems.append(f"killed by signal {-code}")
    if "Traceback" in stderr:
        problems.append("a traceback on stderr")
    if case.expect == LOADS:
        if code != 0:
            problems.append(f"exit code {code}; expected 0")
        if not screenshot:
            problems.append("no screenshot")
    else:
        lines = [x for x in stderr.splitlines() if x.strip()]
        if code == 0:
            problems.append("exit code 0; expected a refusal")
        if len(lines) != 1:
            problems.append(f"{len(lines)} lines on stderr; expected 1")
        elif printable(given) not in lines[0]:
            problems.append(f"the line does not name the file as given ({printable(given)!r})")
    return problems


def run_case(case: Case, folder: Path) -> Outcome:
    """Build ``case`` in ``folder`` and open it with main.py."""
    case_dir = folder / case.name
    case_dir.mkdir()
    case.build(case_dir / case.file)
    screenshot = case_dir / "out.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYQTGRAPH_QT_LIB="PySide6",
               XDG_CONFIG_HOME=str(case_dir / "config"), XDG_DATA_HOME=str(case_dir / "data"),
               CLUSTERVIZ_RECOVERY_DIR=str(case_dir / "recovery"))
    argv = [sys.executable, str(REPO / "main.py"), os.fsencode(case.file), "--steps", "1",
            "--screenshot", str(screenshot)]
    start = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=case_dir, env=env, capture_output=True, timeout=TIMEOUT_S,
                              preexec_fn=_limit_memory)
        code, stderr = done.returncode, done.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as exc:
        code, stderr = None, (exc.stderr or b"").decode("utf-8", "replace")
    seconds = time.perf_counter() - start
    shot = screenshot.exists() and screenshot.stat().st_size > 0
    return Outcome(case, code, seconds, stderr, shot, _judge(case, code, stderr, shot, case.file))


def run_cases(names: tuple[str, ...] | None = None, keep: Path | None = None) -> list[Outcome]:
    """Run the cases called ``names`` (all by default); returns their outcomes."""
    cases = [c for c in CASES if names is None or c.name in names]
    unknown = set(names or ()) - {c.name for c in CASES}
    if unknown:
        raise ValueError(f"no such case: {', '.join(sorted(unknown))}")
    folder = Path(tempfile.mkdtemp(prefix="clusterviz-crafted-")) if keep is None else keep
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return [run_case(case, folder) for case in cases]
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def table(outcomes: list[Outcome]) -> str:
    """The outcomes as a plain-text table."""
    rows = [("case", "expected", "exit", "seconds", "verdict", "stderr (last line)")]
    for o in outcomes:
        verdict = "ok" if not o.problems else "FAIL: " + "; ".join(o.problems)
        shown = o.line if len(o.line) <= 110 else o.line[:107] + "..."
        rows.append((o.case.name, o.case.expect, "timeout" if o.code is None else str(o.code),
                     f"{o.seconds:.1f}", verdict, shown))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(r[i].ljust(widths[i]) for i in range(5)) + "  " + r[5] for r in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these cases")
    parser.add_argument("--subset", action="store_true", help="run the representative subset CI runs")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build the cases here and keep them")
    args = parser.parse_args(argv)
    names = tuple(args.only) if args.only else SUBSET if args.subset else None
    outcomes = run_cases(names, args.keep)
    print(table(outcomes))
    failed = [o for o in outcomes if o.problems]
    print(f"\n{len(outcomes) - len(failed)} of {len(outcomes)} cases ok")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
