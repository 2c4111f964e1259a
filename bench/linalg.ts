/**
 * `npm run bench:linalg`: the js and native backends side by side on the kernels
 * the training loops lean on, against numpy on the same machine.
 *
 * For every row: median wall time over repeated calls after a warm-up, GFLOP/s
 * where the flop count is unambiguous (gemm 2mnk, gemv 2mn; syevd and gesdd are
 * reported in ms only: their flop counts depend on the algorithm), the BLAS
 * thread count the native backend used, and the native time against numpy's.
 * numpy is re-measured here with bench/peers/linalg_numpy.py when python3 with
 * numpy is available; the reference figures below were measured on the
 * 2-core development machine with numpy 2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/linalg/backend.js';
import type { Mat } from '../src/linalg/mat.js';
import { autoThreads } from '../src/linalg/native/backend.js';
import { getBackend, nativeStatus } from '../src/linalg/select.js';

/** numpy 2 on the development machine (2-core AMD EPYC), median ms. */
const NUMPY_REFERENCE: Record<string, number> = {
  'gemm:100': 0.037,
  'gemm:1000': 21,
  'syevd:300': 8.4,
  'gesdd:300': 16.6,
};

interface Case {
  key: string;
  op: string;
  size: string;
  /** Flops per call, or undefined when we print ms only. */
  flops?: number;
  /** The native "auto" thread count for this shape, given the maximum. */
  autoThreads(max: number): number;
  /** Builds the inputs once and returns the timed call. */
  prepare(b: Backend): () => void;
}

function randomMat(rows: number, cols: number, seed: number): Mat {
  let s = seed >>> 0 || 1;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { rows, cols, data };
}

function symmetric(n: number, seed: number): Mat {
  const r = randomMat(n, n, seed);
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = r.data[i * n + j] + r.data[j * n + i];
  return { rows: n, cols: n, data };
}

const cases: Case[] = [];
for (const n of [64, 100, 256, 1000]) {
  cases.push({
    key: `gemm:${n}`,
    op: 'gemm',
    size: `${n}x${n}x${n}`,
    flops: 2 * n ** 3,
    autoThreads: (max) => autoThreads.gemm(n, n, n, max),
    prepare(b) {
      const a = randomMat(n, n, 1), x = randomMat(n, n, 2), c = randomMat(n, n, 3);
      return () => void b.gemm(false, false, 1, a, x, 0, c);
    },
  });
}
for (const trans of [false, true]) {
  const [m, n] = [900, 10000];
  cases.push({
    key: `gemv:${m}x${n}:${trans ? 'T' : 'N'}`,
    op: trans ? 'gemv (A^T x)' : 'gemv (A x)',
    size: `${m}x${n}`,
    flops: 2 * m * n,
    autoThreads: (max) => autoThreads.gemv(m, n, max),
    prepare(b) {
      const a = randomMat(m, n, 4);
      const x = randomMat(trans ? m : n, 1, 5).data;
      const y = new Float64Array(trans ? n : m);
      return () => void b.gemv(trans, 1, a, x, 0, y);
    },
  });
}
for (const n of [100, 300]) {
  cases.push({
    key: `syevd:${n}`,
    op: 'syevd (values + vectors)',
    size: `${n}x${n}`,
    autoThreads: (max) => autoThreads.syevd(n, max),
    prepare(b) {
      const a = symmetric(n, 6);
      return () => void b.syevd(a);
    },
  });
}
for (const n of [100, 300]) {
  cases.push({
    key: `gesdd:${n}`,
    op: 'gesdd (thin U, s, V)',
    size: `${n}x${n}`,
    autoThreads: (max) => autoThreads.gesdd(n, n, max),
    prepare(b) {
      const a = randomMat(n, n, 7);
      return () => void b.gesdd(a);
    },
  });
}

/**
 * Median ms of `fn` per round after a warm-up (each round at least `minReps` calls, more while
 * within its share of `budgetMs`); the best of `rounds` round medians is reported, so that a
 * burst of load from another process on a shared machine does not decide the figure.
 */
