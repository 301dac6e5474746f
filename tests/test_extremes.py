"""Numerical extremes: every algorithm, every initialisation, through
the Session and through the models directly.

The Session takes K up to `MAX_CLUSTERS` (the clusters the app can draw);
K = N beyond it (45 points) runs through the estimators the registry builds
from the same settings, driven the way the Session drives them.

The data: coordinates spread near 1e12 and near 1e-12, coordinates near 1e12
with an ordinary spread, all points identical, two points, collinear points,
with K = 1, K = 2, K = N and K > N, and a million duplicate points. Each
reset / half-step / step / step back / run to convergence must leave no NaN
or inf in the shown state; a step may instead refuse with a `ModelError`
whose message is a sentence, and then the timeline is unchanged. Where
something degenerate happens (identical points, a collapsed component) a
note or `Session.problem` says so in words.

Soft K-Means' beta is in units of 1 / distance**2: at a spread of 1e12 with
beta = 1 the responsibilities are one-hot, at a spread of 1e-12 every point
is shared equally (one blob) -- both fine, as long as nothing is NaN.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from clusterviz.data import Dataset
from clusterviz.data.limits import MAX_CLUSTERS
from clusterviz.model import FitState, GaussianMixture, KMeans, ModelError, SoftKMeans
from clusterviz.model.registry import ModelSettings, get_algorithm
from clusterviz.session import COVARIANCE_TYPES, INITS, Session

ALGORITHMS = (
    [("kmeans", {})]
    + [("gmm", {"covariance_type": ct}) for ct in COVARIANCE_TYPES]
    + [("soft-kmeans", {"beta": 1.0}), ("soft-kmeans", {"beta": 1e6})]
)
ALGORITHM_NAMES = ("kmeans", "gmm", "soft-kmeans")

# Notes that are routine, not about a degenerate situation.
_ROUTINE = re.compile(r"^(Initialised|Started from|No point changed its cluster|The centres moved by less|The means no longer move|The log-likelihood changed by less)|Restarted from")


def _blobs(n_per: int = 15, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [6.0, 1.0], [2.0, 7.0]])
    return np.vstack([c + rng.normal(size=(n_per, 2)) for c in centres])


def _extreme_data() -> dict[str, np.ndarray]:
    t = np.linspace(-1.0, 1.0, 25)
    return {
        "spread-1e12": _blobs() * 1e12,
        "offset-1e12": _blobs() + 1e12,
        "spread-1e-12": _blobs() * 1e-12,
        "identical": np.full((12, 2), 3.25),
        "two-points": np.array([[0.0, 0.0], [1.0, 2.0]]),
        "collinear": np.c_[t, 2.0 * t + 1.0],
    }


DATA = _extreme_data()


def _cases() -> list[tuple[str, int]]:
    """(data set, K): K = 1, 2, 3 (where there are 3 points) and K = N."""
    cases = []
    for name, X in DATA.items():
        n = X.shape[0]
        cases += [(name, k) for k in sorted({1, 2, 3, n} - {x for x in (3,) if n < 3})]
    return cases


CASES = _cases()
#: The cases a Session can take (K up to MAX_CLUSTERS), and those only the models take.
SESSION_CASES = [(name, k) for name, k in CASES if k <= MAX_CLUSTERS]
LARGE_K_CASES = [(name, k) for name, k in CASES if k > MAX_CLUSTERS]


def _settings(algorithm: str) -> list[dict]:
    """The settings each algorithm is checked with (covariance types, two betas)."""
    return [kw for name, kw in ALGORITHMS if name == algorithm]


def _label(algorithm: str, kw: dict) -> str:
    return " ".join([algorithm] + [f"{key}={value}" for key, value in kw.items()])


class Failures:
    """Many cases in one test: each failure is kept with the case it came from,
    and `check` fails once, naming every failing case."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.cases = 0

    @contextmanager
    def case(self, description: str) -> Iterator[None]:
        self.cases += 1
        try:
            yield
        except Exception as exc:  # an assertion, or a crash the case must not have
            self.messages.append(f"{description}: {type(exc).__name__}: {str(exc)[:600]}")

    def check(self, expected_cases: int) -> None:
        assert self.cases == expected_cases, f"ran {self.cases} cases, not {expected_cases}"
        assert not self.messages, (
            f"{len(self.messages)} of {self.cases} cases failed:\n" + "\n".join(self.messages)
        )


