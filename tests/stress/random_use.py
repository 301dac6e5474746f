"""Random use of the real `MainWindow`: a seeded sequence of user actions with
invariants checked after every one.

`RandomUse(window, seed, workdir).run(n)` draws actions from `ACTIONS` (every
thing a user can do: edit the points with the canvas tools, step, step back,
half-steps, scrub, play/pause, change every setting, load every built-in data
set, undo/redo, toggle every layer and view, the compare view, the docks, a
sweep started and cancelled, save and reopen a session) and after each one
checks:

- no exception, neither raised by the action nor inside a Qt slot (the
  driver swaps ``sys.excepthook`` while it runs, which is where PySide6
  reports exceptions from slots) and no Python warning inside a slot;
- no NaN or inf in the shown state (means, covariances, weights,
  responsibilities, objective), in the objectives of the timeline, in the
  data of any item on the canvas or the objective plot, or in the texts on
  screen;
- the objective of the run monotone in the right direction (K-Means
  distortion non-increasing over every entry, half-steps included; the
  mixtures' log-likelihood non-decreasing over full steps);
- the number of points equal to what the edits imply (the driver keeps its
  own count, mirroring the undo stack), and the points untouched by every
  action that is not an edit;
- the timeline cursor within bounds, and the timeline slider showing it.

Used by ``tests/ui/test_random_use.py`` (500 actions in CI) and by
``tests/stress/run_random_use.py`` (long runs, prints a summary).

Play is timing-dependent (how many ticks fit in a wait), so a replay with the
same seed draws the same actions but may step a little differently.
"""
from __future__ import annotations

import math
import re
import sys
import traceback
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

#: Relative tolerance of the monotonicity checks (rounding of sums over N points).
MONOTONE_RTOL = 1e-9
#: Absolute slack, scaled by the number of points, for objectives near zero.
MONOTONE_ATOL = 1e-9
#: A number on screen that is not a number.
_BAD_TEXT = re.compile(r"(?<![A-Za-z])(nan|inf|-inf)(?![A-Za-z])", re.IGNORECASE)


@dataclass
class Failure:
    index: int
    action: str
    detail: str
    message: str
    repeats: int = 0  # later actions that found the same state

    def __str__(self) -> str:
        again = f" [seen again by the next {self.repeats} actions]" if self.repeats else ""
        return f"#{self.index} {self.action}({self.detail}): {self.message}{again}"


@dataclass
class Summary:
    seed: int
    actions: int = 0
    counts: Counter = field(default_factory=Counter)
    refusals: Counter = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)
    #: EM log-likelihood dips where reg_covar dominates (a property of regularised EM, not a crash)
    dips: list[Failure] = field(default_factory=list)

    def text(self, max_failures: int = 20) -> str:
        lines = [f"actions run: {self.actions}", f"failures: {len(self.failures)}",
                 f"seed to replay: {self.seed}", "per-action counts:"]
        lines += [f"  {name:<18} {n}" for name, n in sorted(self.counts.items())]
        if self.refusals:
            lines.append("messages shown to the user (refusals, not failures):")
            lines += [f"  {n:>5} x {text[:110]}" for text, n in self.refusals.most_common(12)]
        if self.dips:
            lines.append(f"EM log-likelihood dips where reg_covar dominates the covariances: {len(self.dips)} "
                         "(regularised EM need not be monotone; not counted as failures)")
            lines += [f"  dip {d}" for d in self.dips[:5]]
        for failure in self.failures[:max_failures]:
            lines.append(f"FAIL {failure}")
        if len(self.failures) > max_failures:
            lines.append(f"... and {len(self.failures) - max_failures} more failures")
        return "\n".join(lines)


class InvariantError(AssertionError):
    pass


class RegularisationDip(InvariantError):
    """EM's log-likelihood fell where the covariances are as small as reg_covar:
    regularised EM need not be monotone. Reported apart from the failures."""


def default_wait_until(predicate, timeout_ms: int = 5000) -> bool:
    """Process events until ``predicate()`` is true; False on timeout."""
    app = QApplication.instance()
    waited = 0
    while not predicate():
        if waited >= timeout_ms:
            return False
        QTest.qWait(5)  # processes events while waiting (what qtbot.waitUntil does)
        waited += 5
    app.processEvents()
    return True


