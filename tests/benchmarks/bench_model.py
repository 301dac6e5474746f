"""Time one step of our models against scikit-learn, measured in the same run.

Run:  python tests/benchmarks/bench_model.py [--quick] [--repeats R] [--only kmeans|gmm]
                                             [--n N] [--d D] [--k K] [--steps S [S ...]]
      python tests/benchmarks/bench_model.py --first-steps [--repeats R]
e.g.  python tests/benchmarks/bench_model.py --only kmeans --n 1000000 --d 2 --k 10

For each N, K, D it prints the median time of one full step (E then M) for
clusterviz and for scikit-learn's own iteration, and the ratio ours / theirs
(below 1.0 means we are faster). The data: K Gaussian blobs (unit spread,
centres drawn with scale 5), seeded by (N, D, K). The load average is
printed before and after.

For K-Means two ratios: ``ratio``, of the medians of R runs of ours and then
R runs of theirs, each block after a 0.3 s pause and 5 warm-up runs; and
``paired``, the median of the ratios of pairs of runs timed back to back
(steadier on a loaded machine, but each side then starts while the other's
worker threads still spin: OpenMP's after scikit-learn, which on 2 cores
slows our single-threaded numpy by up to a third).

K-Means. scikit-learn's iteration is its compiled ``lloyd_iter_chunked_dense``
(all OpenMP threads) from the same centres as ours; it computes every
distance every iteration, so its time does not depend on how far the run
is. Ours is the step the session makes, ``KMeans.step(prepared, state)`` on
data prepared once (``clusterviz.model.prepare``), from the previous
step's state, on a run from ``init=X[:K]`` (tol=0, so the run goes
on past convergence); one row per step number S of ``--steps`` (default
2 6 11 16 21 31), with the share of points that change cluster in that
step. On 2-D data of at least ``kmeans_grid.MIN_POINTS`` points the step
goes through the data's grid of cells, built on first use and kept on the
prepared data:

- ``first``: prepare the data and make one step (building the grid): what
  the first step on newly loaded data costs;
- ``raw``: one step on the raw array, measured point by point (no grid is
  built for one call): what a caller that does not prepare pays;
- ``run``: prepare, initialize (building the grid) and run to convergence
  at the default tol, per step, and the number of steps;
- ``session``: ``Session.step()`` itself, every step of runs from the
  hand-placed means ``X[:K]`` (reset between runs) until R steps were
  timed: the model's step plus the timeline's bookkeeping, what a user
  waits for when pressing Step (``steps/runs`` in the last column).

GMM. Its EM iteration is ``_e_step`` followed by ``_m_step`` on a model
holding the same parameters as ours after one step.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's clusterviz, not an installed one
from clusterviz.data import Dataset  # noqa: E402
from clusterviz.model import GaussianMixture, KMeans, prepare  # noqa: E402
from clusterviz.session import Session  # noqa: E402
import clusterviz  # noqa: E402


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def blocked_times(ours, theirs, repeats: int) -> tuple[float, float, float]:
    """(median time of ours, of theirs, ratio of the medians), each timed in
    its own block after a pause, so neither runs beside the other's threads."""
    medians = []
    for fn in (ours, theirs):
        time.sleep(0.3)
        for _ in range(5):  # after a pause the first runs are slow (caches, clock)
            fn()
        medians.append(median_time(fn, repeats))
    return medians[0], medians[1], medians[0] / medians[1]


def paired_times(ours, theirs, repeats: int) -> tuple[float, float, float]:
    """(median time of ours, of theirs, median of the pairwise ratios), timed alternately."""
    ours()
    theirs()  # warm-up
    a, b = [], []
    for _ in range(repeats):
        for fn, out in ((ours, a), (theirs, b)):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return float(np.median(a)), float(np.median(b)), float(np.median(np.divide(a, b)))


def make_data(n: int, d: int, k: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.normal(scale=5.0, size=(k, d))
    return centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))


