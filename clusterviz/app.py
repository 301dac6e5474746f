"""Command line entry point: ``python main.py [options] [FILE]`` or ``python -m clusterviz``.

``FILE`` (what a file manager's "Open with" passes) is a ``.clusterviz``
session or a CSV file; a file that cannot be opened ends the program with
exit code 2 and one line on stderr naming it as it was given.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys

from clusterviz.model.registry import COVARIANCE_TYPES, INITS, algorithm_names

#: The suffix of session files (clusterviz.data.session_file.FILE_SUFFIX; not
#: imported, so that ``--help`` stays quick).
FILE_SUFFIX = ".clusterviz"
#: The settings a session file holds, with the Session method that changes each.
_SESSION_OPTIONS = (("algorithm", "set_algorithm"), ("k", "set_n_clusters"), ("init", "set_init"),
                    ("seed", "set_seed"), ("covariance", "set_covariance_type"), ("beta", "set_beta"))

MAX_K = 12
#: The garbage collector pauses while the window is built, until its first paint or this long at most.
GC_PAUSE_LIMIT_MS = 3000


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


def _at_least_one(text: str) -> int:
    value = _number(text, int, "the value")
    if value < 1:
        raise argparse.ArgumentTypeError(f"should be >= 1; got {value}")
    return value


def _tolerance(text: str) -> float:
    value = _number(text, float, "the tolerance")
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"the tolerance should be a finite number >= 0; got {text}")
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
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help=f"a session ({FILE_SUFFIX}) or a CSV file to open")
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
    parser.add_argument("--export-notebook", metavar="FILE.ipynb",
                        help="write the data, start and steps run as a Jupyter notebook and exit, showing nothing")
    parser.add_argument("--export-script", metavar="FILE.py",
                        help="write the same as a Python script with # %%%% cells and exit, showing nothing")
    parser.add_argument("--n-init", type=_at_least_one, metavar="N",
                        help="restarts whose best is kept, as in scikit-learn (default: 1)")
    parser.add_argument("--max-iter", type=_at_least_one, metavar="N",
                        help="most full iterations of a fit (default: 300)")
    parser.add_argument("--tol", type=_tolerance, metavar="T",
                        help="convergence tolerance (default: the algorithm's)")
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


def _given_options(parser: argparse.ArgumentParser, argv: list[str]) -> set[str]:
    """The options ``argv`` sets explicitly (not left at their defaults)."""
    for action in parser._actions:
        action.default = argparse.SUPPRESS
    return set(vars(parser.parse_args(argv)))


def _is_session_file(path: str) -> bool:
    """Whether the regular file ``path`` is a session file: named ``*.clusterviz``,
    or not named ``*.csv`` and holding a JSON object."""
    lower = path.lower()
    if lower.endswith(FILE_SUFFIX):
        return True
    if lower.endswith(".csv"):
        return False
    with open(path, "rb") as f:
        return f.read(64).lstrip().startswith(b"{")


def _open_file(path: str, args, given: set[str]):
    """The Session of the file ``path``: a session file, with the options given
    on the command line applied to it, or a CSV file with the options.

    Raises
    ------
    LookupError
        ``path`` is no regular file.
    ValueError, OSError, MemoryError
        The file cannot be read (`clusterviz.data.DataError` is a ValueError).
    """
    from clusterviz.data import load_csv
    from clusterviz.session import Session
    from clusterviz.ui.names import printable, printable_dataset

    if not os.path.exists(path):
        raise LookupError("no such file")
    if not os.path.isfile(path):
        raise LookupError("not a regular file")
    if not _is_session_file(path):
        dataset = printable_dataset(load_csv(path))
        for warning in dataset.warnings:  # dropped rows, constant columns ...
            print(f"clusterviz: {printable(path)}: {printable(warning)}", file=sys.stderr)
        return _new_session(dataset, args)
    from clusterviz.data.session_file import load_session_file

    session = Session.from_payload(load_session_file(path), printable(os.path.basename(path)))
    for option, method in _SESSION_OPTIONS:
        if option in given and getattr(args, option) != getattr(session, method[4:]):
            getattr(session, method)(getattr(args, option))
    return session


def _new_session(dataset, args):
    from clusterviz.session import Session

    return Session(dataset, algorithm=args.algorithm, n_clusters=args.k, init=args.init, seed=args.seed,
                   covariance_type=args.covariance, beta=args.beta)


#: Hyperparameter options with the Session method that sets each (when this build's Session has it).
_HYPERPARAMETERS = (("max_iter", "set_max_iter"), ("tol", "set_tol"), ("n_init", "set_n_init"))


def _set_hyperparameters(session, args, given: set[str]) -> str | None:
    """Apply --max-iter, --tol and --n-init where given; the problem, or None."""
    for option, method in _HYPERPARAMETERS:
        if option not in given:
            continue
        setter = getattr(session, method, None)
        if setter is None:
            return f"--{option.replace('_', '-')} is not supported by this version's sessions"
        try:
            setter(getattr(args, option))
        except ValueError as exc:
            return str(exc)
    return None


def _export(session, args) -> int:
    """Run ``--steps`` steps on ``session`` and write the notebook and/or
    script asked for; the exit code (0, or 1 with a line on stderr)."""
    from clusterviz.data import DataError
    from clusterviz.data.notebook_export import export_run, write_export

    for _ in range(args.steps):
        if not session.can_step:
            break
        try:
            session.step()
        except ValueError as exc:  # ModelError: the step the window would refuse
            print(f"clusterviz: error: {exc}", file=sys.stderr)
            return 1
    try:
        run = export_run(session)
        for path, notebook in ((args.export_notebook, True), (args.export_script, False)):
            if path:
                write_export(path, run, notebook=notebook)
    except DataError as exc:
        print(f"clusterviz: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _one_line(path: str, error: BaseException) -> str:
    """``clusterviz: error: PATH: what went wrong`` on one line, the path as given."""
    from clusterviz.ui.names import printable

    text = " ".join(str(error).split()) or type(error).__name__
    name = os.path.basename(path)
    rest = text[len(name):]
    if name and text.startswith(name) and rest[:1] in (",", ":", " "):  # it names the file: as given
        return printable(f"clusterviz: error: {path}{rest}")
    return printable(f"clusterviz: error: {path}: {text}")


def _after_first_paint(widget, callback) -> None:
    """Call ``callback`` in the event-loop pass after ``widget``'s first paint."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, obj, event) -> bool:  # Qt override
            if event.type() == QEvent.Type.Paint:
                obj.removeEventFilter(self)
                self.deleteLater()
                QTimer.singleShot(0, callback)
            return False

    widget.installEventFilter(FirstPaint(widget))


