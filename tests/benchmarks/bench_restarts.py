"""The restarts gallery: how long the GUI thread stalls when the results arrive.

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_restarts.py [--n 5000] [--runs 20] [--repeats 5]

A ``MainWindow`` (offscreen, shown) on N points in five blobs, K = 5, the
restarts dock open; "Run restarts" with R runs per start method (2R runs).
A 5 ms ``QTimer`` heartbeat on the GUI thread records the gaps between its
ticks from the press until the gallery is filled; a gap minus the period is
a stall (a click would have waited that long). Reported: the longest stall
from the moment the results arrive (the gallery, table and histogram being
filled and painted), and the longest over the whole press (including the
runs computing on the worker, which share the GIL with the GUI thread).

Columns, each the median of ``--repeats`` presses, all in the same run:

- ``app``: what the panel does -- the worker thread runs the restarts *and*
  rasterises the thumbnails (``restart_runs.restarts_work``); the GUI thread
  only wraps the images in buttons;
- ``old``: what it did before, as a baseline -- the same results drawn point
  by point with ``QPainter.drawEllipse`` on the GUI thread (the former
  ``render_thumbnail``, kept here), timed as the one block it was;
- ``ratio``: app / old.

The machine is shared: trust the ratio more than the absolute times.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402

K = 5
HEARTBEAT_MS = 5


def blobs(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0], [2.5, 2.5]])
    return centres[rng.integers(0, K, n)] + 0.9 * rng.standard_normal((n, 2))


def old_thumbnail(P, labels, means, bounds, best, method_colour):
    """The former thumbnail: every point painted on its own, on the GUI thread."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter, QPen

    from clusterviz.ui.canvas.palette import CLUSTER_COLOURS, MAX_CLUSTERS
    from clusterviz.ui.panels.restart_runs import THUMB

    image = QImage(THUMB, THUMB, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    xmin, xmax, ymin, ymax = bounds
    pad = 7.0
    sx = (THUMB - 2 * pad) / (xmax - xmin if xmax > xmin else 1.0)
    sy = (THUMB - 2 * pad) / (ymax - ymin if ymax > ymin else 1.0)
    u = pad + (P[:, 0] - xmin) * sx
    v = THUMB - pad - (P[:, 1] - ymin) * sy
    painter.setPen(Qt.PenStyle.NoPen)
    for k in np.unique(labels):
        colour = QColor(CLUSTER_COLOURS[int(k) % MAX_CLUSTERS])
        colour.setAlphaF(0.75)
        painter.setBrush(colour)
        sel = labels == k
        for a, b in zip(u[sel], v[sel]):
            painter.drawEllipse(QPointF(float(a), float(b)), 1.7, 1.7)
    pen = QPen(QColor("black"))
    pen.setWidthF(2.0)
    painter.setPen(pen)
    for a, b in zip(pad + (means[:, 0] - xmin) * sx, THUMB - pad - (means[:, 1] - ymin) * sy):
        painter.drawLine(QPointF(a - 4, b - 4), QPointF(a + 4, b + 4))
        painter.drawLine(QPointF(a - 4, b + 4), QPointF(a + 4, b - 4))
    painter.fillRect(QRectF(THUMB - 14, THUMB - 14, 10, 10), QColor(method_colour))
    if best:
        painter.drawRect(QRectF(1.5, 1.5, THUMB - 3, THUMB - 3))
    painter.end()
    return image


def press(app, window, runs: int) -> tuple[float, float, object]:
    """Press "Run restarts" once; (longest GUI stall in ms once the results
    arrived, longest over the whole press, the result)."""
    from PySide6.QtCore import QTimer

    panel = window.restarts_panel
    panel.restarts_spin.setValue(runs)
    gaps, last = [], [time.perf_counter()]  # (gap, when it began)

    def tick():
        now = time.perf_counter()
        gaps.append((now - last[0], last[0]))
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(HEARTBEAT_MS)
    heartbeat.timeout.connect(tick)
    result, arrived = [], []

    def arrive(r):
        arrived.append(time.perf_counter())
        result.append(r)

    panel.job.finished.connect(arrive)
    heartbeat.start()
    last[0] = time.perf_counter()
    panel.run()
    while not result:
        app.processEvents()
    end = time.perf_counter() + 0.05  # the gallery's layout and paint after the results
    while time.perf_counter() < end:
        app.processEvents()
    heartbeat.stop()
    tick()
    panel.job.finished.disconnect(arrive)
    period = HEARTBEAT_MS / 1000.0
    # a gap that ends after the arrival is spent, at least partly, on the results
    after = [gap for gap, began in gaps if began + gap >= arrived[0]]
    return (1000.0 * max(0.0, max(after) - period), 1000.0 * max(0.0, max(g for g, _ in gaps) - period),
            result[0])


def old_block(window, result) -> float:
    """Milliseconds the former code spent on the GUI thread drawing ``result``'s thumbnails."""
    from PySide6.QtGui import QIcon, QPixmap

    from clusterviz.ui.panels.restart_runs import METHOD_COLOURS, THUMB_POINTS

    s = window.session
    start = time.perf_counter()
    shown = s.shown_points()
    idx = np.arange(shown.shape[0])
    if shown.shape[0] > 1500:  # the former cap
        idx = np.sort(np.random.default_rng(0).choice(shown.shape[0], min(1500, THUMB_POINTS), replace=False))
    P = shown[idx]
    lo, hi = P.min(axis=0), P.max(axis=0)
    for run in result.runs:
        image = old_thumbnail(P, np.asarray(run.labels)[idx], s.shown_points(run.final_means),
                              (lo[0], hi[0], lo[1], hi[1]), True, METHOD_COLOURS[run.init])
        QIcon(QPixmap.fromImage(image))
    return 1000.0 * (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20, help="runs per start method")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from clusterviz.data import Dataset
    from clusterviz.session import Session
    from clusterviz.ui import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    data = Dataset(name="blobs", X=blobs(args.n), columns=("x", "y"), labels=None, class_names=None)
    window = MainWindow(Session(data, n_clusters=K, seed=0))
    window.resize(1280, 800)
    window.show()
    window.restarts_dock.show()
    app.processEvents()
    app_ms, whole_ms, old_ms = [], [], []
    for _ in range(args.repeats):
        stall, whole, result = press(app, window, args.runs)
        app_ms.append(stall)
        whole_ms.append(whole)
        old_ms.append(old_block(window, result))
    a, w, o = statistics.median(app_ms), statistics.median(whole_ms), statistics.median(old_ms)
    print(f"restarts gallery, N = {args.n}, K = {K}, {2 * args.runs} runs, medians of {args.repeats}:")
    print(f"{'longest GUI stall (ms)':36}{'app':>10}{'old':>10}{'ratio':>8}")
    print(f"{'  when the results arrive':36}{a:10.1f}{o:10.1f}{a / o:8.2f}")
    print(f"{'  over the whole press':36}{w:10.1f}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