function medianMs(fn: () => void, budgetMs = 1000, minReps = 5, rounds = 3, maxReps = 5000): { ms: number; reps: number } {
  fn();
  const warmEnd = performance.now() + 50;
  while (performance.now() < warmEnd) fn();
  let best = Infinity;
  let reps = 0;
  for (let r = 0; r < rounds; r++) {
    const times: number[] = [];
    const start = performance.now();
    while (times.length < minReps || (performance.now() - start < budgetMs / rounds && times.length < maxReps)) {
      const t0 = performance.now();
      fn();
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    const mid = times.length >> 1;
    best = Math.min(best, times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2);
    reps += times.length;
  }
  return { ms: best, reps };
}

function numpyHere(): Record<string, number> | string {
  const script = fileURLToPath(new URL('../../bench/peers/linalg_numpy.py', import.meta.url));
  if (!existsSync(script)) return 'bench/peers/linalg_numpy.py not found';
  const r = spawnSync('python3', [script], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) return `python3 unavailable (${r.error.message.split('\n')[0]})`;
  if (r.status !== 0) return `linalg_numpy.py exited ${r.status}: ${(r.stderr || '').trim().split('\n').pop()}`;
  try {
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, number | string>;
    if (typeof out.error === 'string') return out.error;
    const times: Record<string, number> = {};
    for (const [k, v] of Object.entries(out)) if (typeof v === 'number') times[k] = v;
    console.log(`numpy ${String(out.numpy)} re-measured here.`);
    return times;
  } catch {
    return 'linalg_numpy.py printed no JSON';
  }
}

const fmt = (v: number | undefined, digits = 3): string =>
  v === undefined || !Number.isFinite(v) ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(digits);

function main(): void {
  const backends: { label: string; b: Backend }[] = [{ label: 'js', b: getBackend('js') }];
  const status = nativeStatus();
  const notes: string[] = [];
  if (status.available) backends.push({ label: 'native', b: getBackend('native') });
  else notes.push(`native backend unavailable: ${status.reason}`);

  const native = backends.find((x) => x.label === 'native')?.b;
  const info = native?.info();
  if (info) console.log(`native: ${info.blas}; threads ${String(info.threads)}, max ${info.maxThreads}`);
  const skipNumpy = process.argv.includes('--no-numpy');
  const numpy = skipNumpy ? 'skipped (--no-numpy)' : numpyHere();
  if (typeof numpy === 'string') notes.push(`numpy not re-measured here: ${numpy}`);

  const header = [
    'op', 'size', 'backend', 'threads', 'median ms', 'GFLOP/s', 'reps',
    'other thread count: ms', 'numpy ref ms', 'numpy here ms', 'numpy ms / native ms',
  ];
  const rows: string[][] = [];
  for (const c of cases) {
    for (const { label, b } of backends) {
      let timed: () => void;
      try {
        timed = c.prepare(b);
        timed();
      } catch (e) {
        const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
        notes.push(`${label} ${c.op} ${c.size} skipped: ${why}`);
        rows.push([c.op, c.size, label, '—', 'skipped', '—', '—', '—', '—', '—', '—']);
        continue;
      }
      let threads = '1';
      let other = '—';
      if (label === 'native' && info) {
        const fixed = b.info().threads;
        const used = fixed === 'auto' ? c.autoThreads(info.maxThreads) : fixed;
        threads = fixed === 'auto' ? `${used} (auto)` : String(used);
        if (fixed === 'auto' && info.maxThreads > 1) {
          // The rule's road not taken, measured right here: evidence for (or against) it.
          const alt = used === 1 ? info.maxThreads : 1;
          b.setThreads(alt);
          other = `${fmt(medianMs(timed, 750).ms)} (${alt}T)`;
          b.setThreads('auto');
        }
      }
      const slow = label === 'js' && (c.flops ?? 0) > 1e9;
      const { ms, reps } = medianMs(timed, slow ? 3000 : 1500, slow ? 3 : 5);
      const ref = NUMPY_REFERENCE[c.key];
      const here = typeof numpy === 'string' ? undefined : numpy[c.key];
      const base = here ?? ref;
      rows.push([
        c.op, c.size, label, threads, fmt(ms), c.flops ? fmt(c.flops / ms / 1e6) : '—', String(reps), other,
        fmt(ref), fmt(here), label === 'native' && base !== undefined ? `${fmt(base / ms, 2)}x` : '—',
      ]);
    }
  }

  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((x, i) => x.padEnd(width[i])).join(' | ')} |`;
  console.log('');
  console.log(line(header));
  console.log(`| ${width.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const r of rows) console.log(line(r));
  console.log('');
  console.log('GFLOP/s: gemm 2n^3, gemv 2mn per call; syevd/gesdd in ms only (flop counts depend on the algorithm).');
  console.log('median ms: the median of each round of calls, best of 3 rounds (the bench machine may be shared).');
  console.log('numpy ms / native ms > 1: native is faster (against numpy re-measured here when available, else the reference).');
  console.log('"other thread count": the native call re-timed with the thread count the auto rule did not pick.');
  for (const n of notes) console.log(`note: ${n}`);
}

main();
