"""Opening a big CSV: ``load_csv`` against ``np.loadtxt``, and how live the
window stays while it reads one.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_csv.py [--n 1000000] [--repeats 5]

1. Time and traced peak memory (``tracemalloc``; numpy's buffers are traced)
   of ``np.loadtxt(path, delimiter=",", skiprows=1)`` and of ``load_csv`` on
   the same N x 2 file (a header, 6 decimals a number), timed alternately,
   medians of R runs; and once the careful cell-by-cell path (what every
   file went through before the bulk path), for reference.
2. In the real main window (offscreen): ``MainWindow.open_csv(path,
   ask_columns=False)`` (read on a worker thread), with a 10 ms ``QTimer``
   heartbeat: the longest GUI stall while the file is read, and the time
   until the window holds the new data and the longest stall overall
   (which includes putting the data into the session and drawing them, on
   the GUI thread; the read ends when the job stops running, just before).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's clusterviz, not an installed one
from clusterviz.data import load_csv  # noqa: E402
from clusterviz.data.csv_loader import _load  # noqa: E402


def seconds(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def peak_mib(fn) -> float:
    """Traced peak memory of one call (tracemalloc slows Python code, so it is not timed)."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def bench_read(path: Path, repeats: int, careful: bool) -> None:
    ours = lambda: load_csv(path)  # noqa: E731
    theirs = lambda: np.loadtxt(path, delimiter=",", skiprows=1)  # noqa: E731
    np.testing.assert_array_equal(ours().X, theirs())
    times = {"load_csv": [], "np.loadtxt": []}
    for _ in range(repeats):  # alternately, so both see the same load
        times["load_csv"].append(seconds(ours))
        times["np.loadtxt"].append(seconds(theirs))
    peaks = {"load_csv": peak_mib(ours), "np.loadtxt": peak_mib(theirs)}
    med = {k: float(np.median(v)) for k, v in times.items()}
    paired = float(np.median(np.divide(times["load_csv"], times["np.loadtxt"])))
    print("| reader | time (s), median | traced peak (MiB) |")
    print("|---|---|---|")
    for name in times:
        print(f"| {name} | {med[name]:.3f} | {peaks[name]:.1f} |")
    if careful:
        t = seconds(lambda: _load(path, bulk=False))
        print(f"| careful path (cell by cell, one run) | {t:.3f} | {peak_mib(lambda: _load(path, bulk=False)):.1f} |")
    print(f"load_csv / np.loadtxt: time {med['load_csv'] / med['np.loadtxt']:.2f}x "
          f"(median of paired ratios {paired:.2f}x; goal <= 1.5x), "
          f"peak memory {peaks['load_csv'] / peaks['np.loadtxt']:.2f}x (goal <= 3x)")


def bench_window(path: Path, repeats: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from clusterviz.ui import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow()
    window.resize(1200, 760)
    window.show()
    app.processEvents()
    reading, overall, until_shown = [], [], []
    for _ in range(repeats):
        window.controller.load_builtin("three_blobs")
        app.processEvents()
        gaps: list[tuple[float, float]] = []
        last = [time.perf_counter()]

        def beat():
            now = time.perf_counter()
            gaps.append((now, now - last[0]))
            last[0] = now

        heart = QTimer()
        heart.setInterval(10)
        heart.timeout.connect(beat)
        heart.start()
        loop = QEventLoop()
        t0 = last[0] = time.perf_counter()
        read_done = [None]
        window.open_csv(path, ask_columns=False)
        job = window._csv_job
        # the read ends when the job stops running, just before its result goes into the session
        job.running_changed.connect(lambda running: read_done.__setitem__(0, read_done[0] or (
            None if running else time.perf_counter())))

        def check():
            if window.session.dataset.name == path.stem and window.session.dataset.X.shape[0] > 100_000:
                loop.quit()

        poll = QTimer()
        poll.setInterval(5)
        poll.timeout.connect(check)
        poll.start()
        QTimer.singleShot(60_000, loop.quit)
        loop.exec()
        shown = time.perf_counter()
        poll.stop()
        # a few more beats so the gap that ends after the data are drawn is seen
        settle = QEventLoop()
        QTimer.singleShot(300, settle.quit)
        settle.exec()
        heart.stop()
        end_read = read_done[0] or shown
        reading.append(max((g for t, g in gaps if t <= end_read), default=0.0) - 0.010)
        overall.append(max((g for _, g in gaps), default=0.0) - 0.010)
        until_shown.append(shown - t0)
    print(f"window: open_csv -> data in the session: median {np.median(until_shown):.2f} s; longest GUI stall "
          f"while reading {1e3 * np.median(reading):.0f} ms, overall incl. putting the points into the session "
          f"and drawing them {1e3 * np.median(overall):.0f} ms (goal for both <= 100 ms; medians of {repeats})")
    window.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-careful", action="store_true", help="skip the one run of the careful path")
    parser.add_argument("--no-window", action="store_true")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"big{args.n}.csv"
        X = np.random.default_rng(0).normal(size=(args.n, 2))
        np.savetxt(path, X, delimiter=",", fmt="%.6f", header="x,y", comments="")
        print(f"{args.n:,} x 2 file, {path.stat().st_size / 2**20:.1f} MiB")
        bench_read(path, args.repeats, not args.no_careful)
        if not args.no_window:
            bench_window(path, args.repeats)
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