def _dataset(name: str, X: np.ndarray) -> Dataset:
    return Dataset(name=name, X=X, columns=("x", "y"))


def assert_sentence(text) -> None:
    """A message a student can read: words, ending with a full stop, no NaN."""
    assert isinstance(text, str) and text.strip(), text
    assert len(text.split()) >= 5, text
    assert text.rstrip().endswith((".", ")")), text
    assert not re.search(r"\bnan\b", text), text


def assert_finite_state(state: FitState) -> None:
    for name in ("means", "weights", "covariances", "responsibilities"):
        value = getattr(state, name)
        if value is not None:
            assert np.all(np.isfinite(value)), f"{name} holds NaN/inf: {value}"
    assert np.isfinite(state.objective), state.objective
    assert state.weights.sum() == pytest.approx(1.0, abs=1e-9)
    if state.responsibilities is not None:
        np.testing.assert_allclose(state.responsibilities.sum(axis=1), 1.0, atol=1e-9)
    for note in state.notes:
        assert_sentence(note)


def assert_session_sane(s: Session) -> None:
    """No NaN/inf anywhere the user could see; or no state and a problem."""
    if s.state is None:
        assert_sentence(s.problem)
        return
    assert s.problem is None
    assert_finite_state(s.state)
    assert np.all(np.isfinite(s.objectives))
    assert 0 <= s.cursor < len(s.timeline)


def attempt(s: Session, action) -> bool:
    """Run a session action; a ModelError is fine if it is a sentence and
    leaves the timeline as it was. Returns whether the action succeeded."""
    before = (len(s.timeline), s.cursor, s.objectives.tolist())
    try:
        action()
    except ModelError as err:
        assert_sentence(str(err))
        assert (len(s.timeline), s.cursor, s.objectives.tolist()) == before
        assert_session_sane(s)
        return False
    assert_session_sane(s)
    return True


def drive(s: Session, max_steps: int = 40) -> None:
    """reset, half-steps, a step, step back, run to convergence, reset again."""
    assert_session_sane(s)
    attempt(s, s.reset)
    first = None if s.state is None else (s.state.means.copy(), s.state.objective)
    attempt(s, s.half_step)
    attempt(s, s.half_step)
    attempt(s, s.step)
    attempt(s, s.step_back)
    attempt(s, lambda: s.run_to_convergence(max_steps=max_steps))
    attempt(s, s.reset)
    if first is not None:  # reset reproduces the same start, bit for bit
        assert s.state is not None
        np.testing.assert_array_equal(s.state.means, first[0])
        assert s.state.objective == first[1]


def notes_seen(s: Session) -> list[str]:
    """Every note of the timeline up to the cursor (what stepping showed)."""
    return [n for entry in s.timeline[: s.cursor + 1] for n in entry.notes]


def degenerate_notes(s: Session) -> list[str]:
    return [n for n in notes_seen(s) if not _ROUTINE.search(n)]


def run(s: Session, max_steps: int = 40) -> Session:
    attempt(s, lambda: s.run_to_convergence(max_steps=max_steps))
    return s


# ----------------------------------------------------------------------
# Every algorithm x init x extreme data set x K, through the Session
# ----------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_session_steps_without_nan(algorithm):
    failures = Failures()
    for kw in _settings(algorithm):
        for name, k in SESSION_CASES:
            for init in INITS:
                with failures.case(f"{_label(algorithm, kw)} on {name}, K = {k}, init {init}"):
                    s = Session(_dataset(name, DATA[name]), algorithm=algorithm, n_clusters=k, init=init, **kw)
                    drive(s)
    failures.check(len(_settings(algorithm)) * len(SESSION_CASES) * len(INITS))


def attempt_model(action, *args) -> FitState | None:
    """Run a model step; a ModelError is fine if it is a sentence (None is returned)."""
    try:
        state = action(*args)
    except ModelError as err:
        assert_sentence(str(err))
        return None
    assert_finite_state(state)
    return state


