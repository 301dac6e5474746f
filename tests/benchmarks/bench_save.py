"""Save a 10**6-point session in the real main window (offscreen) and measure
how long the GUI thread stalls.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_save.py [--n 1000000] [--repeats 5]

Each repeat, in the same process and on the same session (K-Means, K = 5,
three steps):

- background save: ``file_actions.save_session(window, path, wait=False)``
  (what File ▸ Save session does), then the event loop runs until the file is
  written. A 10 ms ``QTimer`` heartbeat runs on the GUI thread throughout;
  the longest GUI stall is the largest gap between its ticks minus its 10 ms
  period. The wall time from the click to "saved" is reported too.
- old synchronous save (the baseline): ``Session.to_payload`` and
  ``save_session_file(..., version=1)`` on the GUI thread -- what Save did
  before, a JSON file with every number as text -- timed as a whole (the GUI
  stalls for all of it).

Prints the medians, their ratio, and the file sizes. Goal: the longest GUI
stall of the background save <= 100 ms.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from clusterviz.data import Dataset, load_session_file
    from clusterviz.data.session_file import save_session_file
    from clusterviz.session import Session
    from clusterviz.ui import MainWindow
    from clusterviz.ui.file_actions import save_session

    app = QApplication.instance() or QApplication(sys.argv[:1])
    X = np.random.default_rng(0).random((args.n, 2)) * [4.0, 3.0]
    dataset = Dataset(name=f"uniform {args.n:,}", X=X, columns=("x", "y"), labels=None, class_names=None)
    session = Session(dataset, algorithm="kmeans", n_clusters=5, seed=0)
    for _ in range(3):
        session.step()
    window = MainWindow(session)
    window.resize(1200, 760)
    window.show()
    for _ in range(20):
        app.processEvents()
    saver = window.file_actions.saver

    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    heart = QTimer()
    heart.setInterval(10)
    heart.timeout.connect(beat)

    folder = Path(tempfile.mkdtemp(prefix="clusterviz-bench-save-"))
    stalls, walls, olds = [], [], []
    new_path, old_path = folder / "new.clusterviz", folder / "old.clusterviz"
    for repeat in range(args.repeats):
        # Background save, through the window.
        loop = QEventLoop()
        saver.saved.connect(loop.quit)
        saver.failed.connect(loop.quit)
        gaps.clear()
        heart.start()
        t0 = last[0] = time.perf_counter()
        QTimer.singleShot(0, lambda: save_session(window, new_path, wait=False))
        loop.exec()
        wall = time.perf_counter() - t0
        heart.stop()
        saver.saved.disconnect(loop.quit)
        saver.failed.disconnect(loop.quit)
        stall = max(max(gaps, default=0.0), time.perf_counter() - last[0]) - 0.010
        stalls.append(max(stall, 0.0))
        walls.append(wall)

        # The old synchronous save, on the GUI thread.
        t0 = time.perf_counter()
        save_session_file(old_path, window.session.to_payload(), version=1)
        olds.append(time.perf_counter() - t0)
        print(f"repeat {repeat + 1}: longest GUI stall {stalls[-1] * 1e3:7.1f} ms, background save wall "
              f"{wall * 1e3:7.1f} ms, old synchronous save {olds[-1] * 1e3:7.1f} ms", flush=True)

    back = load_session_file(new_path)["dataset"]["X"]
    assert back.tobytes() == window.session.X.tobytes(), "the saved points differ"
    print()
    print(f"points: {args.n:,}; file: new {new_path.stat().st_size / 2**20:.1f} MiB (version 2), "
          f"old {old_path.stat().st_size / 2**20:.1f} MiB (version 1)")
    stall, wall, old = (statistics.median(v) for v in (stalls, walls, olds))
    print(f"median of {args.repeats}: longest GUI stall {stall * 1e3:.1f} ms (goal <= 100 ms); "
          f"background save wall time {wall * 1e3:.0f} ms; old synchronous save {old * 1e3:.0f} ms "
          f"(the GUI stalled for all of it)")
    print(f"ratio old save / longest stall: {old / max(stall, 1e-3):.0f}x")
    window.close()
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    return 0 if stall <= 0.100 else 1


if __name__ == "__main__":
    raise SystemExit(main())
