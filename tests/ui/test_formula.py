"""The formula panel: the equations of the shown half-step, highlighted, with
PRML numbers; the other half in one line; a pinned point's numbers."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from clusterviz.model import registry
from clusterviz.ui.panels.formula import FORMULAS, formulas_for, generic_formulas


def _panel(window):
    return window.findChild(object, "formulaPanel")


@pytest.mark.parametrize("algorithm", registry.algorithm_names())
def test_e_and_m_half_steps_show_different_equations_and_m_moves_the_means(make_window, algorithm):
    window = make_window(algorithm=algorithm)
    panel = _panel(window)
    window.controls.half_step_check.setChecked(True)
    start = panel.toPlainText().strip()
    assert start.startswith("Iteration 0 · next: E-step")
    window.controller.advance()
    assert window.session.entry.phase == "E"
    e_text = panel.toPlainText().strip()
    window.controller.advance()
    assert window.session.entry.phase == "M"
    m_text = panel.toPlainText().strip()
    assert e_text != m_text and "(applied)" in e_text and "(applied)" in m_text
    assert e_text.startswith("Iteration 1 · E-step") and m_text.startswith("Iteration 1 · M-step")
    # the M half-step writes out the update of the means (HTML <sub>k</sub> reads "μk" as text)
    assert "μk =" in m_text and "μk =" not in e_text
    # the objective's definition stands above the plot, and only there
    objective = window.objective_plot.formula_text()
    assert objective.startswith(window.session.algorithm_entry.objective_symbol + " =")
    assert objective.split("(PRML")[0].strip() not in m_text


def test_kmeans_cites_prml_and_highlights_the_applied_half(make_window):
    window = make_window()
    panel = _panel(window)
    window.controls.half_step_check.setChecked(True)
    window.controller.advance()
    text = panel.toPlainText()
    assert "argmin" in text and "(9.2)" in text and "(PRML 9.1)" in window.objective_plot.formula_text()
    applied = panel.html.split("<table", 1)[1].split("</table>", 1)[0]
    assert "argmin" in applied and "background-color" in applied  # the E equation is the highlighted part
    window.controller.advance()
    applied = panel.html.split("<table", 1)[1].split("</table>", 1)[0]
    assert "(9.4)" in applied and "argmin" not in applied


def test_em_m_step_lists_every_parameter_update(make_window):
    window = make_window(algorithm="gmm")
    window.controller.step()
    text = _panel(window).toPlainText()
    for number in ("(9.24)", "(9.25)", "(9.26)", "(9.27)"):
        assert number in text
    assert "Nk =" in text and "πk = Nk / N" in text and "full: Σk = (1/Nk)" in text


def test_soft_kmeans_shows_beta_and_epsilon(make_window):
    window = make_window(algorithm="soft-kmeans", beta=2.0)
    window.controls.half_step_check.setChecked(True)
    window.controller.advance()
    text = _panel(window).toPlainText()
    assert "β = 2" in text and "ε = 1/(2β) = 0.25" in text


@pytest.mark.parametrize("algorithm", registry.algorithm_names())
def test_a_pinned_point_shows_its_numbers(make_window, algorithm):
    window = make_window(algorithm=algorithm)
    panel = _panel(window)
    window.controls.half_step_check.setChecked(True)
    window.controller.advance()  # E: the point's responsibilities
    window.teaching.toggle_pin(5)
    text = panel.toPlainText()
    r = window.session.state.responsibility_row(5)
    digits = 0 if window.session.algorithm_entry.hard else 3
    assert "point n = 5" in text and ", ".join(f"{v:.{digits}f}" for v in r) in text
    window.controller.advance()  # M: its weight in each mean
    text = panel.toPlainText()
    R = window.session.state.responsibilities
    share = R[5] / R.sum(axis=0)
    assert "point n = 5 · weight in μk" in text and ", ".join(f"{v:.3f}" for v in share) in text
    window.teaching.unpin()
    assert "point n = 5" not in panel.toPlainText()


def test_hovering_alone_adds_no_numbers(make_window):
    window = make_window()
    window.controller.step()
    window.teaching.hover(2)
    assert "point n =" not in _panel(window).toPlainText()


def test_k_means_distances_are_squared_euclidean(make_window):
    window = make_window()
    window.controls.half_step_check.setChecked(True)
    window.controller.advance()
    window.teaching.toggle_pin(0)
    s = window.session
    d2 = ((s.X[0] - np.asarray(s.state.means)) ** 2).sum(axis=1)
    from clusterviz.session import format_number

    assert ", ".join(format_number(v) for v in d2) in _panel(window).toPlainText()


def test_every_registry_algorithm_has_formulas_and_a_new_one_gets_generic_ones():
    for entry in registry.ALGORITHMS.values():
        formulas = formulas_for(entry)
        assert formulas.e and formulas.m and formulas.objective
        assert (formulas is FORMULAS[entry.name]) if entry.name in FORMULAS else formulas == generic_formulas(entry)
    assert {"kmeans", "gmm", "soft-kmeans"} <= set(FORMULAS)
    known = next(iter(registry.ALGORITHMS.values()))
    newcomer = dataclasses.replace(known, name="newcomer", half_step_labels=("Forward-backward {x}", "Re-estimate"),
                                   objective_name="Log-likelihood ℓ", objective_symbol="ℓ")
    formulas = formulas_for(newcomer)
    assert formulas == generic_formulas(newcomer)
    text = " ".join(formulas.e + formulas.m + (formulas.objective, formulas.e_summary)).format()
    assert "Forward-backward {x}" in text and "Re-estimate" in text and "Log-likelihood ℓ" in text


def test_the_other_half_says_when_it_runs(make_window):
    window = make_window()
    panel = _panel(window)
    window.controller.step()  # a full step: E then M, one entry
    assert "(applied first, in the same step)" in panel.toPlainText()
    window.controls.half_step_check.setChecked(True)
    window.controller.advance()
    assert window.session.entry.phase == "E" and "M-step (next): each centroid moves" in panel.toPlainText()
    window.controller.advance()
    assert "(the half-step before)" in panel.toPlainText()


def test_the_highlight_follows_a_palette_change(make_window):
    from PySide6.QtGui import QColor, QPalette

    window = make_window()
    panel = window.formula_panel
    window.controller.step()
    before = panel.html
    dark = QPalette(panel.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
    panel.setPalette(dark)
    assert panel.html != before  # the highlight and the dim text are blended from the new colours
