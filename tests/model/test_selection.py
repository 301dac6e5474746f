"""Choosing K (knee, sweep over K) and restarts; scikit-learn is the oracle for BIC/AIC."""
from dataclasses import FrozenInstanceError

import numpy as np
import pytest
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from clusterviz.data import builtin_dataset
from clusterviz.model.gmm import GaussianMixture
from clusterviz.model.kmeans import KMeans
from clusterviz.model.selection import (CLEAR_KNEE, COVARIANCE_TYPES, WEAK_SILHOUETTE, Cancelled, RestartRun,
                                        best_reached, knee_point, run_restarts, structure_warnings, sweep_k)
from clusterviz.model.state import ModelError


@pytest.fixture(scope="module")
def three_blobs():
    return builtin_dataset("three_blobs").X


@pytest.fixture(scope="module")
def blobs_sweep(three_blobs):
    return sweep_k(three_blobs, k_max=10, random_state=0)


# --------------------------------------------------------------------------
# knee_point
# --------------------------------------------------------------------------
def test_knee_of_three_blobs_inertia_curve_is_three(three_blobs):
    ks = np.arange(1, 11)
    inertia = [KMeans(n_clusters=k, n_init=4, random_state=0).fit(three_blobs).inertia_ for k in ks]
    assert knee_point(ks, inertia) == 3


def test_knee_of_synthetic_curves_in_every_orientation():
    ks = np.arange(1, 11)
    elbow = np.array([100, 60, 20, 18, 16, 14, 12, 10, 8, 6], dtype=float)  # decreasing convex, knee at 3
    assert knee_point(ks, elbow, "decreasing", "convex") == 3
    assert knee_point(ks, -elbow, "increasing", "concave") == 3  # e.g. a log-likelihood
    assert knee_point(ks, elbow[::-1], "increasing", "convex") == 8  # mirror image: knee at 11 - 3
    assert knee_point(ks, -elbow[::-1], "decreasing", "concave") == 8
    # a smooth curve: y = 1/x on 1..10 normalised; the farthest point from the chord
    smooth = 1.0 / ks
    xn = (ks - 1) / 9
    yn = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    assert knee_point(ks, smooth) == ks[np.argmax((1 - xn) - yn)]
    assert knee_point(ks * 2, elbow) == 6  # the knee is reported in the units of ks


def test_knee_is_none_without_a_bend():
    ks = np.arange(1, 8)
    assert knee_point(ks, 10.0 - ks) is None  # straight line
    assert knee_point(ks, np.full(7, 3.0)) is None  # flat
    assert knee_point(ks, (ks - 1.0) ** 2, "increasing", "concave") is None  # wrong curvature
    assert knee_point([1, 2], [5.0, 1.0]) is None  # too few points


def test_knee_skips_nan_values():
    ks = np.arange(1, 11)
    elbow = np.array([100, 60, 20, 18, 16, 14, 12, 10, 8, 6], dtype=float)
    elbow[5] = np.nan
    assert knee_point(ks, elbow) == 3


def test_knee_rejects_bad_arguments():
    with pytest.raises(ValueError, match="direction"):
        knee_point([1, 2, 3], [3, 2, 1], direction="down")
    with pytest.raises(ValueError, match="curve"):
        knee_point([1, 2, 3], [3, 2, 1], curve="bent")
    with pytest.raises(ValueError, match="match"):
        knee_point([1, 2, 3], [3, 2])


# --------------------------------------------------------------------------
# sweep_k
# --------------------------------------------------------------------------
def test_sweep_on_three_blobs_finds_three(blobs_sweep):
    r = blobs_sweep
    np.testing.assert_array_equal(r.ks, np.arange(1, 11))
    assert r.knee == 3
    assert r.best_silhouette == 3
    assert r.best_bic["full"] == 3
    assert set(r.bic) == set(r.aic) == set(r.best_bic) == set(COVARIANCE_TYPES)
    assert np.isnan(r.silhouette[0]) and np.all(np.isfinite(r.silhouette[1:]))
    assert not r.silhouette_subsampled
    for ct in COVARIANCE_TYPES:
        assert np.all(np.isfinite(r.bic[ct])) and np.all(np.isfinite(r.aic[ct]))
        # AIC penalises each parameter by 2, BIC by log N > 2: BIC - AIC grows with K
        assert np.all(np.diff(r.bic[ct] - r.aic[ct]) > 0)
    assert np.all(np.diff(r.inertia) < 0)  # best-of-4 K-Means distortion falls with K here
    with pytest.raises(FrozenInstanceError):
        r.knee = 4
    with pytest.raises(ValueError):
        r.inertia[0] = 0.0  # arrays are read-only


