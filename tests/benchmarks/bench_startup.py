"""Start-up time: from launching ``python main.py`` to the first paint of the
canvas with the default data set (offscreen), and what is imported by then.

    python tests/benchmarks/bench_startup.py [--runs 5]

Each run starts a fresh interpreter that installs an event filter on the
QApplication, calls ``clusterviz.app.main([])`` (what ``main.py`` does) and
quits at the first ``Paint`` event of the canvas's viewport; the time is
from just before the process was spawned (parent's clock) to that paint.
One more run under ``python -X importtime`` lists the slowest imports and
checks that the heavy modules (scipy.spatial, scikit-learn, ...) stay out.

The baseline, measured in the same run and alternated with the app's runs:
a bare PySide6 + pyqtgraph window (a QMainWindow holding one PlotWidget with
a scatter of 300 points, about the default data set's size), from spawn to the first paint of
the plot's viewport. The ratio app / bare is the figure to watch (goal <= 1.3,
warm: every run after a first, unmeasured, one of each).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYCACHE = tempfile.mkdtemp(prefix="clusterviz-bench-pycache-")

CHILD = r"""
import os, sys, time
T0 = float(sys.argv[1])
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(["clusterviz"])

class FirstPaint(QObject):
    done = False
    def eventFilter(self, obj, event):
        if (not self.done and event.type() == QEvent.Type.Paint and obj.parent() is not None
                and type(obj.parent()).__name__ == "ClusterCanvas"):
            self.done = True
            painted = time.time() - T0
            heavy = sorted(m for m in ("scipy", "scipy.spatial", "scipy.linalg", "scipy.special", "sklearn",
                                        "scipy.stats", "scipy.optimize") if m in sys.modules)
            print(f"PAINT {painted:.4f} MODULES {len(sys.modules)} HEAVY {','.join(heavy) or '-'}", flush=True)
            QTimer.singleShot(0, app.quit)
        return False

watcher = FirstPaint()
app.installEventFilter(watcher)
sys.argv = ["main.py"]
from clusterviz.app import main
main([])
"""


BARE = r"""
import os, sys, time
T0 = float(sys.argv[1])
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
import numpy as np
import pyqtgraph as pg

app = QApplication(["bare"])
window = QMainWindow()
plot = pg.PlotWidget()
window.setCentralWidget(plot)
X = np.random.default_rng(0).normal(size=(300, 2))
plot.plot(X[:, 0], X[:, 1], pen=None, symbol="o", symbolSize=5)

class FirstPaint(QObject):
    done = False
    def eventFilter(self, obj, event):
        if not self.done and event.type() == QEvent.Type.Paint and obj is plot.viewport():
            self.done = True
            print(f"PAINT {time.time() - T0:.4f} MODULES {len(sys.modules)} HEAVY -", flush=True)
            QTimer.singleShot(0, app.quit)
        return False

watcher = FirstPaint()
app.installEventFilter(watcher)
window.resize(1200, 760)
window.show()
app.exec()
"""


def one_run(extra: list[str], child: str = CHILD) -> tuple[float, str, str]:
    # Warm, as after an install: bytecode is written (to a folder of this
    # run, not into the checkout) by the first, unmeasured, run and read by the others.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPYCACHEPREFIX=PYCACHE)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    t0 = time.time()
    proc = subprocess.run([sys.executable, *extra, "-c", child, repr(t0)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    match = re.search(r"PAINT ([\d.]+) MODULES (\d+) HEAVY (\S+)", proc.stdout)
    if not match:
        raise RuntimeError(f"no paint seen:\n{proc.stdout}\n{proc.stderr[-2000:]}")
    return float(match.group(1)), match.group(3), proc.stderr


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}; {os.cpu_count()} CPUs")
    one_run([]), one_run([], BARE)  # first runs (cold caches) are not counted
    times, bare, heavy = [], [], set()
    for _ in range(args.runs):
        t, h, _err = one_run([])
        times.append(t)
        heavy.add(h)
        bare.append(one_run([], BARE)[0])
    print(f"launch -> first canvas paint: median {statistics.median(times):.3f} s "
          f"(runs: {', '.join(f'{t:.3f}' for t in times)}); target 1.5 s")
    print(f"bare PySide6 + pyqtgraph window -> first plot paint: median {statistics.median(bare):.3f} s "
          f"(runs: {', '.join(f'{t:.3f}' for t in bare)})")
    print(f"app / bare: {statistics.median(times) / statistics.median(bare):.2f} (median of paired ratios "
          f"{statistics.median(a / b for a, b in zip(times, bare)):.2f}; goal <= 1.3, warm)")
    print(f"heavy modules loaded by then: {' / '.join(sorted(heavy))}")

    _t, _h, err = one_run(["-X", "importtime"])
    rows = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(2)), len(m.group(3)) // 2, m.group(4)))
    top = sorted((r for r in rows if r[1] <= 1), reverse=True)[:12]
    print("slowest top-level imports (cumulative ms, python -X importtime):")
    for cumulative, _depth, name in top:
        print(f"  {cumulative / 1000:8.1f}  {name}")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
