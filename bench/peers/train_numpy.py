#!/usr/bin/env python3
"""numpy peers of `npm run bench:train` (bench/train.ts): time per training step, the code
written the natural numpy way.

Cases (the issue's "Speed" section):
  deep3_completion   W = W3 W2 W1, 100 x 100, rank-5 truth, 2000 observed entries, loss mse;
                     plain GD and GroupRMSprop (alpha 0.99, eps 1e-4).
  psd_sensing        X = U U^T, U 100 x 100, symmetric sensing with n = 100, m = 900 (A an
                     m x n x n array), loss half-sse, plain GD:
                       r = np.tensordot(A, X, 2) - y; G = np.tensordot(r, A, 1); grad = (G + G.T) @ U
Each measurement prints one JSON line {peer, case, optimizer, ms_per_step, threads, ...}:
the median over repeated blocks of steps after a warm-up (best of 5 rounds of medians, so
that a burst of load from another process does not decide the figure).

Usage: python3 bench/peers/train_numpy.py [--threads N] [--case deep3_completion|psd_sensing]
                                          [--budget SECONDS] [--plain-malloc]
  --threads N sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS before numpy is
  imported; without it numpy's BLAS uses its default (all cores unless the environment says
  otherwise) and `threads` reports "default (<cores>)".

glibc malloc: every step allocates a few 80 KB temporaries, and depending on the heap's state
glibc may hand the top of the heap back to the system after each free and fault it in again
at the next allocation (~250 page faults a step), which doubles numpy's time per step on
deep3_completion in some runs and not in others. So that the peer is measured at its best,
reproducibly, the script re-executes itself with MALLOC_TRIM_THRESHOLD_ = 256 MiB and
MALLOC_MMAP_THRESHOLD_ = 32 MiB unless they are already set (--plain-malloc: don't); the JSON
line records the setting under "malloc".
"""
import argparse
import json
import os
import sys
import time

MALLOC_ENV = {"MALLOC_TRIM_THRESHOLD_": "268435456", "MALLOC_MMAP_THRESHOLD_": "33554432"}
if "--plain-malloc" not in sys.argv and any(k not in os.environ for k in MALLOC_ENV):
    for k, v in MALLOC_ENV.items():
        os.environ.setdefault(k, v)
    os.execv(sys.executable, [sys.executable] + sys.argv)

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=None)
parser.add_argument("--case", choices=["deep3_completion", "psd_sensing"], action="append")
parser.add_argument("--budget", type=float, default=1.5, help="seconds of timing per measurement")
parser.add_argument("--plain-malloc", action="store_true", help="leave glibc malloc's defaults alone")
args = parser.parse_args()
if args.threads is not None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

try:
    import numpy as np
except ImportError:
    print(json.dumps({"peer": "numpy", "error": "numpy not installed"}))
    sys.exit(0)


def threads_label():
    if args.threads is not None:
        return args.threads
    env = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    return int(env) if env else f"default ({os.cpu_count()})"


def malloc_label():
    return " ".join(f"{k}={os.environ[k]}" for k in MALLOC_ENV if k in os.environ) or "glibc defaults"


def ms_per_step(step, budget_s, rounds=5, block_s=0.02):
    """Median ms per step over blocks of steps (each block ~block_s), best of `rounds` (5) medians."""
    t_end = time.perf_counter() + 0.3  # warm-up
    calls = 0
    while time.perf_counter() < t_end or calls < 3:
        step()
        calls += 1
    t0 = time.perf_counter()
    for _ in range(5):
        step()
    per = (time.perf_counter() - t0) / 5
    block = max(1, int(block_s / max(per, 1e-9)))
    best = float("inf")
    steps = 0
    for _ in range(rounds):
        times = []
        start = time.perf_counter()
        while len(times) < 5 or time.perf_counter() - start < budget_s / rounds:
            t0 = time.perf_counter()
            for _ in range(block):
                step()
            times.append((time.perf_counter() - t0) * 1e3 / block)
            steps += block
        times.sort()
        mid = len(times) // 2
        best = min(best, times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2)
    return best, steps


def report(case, optimizer, ms, steps, finite, **extra):
    print(json.dumps({
        "peer": "numpy", "case": case, "optimizer": optimizer, "ms_per_step": ms,
        "threads": threads_label(), "steps_timed": steps, "finite": bool(finite),
        "numpy": np.__version__, "malloc": malloc_label(), **extra,
    }), flush=True)


def deep3_completion(budget):
    n, r, m, depth = 100, 5, 2000, 3
    rng = np.random.default_rng(0)
    U, V = rng.standard_normal((n, r)), rng.standard_normal((n, r))
    X_star = U @ V.T / np.sqrt(r)
    X_star *= n / np.linalg.norm(X_star)
    idx = rng.choice(n * n, size=m, replace=False)
    rows, cols = idx // n, idx % n
    y = X_star[rows, cols]
    s = 1e-3 ** (1 / depth) / np.sqrt(n)
    init = [rng.standard_normal((n, n)) * s for _ in range(depth)]

    for optimizer, lr in (("gd", 1e-2), ("grouprmsprop", 1e-3)):
        Ws = [w.copy() for w in init]
        state = {"v": 0.0, "t": 0}

        def step():
            W1, W2, W3 = Ws  # updated in place below
            W21 = W2 @ W1
            W = W3 @ W21
            res = W[rows, cols] - y
            G = np.zeros((n, n))
            G[rows, cols] = (2.0 / m) * res  # dL/dW for mse (entries are distinct)
            W32 = W3 @ W2
            g3 = G @ W21.T
            g2 = W3.T @ G @ W1.T
            g1 = W32.T @ G
            if optimizer == "gd":
                W1 -= lr * g1
                W2 -= lr * g2
                W3 -= lr * g3
            else:
                state["t"] += 1
                state["v"] = 0.99 * state["v"] + 0.01 * (np.sum(g1 * g1) + np.sum(g2 * g2) + np.sum(g3 * g3))
                v_hat = state["v"] / (1 - 0.99 ** state["t"])
                step_size = lr / (np.sqrt(v_hat) + 1e-4)
                W1 -= step_size * g1
                W2 -= step_size * g2
                W3 -= step_size * g3

        ms, steps = ms_per_step(step, budget)
        finite = all(np.all(np.isfinite(w)) for w in Ws)
        report("deep3_completion", optimizer, ms, steps, finite, n=n, m=m, depth=depth)


def psd_sensing(budget):
    n, r, m = 100, 5, 900
    rng = np.random.default_rng(1)
    B = rng.standard_normal((m, n, n))
    A = (B + B.transpose(0, 2, 1)) / 2
    del B
    Z = rng.standard_normal((n, r))
    X_star = Z @ Z.T
    X_star /= np.linalg.norm(X_star)
    y = np.tensordot(A, X_star, 2)
    lr = 1e-5
    U = rng.standard_normal((n, n)) * (1e-3 ** 0.5 / np.sqrt(n))

    def step():
        nonlocal U
        X = U @ U.T
        res = np.tensordot(A, X, 2) - y  # half-sse: L = 0.5 ||res||^2
        G = np.tensordot(res, A, 1)
        U = U - lr * ((G + G.T) @ U)

    ms, steps = ms_per_step(step, budget)
    report("psd_sensing", "gd", ms, steps, np.all(np.isfinite(U)), n=n, m=m)


if __name__ == "__main__":
    for case in args.case or ["deep3_completion", "psd_sensing"]:
        {"deep3_completion": deep3_completion, "psd_sensing": psd_sensing}[case](args.budget)
