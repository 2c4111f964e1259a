#!/usr/bin/env python3
"""SciPy peer of `npm run bench:flow` (bench/flow.ts): the gradient flow of X = U U^T (U n x n,
loss half-sse) on a completion problem, followed with scipy.integrate.solve_ivp.

The ODE, written vectorized in numpy:
    dU/dt = -grad_U (1/2) ||A(U U^T) - y||^2 = -(G + G^T) U,
    r = rowsum(U[rows] * U[cols]) - y,   G = A*(r) (r scattered to (rows, cols), n x n dense).
G is formed with np.bincount on the flat positions rows * n + cols (a scatter-add, the same as
np.add.at, and several times faster than it at these sizes).

Usage: python3 bench/peers/flow_scipy.py IN.npz OUT.npz --t-end T --rtol R --atol A
                                         [--method RK45 --method DOP853] [--repeats N]
  IN.npz    a problem file in DESIGN's format (completion: shape, rows, cols, y) plus U0, the
            n x n initial factor, as written by bench/flow.ts.
  OUT.npz   written here: X_<method> = U(T) U(T)^T for each method (np.savez).
Each method is run --repeats times (default 3) from U0 over [0, T] (one solve_ivp call, its
default first step and no max_step) and keeps its fastest wall time (the machine may be
shared); problem loading and the scatter's index set-up are outside the timing.

Prints one JSON line per method {peer: "scipy", method, seconds, nfev, steps, status, message,
success, scipy, numpy, threads, repeats}; `steps` is the number of accepted steps (len(sol.t) - 1).
When SciPy does not import: one line {peer: "scipy", error} and exit 0.
"""
import argparse
import json
import os
import sys
import time

try:
    import numpy as np
    import scipy
    from scipy.integrate import solve_ivp
except ImportError as e:
    print(json.dumps({"peer": "scipy", "error": f"{sys.executable} cannot import numpy and scipy ({e}); pip install scipy, or apt-get install python3-scipy"}))
    sys.exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("problem")
    ap.add_argument("out")
    ap.add_argument("--t-end", type=float, required=True)
    ap.add_argument("--rtol", type=float, required=True)
    ap.add_argument("--atol", type=float, required=True)
    ap.add_argument("--method", action="append", choices=["RK45", "DOP853"])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    p = np.load(args.problem)
    n1, n2 = (int(v) for v in p["shape"])
    if n1 != n2 or "rows" not in p:
        raise SystemExit(f"{args.problem}: expected a square completion problem")
    n = n1
    rows, cols, y = p["rows"].astype(np.intp), p["cols"].astype(np.intp), p["y"].astype(np.float64)
    u0 = p["U0"].astype(np.float64)
    if u0.shape != (n, n):
        raise SystemExit(f"{args.problem}: expected U0 of shape ({n}, {n}), got {u0.shape}")
    flat = rows * n + cols
    nn = n * n

    def rhs(_t, u_flat):
        u = u_flat.reshape(n, n)
        r = np.einsum("ij,ij->i", u[rows], u[cols]) - y
        g = np.bincount(flat, weights=r, minlength=nn).reshape(n, n)
        return -((g + g.T) @ u).ravel()

    out = {}
    threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or f"default ({os.cpu_count()})"
    for method in args.method or ["RK45", "DOP853"]:
        best = None
        for _ in range(max(1, args.repeats)):
            t0 = time.perf_counter()
            sol = solve_ivp(rhs, (0.0, args.t_end), u0.ravel(), method=method, rtol=args.rtol, atol=args.atol)
            seconds = time.perf_counter() - t0
            if best is None or seconds < best[0]:
                best = (seconds, sol)
        seconds, sol = best
        u = sol.y[:, -1].reshape(n, n)
        out[f"X_{method}"] = u @ u.T
        print(json.dumps({
            "peer": "scipy", "method": method, "seconds": seconds, "nfev": int(sol.nfev), "steps": len(sol.t) - 1,
            "t_end": float(sol.t[-1]), "status": int(sol.status), "message": str(sol.message), "success": bool(sol.success),
            "scipy": scipy.__version__, "numpy": np.__version__, "threads": threads, "repeats": args.repeats,
        }), flush=True)
    np.savez(args.out, **out)


if __name__ == "__main__":
    main()
