"""The formula panel (``formulaPanel``): the equations of the half-step
that made the shown state, highlighted under one heading line, with a
pinned point's numbers; then the other half-step in one smaller line. The
objective's definition stands above the objective plot; the panel repeats
it only for an algorithm whose plot has none.

The equations of each algorithm are text in ONE table, `FORMULAS`, keyed
by the registry entry's ``name``; an algorithm whose entry lists
covariance types writes the M-step's covariance update of the session's
covariance type (`Formulas.covariance`). An algorithm without an entry
gets a panel built from its registry fields (`generic_formulas`:
half-step labels, objective name and symbol), so a new algorithm needs
nothing here. Rich text only (HTML sub/sup), no TeX. Equation numbers are
those of Bishop, *Pattern Recognition and Machine Learning* (PRML),
chapters 9 and 13.

The panel asks for the height its text needs (`FormulaPanel.needed_height`),
leaving the widget above it (the objective plot) at least
`ABOVE_MIN_HEIGHT`; only what does not fit then scrolls, the heading, the
equations and the pinned point first.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QSizePolicy, QTextBrowser

from clusterviz.model.ambiguity import centroid_distances
from clusterviz.session import format_number, format_setting
from clusterviz.session.text import PHASE_NAMES, iteration_number

from ..names import escape_markup as escape

__all__ = ["ABOVE_MIN_HEIGHT", "FORMULAS", "FormulaPanel", "Formulas", "covariance_row", "formula_html",
           "formulas_for", "generic_formulas"]

#: The panel prefers this many lines; it keeps at least that many (its heading
#: and an equation) however short the window.
PREFERRED_LINES, MIN_LINES = 9, 2
#: The panel takes the height its text needs but leaves the widget above it
#: (the objective plot) at least this many pixels.
ABOVE_MIN_HEIGHT = 200
#: Qt's "no maximum" for a widget's size.
QWIDGETSIZE_MAX = (1 << 24) - 1
#: The other half-step's line is this much smaller than the equations.
SECONDARY_SCALE = 0.85

_X, _MU_J, _MU_K = "x<sub>n</sub>", "μ<sub>j</sub>", "μ<sub>k</sub>"
_DIST_J = f"‖{_X} − {_MU_J}‖²"
_DIST_K = f"‖{_X} − {_MU_K}‖²"
_GAUSS_K = f"<i>N</i>({_X} | {_MU_K}, Σ<sub>k</sub>)"
_GAMMA = "γ(z<sub>nk</sub>)"
_N_K = "N<sub>k</sub>"
_OUTER_K = f"({_X} − {_MU_K})({_X} − {_MU_K})<sup>T</sup>"
_SQUARE_KD = "(x<sub>nd</sub> − μ<sub>kd</sub>)²"


@dataclass(frozen=True)
class Formulas:
    """What the formula panel shows for one algorithm (rich text).

    Attributes
    ----------
    e, m : tuple of str
        The equations of the E and M half-steps, one per line, each with its
        PRML number; ``{beta}`` and ``{epsilon}`` are filled in, and
        ``{covariance}`` with `covariance_row`.
    e_summary, m_summary : str
        The half-step in one line, shown while the other one is highlighted.
    objective : str
        The objective's definition (shown when the objective plot has none).
    responsibility : str
        The symbol of a responsibility in the pinned point's numbers ("r", "γ").
    e_numbers : tuple of str
        The pinned point's numbers shown with the E half-step: "d2" (squared
        distances to the means), "r" (its responsibilities).
    mass : str
        How the M equations write Σ<sub>n</sub> r<sub>nk</sub> ("N<sub>k</sub>"; "":
        as that sum), the denominator of a pinned point's weight in a mean.
    covariance : tuple of (str, str)
        For an algorithm whose registry entry lists covariance types: the
        M-step's covariance update of each type, ``(type, row)``; ``{c}`` in
        a row is filled with the estimator's ``reg_covar``.
    """

    e: tuple[str, ...]
    m: tuple[str, ...]
    e_summary: str
    m_summary: str
    objective: str
    responsibility: str = "r"
    e_numbers: tuple[str, ...] = ("r",)
    mass: str = ""
    covariance: tuple[tuple[str, str], ...] = ()


# The M-step of the mixture (gaussian.estimate_parameters): the scatter
# S_k = sum_n gamma_nk (x_n - mu_k)(x_n - mu_k)^T of each component is divided
# by N_k ("full", PRML 9.25), pooled over k and divided by N ("tied"), only its
# diagonal kept ("diag"), or that diagonal averaged over the D features
# ("spherical"); then reg_covar is added to every diagonal entry.
_GMM_COVARIANCE = (
    ("full", f"<i>full:</i> Σ<sub>k</sub> = (1/{_N_K}) Σ<sub>n</sub> {_GAMMA}{_OUTER_K} + cI &nbsp;(9.25), "
             "c&nbsp;=&nbsp;{c}"),
    ("tied", f"<i>tied:</i> one Σ = (1/N) Σ<sub>k</sub> Σ<sub>n</sub> {_GAMMA}{_OUTER_K} + cI, "
             "c&nbsp;=&nbsp;{c}"),
    ("diag", f"<i>diagonal:</i> σ²<sub>kd</sub> = Σ<sub>n</sub> {_GAMMA}{_SQUARE_KD} / {_N_K} + c "
             "(diagonal of 9.25), c&nbsp;=&nbsp;{c}"),
    ("spherical", f"<i>spherical:</i> σ²<sub>k</sub> = Σ<sub>n</sub> {_GAMMA} ‖{_X} − {_MU_K}‖² / (D {_N_K}) "
                  "+ c, Σ<sub>k</sub> = σ²<sub>k</sub>I, c&nbsp;=&nbsp;{c}"),
)
# The M-step of the HMM (hmm.GaussianHMM.m_step): the same estimates without
# reg_covar, then held at or above a floor F = reg_covar * (each feature's
# variance; their mean for "spherical"): variances below it are raised to it,
# a full or tied matrix has its eigenvalues relative to diag(F) clipped at 1.
_HMM_COVARIANCE = (
    ("full", f"<i>full:</i> Σ<sub>k</sub> = Σ<sub>n</sub> {_GAMMA}{_OUTER_K} / {_N_K} &nbsp;(13.21), "
             "kept ⪰ diag(F)"),
    ("tied", f"<i>tied:</i> one Σ = (1/N) Σ<sub>k</sub> Σ<sub>n</sub> {_GAMMA}{_OUTER_K}, kept ⪰ diag(F)"),
    ("diag", f"<i>diagonal:</i> σ²<sub>kd</sub> = max(Σ<sub>n</sub> {_GAMMA}{_SQUARE_KD} / {_N_K}, "
             "F<sub>d</sub>)"),
    ("spherical", f"<i>spherical:</i> σ²<sub>k</sub> = max(Σ<sub>n</sub> {_GAMMA} ‖{_X} − {_MU_K}‖² / "
                  f"(D {_N_K}), F)"),
)
_HMM_FLOOR = dict.fromkeys(("full", "tied", "diag"),
                           "; F<sub>d</sub>&nbsp;=&nbsp;{c} × variance of x<sub>d</sub>")
_HMM_FLOOR["spherical"] = "; F&nbsp;=&nbsp;{c} × mean variance of the data"

#: The formulas of each algorithm, by its registry name (`generic_formulas` for the others).
FORMULAS: dict[str, Formulas] = {
    "kmeans": Formulas(
        e=(f"r<sub>nk</sub> = 1 if k = argmin<sub>j</sub> {_DIST_J}, otherwise 0 &nbsp;(9.2)",),
        m=(f"{_MU_K} = Σ<sub>n</sub> r<sub>nk</sub> {_X} / Σ<sub>n</sub> r<sub>nk</sub> &nbsp;(9.4)",),
        e_summary="each point joins its nearest centroid (9.2)",
        m_summary="each centroid moves to the mean of its points (9.4)",
        objective=f"J = Σ<sub>n</sub> Σ<sub>k</sub> r<sub>nk</sub> {_DIST_K} &nbsp;(9.1)",
        e_numbers=("d2", "r"),
    ),
    "gmm": Formulas(
        e=(f"{_GAMMA} = π<sub>k</sub> {_GAUSS_K} / Σ<sub>j</sub> π<sub>j</sub> "
           f"<i>N</i>({_X} | {_MU_J}, Σ<sub>j</sub>) &nbsp;(9.23)",),
        m=(f"{_N_K} = Σ<sub>n</sub> {_GAMMA} &nbsp;(9.27), π<sub>k</sub> = {_N_K} / N &nbsp;(9.26)",
           f"{_MU_K} = (1/{_N_K}) Σ<sub>n</sub> {_GAMMA} {_X} &nbsp;(9.24)",
           "{covariance}"),
        e_summary=f"responsibilities {_GAMMA} from π, μ, Σ (9.23)",
        m_summary=("N<sub>k</sub>, π<sub>k</sub>, μ<sub>k</sub>, Σ<sub>k</sub> from the responsibilities "
                   "(9.24–9.27)"),
        objective=f"ℓ = ln p(X) = Σ<sub>n</sub> ln Σ<sub>k</sub> π<sub>k</sub> {_GAUSS_K} &nbsp;(9.28)",
        responsibility="γ",
        mass=_N_K,
        covariance=_GMM_COVARIANCE,
    ),
    "soft-kmeans": Formulas(
        e=(f"r<sub>nk</sub> = exp(−β {_DIST_K}) / Σ<sub>j</sub> exp(−β {_DIST_J})",
           "(9.23 with π<sub>k</sub> = 1/K, Σ<sub>k</sub> = εI, ε = 1/(2β) = {epsilon}, β = {beta}; "
           "β → ∞: K-Means, §9.3.2)"),
        m=(f"{_MU_K} = Σ<sub>n</sub> r<sub>nk</sub> {_X} / Σ<sub>n</sub> r<sub>nk</sub> &nbsp;(9.24)",),
        e_summary="soft responsibilities, stiffness β = {beta} (9.23 with Σ<sub>k</sub> = εI)",
        m_summary="each centroid moves to the r-weighted mean of all points (9.24)",
        objective=(f"ℓ = Σ<sub>n</sub> ln (1/K) Σ<sub>k</sub> <i>N</i>({_X} | {_MU_K}, εI) &nbsp;(9.28); "
                   "β → ∞: K-Means (§9.3.2)"),
        e_numbers=("d2", "r"),
    ),
    "hmm": Formulas(
        e=(f"α(z<sub>n</sub>) = p({_X} | z<sub>n</sub>) Σ<sub>z<sub>n−1</sub></sub> α(z<sub>n−1</sub>) "
           "p(z<sub>n</sub> | z<sub>n−1</sub>) &nbsp;(13.36)",
           "β(z<sub>n</sub>) = Σ<sub>z<sub>n+1</sub></sub> β(z<sub>n+1</sub>) p(x<sub>n+1</sub> | z<sub>n+1</sub>) "
           "p(z<sub>n+1</sub> | z<sub>n</sub>) &nbsp;(13.38)",
           "γ(z<sub>n</sub>) = α(z<sub>n</sub>) β(z<sub>n</sub>) / p(X) &nbsp;(13.33)",
           "ξ(z<sub>n−1</sub>, z<sub>n</sub>) = α(z<sub>n−1</sub>) p(x<sub>n</sub> | z<sub>n</sub>) "
           "p(z<sub>n</sub> | z<sub>n−1</sub>) β(z<sub>n</sub>) / p(X) &nbsp;(13.43)"),
        m=("π<sub>k</sub> = γ(z<sub>1k</sub>) / Σ<sub>j</sub> γ(z<sub>1j</sub>) &nbsp;(13.18)",
           "A<sub>jk</sub> = Σ<sub>n</sub> ξ(z<sub>n−1,j</sub>, z<sub>nk</sub>) / Σ<sub>l</sub> Σ<sub>n</sub> "
           "ξ(z<sub>n−1,j</sub>, z<sub>nl</sub>) &nbsp;(13.19)",
           f"{_MU_K} = Σ<sub>n</sub> {_GAMMA} {_X} / {_N_K}, {_N_K} = Σ<sub>n</sub> {_GAMMA} &nbsp;(13.20)",
           "{covariance}"),
        e_summary="forward-backward: α, β, then γ and ξ (13.33–13.43)",
        m_summary="start π, transitions A, then μ<sub>k</sub>, Σ<sub>k</sub> weighted by γ (13.18–13.21)",
        objective="ℓ = ln p(X) = ln Σ<sub>z<sub>N</sub></sub> α(z<sub>N</sub>) &nbsp;(13.42), summed over "
                  "the sequences",
        responsibility="γ",
        mass=_N_K,
        covariance=tuple((kind, row + _HMM_FLOOR[kind]) for kind, row in _HMM_COVARIANCE),
    ),
}


def generic_formulas(entry) -> Formulas:
    """Formulas of an algorithm without an entry in `FORMULAS`, from its
    registry ``entry``: half-step labels, objective name and symbol."""
    def literal(text: str) -> str:  # rich text, and no {placeholder} for str.format
        return escape(text).replace("{", "{{").replace("}", "}}")

    e_label, m_label = (literal(text) for text in entry.half_step_labels)
    symbol, name = literal(entry.objective_symbol), literal(entry.objective_name)
    return Formulas(
        e=(f"{e_label}: responsibilities r<sub>nk</sub> of every point from the current parameters",),
        m=(f"{m_label}: new parameters from the responsibilities r<sub>nk</sub>",),
        e_summary=e_label,
        m_summary=m_label,
        objective=f"{name}: {symbol}, {'higher' if entry.higher_is_better else 'lower'} is better",
    )


def formulas_for(entry) -> Formulas:
    """The formulas of the registry ``entry``: its `FORMULAS` row, else `generic_formulas`."""
    found = FORMULAS.get(entry.name)
    return found if found is not None else generic_formulas(entry)


def _numbers(values: np.ndarray, digits: int | None = None) -> str:
    return ", ".join(f"{v:.{digits}f}" if digits is not None else format_number(v) for v in values)


def point_numbers(session, index: int, formulas: Formulas, half: str) -> str | None:
    """The pinned point's numbers for the ``half`` ("E" or "M") shown, as
    rich text, or None when there is no such point or state."""
    state = session.state
    X = np.asarray(session.X)
    if state is None or not 0 <= index < X.shape[0]:
        return None
    head = f"point n = {index}: "
    r = state.responsibility_row(index) if state.n_points == X.shape[0] else None
    sym = formulas.responsibility
    if half == "E":
        parts = []
        if "d2" in formulas.e_numbers:
            d2 = centroid_distances(X[index:index + 1], np.asarray(state.means))[0] ** 2
            parts.append(f"{_DIST_K} = {_numbers(d2)}")
        if r is None:
            parts.append("not assigned yet")
        else:
            parts.append(f"{sym}<sub>nk</sub> = {_numbers(r, 0 if session.algorithm_entry.hard else 3)}")
        return head + "; ".join(parts)
    R = state.responsibilities
    if r is None or R is None:
        return head + "not assigned yet"
    totals = np.asarray(R, dtype=float).sum(axis=0)
    share = np.divide(r, totals, out=np.zeros_like(r, dtype=float), where=totals > 0)
    mass = formulas.mass or f"Σ<sub>n</sub>{sym}<sub>nk</sub>"
    return f"point n = {index} · weight in {_MU_K}: {sym}<sub>nk</sub>/{mass} = {_numbers(share, 3)}"


def covariance_row(session, formulas: Formulas) -> str:
    """The M-step's covariance update for ``session``'s covariance type, as
    rich text: "" when its algorithm fits no covariances (its registry entry
    lists no covariance types), the type's name when ``formulas`` has no row
    for it. ``{c}`` in the row is the estimator's ``reg_covar``."""
    if not session.algorithm_entry.covariance_types:
        return ""
    kind = str(session.covariance_type)
    row = dict(formulas.covariance).get(kind)
    if row is None:
        return f"covariance type: {escape(kind)}"
    reg_covar = getattr(session.model, "reg_covar", None)
    return row.format(c="c" if reg_covar is None else f"{float(reg_covar):.3g}")


