"""Time one step of our models against scikit-learn, measured in the same run.

Run:  python tests/benchmarks/bench_model.py [--quick] [--repeats R]

For each N, K, D it prints the median time of one full step (E then M) for
clusterviz and for scikit-learn's own iteration, and the ratio ours / theirs
(below 1.0 means we are faster). scikit-learn's K-Means iteration is its
compiled ``lloyd_iter_chunked_dense``; its EM iteration is ``_e_step`` followed
by ``_m_step`` on a model holding the same parameters.
"""
from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from clusterviz.model import GaussianMixture, KMeans


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def make_data(n: int, d: int, k: int, rng: np.random.Generator) -> np.ndarray:
    centres = rng.normal(scale=5.0, size=(k, d))
    return centres[rng.integers(k, size=n)] + rng.normal(size=(n, d))


def bench_kmeans(X, k, repeats):
    from sklearn.cluster._k_means_lloyd import lloyd_iter_chunked_dense
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    ours = KMeans(n_clusters=k, init=X[:k].copy())
    state = ours.step(X, ours.initialize(X))
    t_ours = median_time(lambda: ours.step(X, state), repeats)

    n, d = X.shape
    weights = np.ones(n)
    centres = state.means.copy()
    centres_new = np.empty_like(centres)
    in_cluster = np.empty(k)
    labels = np.empty(n, dtype=np.int32)
    shift = np.empty(k)
    threads = _openmp_effective_n_threads()

    def theirs():
        lloyd_iter_chunked_dense(X, weights, centres, centres_new, in_cluster, labels, shift, threads)

    t_theirs = median_time(theirs, repeats)
    return t_ours, t_theirs


def bench_gmm(X, k, repeats):
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    ours = GaussianMixture(n_components=k, covariance_type="full", means_init=X[:k].copy(), max_iter=1)
    state = ours.step(X, ours.initialize(X))
    t_ours = median_time(lambda: ours.step(X, state), repeats)

    theirs = SkGaussianMixture(n_components=k, covariance_type="full", means_init=X[:k].copy(), max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(X)

    def sk_step():
        _, log_resp = theirs._e_step(X)
        theirs._m_step(X, log_resp)

    t_theirs = median_time(sk_step, repeats)
    return t_ours, t_theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only N = 10^4 and 10^5")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sizes = [10**4, 10**5] if args.quick else [10**4, 10**5, 10**6]
    rng = np.random.default_rng(0)
    print(f"{'algorithm':<10} {'N':>9} {'K':>3} {'D':>3} {'ours ms':>10} {'sklearn ms':>11} {'ratio':>7}")
    for n in sizes:
        for d in (2, 10):
            for k in (3, 10):
                X = make_data(n, d, k, rng)
                for name, bench in (("kmeans", bench_kmeans), ("gmm-full", bench_gmm)):
                    repeats = max(3, args.repeats if n < 10**6 else args.repeats // 2 + 1)
                    t_ours, t_theirs = bench(X, k, repeats)
                    print(f"{name:<10} {n:>9,} {k:>3} {d:>3} {t_ours * 1e3:>10.1f} {t_theirs * 1e3:>11.1f} "
                          f"{t_ours / t_theirs:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
