"""The compare window for a sequence model: a Gaussian mixture beside it on
the same sequence from the same start, the gain in log-likelihood Δℓ, and
"Shuffle the order", which refits both on the rows in a seeded random order
so the gain visibly vanishes (the mixture does not see the order; the
sequence model only gains from it).

Which algorithms: the right side is the main window's (its registry entry
has ``supports_sequences``); the left side is the registry's first
algorithm with a density that fits the same covariance type and does not
model order (EM for a Gaussian mixture). Both start from the mixture's
initial means, and a shuffled pair starts from those same means.
"""
from __future__ import annotations

import dataclasses

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import QLabel, QToolButton
import pyqtgraph as pg  # after PySide6, so that pyqtgraph binds to it

from clusterviz.data import Dataset
from clusterviz.model import registry
from clusterviz.session import SessionPair

from ..canvas.palette import cosmetic_pen
from ..panels.objective_plot import objective_range

LESSON_TITLE = "A hidden Markov model is a mixture whose state remembers the previous one"
LESSON_TEXT = (
    "Both sides start from the same means and take one full iteration per step. Left: a Gaussian mixture "
    "treats the points as independent draws, so their order means nothing to it. Right: a hidden Markov model "
    "lets the state at time t depend on the state at t − 1 through the transition matrix A, fitted by "
    "Baum-Welch (EM for sequences). Where order matters, as in consecutive eruptions of Old Faithful, the HMM "
    "reaches a higher log-likelihood ℓ. Shuffle the order (S): the mixture's ℓ stays the same, and the HMM's "
    "gain all but vanishes, because a shuffled sequence has no memory left to model (PRML §13.2)."
)
SHUFFLE_TIP = ("Refit both sides on the same points in a random order (seeded): the mixture does not change, "
               "the HMM's gain over it all but vanishes. Again: back to the true order (S).")


def mixture_partner(entry, covariance_type: str):
    """The registry entry fitted beside the sequence model ``entry``: the
    first that has a density, fits ``covariance_type`` and does not model
    order (EM for a Gaussian mixture)."""
    return next(other for other in registry.ALGORITHMS.values()
                if other.has_density and not other.supports_sequences
                and covariance_type in other.covariance_types)


def shuffled_dataset(dataset: Dataset, seed: int) -> Dataset:
    """``dataset`` with its rows (and true classes) in a random order drawn
    with ``seed``: one sequence with no memory left."""
    order = np.random.default_rng(seed).permutation(dataset.X.shape[0])
    changes = {"name": f"{dataset.name} (shuffled)", "X": dataset.X[order],
               "labels": None if dataset.labels is None else dataset.labels[order]}
    if getattr(dataset, "lengths", None) is not None:
        changes["lengths"] = None  # the shuffled rows are one sequence
    return dataclasses.replace(dataset, **changes)


class AlgorithmPair(SessionPair):
    """A `SessionPair` of two given algorithms from the same start.

    Parameters
    ----------
    dataset : Dataset
    algorithms : (str, str)
        Registry names, left side first.
    n_clusters, init, seed, covariance_type, max_iter
        As for `Session`.
    initial_means : ndarray of shape (n_clusters, n_features) or None
        Given to both sides; None: the left side draws them with ``init``
        and ``seed`` and the right side starts from the same means.
    """

    def __init__(self, dataset: Dataset, algorithms: tuple[str, str], n_clusters: int = 3, *,
                 init: str = "k-means++", seed: int = 0, covariance_type: str = "full", initial_means=None,
                 max_iter: int = 300) -> None:
        # the right side starts from the left side's initial means
        super().__init__(dataset, n_clusters, init=init, seed=seed, initial_means=initial_means, max_iter=max_iter,
                         algorithms=algorithms, covariance_type=covariance_type, share_start=True)

    @classmethod
    def from_session(cls, session, dataset: Dataset | None = None, initial_means=None) -> "AlgorithmPair":
        """The mixture beside ``session``'s sequence model (see `mixture_partner`)
        on ``dataset`` (default: the session's), with ``session``'s K, init,
        seed, covariance type and max_iter; ``initial_means`` (default: the
        session's hand-placed ones, if any) start both sides."""
        entry = session.algorithm_entry
        covariance = session.covariance_type if entry.covariance_types else "full"
        partner = mixture_partner(entry, covariance)
        means = session.initial_means if initial_means is None else initial_means
        return cls(session.dataset if dataset is None else dataset, (partner.name, entry.name), session.n_clusters,
                   init=session.init, seed=session.seed, covariance_type=covariance, initial_means=means,
                   max_iter=session.max_iter)


