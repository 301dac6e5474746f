"""Time one Baum-Welch iteration of our Gaussian HMM against hmmlearn's,
measured in the same run.

Run:  python tests/benchmarks/bench_hmm.py [--quick] [--repeats R] [--t T [T ...]] [--k K [K ...]]

For every T (default 10^4 10^5 10^6) and K (default 2 3 5), D = 2, full
covariances, it prints the median time of one full iteration (E: forward-
backward; M: re-estimate, and the new parameters' log-likelihood) for
clusterviz and for hmmlearn's compiled ``implementation="scaling"`` (its
fastest), and the ratio ours / theirs (below 1.0: we are faster).

Ours is the step the session makes, ``GaussianHMM.step(prepared, state)``
on data prepared once, from the previous step's state (tol=-inf). Its
M-step measures the new parameters with a forward-backward pass that the
next E-step reuses, so one step costs one pass, like hmmlearn's. hmmlearn's
iteration is ``fit(X)`` with ``n_iter=1`` and ``init_params=""`` from the
same parameters as ours (its E-step, M-step and bookkeeping).

The data: a sticky 3-regime walk (regimes of ~100 rows with centres drawn
with scale 3, unit noise), seeded by T. The load average is printed before
and after; on a shared machine compare the ratios, not the times.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's clusterviz, not an installed one


def data(T: int) -> np.ndarray:
    rng = np.random.default_rng(T)
    centres = rng.normal(size=(T // 100 + 1, 2)) * 3.0
    return rng.normal(size=(T, 2)) + np.repeat(centres, 100, axis=0)[:T]


def median_ms(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def bench(T: int, K: int, repeats: int) -> tuple[float, float]:
    from hmmlearn.hmm import GaussianHMM as Oracle

    from clusterviz.model import GaussianHMM, prepare

    X = data(T)
    prepared = prepare(X)
    model = GaussianHMM(K, random_state=0, tol=-np.inf)
    state = [model.step(prepared, model.initialize(prepared))]

    def ours():
        state[0] = model.step(prepared, state[0])

    ours_ms = median_ms(ours, repeats)
    s = state[0]
    oracle = Oracle(K, covariance_type="full", implementation="scaling", init_params="", params="stmc",
                    n_iter=1, tol=-np.inf)

    def theirs():
        oracle.startprob_, oracle.transmat_ = s.startprob.copy(), s.transmat.copy()
        oracle.means_, oracle.covars_ = s.means.copy(), s.covariances.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            oracle.fit(X)

    return ours_ms, median_ms(theirs, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T = 10^4, 10^5 only, 5 repeats")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--t", type=int, nargs="+", default=[10 ** 4, 10 ** 5, 10 ** 6])
    parser.add_argument("--k", type=int, nargs="+", default=[2, 3, 5])
    args = parser.parse_args()
    ts = [10 ** 4, 10 ** 5] if args.quick else args.t
    repeats = 5 if args.quick else max(5, args.repeats)
    print(f"load average before: {os.getloadavg()}")
    print(f"{'T':>9} {'K':>2}  {'ours ms':>9}  {'hmmlearn ms':>11}  {'ratio':>6}")
    for T in ts:
        for K in args.k:
            ours, theirs = bench(T, K, repeats if T < 10 ** 6 else max(5, repeats // 2))
            print(f"{T:>9} {K:>2}  {ours:>9.1f}  {theirs:>11.1f}  {ours / theirs:>6.2f}", flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
