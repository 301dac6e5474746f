"""What every estimator answers, whichever algorithm it is: steps on prepared
data or arrays alike, region labels, log-density, restarts after an edit,
and the layers and restarts built through the registry."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest

from clusterviz.model import FitState, GaussianMixture, Prepared, prepare
from clusterviz.model.prepared import as_prepared
from clusterviz.model.fields import density_levels, evaluate_layers, grid_points
from clusterviz.model.registry import ALGORITHMS, ModelSettings, get_algorithm
from clusterviz.model.selection import run_restarts

NAMES = tuple(ALGORITHMS)
X_RANGE, Y_RANGE, SHAPE = (-4.0, 9.0), (-3.0, 8.0), (23, 31)


def blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [5.0, 1.0], [2.0, 5.0]])
    return centres[rng.integers(3, size=n)] + rng.normal(size=(n, 2)) * [0.7, 1.0]


def build(name, X, **settings):
    return get_algorithm(name).build(ModelSettings(n_clusters=3, seed=1, **settings), X)


def assert_same(a: FitState, b: FitState):
    for field in ("means", "weights", "covariances", "labels", "soft_responsibilities"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None), field
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=field)
    assert (a.objective, a.phase, a.iteration, a.converged) == (b.objective, b.phase, b.iteration, b.converged)


@pytest.mark.parametrize("name", NAMES)
def test_prepared_data_and_arrays_give_the_same_bits(name):
    X = blobs()
    prepared = prepare(X)
    model = build(name, X)
    a, b = model.initialize(X), model.initialize(prepared)
    assert_same(a, b)
    for _ in range(3):
        e = model.e_step(X, a)
        assert_same(e, model.e_step(prepared, b))
        assert_same(model.m_step(X, e), model.m_step(prepared, e))
        a, b = model.step(X, a), model.step(prepared, b)
        assert_same(a, b)
    runs = [list(model.iterate(data)) for data in (X, prepared)]
    assert len(runs[0]) == len(runs[1])
    for x, y in zip(*runs):
        assert_same(x, y)


def test_prepare_copies_a_writeable_array_and_keeps_a_read_only_one():
    X = blobs()
    prepared = prepare(X)
    assert prepared.X is not X and not prepared.X.flags.writeable
    X[0] += 100.0
    assert prepared.X[0, 0] != X[0, 0]
    assert prepare(prepared) is prepared
    frozen = np.array(X)
    frozen.flags.writeable = False
    assert prepare(frozen).X is frozen
    np.testing.assert_allclose(prepared.mean, prepared.X.mean(axis=0), rtol=1e-12)
    assert isinstance(prepared, Prepared) and len(prepared) == prepared.n_samples == 240


def test_only_prepared_data_are_reusable():
    """prepare() makes data a step may build on and keep; a raw array is
    wrapped for one call (its memory shared, nothing kept), and preparing
    such a wrapper copies the array."""
    X = blobs()
    assert prepare(X).reusable
    wrapped = as_prepared(X)
    assert not wrapped.reusable and wrapped.X is X
    again = prepare(wrapped)
    assert again.reusable and again.X is not X and not again.X.flags.writeable


@pytest.mark.parametrize("name", NAMES)
def test_region_labels_are_the_e_steps_and_the_density_is_the_models(name):
    X = blobs()
    model = build(name, X)
    state = model.step(X, model.initialize(X))
    _, _, P = grid_points(X_RANGE, Y_RANGE, SHAPE)
    # a sequence model answers for a point taken alone: the mixture of its
    # states weighted by the long-run share of time in each (state.weights)
    alone = GaussianMixture(3).e_step if get_algorithm(name).supports_sequences else model.e_step
    np.testing.assert_array_equal(model.region_labels(P, state), alone(P, state).labels)
    log_p = model.log_density(P, state)
    if not get_algorithm(name).has_density:
        assert log_p is None
        return
    cell = (X_RANGE[1] - X_RANGE[0]) / SHAPE[1] * (Y_RANGE[1] - Y_RANGE[0]) / SHAPE[0]
    assert np.all(np.isfinite(log_p)) and 0.3 < np.exp(log_p).sum() * cell <= 1.0 + 1e-6
    # the mixture's log-likelihood of the data is the sum of the densities
    assert model.log_density(X, state).sum() == pytest.approx(alone(X, state).objective, rel=1e-9)
    labels, both = model.layer_values(P, state)
    np.testing.assert_array_equal(labels, model.region_labels(P, state))
    np.testing.assert_allclose(both, log_p, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_evaluate_layers_are_the_models_answers_on_the_grid(name):
    X = blobs()
    model = build(name, X, covariance_type="diag", reg_covar=1e-6, beta=0.8)
    state = model.step(X, model.initialize(X))
    layers = evaluate_layers(model, state, X_RANGE, Y_RANGE, SHAPE, "both")
    _, _, P = grid_points(X_RANGE, Y_RANGE, SHAPE)
    assert layers.labels.shape == SHAPE
    np.testing.assert_array_equal(layers.labels.ravel(), model.region_labels(P, state))
    if get_algorithm(name).has_density:
        np.testing.assert_allclose(layers.log_density.ravel(), model.log_density(P, state), rtol=1e-12)
        levels = density_levels(model, state, X, (0.1, 0.5, 0.9))
        assert np.all(np.diff(levels) < 0)
        log_p = model.log_density(X, state)
        for f, level in zip((0.1, 0.5, 0.9), levels):
            assert np.mean(log_p >= level) == pytest.approx(f, abs=0.02)
    else:
        assert layers.log_density is None
        with pytest.raises(ValueError, match="no density"):
            density_levels(model, state, X)


@pytest.mark.parametrize("name", NAMES)
def test_restart_keeps_the_parameters_and_measures_them_on_the_new_data(name):
    X = blobs()
    model = build(name, X)
    state = model.step(X, model.step(X, model.initialize(X)))
    edited = np.vstack([X[20:], X[:5] + 30.0])  # points removed, others far away
    again = model.restart(edited, state.without_assignments())
    assert again.phase == "init" and again.iteration == 0 and not again.converged
    assert again.labels is None
    np.testing.assert_array_equal(again.means, state.means)
    e = model.e_step(edited, again)
    assert again.objective == e.objective  # measured on the edited data, as the next E-step does
    if get_algorithm(name).hard:  # cluster fractions on the new data
        np.testing.assert_array_equal(again.weights, np.bincount(e.labels, minlength=3) / edited.shape[0])
    else:
        np.testing.assert_array_equal(again.weights, state.weights)
        np.testing.assert_array_equal(again.covariances, state.covariances)
    assert_same(model.step(edited, again), model.m_step(edited, e))


@pytest.mark.parametrize("name", NAMES)
def test_restarts_order_by_the_registrys_direction(name):
    X = blobs()
    runs = run_restarts(X, name, n_clusters=3, n_restarts=3, random_state=2, max_iter=50)
    higher = get_algorithm(name).higher_is_better
    assert all(r.higher_is_better == higher for r in runs)
    objectives = [r.objective for r in runs]
    assert objectives == sorted(objectives, reverse=higher)
    model = build(name, X, max_iter=50)
    best = runs[0]
    again = get_algorithm(name).build(ModelSettings(n_clusters=3, init=best.init, seed=best.seed, max_iter=50), X)
    np.testing.assert_array_equal(again.initialize(X).means, best.initial_means)
    assert isinstance(model, type(again))


@pytest.mark.parametrize("name", NAMES)
def test_the_m_step_reads_nothing_but_the_states_fields(name):
    """m_step on a state rebuilt field by field from copies (no object of
    the E-step's shared) gives the same bits, and so do both halves of
    step_halves, whichever algorithm."""
    X = prepare(blobs())
    model = build(name, X)
    start = model.initialize(X)
    e = model.e_step(X, start)
    rebuilt = FitState(**{f.name: copy.deepcopy(getattr(e, f.name)) for f in dataclasses.fields(e)})
    m = model.m_step(X, e)
    assert_same(m, model.m_step(X, rebuilt))
    halves = model.step_halves(X, start)
    assert_same(e, halves[0])
    assert_same(m, halves[1])
    assert_same(m, model.step(X, start))