def test_three_blobs_sweep_does_not_warn_of_weak_structure(blobs_sweep):
    assert blobs_sweep.warnings == ()
    assert blobs_sweep.knee_strength > CLEAR_KNEE
    assert np.nanmax(blobs_sweep.silhouette) > WEAK_SILHOUETTE


def test_uniform_sweep_warns_of_weak_structure_and_an_unclear_elbow():
    r = sweep_k(builtin_dataset("uniform").X, k_max=10, covariance_types=(), random_state=0)
    assert r.knee is not None  # Kneedle always finds some bend ...
    assert 0.0 < r.knee_strength < CLEAR_KNEE  # ... but a gentle one
    best = float(np.nanmax(r.silhouette))
    assert best < WEAK_SILHOUETTE
    assert len(r.warnings) == 2
    weak, elbow = r.warnings
    assert weak.startswith("Weak structure") and f"{best:.2f}" in weak and "no clusters" in weak
    assert "Kaufman & Rousseeuw" in weak
    assert elbow.startswith("The elbow is not clear") and f"K = {r.knee}" in elbow


def test_structure_warnings_rules():
    assert structure_warnings(3, 0.72, 0.76) == ()
    assert len(structure_warnings(3, 0.72, 0.49)) == 1  # weak silhouette only
    assert structure_warnings(3, 0.55, 0.76)[0].startswith("The elbow is not clear")
    assert structure_warnings(None, 0.0, None) == ()  # nothing to judge: no warning
    assert structure_warnings(3, 0.9, float("nan")) == ()


def test_sweep_inertia_is_best_of_n_init_kmeans(three_blobs, blobs_sweep):
    # K = 1 is deterministic: the distortion about the mean
    centred = three_blobs - three_blobs.mean(axis=0)
    assert blobs_sweep.inertia[0] == pytest.approx((centred ** 2).sum(), rel=1e-12)
    for k in (2, 3, 4):
        single = [KMeans(n_clusters=k, n_init=1, random_state=s).fit(three_blobs).inertia_ for s in range(8)]
        assert blobs_sweep.inertia[k - 1] <= max(single)


def test_sweep_on_old_faithful_full_bic_minimum_is_two():
    X = builtin_dataset("old_faithful").X
    r = sweep_k(X, k_max=6, covariance_types=("full",), random_state=0)
    assert r.best_bic == {"full": 2}
    assert r.bic["full"][1] < r.bic["full"][0] and r.bic["full"][1] < r.bic["full"][2]


def test_sweep_is_reproducible_and_each_k_is_independent_of_k_max(three_blobs):
    a = sweep_k(three_blobs, k_max=4, covariance_types=("full", "diag"), random_state=5)
    b = sweep_k(three_blobs, k_max=4, covariance_types=("full", "diag"), random_state=5)
    c = sweep_k(three_blobs, k_max=3, covariance_types=("diag",), random_state=5)
    for name in ("ks", "inertia", "silhouette"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(getattr(a, name)[:3], getattr(c, name))
    for ct in ("full", "diag"):
        np.testing.assert_array_equal(a.bic[ct], b.bic[ct])
        np.testing.assert_array_equal(a.aic[ct], b.aic[ct])
    np.testing.assert_array_equal(a.bic["diag"][:3], c.bic["diag"])
    assert (a.knee, a.best_bic, a.best_silhouette, a.notes) == (b.knee, b.best_bic, b.best_silhouette, b.notes)


def test_sweep_caps_k_at_n_samples_and_explains_missing_values():
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0], [6.0, 5.0]])
    r = sweep_k(X, k_max=10, covariance_types=("spherical",), random_state=0)
    np.testing.assert_array_equal(r.ks, np.arange(1, 6))
    assert r.inertia[-1] == 0.0
    assert np.isnan(r.silhouette[-1])  # five singletons: the silhouette is undefined
    assert any("only 5 points" in note for note in r.notes)
    assert any(note.startswith("K=5: no silhouette") for note in r.notes)
    assert r.best_silhouette == 2


