#!/usr/bin/env python3
"""numpy timings for the operations bench/linalg.ts measures, printed as one JSON object.

Run by `npm run bench:linalg` when python3 with numpy is present; usable alone:
    python3 bench/peers/linalg_numpy.py
Keys match bench/linalg.ts (e.g. "gemm:1000", "gemv:900x10000:T", "syevd:300",
"gesdd:300"); values are median milliseconds. numpy uses its own BLAS threads
(all cores unless OPENBLAS_NUM_THREADS says otherwise).
"""
import json
import statistics
import sys
import time

try:
    import numpy as np
except ImportError:
    print(json.dumps({"error": "numpy not installed"}))
    sys.exit(0)


def median_ms(fn, budget_s=1.0, min_reps=5, max_reps=2000, rounds=3):
    """Median ms per round after a warm-up; the best of `rounds` rounds (as bench/linalg.ts does,
    so that a burst of load from another process on a shared machine does not decide the figure)."""
    fn()  # warm-up
    t_end = time.perf_counter() + 0.05
    while time.perf_counter() < t_end:
        fn()
    best = float("inf")
    for _ in range(rounds):
        times = []
        start = time.perf_counter()
        while len(times) < min_reps or (time.perf_counter() - start < budget_s / rounds and len(times) < max_reps):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
        best = min(best, statistics.median(times))
    return best


def main():
    rng = np.random.default_rng(0)
    out = {"numpy": np.__version__}
    for n in (64, 100, 256, 1000):
        a = rng.standard_normal((n, n))
        b = rng.standard_normal((n, n))
        c = np.empty((n, n))
        out[f"gemm:{n}"] = median_ms(lambda: np.matmul(a, b, out=c))
    a = rng.standard_normal((900, 10000))
    x = rng.standard_normal(10000)
    xt = rng.standard_normal(900)
    out["gemv:900x10000:N"] = median_ms(lambda: a @ x)
    out["gemv:900x10000:T"] = median_ms(lambda: a.T @ xt)
    for n in (100, 300):
        r = rng.standard_normal((n, n))
        s = r + r.T
        out[f"syevd:{n}"] = median_ms(lambda: np.linalg.eigh(s))
        out[f"gesdd:{n}"] = median_ms(lambda: np.linalg.svd(r, full_matrices=False))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
