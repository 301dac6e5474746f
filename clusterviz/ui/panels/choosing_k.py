"""The "Choosing K" dock: a sweep over K (elbow, BIC/AIC, mean silhouette)
computed on a worker thread, and a silhouette diagram of the shown clustering.

The numbers come from :mod:`clusterviz.model.selection` and
:mod:`clusterviz.model.metrics`; this module only runs them and draws them
(the charts are in :mod:`.k_charts`). A click on a K in any chart sets K in
the session through the controller.
"""
from __future__ import annotations

import time

import numpy as np
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QTabWidget, QVBoxLayout, QWidget

from clusterviz.model.selection import CLEAR_KNEE, SweepResult, sweep_k

from ..canvas.palette import MAX_CLUSTERS
from ..jobs import BackgroundJob, job_controls
from .k_charts import (SILHOUETTE_LIVE_S, SILHOUETTE_SAMPLE, CriterionChart, ElbowChart, SilhouetteChart,
                       SilhouetteDiagram, _count, _wrapping_policy, silhouette_layout)

__all__ = ["ChoosingKPanel", "silhouette_layout"]


class ChoosingKPanel(QWidget):
    """Sweep controls, the three K charts and the silhouette diagram.

    Attributes
    ----------
    job : BackgroundJob
        Runs the sweep on a worker thread.
    result : SweepResult or None
        The last finished sweep for the current data.
    """

    def __init__(self, controller, parent=None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.session = controller.session
        controller.session_replaced.connect(lambda session: setattr(self, "session", session))
        self.result: SweepResult | None = None
        self.job = BackgroundJob("choosing-k", self)
        #: Computes the silhouette diagram off the GUI thread (one at a time; the newest request wins).
        self.silhouette_job = BackgroundJob("silhouette", self)
        self._silhouette_key = None  # the (version, cursor, n_points) the diagram shows
        self._silhouette_computing = None  # the key the running silhouette job computes
        self._silhouette_seconds: float | None = None  # how long the last one took
        self._stale = False

        self.k_max_spin = QSpinBox()
        self.k_max_spin.setObjectName("kMaxSpin")
        self.k_max_spin.setRange(2, 30)
        self.k_max_spin.setValue(10)
        self.k_max_spin.setPrefix("K up to ")
        self.k_max_spin.setToolTip("Largest number of clusters the sweep tries (K = 1 … K_max).")
        self.run_button, self.cancel_button, self.progress = job_controls(
            "Run sweep", "sweep", "Fit K-Means and Gaussian mixtures for every K and chart how well each does.",
            "Stop the sweep.", "How much of the sweep is done.")
        self.progress.setTextVisible(True)
        self.criterion_combo = QComboBox()
        self.criterion_combo.setObjectName("criterionCombo")
        self.criterion_combo.addItems(["BIC", "AIC"])
        self.criterion_combo.setToolTip("Show the Bayesian (BIC) or Akaike (AIC) information criterion.")
        self.status_label = QLabel("Run the sweep to compare K = 1 … 10 on the current data.")
        self.status_label.setObjectName("sweepStatus")
        self.status_label.setToolTip("What the sweep found, or why it could not run.")
        self.status_label.setWordWrap(True)
        self.status_label.setSizePolicy(_wrapping_policy())

        self.warning_label = QLabel("")
        self.warning_label.setObjectName("sweepWarning")
        self.warning_label.setToolTip("Why the suggested K may mean little for these data.")
        self.warning_label.setWordWrap(True)
        self.warning_label.setSizePolicy(_wrapping_policy())
        self.warning_label.setStyleSheet("QLabel { background: #FFF4D6; color: #6B4500; border: 1px solid #E0B050;"
                                         " border-radius: 3px; padding: 3px; }")
        self.warning_label.hide()

        self.elbow_chart = ElbowChart()
        self.criterion_chart = CriterionChart()
        self.silhouette_chart = SilhouetteChart()
        self.silhouette_diagram = SilhouetteDiagram()

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.k_max_spin, self.run_button, self.cancel_button):
            row.addWidget(w)
        row.addStretch(1)
        # The criterion sits beside the progress bar, so the dock can be narrow.
        row2 = QHBoxLayout()
        row2.setContentsMargins(0, 0, 0, 0)
        row2.addWidget(self.progress, 1)
        row2.addWidget(QLabel("EM:"))
        row2.addWidget(self.criterion_combo)
        sweep_tab = QWidget()
        sweep_layout = QVBoxLayout(sweep_tab)
        sweep_layout.setContentsMargins(4, 4, 4, 2)
        sweep_layout.setSpacing(3)
        sweep_layout.addLayout(row)
        sweep_layout.addLayout(row2)
        sweep_layout.addWidget(self.warning_label)
        for chart in (self.elbow_chart, self.criterion_chart, self.silhouette_chart):
            sweep_layout.addWidget(chart, 1)
        sweep_layout.addWidget(self.status_label)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("selectionTabs")
        self.tabs.addTab(sweep_tab, "Sweep over K")
        self.tabs.addTab(self.silhouette_diagram, "Silhouette diagram")
        self.tabs.setTabToolTip(0, "Elbow, BIC/AIC and mean silhouette for K = 1 … K_max.")
        self.tabs.setTabToolTip(1, "Per-point silhouettes of the clustering on the canvas.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)

        self.run_button.clicked.connect(self.run_sweep)
        self.job.bind_controls(self.run_button, self.cancel_button, self.progress, self.k_max_spin)
        self.criterion_combo.currentTextChanged.connect(self._on_criterion)
        self.job.finished.connect(self._on_finished)
        self.job.cancelled.connect(self._on_cancelled)
        self.job.failed.connect(self._on_failed)
        for chart in (self.elbow_chart, self.criterion_chart, self.silhouette_chart):
            chart.k_clicked.connect(self.use_k)
        c = controller
        c.stepped.connect(self.refresh_silhouette)
        c.reset.connect(self._on_settings)
        c.data_changed.connect(self._on_data_changed)
        c.view_changed.connect(self.refresh_silhouette)
        c.playing_changed.connect(lambda playing: playing or self.refresh_silhouette())
        self.silhouette_job.finished.connect(self._on_silhouette_finished)
        self.silhouette_job.failed.connect(self._on_silhouette_failed)
        self.tabs.currentChanged.connect(lambda _i: self.refresh_silhouette())
        self._show_result(None)
        self._on_settings()

    # ------------------------------------------------------------ the sweep
    def run_sweep(self) -> bool:
        """Start the sweep on a worker thread; False (and a message) if it cannot run."""
        self._stale = False
        X = np.array(self.session.X, dtype=np.float64)
        if X.shape[0] < 2:
            self._status("Add at least 2 points to compare numbers of clusters.", error=True)
            return False
        k_max = int(self.k_max_spin.value())
        seed = int(self.session.seed)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self._status(f"Sweeping K = 1 … {min(k_max, X.shape[0])} on {_count(X.shape[0])} points …")
        self.job.start(lambda progress, is_cancelled: sweep_k(
            X, k_max, random_state=seed, progress=progress, is_cancelled=is_cancelled,
            sample_size=SILHOUETTE_SAMPLE))
        return True

    def cancel_sweep(self) -> None:
        self.job.cancel()

    def shutdown(self) -> None:
        self.job.shutdown()
        self.silhouette_job.shutdown()

    def _on_finished(self, result: SweepResult) -> None:
        self._show_result(result)

    def _on_cancelled(self) -> None:
        self.progress.setValue(0)
        if self._stale:
            self._status("The data changed: run the sweep again.")
        else:
            self._status("Sweep cancelled." + (" The charts show the previous sweep." if self.result else ""))

    def _on_failed(self, text: str) -> None:
        self.progress.setValue(0)
        self._status(f"The sweep could not run: {text}", error=True)

    def _status(self, text: str, error: bool = False) -> None:
        self.status_label.setStyleSheet("color: #B00020;" if error else "")
        self.status_label.setText(text)

    def _show_result(self, r: SweepResult | None) -> None:
        self.result = r
        self.warning_label.setText("" if r is None else "\n".join(r.warnings))
        self.warning_label.setVisible(bool(r is not None and r.warnings))
        self.elbow_chart.show_result(r)
        self.criterion_chart.show_result(r)
        self.silhouette_chart.show_result(r)
        self._on_settings()
        if r is None:
            return
        self._status(self.summary())

    def summary(self) -> str:
        """One paragraph saying what each chart shows for the last sweep."""
        r = self.result
        if r is None:
            return ""
        minima = self.criterion_chart.minima()
        crit = self.criterion_chart.criterion
        if r.knee is None:
            elbow = "Elbow: no clear knee"
        elif r.knee_strength < CLEAR_KNEE:
            elbow = f"Elbow: no clear knee (gentle bend at K = {r.knee})"
        else:
            elbow = f"Elbow (Kneedle knee): K = {r.knee}"
        parts = [elbow,
                 f"lowest {crit}: " + ", ".join(f"{ct} {k if k is not None else '—'}" for ct, k in minima.items()),
                 f"highest mean silhouette: K = {r.best_silhouette}" if r.best_silhouette is not None
                 else "no silhouette"]
        text = " · ".join(parts) + "."
        if r.notes:
            text += " " + " ".join(r.notes)
        return text

    def _on_criterion(self, criterion: str) -> None:
        self.criterion_chart.set_criterion(criterion)
        if self.result is not None:
            self._status(self.summary())

    # ------------------------------------------------------------- clicks
    def use_k(self, k: int) -> None:
        """Set K in the session and restart the run from its initialisation."""
        if k > MAX_CLUSTERS:
            self._status(f"K = {k} is more than the {MAX_CLUSTERS} clusters the canvas can colour apart; "
                         f"pick K <= {MAX_CLUSTERS}.", error=True)
            return
        if k == self.session.n_clusters:
            self.controller.reset_fit()
        else:
            self.controller.set_n_clusters(int(k))

    # ------------------------------------------------------- session changes
    def _on_settings(self) -> None:
        k = int(self.session.n_clusters)
        for chart in (self.elbow_chart, self.criterion_chart, self.silhouette_chart):
            chart.set_current_k(k)
        self.refresh_silhouette()

    def _on_data_changed(self) -> None:
        had = self.result is not None or self.job.is_running()
        if self.job.is_running():
            self._stale = True  # its result would describe the old data
            self.job.cancel()
        self._show_result(None)
        if had:
            self._status("The data changed: run the sweep again.")
        self._silhouette_key = None
        self._silhouette_seconds = None  # other data: time the next computation afresh
        self.refresh_silhouette()

    # ------------------------------------------------ silhouette diagram
    def refresh_silhouette(self) -> None:
        """Bring the diagram to the shown state, only when it is visible.

        The silhouettes are computed on ``silhouette_job`` (a worker thread);
        the diagram says "updating…" meanwhile. One computation runs at a time:
        requests made while it runs are folded into one for the newest state,
        and a result for a state no longer shown is dropped. While playing, a
        computation slower than ``SILHOUETTE_LIVE_S`` waits for the pause.
        """
        diagram = self.silhouette_diagram
        if not diagram.isVisible():
            return
        s = self.session
        key = (s.version, s.cursor, s.n_points)
        if key == self._silhouette_key:
            if not self.silhouette_job.is_running() and diagram.note:
                diagram.set_note("")
            return
        state = s.state
        message = None
        if state is None:
            message = s.problem or "Nothing to show."
        elif state.labels is None:  # the argmax of the responsibilities, for soft models too
            message = "The points have no clusters yet: step once to assign them."
        else:
            n_used = np.unique(state.labels).size
            if not 2 <= n_used <= s.n_points - 1:
                message = (f"The silhouette needs between 2 and N - 1 clusters; "
                           f"the shown clustering uses {n_used}.")
        if message is not None:
            self._silhouette_key = key  # a running job's result is now stale and will be dropped
            diagram.show_message(message)
            return
        if key == self._silhouette_computing:
            return
        phase = {"init": "start", "E": "after E", "M": "after M"}.get(state.phase, state.phase)
        updating = f"updating to iteration {state.iteration} ({phase})…"
        if self.silhouette_job.is_running():
            diagram.set_note(updating)  # started when the running one ends
            return
        slow = self._silhouette_seconds is not None and self._silhouette_seconds > SILHOUETTE_LIVE_S
        if self.controller.playing and slow:  # it could not keep up: wait for the pause
            if diagram.mean is None:
                diagram.show_message("The silhouette of this many points updates when playing stops.")
            else:
                diagram.set_note("updates when playing stops")
            return
        X = np.array(s.X, dtype=np.float64)
        labels = np.array(state.labels)
        iteration, n_points = state.iteration, s.n_points

        def work(_progress, _is_cancelled):
            t0 = time.perf_counter()
            groups, mean, n = silhouette_layout(X, labels)
            return key, iteration, phase, n_points, groups, mean, n, time.perf_counter() - t0

        self._silhouette_computing = key
        diagram.set_note(updating)
        self.silhouette_job.start(work)

    def _on_silhouette_finished(self, payload) -> None:
        key, iteration, phase, n_points, groups, mean, n, seconds = payload
        self._silhouette_computing = None
        self._silhouette_seconds = seconds
        s = self.session
        if key == (s.version, s.cursor, s.n_points):
            self._silhouette_key = key
            title = f"Silhouette, iteration {iteration} ({phase}): mean {mean:.3f}"
            if n < n_points:
                title += f" (on a {_count(n)}-point subsample)"
            self.silhouette_diagram.show_groups(groups, mean, title)
        self.refresh_silhouette()  # the newest request, if the shown state moved on meanwhile

    def _on_silhouette_failed(self, text: str) -> None:
        key, self._silhouette_computing = self._silhouette_computing, None
        s = self.session
        if key == (s.version, s.cursor, s.n_points):
            self._silhouette_key = key
            self.silhouette_diagram.show_message(f"The silhouette could not be computed: {text}")
        else:
            self.refresh_silhouette()

    def showEvent(self, event) -> None:  # Qt override
        super().showEvent(event)
        self.refresh_silhouette()