def test_sweep_records_nan_and_the_reason_when_a_mixture_fails():
    # Two distinct points: with reg_covar = 0 a component on one point has a
    # zero covariance, which cannot be factorised.
    X = np.array([[0.0, 0.0]] * 3 + [[1.0, 1.0]] * 3)
    r = sweep_k(X, k_max=2, covariance_types=("full",), reg_covar=0.0, random_state=0)
    assert np.isnan(r.bic["full"][1]) and np.isnan(r.aic["full"][1])
    assert any(note.startswith("K=2, covariance 'full'") for note in r.notes)
    assert r.best_silhouette == 2


def test_sweep_progress_counts_every_unit(three_blobs):
    calls = []
    r = sweep_k(three_blobs, k_max=3, covariance_types=("full", "tied"), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(i, 9) for i in range(1, 10)]
    assert r.ks.size == 3


def test_sweep_cancellation_raises_after_three_units(three_blobs):
    calls = []
    with pytest.raises(Cancelled):
        sweep_k(three_blobs, k_max=10, progress=lambda d, t: calls.append((d, t)),
                is_cancelled=lambda: len(calls) >= 3)
    assert calls == [(1, 50), (2, 50), (3, 50)]


def test_sweep_rejects_bad_settings(three_blobs):
    with pytest.raises(ModelError, match="covariance type 'round'"):
        sweep_k(three_blobs, covariance_types=("round",))
    with pytest.raises(ModelError, match="k_max=0"):
        sweep_k(three_blobs, k_max=0)


# --------------------------------------------------------------------------
# BIC / AIC against scikit-learn
# --------------------------------------------------------------------------
def _sklearn_with_params(model: GaussianMixture, ct: str) -> SkGaussianMixture:
    """A scikit-learn mixture holding our fitted parameters (not fitted by sklearn)."""
    sk = SkGaussianMixture(n_components=model.n_components, covariance_type=ct)
    sk.weights_ = model.weights_
    sk.means_ = model.means_
    sk.covariances_ = model.covariances_
    cov = model.covariances_
    if ct == "full":
        sk.precisions_cholesky_ = np.array([np.linalg.inv(np.linalg.cholesky(c)).T for c in cov])
    elif ct == "tied":
        sk.precisions_cholesky_ = np.linalg.inv(np.linalg.cholesky(cov)).T
    else:
        sk.precisions_cholesky_ = 1.0 / np.sqrt(cov)
    sk.n_features_in_ = model.means_.shape[1]
    return sk


@pytest.mark.parametrize("dataset", ["three_blobs", "old_faithful"])
@pytest.mark.parametrize("ct", COVARIANCE_TYPES)
def test_bic_and_aic_equal_sklearn_for_the_same_parameters(dataset, ct):
    X = builtin_dataset(dataset).X
    X = X - X.mean(axis=0)  # DESIGN.md: compare with scikit-learn on centred data
    for k in (1, 3):
        ours = GaussianMixture(n_components=k, covariance_type=ct, random_state=0).fit(X)
        sk = _sklearn_with_params(ours, ct)
        n = X.shape[0]
        assert ours.bic(X) == pytest.approx(sk.bic(X), rel=1e-10)
        assert ours.aic(X) == pytest.approx(sk.aic(X), rel=1e-10)
        assert ours.bic(X) == pytest.approx(-2 * sk.score(X) * n + sk._n_parameters() * np.log(n), rel=1e-10)


