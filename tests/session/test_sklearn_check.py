"""The check against scikit-learn: the same start, data, max_iter and tol,
compared side by side; without scikit-learn, a message saying how to get it."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from clusterviz.data import Dataset, builtin_dataset
from clusterviz.model import registry
from clusterviz.session import COVARIANCE_TYPES, Session
from clusterviz.session import sklearn_check
from clusterviz.session.sklearn_check import (INSTALL_HINT, SklearnCheckError, compare_with_sklearn,
                                              has_counterpart, prepare_check, run_check)

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def blobs() -> Dataset:
    return builtin_dataset("three_blobs")


@pytest.fixture(scope="module")
def faithful() -> Dataset:
    return builtin_dataset("old_faithful")


def test_k_means_on_three_blobs_matches_sklearn_exactly(blobs):
    s = Session(blobs, algorithm="kmeans", seed=42)
    c = compare_with_sklearn(s)
    assert c.same_result and c.adjusted_rand == 1.0 and c.labels_agree == 1.0
    assert c.ours.objective == pytest.approx(322.0, abs=0.01)
    assert c.theirs.objective == pytest.approx(c.ours.objective, rel=1e-12)
    np.testing.assert_allclose(c.ours.means, c.theirs.means, rtol=0, atol=1e-12)
    assert c.ours.n_iter == c.theirs.n_iter
    assert "KMeans(init=<the start's means>" in c.estimator and "n_init=1" in c.estimator
    assert c.objective_symbol == "J" and "The same result" in c.summary()


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("init", ["random", "k-means++"])
def test_em_matches_sklearn_from_the_same_start(faithful, covariance_type, init):
    s = Session(faithful, algorithm="gmm", covariance_type=covariance_type, init=init, seed=7)
    c = compare_with_sklearn(s)
    assert c.same_result, c.summary()
    assert c.ours.objective == pytest.approx(c.theirs.objective, rel=1e-9)
    assert c.max_mean_shift < 1e-9 * np.abs(s.X).max()
    # scikit-learn tests its tolerance one M-step later; both are compared after its iterations
    assert c.ours.met_at in (c.theirs.n_iter - 1, c.theirs.n_iter)
    assert c.ours.n_iter == c.theirs.n_iter
    assert f"covariance_type='{covariance_type}'" in c.estimator
    assert c.objective_symbol == "ℓ"


def test_the_check_starts_from_the_start_and_leaves_the_session_alone(blobs):
    s = Session(blobs, algorithm="gmm", init="random", seed=3)
    s.step()
    s.step()
    s.seek(1)
    before = (len(s.timeline), s.cursor, s.version)
    c = compare_with_sklearn(s)
    assert (len(s.timeline), s.cursor, s.version) == before
    s.run_to_convergence()
    assert c.ours.met_at == s.entry.iteration  # our run is the session's own run to convergence


def test_the_check_uses_max_iter_and_tol(faithful):
    s = Session(faithful, algorithm="gmm", init="random", seed=0, max_iter=3, tol=1e-12)
    c = compare_with_sklearn(s)
    assert c.ours.n_iter == c.theirs.n_iter == 3
    assert not c.ours.converged and not c.theirs.converged
    assert "max_iter=3" in c.estimator and "tol=1e-12" in c.estimator
    assert c.same_result


def test_the_check_uses_the_best_of_n_init_start(blobs):
    s = Session(blobs, algorithm="kmeans", init="random", seed=0, n_init=5)
    inputs = prepare_check(s)
    assert inputs.seed == s.start_seed
    np.testing.assert_array_equal(inputs.start.means, s.timeline[0].means)
    assert run_check(inputs).same_result


def test_the_start_after_k_means_plus_plus_picks(blobs):
    s = Session(blobs, init="k-means++", show_seeding=True, seed=5)
    inputs = prepare_check(s)
    assert inputs.start.phase == "init"
    assert run_check(inputs).same_result


def test_a_different_result_is_reported(blobs, monkeypatch):
    s = Session(blobs, algorithm="kmeans", init="random", seed=2)
    real = sklearn_check.COUNTERPARTS["kmeans"]

    def elsewhere(inputs, X):  # scikit-learn run from other means: a different local minimum
        other = sklearn_check.CheckInputs(**{**inputs.__dict__, "start": Session(blobs, seed=42).timeline[0]})
        return real(other, X)

    monkeypatch.setitem(sklearn_check.COUNTERPARTS, "kmeans", elsewhere)
    c = compare_with_sklearn(s)
    assert not c.same_result and c.adjusted_rand < 1.0
    assert c.summary().startswith("Different results")


def test_an_algorithm_without_a_counterpart_says_so(blobs):
    names = [entry.name for entry in registry.ALGORITHMS.values() if not has_counterpart(entry.name)]
    assert names, "some algorithm has no scikit-learn counterpart"
    for name in names:
        with pytest.raises(SklearnCheckError, match="has no scikit-learn counterpart"):
            compare_with_sklearn(Session(blobs, algorithm=name))


def test_without_a_fit_the_problem_is_given(blobs):
    empty = Dataset(name="two", X=np.array([[0.0, 0.0], [1.0, 1.0]]), columns=("x", "y"))
    with pytest.raises(SklearnCheckError, match="There is no fit to check: Add at least 3 points"):
        compare_with_sklearn(Session(empty, n_clusters=3))


def test_without_sklearn_the_message_says_how_to_install_it(blobs, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now fails, find_spec says None
    assert not sklearn_check.sklearn_available()
    with pytest.raises(SklearnCheckError, match="scikit-learn is not installed") as info:
        compare_with_sklearn(Session(blobs))
    assert INSTALL_HINT in str(info.value) and 'pip install "clusterviz[sklearn]"' in str(info.value)


def test_the_module_imports_no_sklearn_at_import_time():
    import subprocess

    code = ("import sys, clusterviz.session.sklearn_check, clusterviz.session; "
            "assert 'sklearn' not in sys.modules, 'imported sklearn'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(pytest.importorskip("pathlib").Path(
        sklearn_check.__file__).parents[2]))