def drive_model(model, X: np.ndarray, max_steps: int = 40) -> None:
    """What `drive` does through a Session, on the estimator itself: the
    start (twice: the same bit for bit), two half-steps, a full step equal
    to them, then full steps until the tolerance is met or ``max_steps``."""
    start = attempt_model(model.initialize, X)
    if start is None:
        return
    again = model.initialize(X)
    np.testing.assert_array_equal(again.means, start.means)
    assert again.objective == start.objective
    e = attempt_model(model.e_step, X, start)
    m = None if e is None else attempt_model(model.m_step, X, e)
    full = attempt_model(model.step, X, start)
    if m is not None and full is not None:
        np.testing.assert_array_equal(full.means, m.means)
        assert full.objective == m.objective
    state = full
    for _ in range(max_steps):
        if state is None or state.converged:
            break
        state = attempt_model(model.step, X, state)


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_large_k_steps_without_nan_in_the_models(algorithm):
    """K = N beyond MAX_CLUSTERS: the estimator the registry builds from the
    Session's settings, stepped as the Session would step it."""
    assert LARGE_K_CASES, "the data sets should include one with more than MAX_CLUSTERS points"
    failures = Failures()
    for kw in _settings(algorithm):
        for name, k in LARGE_K_CASES:
            for init in INITS:
                with failures.case(f"{_label(algorithm, kw)} on {name}, K = {k}, init {init}"):
                    X = DATA[name]
                    settings = ModelSettings(n_clusters=k, init=init, seed=0, **kw)
                    drive_model(get_algorithm(algorithm).build(settings, X), X)
    failures.check(len(_settings(algorithm)) * len(LARGE_K_CASES) * len(INITS))


@pytest.mark.parametrize("k", [0, MAX_CLUSTERS + 1, 45])
def test_the_session_refuses_k_beyond_what_it_can_show(k):
    with pytest.raises(ValueError, match=rf"n_clusters={k} .*(more than the app can show|should be)") as info:
        Session(_dataset("collinear", DATA["collinear"]), n_clusters=k)
    assert_sentence(str(info.value))


@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_more_clusters_than_points_is_a_problem_not_a_crash(algorithm):
    failures = Failures()
    for kw in _settings(algorithm):
        with failures.case(_label(algorithm, kw)):
            s = Session(_dataset("two", DATA["two-points"]), algorithm=algorithm, n_clusters=3, **kw)
            assert s.state is None
            assert s.problem .startswith("Add at least 3 points to fit K = 3 clusters (")
            assert s.step() is None and s.half_step() is None and s.run_to_convergence() is None
            s.add_point(5.0, 5.0)  # now K = N
            drive(s)
    failures.check(len(_settings(algorithm)))


# ----------------------------------------------------------------------
# Degenerate situations carry a note a student understands
# ----------------------------------------------------------------------
def _identical_points_are_explained(algorithm: str, kw: dict, k: int, init: str) -> None:
    s = run(Session(_dataset("same", DATA["identical"]), algorithm=algorithm, n_clusters=k, init=init, **kw))
    assert s.state is not None, s.problem
    assert_finite_state(s.state)
    notes = degenerate_notes(s)
    assert notes, notes_seen(s)
    for note in notes:
        assert_sentence(note)
    if algorithm == "kmeans":
        assert s.state.objective == 0.0
        assert any("more clusters than different points" in n for n in notes), notes
    elif algorithm == "soft-kmeans":
        assert any("sit at exactly the same place" in n for n in notes), notes
    else:
        assert any("collapsed onto a single point" in n or "no responsibility" in n for n in notes), notes


@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_identical_points_are_explained(algorithm):
    failures = Failures()
    for kw in _settings(algorithm):
        for k in (2, 3, 12):
            for init in INITS:
                with failures.case(f"{_label(algorithm, kw)}, K = {k}, init {init}"):
                    _identical_points_are_explained(algorithm, kw, k, init)
    failures.check(len(_settings(algorithm)) * 3 * len(INITS))


def test_gmm_on_identical_points_with_one_component_explains_the_collapse():
    failures = Failures()
    for ct in COVARIANCE_TYPES:
        for init in INITS:
            with failures.case(f"covariance {ct}, init {init}"):
                s = run(Session(_dataset("same", DATA["identical"]), algorithm="gmm", n_clusters=1, init=init,
                                covariance_type=ct))
                notes = degenerate_notes(s)
                assert any("collapsed onto a single point" in n and "reg_covar" in n for n in notes), notes_seen(s)
                # reg_covar keeps the collapsed covariance finite and positive
                assert np.all(np.linalg.eigvalsh(s.state.covariances) > 0)
    failures.check(len(COVARIANCE_TYPES) * len(INITS))