# --------------------------------------------------------------------------
# run_restarts and best_reached
# --------------------------------------------------------------------------
def test_kmeans_restarts_are_sorted_complete_and_repeatable(three_blobs):
    runs = run_restarts(three_blobs, "kmeans", n_clusters=3, n_restarts=6, random_state=1)
    assert len(runs) == 12
    assert [r.init for r in sorted(runs, key=lambda r: r.index)] == ["random"] * 6 + ["k-means++"] * 6
    objectives = [r.objective for r in runs]
    assert objectives == sorted(objectives)
    assert sorted(r.index for r in runs) == list(range(12))
    for r in runs:
        assert r.algorithm == "kmeans" and not r.higher_is_better
        assert r.initial_means.shape == r.final_means.shape == (3, 2)
        assert r.labels.shape == (300,)
        assert r.n_iter >= 1
        # the recorded seed repeats the run with the model itself
        model = KMeans(n_clusters=3, init=r.init, n_init=1, random_state=r.seed)
        first = next(iter(model.iterate(three_blobs)))
        np.testing.assert_array_equal(first.means, r.initial_means)
        fitted = model.fit(three_blobs)
        assert fitted.inertia_ == r.objective
        np.testing.assert_array_equal(fitted.labels_, r.labels)
    again = run_restarts(three_blobs, "kmeans", n_clusters=3, n_restarts=6, random_state=1)
    for a, b in zip(runs, again):
        assert (a.init, a.seed, a.objective, a.n_iter, a.index) == (b.init, b.seed, b.objective, b.n_iter, b.index)
        np.testing.assert_array_equal(a.final_means, b.final_means)
        np.testing.assert_array_equal(a.labels, b.labels)
    # run r of each init uses the same seed
    by_index = sorted(runs, key=lambda r: r.index)
    assert [r.seed for r in by_index[:6]] == [r.seed for r in by_index[6:]]


def test_mixture_restarts_are_sorted_by_highest_log_likelihood(three_blobs):
    runs = run_restarts(three_blobs, "gmm", n_clusters=3, n_restarts=3, inits=("random_from_data", "kmeans"),
                        covariance_type="diag", random_state=0)
    assert all(r.higher_is_better for r in runs)
    objectives = [r.objective for r in runs]
    assert objectives == sorted(objectives, reverse=True)
    soft = run_restarts(three_blobs, "soft-kmeans", n_clusters=3, n_restarts=3, inits=("k-means++",), beta=2.0)
    assert [r.objective for r in soft] == sorted((r.objective for r in soft), reverse=True)
    assert all(r.labels.shape == (300,) for r in soft)


def _run(objective, init="random", higher=False, index=0):
    empty = np.zeros((1, 1))
    return RestartRun("kmeans", init, 0, empty, empty, np.zeros(1, dtype=int), objective, higher, 1, True, index)


def test_best_reached_counts_runs_within_rtol_of_the_best():
    runs = [_run(10.0), _run(10.0 * (1 + 1e-9), "k-means++"), _run(10.1), _run(10.0 * (1 + 2e-6), "k-means++")]
    assert best_reached(runs) == (2, 4)
    assert best_reached(runs, rtol=1e-5) == (3, 4)
    assert best_reached(runs, init="random") == (1, 2)
    assert best_reached(runs, init="k-means++") == (1, 2)
    likelihoods = [_run(-5.0, higher=True), _run(-5.0, higher=True), _run(-7.0, higher=True)]
    assert best_reached(likelihoods) == (2, 3)
    assert best_reached([]) == (0, 0)


def test_best_reached_on_real_restarts(three_blobs):
    runs = run_restarts(three_blobs, "kmeans", n_clusters=3, n_restarts=5, random_state=0)
    best = runs[0].objective
    expected = sum(abs(r.objective - best) <= 1e-6 * best for r in runs)
    assert best_reached(runs) == (expected, 10)
    assert expected >= 1


def test_restarts_progress_and_cancellation(three_blobs):
    calls = []
    with pytest.raises(Cancelled):
        run_restarts(three_blobs, n_restarts=5, progress=lambda d, t: calls.append((d, t)),
                     is_cancelled=lambda: len(calls) >= 3)
    assert calls == [(1, 10), (2, 10), (3, 10)]


def test_restarts_reject_unknown_algorithm(three_blobs):
    with pytest.raises(ModelError, match="algorithm='dbscan'"):
        run_restarts(three_blobs, "dbscan")
