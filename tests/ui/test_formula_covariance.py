"""The formula panel writes the M-step's covariance update of the covariance
type the session fits, and that update is what the model computes."""
from __future__ import annotations

import numpy as np
import pytest

from clusterviz.data import builtin_dataset
from clusterviz.model import registry
from clusterviz.model.gaussian import COVARIANCE_TYPES
from clusterviz.model.hmm import GaussianHMM
from clusterviz.session import Session

#: How each covariance type's row begins (plain text of the panel).
ROW_START = {"full": "full: Σk = ", "tied": "tied: one Σ = (1/N) Σk Σn",
             "diag": "diagonal: σ²kd = ", "spherical": "spherical: σ²k = "}
#: What each algorithm does with reg_covar (c): the mixture adds it to the
#: diagonal; the HMM holds its covariances at or above a floor F of c times
#: the data's variance.
REG_COVAR = {
    "gmm": {"full": ("+ cI", "c = {c}"), "tied": ("+ cI", "c = {c}"), "diag": ("+ c ", "c = {c}"),
            "spherical": ("+ c,", "c = {c}")},
    "hmm": {"full": ("⪰ diag(F)", "Fd = {c} × variance of xd"), "tied": ("⪰ diag(F)", "Fd = {c} × variance"),
            "diag": ("max(", ", Fd)", "Fd = {c} × variance"), "spherical": ("max(", ", F)", "F = {c} × mean")},
}
WITH_TYPES = [name for name, entry in registry.ALGORITHMS.items() if entry.covariance_types]


def _text(panel) -> str:
    return panel.toPlainText().replace("\xa0", " ")


def test_the_registry_decides_which_algorithms_show_a_covariance_row():
    assert set(WITH_TYPES) == set(REG_COVAR)


@pytest.mark.parametrize("algorithm", WITH_TYPES)
@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_the_m_step_shows_the_update_of_the_chosen_covariance_type(make_window, algorithm, kind):
    window = make_window(algorithm=algorithm, covariance_type=kind)
    panel = window.formula_panel
    window.controls.half_step_check.setChecked(True)
    window.controller.advance()
    assert not any(start in _text(panel) for start in ROW_START.values())  # E: no covariance update
    window.controller.advance()
    text = _text(panel)
    assert ROW_START[kind] in text
    assert [other for other, start in ROW_START.items() if start in text] == [kind]
    c = f"{window.session.model.reg_covar:.3g}"
    assert all(part.format(c=c) in text for part in REG_COVAR[algorithm][kind])


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_kmeans_and_soft_kmeans_show_no_covariance_row(make_window, kind):
    for algorithm in registry.ALGORITHMS:
        if algorithm in WITH_TYPES:
            continue
        window = make_window(algorithm=algorithm, covariance_type=kind)
        window.controller.step()
        assert not any(start in _text(window.formula_panel) for start in ROW_START.values())


def _scatter(X, gamma, means):
    """S_k = sum_n gamma_nk (x_n - mu_k)(x_n - mu_k)^T, shape (K, D, D)."""
    d = X[None, :, :] - means[:, None, :]
    return np.einsum("kn,kni,knj->kij", gamma.T, d, d)


def _shown_update(kind, X, gamma, means):
    """The covariance the panel's row writes, before reg_covar or a floor."""
    N, D = X.shape
    nk = gamma.sum(axis=0)
    S = _scatter(X, gamma, means)
    if kind == "full":
        return S / nk[:, None, None]
    if kind == "tied":
        return np.broadcast_to(S.sum(axis=0) / N, S.shape)
    variances = np.diagonal(S, axis1=1, axis2=2) / nk[:, None]
    if kind == "spherical":
        variances = np.repeat(variances.mean(axis=1, keepdims=True), D, axis=1)
    return variances[:, :, None] * np.eye(D)


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_the_mixtures_update_is_the_shown_formula_plus_reg_covar(kind):
    s = Session(builtin_dataset("three_blobs"), algorithm="gmm", covariance_type=kind, seed=3)
    s.half_step()
    gamma = np.asarray(s.state.soft_responsibilities)
    s.half_step()
    X, means = np.asarray(s.X), np.asarray(s.state.means)
    np.testing.assert_allclose(means, gamma.T @ X / gamma.sum(axis=0)[:, None], rtol=1e-9)
    expected = _shown_update(kind, X, gamma, means) + s.model.reg_covar * np.eye(X.shape[1])
    np.testing.assert_allclose(np.asarray(s.state.covariances), expected, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_the_hmms_update_is_the_shown_formula_above_its_floor(kind):
    s = Session(builtin_dataset("old_faithful"), algorithm="hmm", covariance_type=kind, seed=0)
    s.half_step()
    gamma = np.asarray(s.state.soft_responsibilities)
    s.half_step()
    X, means = np.asarray(s.X), np.asarray(s.state.means)
    # far above the floor (reg_covar = 1e-6 of the variance), the update is the formula itself
    np.testing.assert_allclose(np.asarray(s.state.covariances), _shown_update(kind, X, gamma, means),
                               rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("kind", COVARIANCE_TYPES)
def test_a_variance_below_the_hmms_floor_is_held_at_it(kind):
    X = np.asarray(builtin_dataset("old_faithful").X)
    model = GaussianHMM(n_components=3, covariance_type=kind, reg_covar=0.2, random_state=0)
    state = model.e_step(X, model.initialize(X))
    new = model.m_step(X, state)
    variance = X.var(axis=0)
    floor = 0.2 * (np.full_like(variance, variance.mean()) if kind == "spherical" else variance)
    raw = _shown_update(kind, X, np.asarray(state.soft_responsibilities), np.asarray(new.means))
    covariances = np.asarray(new.covariances)
    if kind in ("diag", "spherical"):  # max(σ², F) on the diagonal
        np.testing.assert_allclose(np.diagonal(covariances, axis1=1, axis2=2),
                                   np.maximum(np.diagonal(raw, axis1=1, axis2=2), floor), rtol=1e-8)
    else:  # Σ ⪰ diag(F): relative to the floor, no eigenvalue below 1
        scaled = covariances / np.sqrt(np.outer(floor, floor))
        assert np.linalg.eigvalsh(scaled).min() >= 1 - 1e-9
    assert np.any(raw != covariances)  # the floor held some variance up
