"""Long random-use runs of the real window.

    QT_QPA_PLATFORM=offscreen python tests/stress/run_random_use.py --actions 20000 --seed 1

Prints a summary: actions run, failures (with the action index to replay),
the seed, and how often each action ran. Exit code 1 if anything failed.
Warnings are errors, as in the test suite.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log", action="store_true", help="print every action as it runs")
    parser.add_argument("--evidence", default=os.path.join(tempfile.gettempdir(), "clusterviz-random-use"),
                        metavar="DIR", help="where the session is saved at each failure (default: %(default)s)")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    import random_use
    from clusterviz.ui import MainWindow

    from PySide6.QtCore import qInstallMessageHandler

    def quiet(_kind, _context, message):  # the offscreen platform's notes are noise here
        if "This plugin does not support" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(quiet)
    warnings.simplefilter("error")
    app = QApplication.instance() or QApplication(["clusterviz-random-use"])
    with tempfile.TemporaryDirectory(prefix="clusterviz-random-use-") as tmp:
        os.environ["CLUSTERVIZ_RECOVERY_DIR"] = os.path.join(tmp, "recovery")
        window = MainWindow()
        window.show()
        app.processEvents()
        driver = random_use.RandomUse(window, args.seed, tmp, evidence_dir=args.evidence)
        start = time.perf_counter()
        log = (lambda text: print(text, flush=True)) if args.log else None
        summary = driver.run(args.actions, log=log)
        elapsed = time.perf_counter() - start
        window.close()
        app.processEvents()
    print(summary.text())
    print(f"time: {elapsed:.1f} s ({1000 * elapsed / max(1, summary.actions):.1f} ms per action)")
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