#: Action name -> (weight, kind). kind "edit" may change the points; "data"
#: replaces them; everything else must leave them exactly as they were.
ACTIONS: dict[str, tuple[float, str]] = {
    "add": (6, "edit"),
    "click_add": (3, "edit"),
    "brush": (4, "edit"),
    "erase": (3, "edit"),
    "move": (3, "edit"),
    "blob": (2, "edit"),
    "centroid": (2, "edit"),
    "clear_all": (0.3, "edit"),
    "undo": (4, "edit"),
    "redo": (3, "edit"),
    "step": (8, "run"),
    "half_step": (4, "run"),
    "step_back": (4, "run"),
    "half_mode": (1.5, "run"),
    "scrub": (3, "run"),
    "play_pause": (2, "run"),
    "reset": (1.5, "run"),
    "converge": (1, "run"),
    "algorithm": (2.5, "setting"),
    "k": (2.5, "setting"),
    "init": (1, "setting"),
    "seed": (1.5, "setting"),
    "covariance": (1.5, "setting"),
    "beta": (1.5, "setting"),
    "speed": (1, "setting"),
    "dataset": (1.5, "data"),
    "layer": (4, "view"),
    "pin": (1, "view"),
    "compare": (2, "view"),
    "dock": (1, "view"),
    "sweep": (0.7, "view"),
    "restarts": (0.5, "view"),
    "seeding": (0.7, "view"),
    "session": (1, "data"),
    "open_csv": (0.7, "data"),
    "columns": (1, "view"),
    "pca": (0.7, "view"),
    "zoom": (2, "view"),
    "key": (4, "key"),
    "export": (0.6, "view"),
}

#: Keys the "key" action presses (window shortcuts), none of which edits the points.
KEYS = ("Right", "Left", "Shift+Right", "H", "T", "A", "V", "D", "R", "Space", "Esc", "P", "B", "E", "M",
        "G", "C", "Ctrl+Return", "Ctrl+K", "Ctrl+Shift+K", "Ctrl+Shift+G", "Ctrl+P", "Ctrl+Shift+I")


