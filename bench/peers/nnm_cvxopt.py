"""CVXOPT peer of `npm run bench:nnm` (bench/nnm.ts): one minimum-nuclear-norm (or minimum-trace
PSD) solve of a problem file with cvxopt.solvers.sdp, timed.

Usage: /usr/bin/python3 bench/peers/nnm_cvxopt.py PROBLEM.npz [--psd] [--eps EPS] [--tol TOL]
  PROBLEM.npz   a problem file in DESIGN's format (sensing `A`, or completion `rows` / `cols`).
  --psd         minimize tr X over the PSD cone (default: ||X||_*, the general SDP).
  --eps EPS     |A(X) - y| <= EPS entrywise instead of A(X) = y (default 0).
  --tol TOL     one solve with abstol = reltol = feastol = TOL; without it, the fixtures' rule:
                the tightest of test/fixtures/make_nnm_fixtures.py's TOLERANCES (1e-10, 1e-9,
                1e-8) at which CVXOPT reports 'optimal' (each failed attempt is timed too).

The SDPs and the solve are those of test/fixtures/make_nnm_fixtures.py (psd_sdp, general_sdp,
solve, dense_tensor), imported, not copied. Needs Debian's python3-cvxopt and python3-numpy
(importable by /usr/bin/python3 only).

Prints one JSON line {peer: "cvxopt", version, status, seconds, iterations, objective,
dual_objective, gap, relative_gap, primal_infeasibility, tolerance, attempts}; `seconds` is the
wall time of the successful solve, `total_seconds` that of every attempt (SDP setup excluded).
When cvxopt does not import: {peer: "cvxopt", error} and exit 0.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "fixtures"))
try:
    import cvxopt  # noqa: F401  (imported first so that a missing cvxopt gives the JSON error line)
    import numpy as np
    import make_nnm_fixtures as fx
except (ImportError, SystemExit) as e:  # the fixtures module exits when cvxopt is missing
    print(json.dumps({"peer": "cvxopt", "error": f"{sys.executable} cannot import cvxopt ({e})"}))
    sys.exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("problem")
    ap.add_argument("--psd", action="store_true")
    ap.add_argument("--eps", type=float, default=0.0)
    ap.add_argument("--tol", type=float, default=None)
    args = ap.parse_args()
    if args.tol is not None:
        fx.TOLERANCES = (args.tol,)  # solve() reads the module's TOLERANCES: one attempt

    p = dict(np.load(args.problem))
    a, y = fx.dense_tensor(p), p["y"]
    c, gs, big, aeq, _ = (fx.psd_sdp if args.psd else fx.general_sdp)(a, y)
    t0 = time.perf_counter()
    sol, tol, seconds = fx.solve(c, gs, big, aeq, y, args.eps)
    total = time.perf_counter() - t0
    num = lambda k: None if sol[k] is None else float(sol[k])  # noqa: E731
    print(json.dumps({
        "peer": "cvxopt", "version": cvxopt.__version__, "status": sol["status"], "seconds": seconds,
        "total_seconds": total, "iterations": int(sol["iterations"]), "objective": num("primal objective"),
        "dual_objective": num("dual objective"), "gap": num("gap"), "relative_gap": num("relative gap"),
        "primal_infeasibility": num("primal infeasibility"), "tolerance": tol,
        "attempts": list(fx.TOLERANCES).index(tol) + 1,
    }))


if __name__ == "__main__":
    main()
