#!/usr/bin/env python3
"""numpy peers of `npm run bench:train` (bench/train.ts): time per training step, the code
written the natural numpy way.

Cases (the issue's "Speed" section):
  deep3_completion   W = W3 W2 W1, 100 x 100, rank-5 truth, 2000 observed entries, loss mse;
                     plain GD and GroupRMSprop (alpha 0.99, eps 1e-4).
  psd_sensing        X = U U^T, U 100 x 100, symmetric sensing with n = 100, m = 900 (A an
                     m x n x n array), loss half-sse, plain GD:
                       r = np.tensordot(A, X, 2) - y; G = np.tensordot(r, A, 1); grad = (G + G.T) @ U
Each measurement prints one JSON line {peer, case, optimizer, ms_per_step, threads, ..., numpy,
malloc, ...}: the best of 5 rounds of medians over blocks of steps after a warm-up.

Usage: python3 bench/peers/train_numpy.py [--threads N] [--case deep3_completion|psd_sensing]
                                          [--budget SECONDS] [--plain-malloc]
  --threads N sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS before numpy is
  imported; without it numpy's BLAS uses its default (all cores unless the environment says
  otherwise) and `threads` reports "default (<cores>)".
  The script re-executes itself with glibc malloc tuned (MALLOC_TRIM_THRESHOLD_ = 256 MiB,
  MALLOC_MMAP_THRESHOLD_ = 32 MiB) unless --plain-malloc; recorded under "malloc".

The command line, the timing method and why malloc is tuned: peer_harness.py (next to this file).
"""
import os

import peer_harness as harness
from peer_harness import ms_per_step

args = harness.setup()  # before numpy is imported: may re-exec; sets the BLAS thread variables

try:
    import numpy as np
except ImportError:
    harness.unavailable("numpy", "numpy not installed")


def threads_label():
    if args.threads is not None:
        return args.threads
    env = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    return int(env) if env else f"default ({os.cpu_count()})"


report = harness.reporter("numpy", np.__version__, threads_label)


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
    harness.run(args, {"deep3_completion": deep3_completion, "psd_sensing": psd_sensing})
