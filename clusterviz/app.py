"""Command line entry point: ``python main.py [options]`` or ``python -m clusterviz``."""
from __future__ import annotations

import argparse
import os
import sys

from clusterviz.model.registry import COVARIANCE_TYPES, INITS, algorithm_names

MAX_K = 12


def _number(text: str, kind: type, what: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} should be a number; got {text!r}") from None


def _positive_int(text: str) -> int:
    value = _number(text, int, "K")
    if not 1 <= value <= MAX_K:
        raise argparse.ArgumentTypeError(f"K should be between 1 and {MAX_K}; got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = _number(text, int, "the value")
    if value < 0:
        raise argparse.ArgumentTypeError(f"should be >= 0; got {value}")
    return value


def _positive_float(text: str) -> float:
    value = _number(text, float, "beta")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"beta should be a positive number; got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clusterviz",
        description="Step K-Means and EM for Gaussian mixtures one iteration at a time.")
    parser.add_argument("--dataset", default="three_blobs", metavar="NAME|FILE.csv",
                        help="a built-in data set or a CSV file (default: three_blobs)")
    parser.add_argument("--algorithm", choices=algorithm_names(), default="kmeans", help="default: kmeans")
    parser.add_argument("--k", type=_positive_int, default=3, metavar="K", help=f"clusters, 1-{MAX_K} (default: 3)")
    parser.add_argument("--seed", type=_non_negative_int, default=0, metavar="S", help="random seed (default: 0)")
    parser.add_argument("--init", choices=INITS, default="random", help="default: random")
    parser.add_argument("--covariance", choices=COVARIANCE_TYPES, default="full",
                        help="GMM covariance type (default: full)")
    parser.add_argument("--beta", type=_positive_float, default=1.0, metavar="B",
                        help="soft K-Means stiffness (default: 1.0)")
    parser.add_argument("--steps", type=_non_negative_int, default=0, metavar="N",
                        help="steps to run before showing (default: 0)")
    parser.add_argument("--screenshot", metavar="FILE.png",
                        help="render the window to FILE.png after the steps and exit, showing nothing")
    parser.add_argument("--export-gif", metavar="FILE.gif",
                        help="save the steps run as an animated GIF (one frame per step) and exit, showing nothing")
    return parser


def _load_dataset(spec: str):
    """The Dataset named ``spec`` (built-in) or read from the CSV file ``spec``.

    Raises
    ------
    LookupError
        Neither a built-in name nor an existing file; the message lists names.
    """
    from clusterviz.data import BUILTIN_DATASETS, builtin_dataset, load_csv

    if spec in BUILTIN_DATASETS:
        return builtin_dataset(spec)
    if spec.lower().endswith(".csv") or os.path.exists(spec):
        if not os.path.exists(spec):
            raise LookupError(f"no such file: {spec!r}")
        dataset = load_csv(spec)
        for warning in dataset.warnings:  # dropped rows, constant columns ...
            print(f"clusterviz: {spec}: {warning}", file=sys.stderr)
        return dataset
    raise LookupError(f"unknown data set {spec!r}; valid names: {', '.join(BUILTIN_DATASETS)} "
                      "(or the path of a CSV file)")


def _without_offscreen_noise(mode, context, message: str) -> None:
    """Qt's messages, less the offscreen platform's notes that it cannot
    resize or raise windows (it has no screen; nothing is wrong)."""
    if "This plugin does not support" not in message:
        print(message, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run clusterviz; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshot or args.export_gif:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

    from PySide6.QtCore import QEventLoop, Qt, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from clusterviz.data import DataError

    try:
        dataset = _load_dataset(args.dataset)
    except LookupError as exc:
        print(f"clusterviz: error: {exc}", file=sys.stderr)
        return 2
    except (DataError, OSError) as exc:
        print(f"clusterviz: error: {exc}", file=sys.stderr)
        return 2

    from clusterviz.session import Session

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "clusterviz"])
    app.setApplicationName("clusterviz")
    from clusterviz.ui.allocator import keep_freed_memory

    keep_freed_memory()  # process-wide: big arrays are freed and reused every frame
    if app.platformName() == "offscreen":
        qInstallMessageHandler(_without_offscreen_noise)

    from clusterviz.ui import MainWindow

    try:
        session = Session(dataset, algorithm=args.algorithm, n_clusters=args.k, init=args.init, seed=args.seed,
                          covariance_type=args.covariance, beta=args.beta)
    except ValueError as exc:
        print(f"clusterviz: error: {exc}", file=sys.stderr)
        return 2
    window = MainWindow(session)
    for _ in range(args.steps):
        while window.controller.busy:  # big data step on a worker thread: wait for it to land
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        if not window.controller.can_step():
            break
        if not window.controller.step():
            if args.screenshot:
                print(f"clusterviz: error: {window.last_error[1] if window.last_error else 'step failed'}",
                      file=sys.stderr)
                return 1
            break

    while window.controller.busy:  # the last step on the worker thread
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    if args.export_gif:
        from clusterviz.ui.file_actions import export_animation

        window.ensurePolished()
        app.processEvents()
        if not export_animation(window, args.export_gif, show_progress=False):
            print(f"clusterviz: error: {window.last_error[1] if window.last_error else 'GIF export failed'}",
                  file=sys.stderr)
            window.close()
            return 1
        if not args.screenshot:
            window.close()
            return 0
    if args.screenshot:
        # Laid out as if shown (so scroll bars and docks settle) but never put
        # on screen, at one fixed size so slides look the same everywhere.
        window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        window.resize(1280, 900)
        window.show()
        app.processEvents()
        ok = window.grab().save(args.screenshot)
        window.close()
        if not ok:
            print(f"clusterviz: error: could not write {args.screenshot!r}", file=sys.stderr)
            return 1
        return 0
    # Unexpected errors in a dialog; autosave and crash recovery: only for the shown window.
    from PySide6.QtCore import QTimer

    handler = window.show_exceptions_in_dialog()
    recovery = window.start_crash_recovery()
    window.app_settings.restore_geometry(window)  # the size and place it had last time
    window.show()
    if recovery.found is not None:
        QTimer.singleShot(0, recovery.offer_recovery)  # after the window is on screen
    try:
        return app.exec()
    finally:
        handler.uninstall()