def delta_text(pair) -> str:
    """"Δℓ = ℓ(HMM) − ℓ(EM) = +34.20 at step 12": the right side's objective
    minus the left's at the shown step (empty without a fit)."""
    (left, right), (left_entry, right_entry) = pair.sides, [s.algorithm_entry for s in pair.sides]
    if left.entry is None or right.entry is None:
        return ""
    symbol = right_entry.objective_symbol
    delta = float(right.entry.objective) - float(left.entry.objective)
    return (f"Δ{symbol} = {symbol}({right_entry.short_label}) − {symbol}({left_entry.short_label}) = "
            f"{delta:+.2f} at step {pair.cursor}")


class SequenceCompare(QObject):
    """The sequence parts of a `CompareView`: the Δℓ line (``compareDeltaLabel``)
    and the checkable "Shuffle the order" action (``shuffleOrderAction``,
    key S) with its button (``shuffleOrderButton``).

    Parameters
    ----------
    view : CompareView
        Its pair has the sequence model on the right (`AlgorithmPair.from_session`);
        a shuffled pair takes its settings from that side and its start from
        the pair's shared initial means.
    """

    def __init__(self, view) -> None:
        super().__init__(view)
        self.view = view
        self._template = view.pair.sides[1]  # the sequence model's settings
        self.ordered = view.pair.dataset
        first = view.pair.sides[0]
        #: The initial means both sides start from, ordered or shuffled (None without a fit).
        self.start = np.array(first.timeline[first.n_seed_entries].means) if first.timeline else None
        self.seed = int(self._template.seed)
        self.delta_label = QLabel()
        self.delta_label.setObjectName("compareDeltaLabel")
        self.delta_label.setToolTip("The sequence model's log-likelihood minus the mixture's, at the shown step: "
                                    "what modelling the order gains.")
        font = self.delta_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.delta_label.setFont(font)
        self.action = QAction("Shuffle the order", view)
        self.action.setObjectName("shuffleOrderAction")
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("S"))
        self.action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.action.setToolTip(SHUFFLE_TIP)
        self.action.setStatusTip(SHUFFLE_TIP)
        self.action.toggled.connect(self.set_shuffled)
        view.addAction(self.action)
        self.button = QToolButton()
        self.button.setObjectName("shuffleOrderButton")
        self.button.setDefaultAction(self.action)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.shuffled = False
        # The mixture's curve, dashed, in the sequence model's plot: where ℓ rises past it. Both plots share
        # one y range, so the two curves compare at a glance.
        left_label = view.pair.sides[0].algorithm_entry.short_label
        right_plot = list(view.plots.values())[-1].getPlotItem()
        self.ghost = pg.PlotDataItem(pen=cosmetic_pen(QColor(90, 90, 90, 200), 1.4, Qt.PenStyle.DashLine),
                                     antialias=True)
        self.ghost.setZValue(-1)
        self.ghost_label = pg.TextItem(left_label, color=QColor(70, 70, 70), anchor=(1.0, 0.0))
        right_plot.addItem(self.ghost)
        right_plot.addItem(self.ghost_label, ignoreBounds=True)

    def set_shuffled(self, on: bool) -> None:
        """Refit both sides on the rows shuffled (on) or in their order (off),
        from the same initial means; back at step 0."""
        on = bool(on)
        if on == self.shuffled:
            return
        dataset = shuffled_dataset(self.ordered, self.seed) if on else self.ordered
        pair = AlgorithmPair.from_session(self._template, dataset, initial_means=self.start)
        if not self.view.replace_pair(pair):
            self.action.blockSignals(True)
            self.action.setChecked(self.shuffled)
            self.action.blockSignals(False)
            return
        self.shuffled = on

    def refresh(self) -> None:
        """Update the Δℓ line for the shown step, the mixture's dashed curve
        and the plots' shared y range."""
        sides = self.view.pair.sides
        curves = [np.asarray(side.objectives, dtype=np.float64)[side.n_seed_entries:] for side in sides]
        mixture = curves[0]
        self.ghost.setData(x=np.arange(mixture.shape[0], dtype=np.float64), y=mixture)
        self.ghost_label.setVisible(mixture.shape[0] > 0)
        if mixture.shape[0]:
            self.ghost_label.setPos(float(mixture.shape[0] - 1), float(mixture[-1]))
        low, high = objective_range(np.concatenate(curves))
        for plot in self.view.plots.values():
            plot.getPlotItem().getViewBox().setYRange(low, high, padding=0)
        text = delta_text(self.view.pair)
        if text and self.shuffled:
            text += " (rows shuffled)"
        self.delta_label.setText(text)