def test_gmm_with_one_component_per_point_explains_the_collapse():
    failures = Failures()
    for ct in COVARIANCE_TYPES:
        for init in INITS:
            with failures.case(f"covariance {ct}, init {init}"):
                s = run(Session(_dataset("two", DATA["two-points"]), algorithm="gmm", n_clusters=2, init=init,
                                covariance_type=ct))
                assert s.state is not None, s.problem
                notes = degenerate_notes(s)
                assert any("collapsed onto a single point" in n for n in notes), notes_seen(s)
    failures.check(len(COVARIANCE_TYPES) * len(INITS))


def test_gmm_on_collinear_points_is_flattened_onto_a_line():
    failures = Failures()
    for ct in ("full", "tied"):
        with failures.case(f"covariance {ct}"):
            s = run(Session(_dataset("line", DATA["collinear"]), algorithm="gmm", n_clusters=1, covariance_type=ct))
            notes = degenerate_notes(s)
            assert any("flattened onto a line" in n for n in notes), notes_seen(s)
            assert_finite_state(s.state)
    failures.check(2)


def test_gmm_random_init_works_on_data_spread_near_1e12():
    """Components that start on one data point each (covariance reg_covar * I,
    a billionth of a billionth of the data's spread) must not be refused as
    collapsed: that is how the initialisation is defined."""
    failures = Failures()
    for ct in COVARIANCE_TYPES:
        for init in INITS:
            with failures.case(f"covariance {ct}, init {init}"):
                s = Session(_dataset("big", DATA["spread-1e12"]), algorithm="gmm", n_clusters=3, init=init,
                            covariance_type=ct)
                assert s.state is not None, s.problem
                run(s)
                assert s.state.iteration >= 1
                assert_finite_state(s.state)
    failures.check(len(COVARIANCE_TYPES) * len(INITS))


def test_gmm_collapse_below_the_resolution_of_the_coordinates():
    """K = N on data spread near 1e12. With scikit-learn's reg_covar = 1e-6 a
    component on one point would be a few units in the last place of its
    coordinates wide: the model refuses the step with a sentence that
    suggests a reg_covar that works. The Session raises reg_covar with the
    data's spread (1e-14 of its variance), so there the step goes through
    and the collapse is explained."""
    X = DATA["spread-1e12"][:6]
    gm = GaussianMixture(6, init_params="random_from_data", random_state=0)
    s0 = gm.initialize(X)
    with pytest.raises(ModelError, match=r"collapsed onto a single point") as info:
        gm.step(X, s0)
    assert_sentence(str(info.value))
    suggested = float(re.search(r"for example ([0-9.e+-]+),", str(info.value)).group(1))
    gm.reg_covar = suggested
    assert_finite_state(gm.step(X, gm.initialize(X)))

    s = Session(_dataset("big", X), algorithm="gmm", n_clusters=6, init="random")
    assert s.model.reg_covar == pytest.approx(1e-14 * np.mean(np.var(X, axis=0)))
    run(s)
    assert s.state.iteration >= 1
    assert_finite_state(s.state)
    assert any("collapsed onto a single point" in n and "reg_covar" in n for n in degenerate_notes(s))
    # ordinary data keep scikit-learn's default
    assert Session(_dataset("blobs", _blobs()), algorithm="gmm").model.reg_covar == 1e-6


def test_soft_kmeans_with_beta_1_is_one_hot_at_1e12_and_one_blob_at_1e_minus_12():
    failures = Failures()
    for init in INITS:
        with failures.case(f"init {init}"):
            big = run(Session(_dataset("big", DATA["spread-1e12"]), algorithm="soft-kmeans", n_clusters=3,
                              init=init, beta=1.0))
            r = big.state.responsibilities
            assert np.all(r.max(axis=1) == 1.0)  # exp(-1e24) == 0: hard assignments

            tiny = run(Session(_dataset("tiny", DATA["spread-1e-12"]), algorithm="soft-kmeans", n_clusters=3,
                               init=init, beta=1.0))
            r = tiny.state.responsibilities
            np.testing.assert_allclose(r, 1.0 / 3.0, rtol=1e-12)  # exp(-1e-24) == 1: one blob
            assert_finite_state(tiny.state)
            assert any("sit at exactly the same place" in n and "beta" in n for n in degenerate_notes(tiny))
    failures.check(len(INITS))


