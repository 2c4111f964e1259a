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
Each measurement prints one JSON line {peer, case, optimizer, ms_per_step, threads, ...}: the
median over repeated blocks of steps after a warm-up (best of 5 rounds of medians).

Usage: /usr/bin/python3 bench/peers/train_torch.py [--threads N] [--case ...] [--budget S]
                                                   [--plain-malloc]
  Without --threads, torch keeps its default intra-op thread count (torch.get_num_threads());
  with it, torch.set_num_threads(N) and OPENBLAS_NUM_THREADS / OMP_NUM_THREADS = N (Debian's
  torch calls OpenBLAS for matmul, whose own thread pool ignores set_num_threads). `threads`
  reports torch.get_num_threads(), with the BLAS setting when it was forced.
  Like train_numpy.py, the script re-executes itself with MALLOC_TRIM_THRESHOLD_ = 256 MiB and
  MALLOC_MMAP_THRESHOLD_ = 32 MiB unless set (--plain-malloc: don't), so that glibc does not
  fault the heap top back in at every step; the JSON line records it under "malloc".
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
    import torch
except ImportError as e:
    print(json.dumps({"peer": "torch", "error": f"torch not importable by {sys.executable}: {e}"}))
    sys.exit(0)

if args.threads is not None:
    torch.set_num_threads(args.threads)
torch.manual_seed(0)
DT = torch.float64


def malloc_label():
    return " ".join(f"{k}={os.environ[k]}" for k in MALLOC_ENV if k in os.environ) or "glibc defaults"


def threads_label():
    t = torch.get_num_threads()
    return t if args.threads is not None else f"default ({t})"


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
        "peer": "torch", "case": case, "optimizer": optimizer, "ms_per_step": ms,
        "threads": threads_label(), "steps_timed": steps, "finite": bool(finite),
        "torch": torch.__version__, "malloc": malloc_label(), **extra,
    }), flush=True)


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
    for case in args.case or ["deep3_completion", "psd_sensing"]:
        {"deep3_completion": deep3_completion, "psd_sensing": psd_sensing}[case](args.budget)