def _other_half_when(session, shown: str, applied: str | None) -> str:
    """When the half-step not written out runs, relative to the shown one."""
    if applied is None or shown == "E":
        return "then" if applied is None else "next"
    cursor = int(session.cursor)
    split = cursor > 0 and session.timeline[cursor - 1].phase == "E"
    return "the half-step before" if split else "applied first, in the same step"


def _half_label(algorithm, half: str) -> str:
    """"E-step: Assign points": the half-step's phase name and its button text
    ("E-step: responsibilities" already starts with it)."""
    label = escape(algorithm.half_step_labels[0 if half == "E" else 1])
    phase = PHASE_NAMES.get(half, half)
    return label if label.startswith(phase) else f"{phase}: {label}"


def _objective_on_plot(algorithm) -> bool:
    """Whether the objective plot writes the objective's formula above it."""
    from .objective_plot import objective_formula  # the plot's module loads pyqtgraph

    return bool(objective_formula(algorithm))


def formula_html(session, pinned: int = -1, highlight: str = "#fff2b3", dim: str = "#777777") -> str:
    """The panel's rich text for ``session``'s shown entry.

    The half-step that made the shown state ("E" or "M") is written out
    under a heading with the iteration ("Iteration 4 · M-step: parameters
    (applied)"), highlighted with background ``highlight``; at the start,
    the E half-step that comes next. ``pinned`` (a point index, -1 for none)
    adds that point's numbers to it. The other half-step is one smaller line
    in colour ``dim``; the objective's definition follows only when the
    objective plot does not show it.
    """
    entry = session.entry
    if entry is None:
        return f"<p style='color:{dim}'>{escape(session.problem or 'No fit yet.')}</p>"
    algorithm = session.algorithm_entry
    formulas = formulas_for(algorithm)
    beta = float(session.beta)
    fill = {"beta": format_setting(beta), "epsilon": format_setting(1.0 / (2.0 * beta)) if beta > 0 else "∞"}
    small = f"font-size:{round(100 * SECONDARY_SCALE)}%"
    if entry.phase == "seed":
        return (f"<p style='margin:0'><b>k-means++ seeding</b>: each new centre is a data point drawn with "
                f"probability ∝ D(x)², its squared distance to the nearest centre picked so far.</p>"
                f"<p style='margin:2px 0 0 0; color:{dim}; {small}'>Then: {formulas.e_summary.format(**fill)}</p>")
    applied = entry.phase if entry.phase in ("E", "M") else None
    shown = applied or "E"
    if applied is None:
        heading = f"Iteration {iteration_number(entry)} · next: {_half_label(algorithm, shown)}"
    else:
        heading = f"Iteration {iteration_number(entry)} · {_half_label(algorithm, shown)} (applied)"
    block = formulas.e if shown == "E" else formulas.m
    fill["covariance"] = covariance_row(session, formulas) if shown == "M" else ""
    lines = [line.format(**fill) for line in block]
    if fill["covariance"] and not any("{covariance}" in line for line in block):
        lines.append(fill["covariance"])
    numbers = point_numbers(session, pinned, formulas, shown) if pinned >= 0 else None
    if numbers is not None:
        lines.append(f"<i>{numbers}</i>")
    rows = "".join(f"<tr><td>{line}</td></tr>" for line in lines if line)
    parts = [f"<table width='100%' cellspacing='0' cellpadding='1' style='background-color:{highlight}'>"
             f"<tr><td><b>{heading}</b></td></tr>{rows}</table>"]
    other = "M" if shown == "E" else "E"
    summary = (formulas.m_summary if other == "M" else formulas.e_summary).format(**fill)
    parts.append(f"<p style='margin:2px 0 0 0; color:{dim}; {small}'>{PHASE_NAMES.get(other, other)} "
                 f"({_other_half_when(session, shown, applied)}): {summary}</p>")
    if not _objective_on_plot(algorithm):
        parts.append(f"<p style='margin:2px 0 0 0; {small}'>{formulas.objective.format(**fill)}</p>")
    return "".join(parts)


