"""Play on 10**6 points in the real main window (offscreen) and measure how
smooth it stays.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_play.py [--n 1000000] [--seconds 6]

For each algorithm: a ``MainWindow`` on N uniformly scattered points (so the
fit does not converge within the run), K = 5, speed at the slider's maximum,
``controller.play()``, then for ``--seconds``:

- steps per second: ``controller.stepped`` emissions (each is one full
  iteration computed on the worker thread and applied on the GUI thread);
- frames per second: paint events of the canvas's viewport (the repaints
  Qt actually did, not the ones asked for);
- the longest GUI-thread stall: the largest gap between ticks of a 10 ms
  ``QTimer`` heartbeat, minus its 10 ms period (the time the event loop
  could not answer: a Pause click would have waited at most this long);
- pause latency: ``controller.pause()`` is called at the end, and the time
  until ``playing`` is False and until the step in flight is settled.

When the fit converges before the time is up it is Reset and played again
(the reset's own GUI-thread time is reported apart).

Next to the play rate: the bare rate of ``Session.step()`` on the same data
(no window, no worker thread; reset when it converges), measured in the
same run; ``play / bare`` is the share of the session's own speed that
playing in the window keeps.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402

from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's clusterviz, not an installed one


def run(app, algorithm: str, n: int, seconds: float) -> dict:
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

    from clusterviz.data import Dataset
    from clusterviz.session import Session
    from clusterviz.ui import MainWindow

    rng = np.random.default_rng(0)
    X = rng.random((n, 2)) * [4.0, 3.0]
    dataset = Dataset(name=f"uniform {n:,}", X=X, columns=("x", "y"), labels=None, class_names=None)
    window = MainWindow(Session(dataset, algorithm=algorithm, n_clusters=5, seed=0))
    window.resize(1200, 760)
    window.show()
    app.processEvents()
    c = window.controller
    window.controls.speed_slider.setValue(window.controls.speed_slider.maximum())

    class PaintCounter(QObject):
        count = 0

        def eventFilter(self, obj, event):  # Qt override
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    painter = PaintCounter()
    window.canvas.viewport().installEventFilter(painter)
    steps = [0]
    c.stepped.connect(lambda: steps.__setitem__(0, steps[0] + 1))
    gaps = []
    last = [time.perf_counter()]

    stamps = []  # when each gap ended

    def beat():
        now = time.perf_counter()
        gaps.append(now - last[0])
        stamps.append(now)
        last[0] = now

    heart = QTimer()
    heart.setInterval(10)
    heart.timeout.connect(beat)

    start_steps = steps[0]
    heart.start()
    last[0] = time.perf_counter()
    t0 = time.perf_counter()
    painter.count = 0
    loop = QEventLoop()
    QTimer.singleShot(int(1000 * seconds), loop.quit)
    resets, restarts = [], [t0]

    def replay(playing: bool) -> None:
        # Converged before the time is up (EM on these data takes 3-7
        # iterations): Reset and play again. The reset re-initialises on the
        # GUI thread; its time is reported apart, not counted as a play stall.
        if playing or time.perf_counter() - t0 >= seconds:
            return
        QTimer.singleShot(0, restart)

    def restart() -> None:
        if time.perf_counter() - t0 >= seconds or c.playing or c.busy:
            return
        r0 = time.perf_counter()
        c.reset_fit()
        resets.append(time.perf_counter() - r0)
        restarts.append(time.perf_counter())
        last[0] = time.perf_counter()
        c.play()

    c.playing_changed.connect(replay)
    c.play()
    loop.exec()  # the real event loop: timers, worker results, repaints
    elapsed = time.perf_counter() - t0
    c.playing_changed.disconnect(replay)
    n_steps, n_frames = steps[0] - start_steps, painter.count
    played_to_end = c.playing
    t_pause = time.perf_counter()
    c.pause()
    pause_ms = 1e3 * (time.perf_counter() - t_pause)
    if c.busy:
        settle = QEventLoop()
        c.busy_changed.connect(lambda busy: None if busy else settle.quit())
        QTimer.singleShot(10_000, settle.quit)
        settle.exec()
    settle_ms = 1e3 * (time.perf_counter() - t_pause)
    heart.stop()
    stall = max(gaps) - 0.010 if gaps else float("nan")
    worst = sorted(zip(gaps, stamps), reverse=True)[:3]
    worst_text = ", ".join(f"{1e3 * g:.0f} ms at {1e3 * (t - max(r for r in restarts if r <= t)):.0f} ms "
                           f"after (re)start" for g, t in worst)
    window.close()
    window.deleteLater()
    app.processEvents()
    return dict(algorithm=algorithm, n=n, seconds=elapsed, steps=n_steps, frames=n_frames,
                steps_per_s=n_steps / elapsed, fps=n_frames / elapsed, stall_ms=1e3 * stall,
                p99_gap_ms=1e3 * float(np.percentile(gaps, 99)) if gaps else float("nan"),
                pause_ms=pause_ms, settle_ms=settle_ms, still_playing=played_to_end,
                resets=len(resets), reset_ms=1e3 * max(resets) if resets else 0.0, worst=worst_text)


def bare_rate(algorithm: str, n: int, seconds: float) -> float:
    """Steps per second of ``Session.step()`` alone on the data `run` plays
    (resets between runs not counted)."""
    from clusterviz.data import Dataset
    from clusterviz.session import Session

    rng = np.random.default_rng(0)
    X = rng.random((n, 2)) * [4.0, 3.0]
    session = Session(Dataset(name=f"uniform {n:,}", X=X, columns=("x", "y"), labels=None, class_names=None),
                      algorithm=algorithm, n_clusters=5, seed=0)
    session.step()  # warm-up (builds what the data keep, such as K-Means' grid)
    stepping, steps = 0.0, 0
    while stepping < seconds:
        if not session.can_step:
            session.reset()
            continue
        start = time.perf_counter()
        session.step()
        stepping += time.perf_counter() - start
        steps += 1
    return steps / stepping


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--algorithms", default="kmeans,gmm")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} CPUs")
    rows = [run(app, name, args.n, args.seconds) for name in args.algorithms.split(",")]
    for r in rows:
        r["bare"] = bare_rate(r["algorithm"], args.n, min(args.seconds, 3.0))
    print()
    print(f"Play at full speed on N = {args.n:,} points, K = 5, real MainWindow offscreen, {args.seconds:g} s each")
    print("| algorithm | steps/s | bare Session.step() steps/s | play / bare | frames/s | longest GUI stall (ms) | 99th pct heartbeat gap (ms) | "
          "pause() returns (ms) | step in flight settled (ms) | resets (longest, ms) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['algorithm']} | {r['steps_per_s']:.1f} | {r['bare']:.1f} | {r['steps_per_s'] / r['bare']:.2f} | "
              f"{r['fps']:.1f} | {r['stall_ms']:.0f} | "
              f"{r['p99_gap_ms']:.0f} | {r['pause_ms']:.1f} | {r['settle_ms']:.0f} | "
              f"{r['resets']} ({r['reset_ms']:.0f}) |")
    for r in rows:
        print(f"  {r['algorithm']}: longest heartbeat gaps {r['worst']}")
    print("(a reset re-initialises on the GUI thread: k-means++ on all points; not part of play, so its gap "
          "is left out of the stall columns)")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
