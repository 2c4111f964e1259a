"""What the training-step peers of `npm run bench:train` (bench/train.ts), train_numpy.py and
train_torch.py, share: their command line, the glibc malloc setting, the timing and the JSON
line. Imported from the scripts' own directory (Python puts a script's directory first on
sys.path), so it needs no install; it imports only the standard library, so that nothing is
loaded before the thread variables are set.

Command line: [--threads N] [--case deep3_completion|psd_sensing]... [--budget SECONDS]
[--plain-malloc]. --threads N sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS
(before the peer imports its library; what else it does is the peer's); --case, repeatable,
picks the cases (default: all); --budget is the seconds of timing per measurement (default 1.5).

Timing (ms_per_step): a warm-up of 0.3 s (at least 3 steps), then a block size chosen so that
a block of steps takes ~20 ms, then 5 rounds, each of budget/5 seconds and at least 5 blocks;
a round's figure is the median ms per step over its blocks, and the measurement is the best of
the 5 rounds' medians, so that a burst of load from another process does not decide it.

glibc malloc: every step allocates a few 80 KB temporaries, and depending on the heap's state
glibc may hand the top of the heap back to the system after each free and fault it in again
at the next allocation (~250 page faults a step), which doubles numpy's time per step on
deep3_completion in some runs and not in others. So that a peer is measured at its best,
reproducibly, setup() re-executes the script with MALLOC_TRIM_THRESHOLD_ = 256 MiB and
MALLOC_MMAP_THRESHOLD_ = 32 MiB unless they are already set (--plain-malloc: don't); the JSON
line records the setting under "malloc" ("glibc defaults" when neither is set).

Each measurement prints one JSON line {peer, case, optimizer, ms_per_step, threads,
steps_timed, finite, <peer>: <its version>, malloc, ...case parameters}; bench/train.ts reads
these lines, and a line {peer, error} when the peer's library does not import.
"""
import argparse
import json
import os
import sys
import time

CASES = ("deep3_completion", "psd_sensing")
MALLOC_ENV = {"MALLOC_TRIM_THRESHOLD_": "268435456", "MALLOC_MMAP_THRESHOLD_": "33554432"}


def setup():
    """Re-execute under the tuned malloc unless --plain-malloc or already set, parse the command
    line, and with --threads N set the BLAS / OpenMP thread variables. Returns the arguments."""
    if "--plain-malloc" not in sys.argv and any(k not in os.environ for k in MALLOC_ENV):
        for k, v in MALLOC_ENV.items():
            os.environ.setdefault(k, v)
        os.execv(sys.executable, [sys.executable] + sys.argv)

    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--case", choices=list(CASES), action="append")
    parser.add_argument("--budget", type=float, default=1.5, help="seconds of timing per measurement")
    parser.add_argument("--plain-malloc", action="store_true", help="leave glibc malloc's defaults alone")
    args = parser.parse_args()
    if args.threads is not None:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
    return args


def unavailable(peer, error):
    """The peer's library does not import: say so in the one JSON line and exit 0."""
    print(json.dumps({"peer": peer, "error": error}))
    sys.exit(0)


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


def reporter(peer, version, threads_label):
    """report(case, optimizer, ms, steps, finite, **extra) printing the peer's JSON line; the
    library's version goes under the key `peer` ("numpy", "torch"), `threads` is threads_label()."""
    def report(case, optimizer, ms, steps, finite, **extra):
        print(json.dumps({
            "peer": peer, "case": case, "optimizer": optimizer, "ms_per_step": ms,
            "threads": threads_label(), "steps_timed": steps, "finite": bool(finite),
            peer: version, "malloc": malloc_label(), **extra,
        }), flush=True)
    return report


def run(args, cases):
    """Run the cases picked by --case (all, in CASES order, by default); cases maps name -> fn(budget)."""
    for case in args.case or CASES:
        cases[case](args.budget)
