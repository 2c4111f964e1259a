#!/usr/bin/env python3
"""PyTorch peers of `npm run bench:train` (bench/train.ts): time per training step of an
autograd loop written as a PyTorch user would write it, float64 on the CPU.

Cases (the issue's "Speed" section):
  deep3_completion   W = W3 @ W2 @ W1 (100 x 100), 2000 observed entries of a rank-5 truth,
                     loss = ((W[rows, cols] - y) ** 2).mean(); loss.backward(); then, under
                     torch.no_grad(), in-place updates: plain GD, and GroupRMSprop (one global
                     v <- alpha v + (1 - alpha) sum ||g||^2, bias-corrected, alpha 0.99,
                     eps 1e-4).
  psd_sensing        (for reference; the issue's peer for it is numpy) X = U @ U.T, U 100 x 100,
                     symmetric sensing n = 100, m = 900, half-sse via torch.tensordot, plain GD.
Each measurement prints one JSON line {peer, case, optimizer, ms_per_step, threads, ..., torch,
malloc, ...}: the best of 5 rounds of medians over blocks of steps after a warm-up.

Usage: /usr/bin/python3 bench/peers/train_torch.py [--threads N] [--case ...] [--budget S]
                                                   [--plain-malloc]
  Without --threads, torch keeps its default intra-op thread count (torch.get_num_threads());
  with it, torch.set_num_threads(N) and OPENBLAS_NUM_THREADS / OMP_NUM_THREADS = N (Debian's
  torch calls OpenBLAS for matmul, whose own thread pool ignores set_num_threads). `threads`
  reports torch.get_num_threads(), with the BLAS setting when it was forced.
  Like train_numpy.py, the script re-executes itself with glibc malloc tuned unless
  --plain-malloc; recorded under "malloc".

The command line, the timing method and why malloc is tuned: peer_harness.py (next to this file).
"""
import sys

import peer_harness as harness
from peer_harness import ms_per_step

args = harness.setup()  # before torch is imported: may re-exec; sets the BLAS thread variables

try:
    import torch
except ImportError as e:
    harness.unavailable("torch", f"torch not importable by {sys.executable}: {e}")

if args.threads is not None:
    torch.set_num_threads(args.threads)
torch.manual_seed(0)
DT = torch.float64


def threads_label():
    t = torch.get_num_threads()
    return t if args.threads is not None else f"default ({t})"


report = harness.reporter("torch", torch.__version__, threads_label)


def deep3_completion(budget):
    n, r, m, depth = 100, 5, 2000, 3
    U, V = torch.randn(n, r, dtype=DT), torch.randn(n, r, dtype=DT)
    X_star = U @ V.T / r ** 0.5
    X_star *= n / torch.linalg.norm(X_star)
    idx = torch.randperm(n * n)[:m]
    rows, cols = idx // n, idx % n
    y = X_star[rows, cols]
    s = 1e-3 ** (1 / depth) / n ** 0.5
    init = [torch.randn(n, n, dtype=DT) * s for _ in range(depth)]

    for optimizer, lr in (("gd", 1e-2), ("grouprmsprop", 1e-3)):
        W1, W2, W3 = (w.clone().requires_grad_(True) for w in init)
        params = [W1, W2, W3]
        alpha, eps = 0.99, 1e-4
        state = {"v": torch.zeros((), dtype=DT), "t": 0}

        def step():
            W = W3 @ W2 @ W1
            loss = ((W[rows, cols] - y) ** 2).mean()
            loss.backward()
            with torch.no_grad():
                if optimizer == "gd":
                    for p in params:
                        p -= lr * p.grad
                else:
                    state["t"] += 1
                    state["v"] = alpha * state["v"] + (1 - alpha) * sum((p.grad ** 2).sum() for p in params)
                    v_hat = state["v"] / (1 - alpha ** state["t"])
                    step_size = lr / (v_hat.sqrt() + eps)
                    for p in params:
                        p -= step_size * p.grad
                for p in params:
                    p.grad = None

        ms, steps = ms_per_step(step, budget)
        finite = all(bool(torch.isfinite(p).all()) for p in params)
        report("deep3_completion", optimizer, ms, steps, finite, n=n, m=m, depth=depth)


def psd_sensing(budget):
    n, r, m = 100, 5, 900
    B = torch.randn(m, n, n, dtype=DT)
    A = (B + B.transpose(1, 2)) / 2
    del B
    Z = torch.randn(n, r, dtype=DT)
    X_star = Z @ Z.T
    X_star /= torch.linalg.norm(X_star)
    y = torch.tensordot(A, X_star, 2)
    lr = 1e-5
    U = (torch.randn(n, n, dtype=DT) * (1e-3 ** 0.5 / n ** 0.5)).requires_grad_(True)

    def step():
        X = U @ U.T
        loss = 0.5 * ((torch.tensordot(A, X, 2) - y) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            U.sub_(lr * U.grad)
            U.grad = None

    ms, steps = ms_per_step(step, budget)
    report("psd_sensing", "gd", ms, steps, bool(torch.isfinite(U).all()), n=n, m=m)


if __name__ == "__main__":
    harness.run(args, {"deep3_completion": deep3_completion, "psd_sensing": psd_sensing})