class RandomUse:
    """Drive ``window`` with random user actions; see the module docstring.

    Parameters
    ----------
    window : MainWindow
        Shown (the tools need a laid-out canvas for pixel sizes).
    seed : int
    workdir : path
        Where session files are saved.
    wait_until : callable(predicate, timeout_ms) -> bool, optional
        How to wait with the event loop running (tests pass one built on
        ``qtbot.waitUntil``).
    evidence_dir : path, optional
        Where the session is saved when an invariant fails.
    """

    def __init__(self, window, seed: int, workdir, wait_until=None, evidence_dir=None) -> None:
        self.window = window
        self.evidence_dir = evidence_dir
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        self.workdir = Path(workdir)
        self.wait_until = wait_until or default_wait_until
        self.summary = Summary(seed=self.seed)
        self.names = list(ACTIONS)
        weights = np.array([ACTIONS[n][0] for n in self.names], dtype=float)
        self.p = weights / weights.sum()
        s = window.session
        self.expected = s.n_points
        self.mirror: list[tuple[int, int]] = []  # (count before, count after) of each undo command
        self.saved: list[tuple[Path, int]] = []
        self._exceptions: list[str] = []
        self._refused: list[str] = []
        self._stepped = 0
        c = window.controller
        c.failed.connect(self._refused.append)
        c.stepped.connect(self._count_step)
        c.dataset_loaded.connect(self._forget_undo)
        self._index_moves = 0
        window.tools.undo_stack.indexChanged.connect(self._on_index)

    # ---------------------------------------------------------------- running
    def _count_step(self) -> None:
        self._stepped += 1

    def _forget_undo(self) -> None:
        self.mirror = []

    @contextmanager
    def _capture(self):
        """Record exceptions raised inside Qt slots (PySide6 hands them to
        sys.excepthook) and warnings turned into errors there."""
        previous = sys.excepthook

        def hook(kind, value, tb):
            self._exceptions.append("".join(traceback.format_exception(kind, value, tb)))

        sys.excepthook = hook
        try:
            yield
        finally:
            sys.excepthook = previous

    def run(self, n_actions: int, log=None, tour: bool = True) -> Summary:
        """Run ``n_actions`` actions; failures are collected, not raised.

        With ``tour`` the first ``len(ACTIONS)`` actions are every action once
        (in a seeded order), so even a short run covers all of them."""
        names = list(self.rng.permutation(self.names)) if tour else []
        with self._capture():
            self.check("start")
            for i in range(int(n_actions)):
                name = str(names[i]) if i < len(names) else str(self.rng.choice(self.names, p=self.p))
                self.one(name, log)
        return self.summary

    def one(self, name: str, log=None) -> None:
        index = self.summary.actions
        self.summary.actions += 1
        self.summary.counts[name] += 1
        s = self.window.session
        X_before = np.array(s.X, copy=True)
        undo_before = self.window.tools.undo_stack.index()
        expected_before = self.expected
        self._index_moves = 0
        self._refused.clear()
        self._exceptions.clear()
        detail = ""
        try:
            detail = getattr(self, f"do_{name}")() or ""
            if log is not None:
                log(f"#{index} {name}({detail})")
            self._settle()
            for text in self._refused:
                self.summary.refusals[text] += 1
            self._track_undo(name, undo_before, expected_before)
            if ACTIONS[name][1] not in ("edit", "data"):
                if not np.array_equal(X_before, np.asarray(self.window.session.X)):
                    raise InvariantError(f"{name} changed the points ({X_before.shape[0]} -> "
                                         f"{self.window.session.n_points}), though it is no edit")
            self.check(name)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded
            message = (f"{type(exc).__name__}: {exc}" if isinstance(exc, InvariantError)
                       else traceback.format_exc())
            bucket = self.summary.dips if isinstance(exc, RegularisationDip) else self.summary.failures
            if bucket and bucket[-1].message.split(" (session saved")[0] == message:
                bucket[-1].repeats += 1  # the same broken state seen again by the next action
            else:
                bucket.append(Failure(index, name, detail, message + self._keep_evidence(index)))
            self.expected = self.window.session.n_points  # go on from what is there
            stack = self.window.tools.undo_stack  # resynchronise the mirror (unknown commands: no count change)
            self.mirror = (self.mirror + [(self.expected, self.expected)] * stack.count())[: stack.count()]
        for text in self._exceptions:
            self.summary.failures.append(Failure(index, name, detail, "exception in a slot:\n" + text))
        self._exceptions.clear()

    def _keep_evidence(self, index: int) -> str:
        """Save the session at a failure (to replay it without the random run)."""
        if self.evidence_dir is None:
            return ""
        from clusterviz.data.session_file import save_session_file

        path = Path(self.evidence_dir) / f"failure_seed{self.seed}_{index}.clusterviz"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_session_file(path, self.window.session.to_payload())
        except (OSError, ValueError) as exc:
            return f" (session not saved: {exc})"
        return f" (session saved to {path})"

    def _settle(self) -> None:
        c = self.window.controller
        if not self.wait_until(lambda: not c.busy, 10_000):
            raise InvariantError("a step on the worker thread did not finish within 10 s")
        QApplication.processEvents()

    def _track_undo(self, name: str, undo_before: int, expected_before: int) -> None:
        """Mirror the undo stack: each new command remembers the counts around it."""
        stack = self.window.tools.undo_stack
        if name in ("undo", "redo", "dataset", "session", "open_csv"):
            return
        if self._index_moves:  # a command was pushed (at the undo limit the index stays put)
            del self.mirror[undo_before:]
            self.mirror.append((expected_before, self.expected))
            while len(self.mirror) > stack.count():
                self.mirror.pop(0)  # the stack forgot its oldest command (undo limit)
        elif self.expected != expected_before:
            raise InvariantError(f"{name} changed the points ({expected_before} -> {self.expected}) but put "
                                 "nothing on the undo stack")

    def _on_index(self, _index: int) -> None:
        self._index_moves += 1

    def _edit(self, delta: int) -> None:
        """An edit that changes the count by ``delta`` (nothing if the session refused)."""
        if not self._refused:
            self.expected += delta

    # ---------------------------------------------------------------- checks
    def check(self, name: str) -> None:
        w = self.window
        s = w.session
        if s.n_points != self.expected:
            raise InvariantError(f"{s.n_points} points; the edits imply {self.expected}")
        timeline = s.timeline
        if timeline:
            if not 0 <= s.cursor < len(timeline):
                raise InvariantError(f"cursor {s.cursor} outside the timeline of {len(timeline)}")
        elif s.cursor != 0 or s.state is not None:
            raise InvariantError(f"no timeline but cursor {s.cursor} / a state")
        slider = w.controls.timeline_slider
        if slider.maximum() != max(0, len(timeline) - 1) or slider.value() != s.cursor:
            raise InvariantError(f"timeline slider {slider.value()}/{slider.maximum()} but cursor "
                                 f"{s.cursor}/{len(timeline) - 1}")
        self._check_state(s)
        self._check_items()
        self._check_texts()
        if self.summary.actions % 10 == 0:
            self.window.grab()  # paints every item: errors in paint() or boundingRect() surface here
        self._check_monotone(s)  # last: a RegularisationDip must not hide the checks above

    def _check_state(self, s) -> None:
        state = s.state
        objectives = np.asarray(s.objectives, dtype=float)
        if not np.all(np.isfinite(objectives)):
            raise InvariantError(f"non-finite objective in the timeline: {objectives[~np.isfinite(objectives)]}")
        if state is None:
            return
        for attr in ("means", "weights", "covariances", "soft_responsibilities", "objective"):
            value = getattr(state, attr, None)
            if value is not None and not np.all(np.isfinite(np.asarray(value, dtype=float))):
                raise InvariantError(f"non-finite {attr} in the shown state")
        R = state.responsibilities
        if R is not None:
            R = np.asarray(R, dtype=float)
            if not np.all(np.isfinite(R)):
                raise InvariantError("non-finite responsibilities")
            if R.shape[0] != s.n_points:
                raise InvariantError(f"responsibilities for {R.shape[0]} points, data has {s.n_points}")

    def _check_monotone(self, s) -> None:
        J = np.asarray(s.objectives, dtype=float)
        phases = tuple(s.phases)
        if J.size < 2:
            return
        scale = MONOTONE_RTOL * np.maximum(np.abs(J[:-1]), np.abs(J[1:])) + MONOTONE_ATOL * max(1, s.n_points)
        if s.algorithm == "kmeans":
            rises = np.flatnonzero(J[1:] > J[:-1] + scale)
            if rises.size:
                i = int(rises[0])
                raise InvariantError(f"K-Means distortion rose from entry {i} ({phases[i]}, {J[i]!r}) to "
                                     f"{i + 1} ({phases[i + 1]}, {J[i + 1]!r})")
            return
        full = [i for i, p in enumerate(phases) if p not in ("E", "seed")]  # a pick's potential is no likelihood
        for a, b in zip(full, full[1:]):
            tol = MONOTONE_RTOL * max(abs(J[a]), abs(J[b])) + MONOTONE_ATOL * max(1, s.n_points)
            if J[b] < J[a] - tol:
                note = self._regularisation_note(s, b)
                error = RegularisationDip if note else InvariantError
                raise error(f"{s.algorithm} log-likelihood fell from entry {a} ({float(J[a])!r}) to "
                            f"{b} ({float(J[b])!r}){note}")

    @staticmethod
    def _regularisation_note(s, index: int) -> str:
        """Why EM may fall: the covariances are as small as the regularisation
        reg_covar added to them, so the M-step no longer maximises the likelihood."""
        cov = s.timeline[index].covariances
        if cov is None:
            return ""
        smallest = float(np.min(np.linalg.eigvalsh(np.asarray(cov))))
        reg = float(getattr(s.model, "reg_covar", 1e-6))
        if smallest < 100 * reg:
            return (f"; smallest covariance eigenvalue {smallest:.3g} is within 100 x reg_covar={reg:g} "
                    f"(data spread {float(np.std(s.X)):.3g})")
        return ""

    def _check_items(self) -> None:
        import pyqtgraph as pg

        w = self.window
        plots = [w.canvas.getPlotItem(), w.objective_plot.getPlotItem()]
        for plot in plots:
            for item in plot.items:
                if isinstance(item, pg.ScatterPlotItem):
                    x, y = item.getData()
                    arrays = (x, y)
                elif isinstance(item, pg.PlotCurveItem):
                    arrays = (item.xData, item.yData)
                elif isinstance(item, pg.PlotDataItem):
                    arrays = (item.xData, item.yData)
                elif isinstance(item, pg.ImageItem):
                    image = item.image
                    arrays = (image,) if image is not None and np.asarray(image).dtype.kind == "f" else ()
                else:
                    continue
                for a in arrays:
                    if a is not None and np.asarray(a).size and not np.all(np.isfinite(np.asarray(a, float))):
                        raise InvariantError(f"non-finite data in the canvas item {type(item).__name__} "
                                             f"(z={item.zValue()})")

    def _check_texts(self) -> None:
        w = self.window
        labels = [w.info_label, w.controls.timeline_row.label, w.controls.beta_label, w.inspector_label]
        for label in labels:
            text = label.text()
            if _BAD_TEXT.search(re.sub(r"<[^>]+>", " ", text)):
                raise InvariantError(f"{label.objectName()} shows {text!r}")

    # --------------------------------------------------------------- helpers
    def _point_in_view(self) -> tuple[float, float]:
        vb = self.window.canvas.view_box
        (x0, x1), (y0, y1) = vb.viewRange()
        s = self.window.session
        if s.n_points and self.rng.random() < 0.4:  # near the data
            i = int(self.rng.integers(s.n_points))
            sx, sy = self.window.tools.pixel_size()
            p = np.asarray(self.window.tools.shown_points()[i]) + self.rng.normal(0, 30, 2) * (sx, sy)
            return float(p[0]), float(p[1])
        return float(self.rng.uniform(x0, x1)), float(self.rng.uniform(y0, y1))

    def _nearest_px(self, x: float, y: float) -> float:
        P = self.window.tools.shown_points()
        if P.shape[0] == 0:
            return math.inf
        d = (P - [x, y]) / self.window.tools.pixel_size()
        return float(np.sqrt(np.min(np.einsum("ij,ij->i", d, d))))

    def _within(self, P, x: float, y: float, r_px: float) -> np.ndarray:
        d = (P - [x, y]) / self.window.tools.pixel_size()
        return np.einsum("ij,ij->i", d, d) <= r_px**2

    def _use_tool(self, name: str) -> None:
        self.window.tools.actions[name].trigger()

    @staticmethod
    def _click(button) -> bool:
        if button.isEnabled() and button.isVisible():
            button.click()
            return True
        return False

    # ---------------------------------------------------------------- edits
    def do_add(self) -> str:
        tools = self.window.tools
        self._use_tool("add")
        for _ in range(10):
            x, y = self._point_in_view()
            d = self._nearest_px(x, y)
            if d > 12 or d < 2:
                break
        else:
            return "skipped: no clear spot"
        pinned = self.window.teaching.pinned >= 0
        tools.press(x, y)
        tools.release(x, y)
        self._edit(1 if d > 12 and not pinned else 0)
        return f"{x:.4g}, {y:.4g}, nearest {d:.1f}px, pinned={pinned}"

    def do_click_add(self) -> str:
        """A real mouse click on the canvas (through the scene's event filter)."""
        w = self.window
        self._use_tool("add")
        vb = w.canvas.view_box
        for _ in range(10):
            x, y = self._point_in_view()
            d = self._nearest_px(x, y)
            scene = vb.mapViewToScene(QPointF(x, y))
            if d > 12 and vb.sceneBoundingRect().adjusted(3, 3, -3, -3).contains(scene):
                break
        else:
            return "skipped: no clear spot"
        pinned = w.teaching.pinned >= 0
        pos = w.canvas.mapFromScene(scene)
        QTest.mouseClick(w.canvas.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
        self._edit(0 if pinned else 1)
        return f"{x:.4g}, {y:.4g}, pinned={pinned}"

    def do_brush(self) -> str:
        tools = self.window.tools
        self._use_tool("brush")
        r = int(self.rng.integers(5, 60))
        n = int(self.rng.integers(1, 20))
        tools.radius_spin.setValue(r)
        tools.density_spin.setValue(n)
        x, y = self._point_in_view()
        moves = int(self.rng.integers(0, 4))
        tools.press(x, y)
        for _ in range(moves):  # each move one radius (>= half a radius): one dab each
            sx, sy = tools.pixel_size()
            angle = self.rng.uniform(0, 2 * np.pi)
            x, y = x + 1.01 * r * sx * math.cos(angle), y + 1.01 * r * sy * math.sin(angle)
            tools.move(x, y)
        tools.release(x, y)
        self._edit(n * (1 + moves))
        return f"r={r}, density={n}, moves={moves}"

    def do_erase(self) -> str:
        tools = self.window.tools
        self._use_tool("erase")
        r = int(self.rng.integers(5, 60))
        tools.radius_spin.setValue(r)
        x, y = self._point_in_view()
        P = tools.shown_points()
        keep = ~self._within(P, x, y, r)
        tools.press(x, y)
        removed = int(P.shape[0] - keep.sum())
        if self.rng.random() < 0.5:
            sx, sy = tools.pixel_size()
            x2, y2 = x + r * sx, y - r * sy
            removed += int(self._within(P[keep], x2, y2, r).sum())
            tools.move(x2, y2)
            x, y = x2, y2
        tools.release(x, y)
        self._edit(-removed)
        return f"r={r}, removed={removed}"

    def do_move(self) -> str:
        tools = self.window.tools
        self._use_tool("move")
        P = tools.shown_points()
        if P.shape[0] == 0:
            return "no points"
        i = int(self.rng.integers(P.shape[0]))
        x, y = (float(v) for v in P[i])
        sx, sy = tools.pixel_size()
        tx, ty = x + self.rng.normal(0, 60) * sx, y + self.rng.normal(0, 60) * sy
        tools.press(x, y)
        tools.move((x + tx) / 2, (y + ty) / 2)
        tools.move(tx, ty)
        tools.release(tx, ty)
        if tools.pixels_between((x, y), (tx, ty)) >= 4 and not self._refused:
            Q = tools.shown_points()
            if not np.any(np.all(Q == [tx, ty], axis=1)):
                raise InvariantError(f"point {i} was not moved to ({tx!r}, {ty!r})")
        self._edit(0)
        return f"point {i} -> {tx:.4g}, {ty:.4g}"

    def do_blob(self) -> str:
        tools = self.window.tools
        self._use_tool("blob")
        n = int(self.rng.integers(1, 120))
        tools.blob_spin.setValue(n)
        x, y = self._point_in_view()
        sx, sy = tools.pixel_size()
        dx, dy = self.rng.normal(0, 40, 2)
        tools.press(x, y)
        tools.move(x + dx * sx / 2, y + dy * sy / 2)
        tools.release(x + dx * sx, y + dy * sy)
        self._edit(n)
        return f"n={n}"

    def do_centroid(self) -> str:
        tools = self.window.tools
        self._use_tool("centroid")
        s = self.window.session
        means = tools.shown_means()
        roll = self.rng.random()
        if means is not None and means.shape[0] and roll < 0.5:
            k = int(self.rng.integers(means.shape[0]))
            x, y = (float(v) for v in means[k, list(s.view_columns)])
            if roll < 0.2:  # shift+click removes it
                tools.press(x, y, Qt.KeyboardModifier.ShiftModifier)
                tools.release(x, y)
                what = f"remove {k}"
            else:
                sx, sy = tools.pixel_size()
                tx, ty = x + 50 * sx, y + 30 * sy
                tools.press(x, y)
                tools.move(tx, ty)
                tools.release(tx, ty)
                what = f"drag {k}"
        else:
            x, y = self._point_in_view()
            tools.press(x, y)
            tools.release(x, y)
            what = f"place at {x:.4g}, {y:.4g}"
        self._edit(0)
        return what

    def do_clear_all(self) -> str:
        n = self.window.session.n_points
        self.window.tools.clear_action.trigger()
        self._edit(-n)
        return f"{n} points"

    def do_undo(self) -> str:
        tools = self.window.tools
        stack = tools.undo_stack
        if not stack.canUndo():
            return "nothing to undo"
        i = stack.index()
        if self.rng.random() < 0.3 and self.window.isActiveWindow():
            QTest.keyClick(self.window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        else:
            tools.undo_action.trigger()
        if i - 1 >= len(self.mirror):
            raise InvariantError(f"undo stack at {i}, driver knows {len(self.mirror)} commands")
        before = self.mirror[i - 1][0]
        if stack.index() == i - 1:
            self.expected = before
        return f"to {before} points"

    def do_redo(self) -> str:
        tools = self.window.tools
        stack = tools.undo_stack
        if not stack.canRedo():
            return "nothing to redo"
        i = stack.index()
        tools.redo_action.trigger()
        if i >= len(self.mirror):
            raise InvariantError(f"undo stack at {i}, driver knows {len(self.mirror)} commands")
        after = self.mirror[i][1]
        if stack.index() == i + 1:
            self.expected = after
        return f"to {after} points"

    # ------------------------------------------------------------- stepping
    def do_step(self) -> str:
        return str(self._click(self.window.controls.step_button))

    def do_half_step(self) -> str:
        return str(self._click(self.window.controls.half_step_button))

    def do_step_back(self) -> str:
        return str(self._click(self.window.controls.step_back_button))

    def do_half_mode(self) -> str:
        self.window.controls.half_step_check.click()
        return str(self.window.controller.half_steps)

    def do_scrub(self) -> str:
        slider = self.window.controls.timeline_slider
        if not slider.isEnabled():
            return "disabled"
        values = [int(self.rng.integers(slider.minimum(), slider.maximum() + 1)) for _ in range(3)]
        for v in values:
            slider.setValue(v)
        return ",".join(map(str, values))

    def do_play_pause(self) -> str:
        c = self.window.controller
        button = self.window.controls.play_button
        if not self._click(button):
            return "disabled"
        ticks = int(self.rng.integers(1, 4))
        start = self._stepped
        self.wait_until(lambda: self._stepped - start >= ticks or not c.playing, 8000)
        if c.playing:
            button.click()
        if c.playing:
            raise InvariantError("Pause did not stop playing")
        return f"{self._stepped - start} ticks"

    def do_reset(self) -> str:
        return str(self._click(self.window.controls.reset_button))

    def do_converge(self) -> str:
        return str(self._click(self.window.controls.converge_button))

    # ------------------------------------------------------------- settings
    def _combo(self, combo) -> str:
        if not combo.isEnabled() or combo.count() == 0:
            return "disabled"
        combo.setCurrentIndex(int(self.rng.integers(combo.count())))
        return str(combo.currentData() or combo.currentText())

    def do_algorithm(self) -> str:
        return self._combo(self.window.controls.algorithm_combo)

    def do_k(self) -> str:
        spin = self.window.controls.k_spin
        value = int(self.rng.integers(spin.minimum(), spin.maximum() + 1))
        spin.setValue(value)
        return str(value)

    def do_init(self) -> str:
        return self._combo(self.window.controls.init_combo)

    def do_seed(self) -> str:
        value = int(self.rng.integers(0, 1000))
        self.window.controls.seed_spin.setValue(value)
        return str(value)

    def do_covariance(self) -> str:
        return self._combo(self.window.controls.covariance_combo)

    def do_beta(self) -> str:
        slider = self.window.controls.beta_slider
        if not slider.isEnabled():
            return "disabled"
        value = int(self.rng.integers(slider.minimum(), slider.maximum() + 1))
        slider.setValue(value)
        return str(value)

    def do_speed(self) -> str:
        slider = self.window.controls.speed_slider
        value = int(self.rng.integers(slider.minimum(), slider.maximum() + 1))
        slider.setValue(value)
        return str(value)

    def do_dataset(self) -> str:
        from clusterviz.data import builtin_dataset

        w = self.window
        actions = w.dataset_actions.actions()
        action = actions[int(self.rng.integers(len(actions)))]
        name = action.data()
        if self.rng.random() < 0.5:
            action.trigger()  # File > Data sets
            how = "menu"
        else:
            combo = w.controls.dataset_combo
            index = combo.findData(name)
            if index == combo.currentIndex():
                action.trigger()
                how = "menu"
            else:
                combo.setCurrentIndex(index)
                how = "combo"
        if not self._refused:
            self.expected = builtin_dataset(name).n_samples
            self.mirror = []
        return f"{name} ({how})"

    # ---------------------------------------------------------------- views
    def do_layer(self) -> str:
        w = self.window
        box, view = w.controls.layers_box, w.controls.view_group
        choice = int(self.rng.integers(6))
        if choice == 0:
            return "regions " + str(self._toggle(box.regions_check))
        if choice == 1:
            return "density " + str(self._toggle(box.density_check))
        if choice == 2:
            return "trails " + str(self._toggle(view.trails_check))
        if choice == 3:
            return "ambiguity " + str(self._toggle(view.ambiguity_check))
        if choice == 4:
            return "colours " + self._combo(view.colour_mode_combo)
        return "aspect " + str(self._toggle(w.controls.aspect_check))

    @staticmethod
    def _toggle(check) -> bool:
        if check.isEnabled():
            check.click()
        return check.isChecked()

    def do_pin(self) -> str:
        w = self.window
        teaching = w.teaching
        n = w.session.n_points
        if teaching.pinned >= 0 and self.rng.random() < 0.5:
            w.teaching.unpin_action.trigger()
            return "unpin"
        if n == 0:
            return "no points"
        i = int(self.rng.integers(n))
        w.canvas.point_selected.emit(i)
        return f"toggle {i}"

    def do_compare(self) -> str:
        w = self.window
        view = getattr(w, "compare_view", None)
        if view is None or not view.isVisible():
            w.compare_action.trigger()
            return "open"
        choice = int(self.rng.integers(6))
        if choice == 0:
            view.step()
            return "step"
        if choice == 1:
            view.step_back()
            return "back"
        if choice == 2:
            view.seek(int(self.rng.integers(0, 10)))
            return "seek"
        if choice == 3:
            start = view.step_index
            view.play()
            self.wait_until(lambda: view.step_index != start or not view.playing, 2000)
            view.pause()
            return "play/pause"
        if choice == 4:
            view.reset()
            return "reset"
        view.close()
        return "close"

    def do_dock(self) -> str:
        w = self.window
        dock = w.docks.choosing_k_dock if self.rng.random() < 0.5 else w.restarts_dock
        dock.toggleViewAction().trigger()
        return f"{dock.objectName()} {dock.isVisible()}"

    def _start_cancel(self, start, job, cancel) -> str:
        if not start():
            return "refused"
        if self.rng.random() < 0.7:
            cancel()
            outcome = "cancelled"
        else:
            outcome = "finished"
        if not self.wait_until(lambda: not job.is_running(), 20_000):
            raise InvariantError("the background job did not end")
        return outcome

    def do_sweep(self) -> str:
        panel = self.window.docks.choosing_k
        panel.k_max_spin.setValue(int(self.rng.integers(2, 6)))
        return self._start_cancel(panel.run_sweep, panel.job, panel.cancel_sweep)

    def do_restarts(self) -> str:
        panel = self.window.restarts_panel
        panel.restarts_spin.setValue(int(self.rng.integers(1, 4)))
        return self._start_cancel(panel.run, panel.job, panel.job.cancel)

    def do_seeding(self) -> str:
        action = self.window.seeding_view.action
        if action.isEnabled():
            action.trigger()
        return str(action.isChecked())

    def do_open_csv(self) -> str:
        """A CSV file of 2 to 5 columns, opened without the column dialog."""
        w = self.window
        n = int(self.rng.integers(0, 400))
        d = int(self.rng.integers(2, 6))
        scale = 10.0 ** self.rng.integers(-3, 4)
        X = self.rng.normal(0, 1, (n, d)) * scale + self.rng.normal(0, 5, d) * scale
        path = self.workdir / f"points_{self.summary.actions}.csv"
        header = ",".join(f"c{j}" for j in range(d))
        np.savetxt(path, X, delimiter=",", header=header, comments="", fmt="%.17g")
        before = w.session.n_points
        ok = w.open_csv(path, ask_columns=False)
        self.expected = n if ok and not self._refused else before
        return f"{n} x {d}, scale {scale:g}, loaded={ok}"

    def do_columns(self) -> str:
        controls = self.window.controls
        if not controls.columns_box.isVisible():
            return "two columns only"
        combo = controls.x_column_combo if self.rng.random() < 0.5 else controls.y_column_combo
        return self._combo(combo)

    def do_pca(self) -> str:
        from PySide6.QtGui import QAction

        action = self.window.findChild(QAction, "pcaViewAction")
        if action is None or not action.isEnabled():
            return "disabled"
        action.trigger()
        return str(action.isChecked())

    def do_zoom(self) -> str:
        vb = self.window.canvas.view_box
        roll = self.rng.random()
        if roll < 0.45:
            f = float(10.0 ** self.rng.uniform(-2.5, 2.5))
            vb.scaleBy((f, f))
            return f"zoom x{f:.3g}"
        if roll < 0.9:
            (x0, x1), (y0, y1) = vb.viewRange()
            dx, dy = self.rng.normal(0, 1, 2)
            vb.translateBy(x=dx * (x1 - x0), y=dy * (y1 - y0))
            return "pan"
        vb.autoRange()
        return "fit"

    def do_key(self) -> str:
        from PySide6.QtGui import QKeySequence

        w = self.window
        key = KEYS[int(self.rng.integers(len(KEYS)))]
        if not w.isActiveWindow():
            w.activateWindow()
            self.wait_until(w.isActiveWindow, 2000)
        combo = QKeySequence(key)[0]
        start = self._stepped
        QTest.keyClick(w, combo.key(), combo.keyboardModifiers())
        if w.controller.playing:  # Space started play: let it tick once, then Space again
            self.wait_until(lambda: self._stepped > start or not w.controller.playing, 8000)
            if w.controller.playing:
                QTest.keyClick(w, Qt.Key.Key_Space)
            if w.controller.playing:
                raise InvariantError("Space did not pause")
        view = getattr(w, "compare_view", None)
        if view is not None and view.isVisible() and key == "Ctrl+K":
            view.close()
        return key

    def do_export(self) -> str:
        from clusterviz.ui.file_actions import export_data_csv, export_image

        w = self.window
        roll = self.rng.random()
        if roll < 0.4:
            ok = export_image(w, self.workdir / "canvas.png")
            what = "canvas png"
        elif roll < 0.6:
            ok = export_image(w, self.workdir / "plot.svg", target="objective")
            what = "objective svg"
        elif roll < 0.9:
            ok = export_data_csv(w, self.workdir / "data.csv")
            what = "data csv"
        else:
            ok = w.save_screenshot(self.workdir / "window.png")
            what = "screenshot"
        if not ok:
            raise InvariantError(f"export {what} failed: {w.last_error}")
        return what

    def do_session(self) -> str:
        from clusterviz.ui.file_actions import open_session, save_session

        w = self.window
        s = w.session
        if self.saved and self.rng.random() < 0.3:  # reopen an older one
            path, n = self.saved[int(self.rng.integers(len(self.saved)))]
            if open_session(w, path):
                self.expected = n
                self.mirror = []
            return f"reopen {path.name} ({n} points)"
        path = self.workdir / f"random_use_{len(self.saved)}.clusterviz"
        before = (np.array(s.X), s.cursor, len(s.timeline), s.algorithm, s.n_clusters)
        if not save_session(w, path):
            raise InvariantError(f"saving the session failed: {w.last_error}")
        self.saved.append((path, s.n_points))
        if not open_session(w, path):
            raise InvariantError(f"reopening the session just saved failed: {w.last_error}")
        s = w.session
        after = (np.array(s.X), s.cursor, len(s.timeline), s.algorithm, s.n_clusters)
        if not np.array_equal(before[0], after[0]) or before[1:] != after[1:]:
            raise InvariantError(f"the reopened session differs: {before[1:]} vs {after[1:]}")
        self.mirror = []
        return f"save+reopen {path.name}"