@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_coordinates_near_the_largest_float_give_a_problem_not_a_crash(algorithm):
    """Sums of such coordinates overflow; loading them must leave a session
    with a `problem` in words (not an exception half-way through loading)."""
    X = np.array([[1e308, -1e308], [1.7e308, 0.0], [0.0, 1.0], [-1e308, 1e308]])
    failures = Failures()
    for kw in _settings(algorithm):
        with failures.case(_label(algorithm, kw)):
            s = Session(_dataset("blobs", _blobs()), algorithm=algorithm, n_clusters=2, **kw)
            s.step()
            s.load_dataset(_dataset("huge", X))
            assert s.dataset.name == "huge"
            assert_session_sane(s)
            drive(s)
            s.load_dataset(_dataset("blobs", _blobs()))  # and the session recovers with ordinary data
            assert s.state is not None
            drive(s)
    failures.check(len(_settings(algorithm)))


@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_a_point_added_at_1e12_to_ordinary_data(algorithm):
    failures = Failures()
    for kw in _settings(algorithm):
        with failures.case(_label(algorithm, kw)):
            s = Session(_dataset("blobs", _blobs()), algorithm=algorithm, n_clusters=3, **kw)
            run(s, 10)
            attempt(s, lambda: s.add_point(1e12, -1e12))
            assert_session_sane(s)
            drive(s, max_steps=20)
    failures.check(len(_settings(algorithm)))


# ----------------------------------------------------------------------
# A million duplicate points (16 MB of float64): a couple of steps each
# ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def million_duplicates() -> Dataset:
    X = np.full((1_000_000, 2), 2.5)
    X[:2] = [[0.0, 0.0], [1.0, 0.0]]  # two odd ones out, so K = 3 has something to find
    return _dataset("million", X)


@pytest.mark.slow
@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_a_million_duplicate_points(million_duplicates, algorithm):
    failures = Failures()
    for kw in _settings(algorithm):
        with failures.case(_label(algorithm, kw)):
            s = Session(million_duplicates, algorithm=algorithm, n_clusters=3, init="random", **kw)
            assert_session_sane(s)
            assert s.state is not None, s.problem
            attempt(s, s.step)
            attempt(s, s.step)
            assert s.state.iteration >= 1
            assert_finite_state(s.state)
    failures.check(len(_settings(algorithm)))


# ----------------------------------------------------------------------
# The models directly (no Session)
# ----------------------------------------------------------------------
def _models(family: str, k: int) -> list[tuple[str, object]]:
    """(description, estimator) for every setting of one estimator class."""
    if family == "KMeans":
        return [(f"KMeans(init={init!r})", KMeans(n_clusters=k, init=init, random_state=0))
                for init in ("random", "k-means++")]
    if family == "GaussianMixture":
        return [(f"GaussianMixture(covariance_type={ct!r}, init_params={init!r})",
                 GaussianMixture(k, covariance_type=ct, init_params=init, random_state=0))
                for ct in COVARIANCE_TYPES for init in ("random_from_data", "kmeans", "k-means++", "random")]
    return [(f"SoftKMeans(beta={beta})", SoftKMeans(n_clusters=k, beta=beta, init="k-means++", random_state=0))
            for beta in (1.0, 1e6)]


@pytest.mark.parametrize("family", ["KMeans", "GaussianMixture", "SoftKMeans"])
def test_models_iterate_without_nan(family):
    failures = Failures()
    expected = 0
    for name, k in CASES:
        X = DATA[name]
        models = _models(family, k)
        expected += len(models)
        for description, model in models:
            with failures.case(f"{description} on {name}, K = {k}"):
                model.max_iter = 30
                try:
                    for state in model.iterate(X):
                        assert_finite_state(state)
                        if state.phase != "init":
                            e = model.e_step(X, state)  # the half-step on its own, too
                            assert_finite_state(e)
                except ModelError as err:
                    assert_sentence(str(err))
    failures.check(expected)