def _blend(a: QColor, b: QColor, t: float) -> str:
    """``a`` mixed with ``t`` of ``b``, as #rrggbb."""
    mix = [round((1 - t) * x + t * y) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3])]
    return "#{:02x}{:02x}{:02x}".format(*mix)


class FormulaPanel(QTextBrowser):
    """The formula panel; `show_session` fills it (rich text, read-only).

    Its minimum height is the height its text needs (`needed_height`), so
    the layout gives it that rather than a fixed share; but neither that
    nor its maximum height ever leaves the widget above it in its layout
    (the objective plot) less than `ABOVE_MIN_HEIGHT`: what does not fit
    then scrolls.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("formulaPanel")
        self.setToolTip("The equations of the shown half-step (highlighted) with PRML numbers; "
                        "pin a point to see its numbers.")
        self.setOpenLinks(False)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.document().setDocumentMargin(3)
        self.html = ""
        self._shown = None  # (session, pinned) last shown: drawn again when the palette changes
        self._above = None  # the widget above in the layout, watched for resizes
        self._refit_pending = False
        self._kind = None  # what is shown: algorithm, covariance type, K and whether a point is pinned
        self._tallest = (None, 0)  # (kind, width, font size), the tallest text height seen for it
        self._fit_height()

    def _least_height(self) -> int:
        return MIN_LINES * self.fontMetrics().lineSpacing() + 12

    def needed_height(self) -> int:
        """The height that shows the whole text at the panel's width, frame
        included (no vertical scroll bar)."""
        doc = self.document().clone(self)
        try:
            doc.setTextWidth(max(1, self.width() - 2 * self.frameWidth()))
            return int(doc.size().height() + 0.999) + 2 * self.frameWidth()
        finally:
            doc.deleteLater()

    def _room(self) -> int | None:
        """The most height the panel may take: what it shares with the widget
        above it in its parent's layout, less `ABOVE_MIN_HEIGHT` for that
        widget; None outside a layout."""
        parent = self.parentWidget()
        layout = parent.layout() if parent is not None else None
        index = layout.indexOf(self) if layout is not None else -1
        if index < 1:
            return None
        above = layout.itemAt(index - 1).widget()
        if above is None or not above.isVisible():
            return None
        if above is not self._above:  # its resizes change the room too
            if self._above is not None:
                self._above.removeEventFilter(self)
            self._above = above
            above.installEventFilter(self)
        spacing = max(layout.spacing(), 0)
        shared = self.geometry().bottom() - above.geometry().top() + 1 - spacing
        # Before a layout pass the geometry is the last pass's: what the
        # layout will share out once the other widgets take their preferred
        # heights may already be less (a taller tab page above).
        # (the layout's own rectangle is empty while it is invalidated)
        rect = parent.contentsRect().marginsRemoved(layout.contentsMargins())
        others = 0
        for i in range(layout.count()):
            item = layout.itemAt(i)
            if i in (index - 1, index) or item.isEmpty():
                continue
            hint = item.heightForWidth(rect.width()) if item.hasHeightForWidth() else item.sizeHint().height()
            others += max(hint, item.minimumSize().height()) + spacing
        return min(shared, rect.height() - others - spacing) - ABOVE_MIN_HEIGHT

    def _fit_height(self) -> None:
        """Ask the layout for the height the text needs, within the room."""
        least = self._least_height()
        needed = self.needed_height() if self.html else least
        room = self._room()
        most = QWIDGETSIZE_MAX if room is None else max(room, least)
        # No scroll bar when the text fits: one shown while it did not would
        # keep the text narrower, and so taller, than measured.
        policy = (Qt.ScrollBarPolicy.ScrollBarAlwaysOff if needed <= most
                  else Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        if policy != self.verticalScrollBarPolicy():
            self.setVerticalScrollBarPolicy(policy)
        # Stepping through one fit keeps the tallest height seen, so the plot
        # above does not change size between the E and the M half-step.
        key = (self._kind, self.width(), self.font().pointSizeF())
        if key == self._tallest[0]:
            needed = max(needed, self._tallest[1])
        self._tallest = (key, needed)
        height = max(min(needed, most), least)
        if (height, most) != (self.minimumHeight(), self.maximumHeight()):
            self.setMinimumHeight(height)
            self.setMaximumHeight(most)
            self.updateGeometry()

    def sizeHint(self) -> QSize:  # Qt override: room for a half-step's equations, not a page
        return QSize(300, max(PREFERRED_LINES * self.fontMetrics().lineSpacing() + 12, self.minimumHeight()))

    def changeEvent(self, event) -> None:  # Qt override
        super().changeEvent(event)  # first: the document takes the new font
        if event.type() == QEvent.Type.FontChange:
            self._fit_height()
        elif event.type() == QEvent.Type.PaletteChange and self._shown is not None:
            self.show_session(*self._shown)  # the highlight is blended from the palette's colours

    def _refit_later(self) -> None:
        """Fit the height once the layout has placed every widget: read in the
        middle of a layout pass, the panel and the widget above it disagree."""
        if not self._refit_pending:
            from PySide6.QtCore import QTimer

            self._refit_pending = True
            QTimer.singleShot(0, self._refit)

    def _refit(self) -> None:
        self._refit_pending = False
        self._fit_height()

    def resizeEvent(self, event) -> None:  # Qt override: a new width wraps the text anew
        super().resizeEvent(event)
        self._refit_later()

    def moveEvent(self, event) -> None:  # Qt override: the widget above grew or shrank
        super().moveEvent(event)
        self._refit_later()

    def eventFilter(self, watched, event) -> bool:  # Qt override: the widget above moved or resized
        if watched is self._above and event.type() in (QEvent.Type.Resize, QEvent.Type.Move):
            self._refit_later()
        return super().eventFilter(watched, event)

    def show_session(self, session, pinned: int = -1) -> None:
        """Show the equations of ``session``'s shown entry (``pinned``: a point index or -1)."""
        self._shown = (session, pinned)
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        highlight = _blend(base, palette.color(QPalette.ColorRole.Highlight), 0.22)
        dim = _blend(palette.color(QPalette.ColorRole.Text), base, 0.45)
        html = formula_html(session, pinned, highlight, dim)
        if html != self.html:
            self.html = html
            self.setHtml(html)
            self._kind = (session.algorithm, session.covariance_type, int(session.n_clusters), pinned >= 0)
            self._fit_height()