def _collect_again() -> None:
    """Turn the garbage collector back on, the objects made so far (the
    window's, alive as long as it is) frozen out of its scans: the first
    collection then has nothing old to walk through (no pause of tens of
    milliseconds just after the window appears)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _without_offscreen_noise(mode, context, message: str) -> None:
    """Qt's messages, less the offscreen platform's notes that it cannot
    resize or raise windows (it has no screen; nothing is wrong)."""
    if "This plugin does not support" not in message:
        print(message, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run clusterviz; returns the process exit code."""
    collecting = gc.isenabled()
    # Start-up makes some 70,000 objects that live as long as the window; the cyclic garbage
    # collector would scan them again and again while they are made (about 50 ms before the
    # first paint). It runs again once the window is on screen, with those objects frozen
    # out of its scans (`_collect_again`).
    gc.disable()
    try:
        return _run(argv, collect_when_shown=collecting)
    finally:
        if collecting:
            gc.enable()


def _run(argv: list[str] | None, collect_when_shown: bool) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    given = _given_options(build_parser(), argv) if argv else set()
    if args.file is not None and "dataset" in given:
        parser.error(f"give either FILE or --dataset, not both (got {args.file!r} and {args.dataset!r})")
    if args.screenshot or args.export_gif:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

    from clusterviz.data import DataError

    if args.file is not None:
        try:
            session = _open_file(args.file, args, given)
        except (LookupError, ValueError, OSError, MemoryError) as exc:
            print(_one_line(args.file, exc), file=sys.stderr)
            return 2
    else:
        try:
            dataset = _load_dataset(args.dataset)
        except LookupError as exc:
            print(f"clusterviz: error: {exc}", file=sys.stderr)
            return 2
        except (DataError, OSError) as exc:
            print(f"clusterviz: error: {exc}", file=sys.stderr)
            return 2
        try:
            session = _new_session(dataset, args)
        except ValueError as exc:
            print(f"clusterviz: error: {exc}", file=sys.stderr)
            return 2
    problem = _set_hyperparameters(session, args, given)
    if problem is not None:
        print(f"clusterviz: error: {problem}", file=sys.stderr)
        return 2
    steps = args.steps
    if args.export_notebook or args.export_script:
        code = _export(session, args)
        if code or not (args.screenshot or args.export_gif):
            return code
        steps = 0  # the window shows the session as exported

    from PySide6.QtCore import QEventLoop, Qt, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "clusterviz"])
    app.setApplicationName("clusterviz")
    from clusterviz.ui.allocator import keep_freed_memory

    keep_freed_memory()  # process-wide: big arrays are freed and reused every frame
    if app.platformName() == "offscreen":
        qInstallMessageHandler(_without_offscreen_noise)

    from clusterviz.ui import MainWindow

    window = MainWindow(session)
    if steps and collect_when_shown:
        gc.enable()  # the steps make garbage of their own; the first paint comes after them anyway
    for _ in range(steps):
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
    if collect_when_shown:
        _after_first_paint(window.canvas.viewport(), _collect_again)
        QTimer.singleShot(GC_PAUSE_LIMIT_MS, _collect_again)  # a window never painted (minimised) collects too
    if recovery.found is not None:
        QTimer.singleShot(0, recovery.offer_recovery)  # after the window is on screen
    try:
        return app.exec()
    finally:
        handler.uninstall()
