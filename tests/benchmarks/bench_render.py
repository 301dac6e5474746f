"""Frame time of the canvas for N points, K = 5, per-point opacity (offscreen).

    QT_QPA_PLATFORM=offscreen python tests/benchmarks/bench_render.py [--sizes 1000,10000,...]

What one *frame* is (timed with ``time.perf_counter``, median of several):

    canvas.show_state(state, n, (0, 1))   # colour the points for a new state,
                                          # move centroids and ellipses
    (wait until canvas.raster.idle)       # from ASYNC_POINTS points on the raster
                                          # is drawn on a worker thread
    canvas.grab()                         # render the whole canvas widget
                                          # (axes, grid, points, ...) to a QPixmap

alternating between two states with different soft responsibilities (a GMM
E-step: every point's opacity is its largest responsibility), in a 900 x 700
``ClusterCanvas`` that is shown. Columns:

- ``canvas``: what the app does -- the scatter below ``RASTER_THRESHOLD``
  points, the raster image (``point_raster.py``) from there on;
- ``scatter``: the canvas forced onto the scatter path (brushes shared from
  the K x 16 ``BrushTable``), to show where the threshold belongs;
- ``raster``: the canvas forced onto the raster path;
- ``naive``: a plain ``ScatterPlotItem`` in a same-size ``PlotWidget`` given
  a new ``QBrush`` per point every frame, then ``grab()``.

Slow columns are capped (``--scatter-max``, ``--naive-max``); beyond the cap
the time is extrapolated linearly from the largest measured N (per-point
cost) and marked ``~``. All columns are measured in the same run: on a
shared machine, trust the ratios more than the absolute times.
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


def blobs(n: int, rng: np.random.Generator) -> np.ndarray:
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0], [2.0, 2.0]])
    return centres[rng.integers(0, K, n)] + 0.8 * rng.standard_normal((n, 2))


def soft_states(X: np.ndarray, rng: np.random.Generator):
    """Two FitStates with soft responsibilities (spherical-Gaussian E-steps
    around jittered centres), so consecutive frames differ in every point."""
    from clusterviz.model import FitState

    centres = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0], [2.0, 2.0]])
    states = []
    for shift in (0.0, 0.3):
        means = centres + shift * rng.standard_normal(centres.shape)
        d2 = ((X[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
        logits = -0.5 * d2 / 0.8
        logits -= logits.max(axis=1, keepdims=True)
        R = np.exp(logits)
        R /= R.sum(axis=1, keepdims=True)
        covs = np.repeat(0.64 * np.eye(2)[None], K, axis=0)
        states.append(FitState(iteration=1, phase="E", means=means, weights=np.full(K, 1.0 / K), objective=0.0,
                               covariances=covs, labels=np.argmax(R, axis=1), soft_responsibilities=R))
    return states


CPU_MS: dict = {}  # (column, n) -> median CPU time of this process per frame


def median_ms(frame, repeats: int, key=None) -> float:
    """Median wall time of ``frame(i)`` in ms (and its CPU time in CPU_MS[key])."""
    frame(0)  # warm up (symbol atlas, first raster buffers)
    times, cpu = [], []
    for i in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        frame(i + 1)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    if key is not None:
        CPU_MS[key] = 1e3 * statistics.median(cpu)
    return 1e3 * statistics.median(times)


def repeats_for(n: int, slow: bool) -> int:
    if slow:
        return 1 if n >= 100_000 else 3 if n >= 10_000 else 5
    return 5 if n >= 1_000_000 else 9


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--scatter-max", type=int, default=100_000,
                        help="largest N for the forced-scatter column (default 1e5)")
    parser.add_argument("--naive-max", type=int, default=100_000,
                        help="largest N for the naive column (default 1e5: about 12 s for one frame)")
    args = parser.parse_args(argv)
    sizes = [int(float(s)) for s in args.sizes.split(",")]

    from PySide6.QtCore import QEventLoop
    from PySide6.QtGui import QBrush, QColor
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    import pyqtgraph as pg

    from clusterviz.ui.canvas import cluster_canvas as canvas_module
    from clusterviz.ui.canvas.cluster_canvas import ClusterCanvas
    from clusterviz.ui.canvas.palette import outline_pen
    from clusterviz.ui.canvas.point_colours import point_rgba

    threshold = canvas_module.RASTER_THRESHOLD
    canvas = ClusterCanvas()
    canvas.resize(900, 700)
    canvas.show()
    naive_plot = pg.PlotWidget(background="w")
    naive_plot.resize(900, 700)
    naive_plot.show()
    naive_scatter = pg.ScatterPlotItem(size=9, pen=outline_pen(), antialias=True, pxMode=True)
    naive_plot.addItem(naive_scatter)
    app.processEvents()

    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; "
          f"{os.cpu_count()} CPUs; canvas 900 x 700; K = {K}; RASTER_THRESHOLD = {threshold}")
    rng = np.random.default_rng(0)
    rows = []
    per_point = {}
    for n in sizes:
        X = blobs(n, rng)
        states = soft_states(X, rng)
        results = {}

        def canvas_frames(force):
            canvas_module.RASTER_THRESHOLD = threshold if force is None else force
            canvas.set_points(X)
            canvas.fit_view(X)
            app.processEvents()

            def frame(i):
                canvas.show_state(states[i % 2], n, (0, 1))
                while not canvas.raster.idle:  # from ASYNC_POINTS on the raster is drawn on a worker
                    app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
                canvas.grab()
            return frame

        results["canvas"] = median_ms(canvas_frames(None), repeats_for(n, n < threshold), ("canvas", n))
        results["raster"] = median_ms(canvas_frames(0), repeats_for(n, False))
        if n <= args.scatter_max:
            results["scatter"] = median_ms(canvas_frames(n + 1), repeats_for(n, True))
            per_point["scatter"] = results["scatter"] / n
        else:
            results["scatter~"] = per_point["scatter"] * n
        canvas_module.RASTER_THRESHOLD = threshold

        if n <= args.naive_max:
            naive_scatter.setData(x=X[:, 0], y=X[:, 1])
            naive_plot.getPlotItem().getViewBox().autoRange()
            rgbas = [point_rgba(s.soft_responsibilities, "opacity") for s in states]

            def naive_frame(i):
                rgba = rgbas[i % 2]
                naive_scatter.setBrush([QBrush(QColor(int(r), int(g), int(b), int(a))) for r, g, b, a in rgba])
                naive_plot.grab()
            results["naive"] = median_ms(naive_frame, repeats_for(n, True))
            per_point["naive"] = results["naive"] / n
            naive_scatter.setData(x=[], y=[])
        else:
            results["naive~"] = per_point["naive"] * n
        rows.append((n, results))
        shown = "  ".join(f"{k} {v:,.1f}" for k, v in results.items())
        print(f"  N = {n:>9,}: {shown} ms", flush=True)

    def cell(results, key):
        if key in results:
            return f"{results[key]:,.1f}"
        if key + "~" in results:
            return f"~{results[key + '~']:,.0f}"
        return "-"

    def value(results, key):
        return results.get(key, results.get(key + "~"))

    print()
    print("Median ms per frame (show_state + grab), 900 x 700, K = 5, per-point opacity")
    print("| N | canvas (path) | canvas, CPU ms | raster | scatter, shared brushes | naive, new QBrush per point "
          "| naive / canvas |")
    print("|---|---|---|---|---|---|---|")
    for n, results in rows:
        path = "raster" if n >= threshold else "scatter"
        ratio = value(results, "naive") / results["canvas"]
        approx = "~" if "naive" not in results else ""
        print(f"| {n:,} | {results['canvas']:,.1f} ({path}) | {CPU_MS[('canvas', n)]:,.1f} | "
              f"{cell(results, 'raster')} | {cell(results, 'scatter')} | {cell(results, 'naive')} | "
              f"{approx}{ratio:,.0f}x |")
    print("(~ = extrapolated linearly from the largest measured N; not measured. CPU ms = this process's CPU "
          "time per frame, less sensitive to other processes on a shared machine)")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    canvas.close()
    naive_plot.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