def bench_kmeans(X, k, repeats, steps):
    """Yield rows (label, ours s, sklearn s, ratio, paired ratio or None, extra)."""
    from sklearn.cluster._k_means_lloyd import lloyd_iter_chunked_dense
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    n, d = X.shape
    weights = np.ones(n)
    centres = np.empty((k, d))
    centres_new = np.empty_like(centres)
    in_cluster = np.empty(k)
    labels = np.empty(n, dtype=np.int32)
    shift = np.empty(k)
    threads = _openmp_effective_n_threads()

    def theirs():
        lloyd_iter_chunked_dense(X, weights, centres, centres_new, in_cluster, labels, shift, threads)

    model = KMeans(n_clusters=k, init=X[:k].copy(), tol=0)
    prepared = prepare(X)
    state = model.initialize(prepared)
    for step in sorted(steps):
        while state.iteration < step - 1:
            state = model.step(prepared, state)
        centres[:] = state.means
        t_ours, t_theirs, ratio = blocked_times(lambda s=state: model.step(prepared, s), theirs, repeats)
        paired = paired_times(lambda s=state: model.step(prepared, s), theirs, repeats)[2]
        after = model.step(prepared, state)
        moved = 1.0 if state.labels is None else float(np.mean(after.labels != state.labels))
        yield f"step {step}", t_ours, t_theirs, ratio, paired, f"{100 * moved:.2f}"

    t_ours, t_theirs, ratio = blocked_times(lambda: model.step(prepare(X), state), theirs, max(3, repeats // 2))
    yield "first", t_ours, t_theirs, ratio, None, ""
    t_ours, t_theirs, ratio = blocked_times(lambda: model.step(X, state), theirs, max(3, repeats // 2))
    yield "raw", t_ours, t_theirs, ratio, None, ""

    fit = KMeans(n_clusters=k, init=X[:k].copy())

    def run():
        start = time.perf_counter()
        data = prepare(X)
        s = fit.initialize(data)
        while not s.converged and s.iteration < fit.max_iter:
            s = fit.step(data, s)
        return (time.perf_counter() - start) / max(s.iteration, 1), s.iteration

    runs = [run() for _ in range(max(1, repeats // 2))]
    t_run = float(np.median([r[0] for r in runs]))
    centres[:] = X[:k]
    t_theirs = median_time(theirs, repeats)
    yield "run", t_run, t_theirs, t_run / t_theirs, None, f"{runs[0][1]} it"

    t_session, n_runs, n_steps = session_step_time(X, k, repeats)
    time.sleep(0.3)
    t_theirs = median_time(theirs, repeats)
    yield "session", t_session, t_theirs, t_session / t_theirs, None, f"{n_steps}/{n_runs}"


def session_step_time(X, k, repeats) -> tuple[float, int, int]:
    """(median time of ``Session.step()``, runs, steps timed): every step of
    runs from the hand-placed means ``X[:k]`` until ``repeats`` steps (at
    least) are timed, the session reset between runs. A warm-up step first
    builds the grid, which the data's Prepared keeps across resets."""
    session = Session(Dataset(name="bench", X=X, columns=tuple(f"x{j}" for j in range(X.shape[1]))),
                      algorithm="kmeans", n_clusters=k)
    session.set_initial_means(X[:k])
    session.step()
    times, runs = [], 0
    while len(times) < repeats:
        session.reset()
        runs += 1
        while session.can_step:  # a run's first step always computes, so every run times one at least
            start = time.perf_counter()
            session.step()
            times.append(time.perf_counter() - start)
    return float(np.median(times)), runs, len(times)


def bench_gmm(X, k, repeats):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    ours = GaussianMixture(n_components=k, covariance_type="full", means_init=X[:k].copy(), max_iter=1)
    prepared = prepare(X)
    state = ours.step(prepared, ours.initialize(prepared))
    t_ours = median_time(lambda: ours.step(prepared, state), repeats)

    theirs = SkGaussianMixture(n_components=k, covariance_type="full", means_init=X[:k].copy(), max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(X)

    def sk_step():
        _, log_resp = theirs._e_step(X)
        theirs._m_step(X, log_resp)

    t_theirs = median_time(sk_step, repeats)
    return t_ours, t_theirs


def bench_first_steps(n: int, d: int, k: int, repeats: int) -> None:
    """The first five K-Means steps from ``X[:k]`` as a user steps them
    (prepared data: bounds carried from step to step), against
    scikit-learn's iterations 2-6 from the same centres; and the same five
    steps on the raw array (every distance measured), medians of R runs
    timed alternately."""
    from sklearn.cluster._k_means_lloyd import lloyd_iter_chunked_dense
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    X = make_data(n, d, k, np.random.default_rng([n, d, k]))
    model = KMeans(n_clusters=k, init=X[:k].copy(), tol=0)

    def ours(data_of):
        data = data_of(X)
        state = model.initialize(data)
        start = time.perf_counter()
        for _ in range(5):
            state = model.step(data, state)
        return time.perf_counter() - start

    weights, labels = np.ones(n), np.empty(n, dtype=np.int32)
    in_cluster, shift = np.empty(k), np.empty(k)
    threads = _openmp_effective_n_threads()

    def theirs():
        centres, new = X[:k].copy(), np.empty((k, d))
        lloyd_iter_chunked_dense(X, weights, centres, new, in_cluster, labels, shift, threads)  # iteration 1
        start = time.perf_counter()
        for _ in range(5):  # iterations 2-6
            centres[:] = new
            lloyd_iter_chunked_dense(X, weights, centres, new, in_cluster, labels, shift, threads)
        return time.perf_counter() - start

    ours(prepare), ours(np.asarray), theirs()  # warm-up
    rows = {"bounds": [], "every distance": [], "sklearn": []}
    for _ in range(repeats):
        rows["bounds"].append(ours(prepare))
        rows["every distance"].append(ours(np.asarray))
        rows["sklearn"].append(theirs())
    med = {key: float(np.median(v)) for key, v in rows.items()}
    print(f"first five K-Means steps, N = {n:,}, D = {d}, K = {k} (medians of {repeats}):")
    print(f"  ours, bounds carried   {1e3 * med['bounds']:8.1f} ms   ratio to sklearn "
          f"{med['bounds'] / med['sklearn']:.2f} (paired "
          f"{np.median(np.divide(rows['bounds'], rows['sklearn'])):.2f}; goal <= 3)")
    print(f"  ours, every distance   {1e3 * med['every distance']:8.1f} ms   ratio "
          f"{med['every distance'] / med['sklearn']:.2f}")
    print(f"  sklearn iterations 2-6 {1e3 * med['sklearn']:8.1f} ms")


_EM_CHILD = """
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from clusterviz.model import GaussianMixture, prepare
n, d, k, repeats = (int(v) for v in sys.argv[2:6])
rng = np.random.default_rng([n, d, k])
X = rng.normal(scale=5.0, size=(k, d))[rng.integers(k, size=n)] + rng.normal(size=(n, d))
model = GaussianMixture(n_components=k, covariance_type="full", means_init=X[:k].copy(), max_iter=1)
data = prepare(X)
state = model.step(data, model.initialize(data))
model.step(data, state)
times = []
for _ in range(repeats):
    start = time.perf_counter()
    model.step(data, state)
    times.append(time.perf_counter() - start)
print(float(np.median(times)))
"""


def bench_em_threads(n: int, d: int, k: int, repeats: int) -> None:
    """One EM step (full covariances) with OpenBLAS on 1 thread and on the
    default number, each in a fresh process (the thread count is fixed at
    start), alternately, medians."""
    import os
    import subprocess

    root = str(Path(__file__).resolve().parents[2])
    runs: dict[str, list[float]] = {"1": [], "default": []}
    for _ in range(max(1, repeats // 2)):
        for threads in runs:
            env = dict(os.environ)
            for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                env.pop(var, None)
                if threads != "default":
                    env[var] = threads
            out = subprocess.run([sys.executable, "-c", _EM_CHILD, root, str(n), str(d), str(k), "5"],
                                 env=env, capture_output=True, text=True, check=True)
            runs[threads].append(float(out.stdout.split()[-1]))
    one, default = (float(np.median(v)) for v in runs.values())
    print(f"EM step, N = {n:,}, D = {d}, K = {k}, full: 1 BLAS thread {1e3 * one:.0f} ms, default threads "
          f"({os.cpu_count()} CPUs) {1e3 * default:.0f} ms: default / 1 = {default / one:.2f} (goal <= 1)")


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only N = 10^4 and 10^5")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=("kmeans", "gmm"), help="run one algorithm only")
    parser.add_argument("--n", type=int, action="append", help="only this N (repeatable)")
    parser.add_argument("--d", type=int, action="append", help="only this D (repeatable)")
    parser.add_argument("--k", type=int, action="append", help="only this K (repeatable)")
    parser.add_argument("--steps", type=int, nargs="+", default=[2, 6, 11, 16, 21, 31],
                        help="K-Means: the step numbers timed (default 2 6 11 16 21 31)")
    parser.add_argument("--first-steps", action="store_true",
                        help="only: the first five K-Means steps at N = 2e5, D = 10, K = 10 against scikit-learn, "
                             "and EM at D = 10 on 1 BLAS thread and on the default number")
    args = parser.parse_args()
    if args.first_steps:
        print(f"# clusterviz from {list(clusterviz.__path__)[0]}; load average at start: {loadavg()}")
        n, d, k = (args.n or [200_000])[0], (args.d or [10])[0], (args.k or [10])[0]
        bench_first_steps(n, d, k, max(5, args.repeats))
        bench_em_threads(n, d, k, max(5, args.repeats))
        print(f"# load average at end: {loadavg()}")
        return
    sizes = args.n or ([10**4, 10**5] if args.quick else [10**4, 10**5, 10**6])
    dims = args.d or [2, 10]
    ks = args.k or [3, 10]
    benches = [name for name in ("kmeans", "gmm-full") if args.only is None or name.startswith(args.only)]
    print(f"# clusterviz from {list(clusterviz.__path__)[0]}; load average at start: {loadavg()}")
    print(f"{'algorithm':<10} {'N':>9} {'K':>3} {'D':>3} {'':>8} {'ours ms':>9} {'sklearn ms':>11} {'ratio':>6}"
          f" {'paired':>6} {'moved %':>8}")
    for n in sizes:
        for d in dims:
            for k in ks:
                X = make_data(n, d, k, np.random.default_rng([n, d, k]))
                repeats = max(3, args.repeats if n < 10**6 else args.repeats // 2 + 1)
                for name in benches:
                    head = f"{name:<10} {n:>9,} {k:>3} {d:>3}"
                    if name == "kmeans":
                        for label, t_ours, t_theirs, ratio, paired, extra in bench_kmeans(X, k, repeats,
                                                                                          args.steps):
                            paired = f"{paired:>6.2f}" if paired is not None else f"{'':>6}"
                            print(f"{head} {label:>8} {t_ours * 1e3:>9.1f} {t_theirs * 1e3:>11.1f} {ratio:>6.2f}"
                                  f" {paired} {extra:>8}", flush=True)
                    else:
                        t_ours, t_theirs = bench_gmm(X, k, repeats)
                        print(f"{head} {'':>8} {t_ours * 1e3:>9.1f} {t_theirs * 1e3:>11.1f} "
                              f"{t_ours / t_theirs:>6.2f}", flush=True)
    print(f"# load average at end: {loadavg()}")


if __name__ == "__main__":
    main()
