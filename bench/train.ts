/**
 * `npm run bench:train`: implab's time per training step on the issue's two speed cases,
 * side by side with the numpy and PyTorch peers in bench/peers/, and whether the issue's
 * targets are met.
 *
 *   (a) deep3_completion: W = W3 W2 W1, 100 x 100, rank-5 truth, 2000 observed entries
 *       (uniform), loss mse, plain GD and GroupRMSprop. Peer: a PyTorch autograd loop
 *       (bench/peers/train_torch.py). Target: implab <= 0.5 x PyTorch.
 *   (b) psd_sensing: X = U U^T, U 100 x 100, symmetric sensing n = 100, m = 900, loss
 *       half-sse, plain GD. Peer: numpy with A as an m x n x n array
 *       (bench/peers/train_numpy.py). Target: implab <= 2/3 x numpy.
 *
 * implab is timed through the library (createModel, createOptimizer, the generators of
 * src/problems) on the native backend, and on js for reference, two ways:
 *   step   one lossAndGradient + optimizer.update, the median over blocks of steps after a
 *          warm-up (best of 5 rounds of medians: the machine may be shared);
 *   loop   the training loop train() (src/train/loop.ts) for a fixed number of updates,
 *          logging only at the first and last step: trainSeconds / updates, the fastest of
 *          3 runs. This is what `implab train` pays per step, and it is the figure held to
 *          the targets.
 * The peers are re-run here (numpy with python3 when it has numpy; PyTorch with
 * /usr/bin/python3, Debian's python3-torch, or python3, whichever imports torch), each at its
 * default thread count and at 1 thread, and with glibc's default malloc settings as well as
 * the peers' own tuned ones (see the peers' docstrings). implab native runs with its "auto"
 * thread rule and at 1 thread. The target ratios compare each side's FASTEST configuration
 * measured here (for implab, of the loop figure). They are also given against the figures
 * the issue quotes (measured on the development machine).
 *
 * Everything is measured in `--passes` rounds (default 2; implab, then the peers, then again) and
 * each configuration keeps its fastest pass, so that a burst of work from another process on a
 * shared machine rarely decides a figure.
 *
 * Options: --no-peers, --no-torch, --no-js, --budget SECONDS (per measurement, default 1.5),
 * --passes N (default 2).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../src/linalg/backend.js';
import { type Mat, zeros } from '../src/linalg/mat.js';
import { getBackend, nativeStatus } from '../src/linalg/select.js';
import { createModel } from '../src/models/create.js';
import type { LossKind, Model, ModelSpec } from '../src/models/model.js';
import { createOptimizer, type OptimizerSpec } from '../src/optim/create.js';
import { completion, sensing } from '../src/problems/generate.js';
import type { Problem } from '../src/problems/problem.js';
import { Random } from '../src/rng/random.js';
import { train } from '../src/train/loop.js';
import { printTable } from './markdown.js';

/** The issue's figures, measured on the development machine (ms per step). */
const ISSUE = {
  'deep3_completion:gd': { peer: 'torch', ms: 0.38 },
  'deep3_completion:grouprmsprop': { peer: 'torch', ms: 0.56 },
  'psd_sensing:gd': { peer: 'numpy', ms: 3.9 },
} as const;
/** implab's time per step at most this fraction of the peer's. */
const TARGET: Record<string, number> = { deep3_completion: 0.5, psd_sensing: 2 / 3 };

type CaseName = 'deep3_completion' | 'psd_sensing';
interface Case {
  name: CaseName;
  optimizer: OptimizerSpec;
  loss: LossKind;
  model: ModelSpec;
  /** Gaussian init, the Arora convention: s = scale^(1/N) / sqrt(n). */
  initScale: number;
  initDepth: number;
  problem(be: Backend): Problem;
}

const deepProblem = (be: Backend): Problem => completion({ n1: 100, n2: 100, m: 2000, rank: 5, seed: 1, backend: be });
const psdProblem = (be: Backend): Problem =>
  sensing({ n1: 100, n2: 100, m: 900, rank: 5, truth: 'psd', symmetric: true, scale: 'arora', seed: 1, backend: be });

const CASES: Case[] = [
  { name: 'deep3_completion', optimizer: { name: 'gd', lr: 1e-2 }, loss: 'mse', model: { kind: 'deep', depth: 3 }, initScale: 1e-3, initDepth: 3, problem: deepProblem },
  { name: 'deep3_completion', optimizer: { name: 'grouprmsprop', lr: 1e-3 }, loss: 'mse', model: { kind: 'deep', depth: 3 }, initScale: 1e-3, initDepth: 3, problem: deepProblem },
  { name: 'psd_sensing', optimizer: { name: 'gd', lr: 1e-3 }, loss: 'half-sse', model: { kind: 'psd', width: 100 }, initScale: 1e-3, initDepth: 2, problem: psdProblem },
];

function gaussianInit(model: Model, scale: number, depth: number, seed: number): Mat[] {
  const rng = Random.fromSeed(seed);
  const s = scale ** (1 / depth) / Math.sqrt(Math.max(model.n1, model.n2));
  return model.factorShapes.map(([r, c]) => {
    const m = zeros(r, c);
    for (let i = 0; i < m.data.length; i++) m.data[i] = s * rng.normal();
    return m;
  });
}

/** Median ms per step over blocks of steps (each ~20 ms) after a warm-up; the best of 5 round medians. */
function msPerStep(step: () => void, budgetMs: number): { ms: number; steps: number } {
  const warmEnd = performance.now() + 300;
  let calls = 0;
  while (performance.now() < warmEnd || calls < 3) {
    step();
    calls++;
  }
  let t0 = performance.now();
  for (let i = 0; i < 5; i++) step();
  const per = (performance.now() - t0) / 5;
  const block = Math.max(1, Math.floor(20 / Math.max(per, 1e-6)));
  let best = Infinity;
  let steps = 0;
  const rounds = 5;
  for (let round = 0; round < rounds; round++) {
    const times: number[] = [];
    const start = performance.now();
    while (times.length < 5 || performance.now() - start < budgetMs / rounds) {
      t0 = performance.now();
      for (let i = 0; i < block; i++) step();
      times.push((performance.now() - t0) / block);
      steps += block;
    }
    times.sort((a, b) => a - b);
    const mid = times.length >> 1;
    best = Math.min(best, times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2);
  }
  return { ms: best, steps };
}

interface ImplabRow {
  caseName: CaseName;
  optimizer: string;
  backend: string;
  threads: string;
  stepMs: number;
  loopMs: number;
  finite: boolean;
}

function timeImplab(c: Case, be: Backend, threads: string, budgetMs: number): ImplabRow {
  const problem = c.problem(be);
  const model = createModel(c.model, problem, c.loss, be);
  const optimizer = createOptimizer(c.optimizer);

  // step: the bare training step, as the loop runs it.
  const params = gaussianInit(model, c.initScale, c.initDepth, 7);
  const grads = model.factorShapes.map(([r, cols]) => zeros(r, cols));
  const state = optimizer.init(params);
  const step = (): void => {
    model.lossAndGradient(params, grads);
    optimizer.update(params, grads, state);
    model.project(params);
  };
  const { ms: stepMs, steps } = msPerStep(step, budgetMs);
  const finite = params.every((p) => p.data.every(Number.isFinite));

  // loop: train() from a fresh start for about a third of the updates the step timing took
  // (at least 200), three times; the fastest run's trainSeconds per update.
  const updates = Math.max(200, Math.min(20_000, Math.round(steps / 3)));
  let loopMs = Infinity;
  let loopOk = true;
  for (let run = 0; run < 3; run++) {
    const loopParams = gaussianInit(model, c.initScale, c.initDepth, 7);
    const res = train({ model, optimizer, problem, params: loopParams, config: { maxIters: updates, logEvery: updates, keepHistory: false }, backend: be });
    if (res.status !== 'max_iters') loopOk = false;
    loopMs = Math.min(loopMs, (res.trainSeconds * 1e3) / updates);
  }
  return { caseName: c.name, optimizer: c.optimizer.name, backend: be.name, threads, stepMs, loopMs: loopOk ? loopMs : NaN, finite: finite && loopOk };
}

interface PeerRow {
  peer: 'numpy' | 'torch';
  case: CaseName;
  optimizer: string;
  ms_per_step: number;
  threads: number | string;
  malloc?: string;
  finite?: boolean;
  numpy?: string;
  torch?: string;
}

const peerScript = (name: string): string => fileURLToPath(new URL(`../../bench/peers/${name}`, import.meta.url));

function runPeer(python: string, script: string, args: string[]): PeerRow[] | string {
  if (!existsSync(script)) return `${script} not found`;
  const r = spawnSync(python, [script, ...args], { encoding: 'utf8', timeout: 600_000 });
  if (r.error) return `${python} unavailable (${r.error.message.split('\n')[0]})`;
  if (r.status !== 0) return `${script} exited ${r.status}: ${(r.stderr || '').trim().split('\n').pop() ?? ''}`;
  const rows: PeerRow[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    const j = JSON.parse(line) as PeerRow & { error?: string };
    if (j.error) return j.error;
    rows.push(j);
  }
  return rows.length ? rows : `${script} printed no measurement`;
}

function pythonWith(module: string, candidates: string[]): string | null {
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 60_000 });
    if (!r.error && r.status === 0) return py;
  }
  return null;
}

const fmt = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(3) : v.toPrecision(3);


function main(): void {
  const argv = process.argv.slice(2);
  const budgetArg = argv.indexOf('--budget');
  const budgetMs = budgetArg >= 0 ? Number(argv[budgetArg + 1]) * 1e3 : 1500;
  if (!(budgetMs > 0)) throw new Error('--budget: expected a positive number of seconds');
  const notes: string[] = [];

  // implab
  const backends: { be: Backend; threads: (number | 'auto')[] }[] = [];
  const status = nativeStatus();
  if (status.available) {
    const nb = getBackend('native');
    const max = nb.info().maxThreads;
    backends.push({ be: nb, threads: max > 1 ? ['auto', 1] : ['auto'] });
    console.log(`native: ${nb.info().blas}; max threads ${max}`);
  } else notes.push(`native backend unavailable: ${status.reason}`);
  if (!argv.includes('--no-js')) backends.push({ be: getBackend('js'), threads: ['auto'] });

  // Measurements are taken in `passes` rounds (implab, then the peers, then again), and each
  // configuration keeps its fastest pass: on a shared machine another process's burst of
  // work can slow one pass of anything by 2x or more, rarely all of them.
  const passArg = argv.indexOf('--passes');
  const passes = passArg >= 0 ? Number(argv[passArg + 1]) : 2;
  if (!Number.isInteger(passes) || passes < 1) throw new Error('--passes: expected a positive integer');
  const implab: ImplabRow[] = [];
  const peers: PeerRow[] = [];
  const keepFastest = <T>(list: T[], row: T, same: (a: T, b: T) => boolean, ms: (a: T) => number): void => {
    const i = list.findIndex((x) => same(x, row));
    if (i < 0) list.push(row);
    else if (ms(row) < ms(list[i])) list[i] = row;
  };
  const sameImplab = (a: ImplabRow, b: ImplabRow): boolean =>
    a.caseName === b.caseName && a.optimizer === b.optimizer && a.backend === b.backend && a.threads === b.threads;
  const samePeer = (a: PeerRow, b: PeerRow): boolean =>
    a.peer === b.peer && a.case === b.case && a.optimizer === b.optimizer && a.threads === b.threads && a.malloc === b.malloc;
  const budget = String(budgetMs / 1e3);
  const numpyPy = argv.includes('--no-peers') ? null : pythonWith('numpy', ['python3']);
  const torchPy = argv.includes('--no-peers') || argv.includes('--no-torch') ? null : pythonWith('torch', ['/usr/bin/python3', 'python3']);
  if (!argv.includes('--no-peers')) {
    if (!numpyPy) notes.push('numpy peer not run: python3 with numpy not found');
    if (!torchPy && !argv.includes('--no-torch')) {
      notes.push('PyTorch peer not run: neither /usr/bin/python3 nor python3 imports torch (apt-get install python3-torch)');
    }
  }
  const failed = new Set<string>();
  for (let pass = 0; pass < passes; pass++) {
    for (const { be, threads } of backends) {
      for (const t of threads) {
        be.setThreads(t);
        for (const c of CASES) {
          const what = `implab ${be.name} ${c.name} ${c.optimizer.name}`;
          if (failed.has(what)) continue;
          try {
            const row = timeImplab(c, be, be.name === 'js' ? '1' : String(t), be.name === 'js' ? budgetMs / 2 : budgetMs);
            keepFastest(implab, row, sameImplab, (r) => (Number.isFinite(r.loopMs) ? r.loopMs : r.stepMs));
          } catch (e) {
            failed.add(what);
            notes.push(`${what} failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
          }
        }
        be.setThreads('auto');
      }
    }
    const peerRuns: [string | null, string, string, string[]][] = [];
    for (const extra of [[], ['--threads', '1'], ['--plain-malloc']]) {
      peerRuns.push([numpyPy, 'numpy', 'train_numpy.py', extra]);
      peerRuns.push([torchPy, 'torch', 'train_torch.py', ['--case', 'deep3_completion', ...extra]]);
    }
    for (const [py, label, script, extra] of peerRuns) {
      if (!py || failed.has(`${label} ${extra.join(' ')}`)) continue;
      const r = runPeer(py, peerScript(script), ['--budget', budget, ...extra]);
      if (typeof r === 'string') {
        failed.add(`${label} ${extra.join(' ')}`);
        notes.push(`${label} peer ${extra.join(' ')}: ${r}`);
      } else for (const row of r) keepFastest(peers, row, samePeer, (x) => x.ms_per_step);
    }
  }

  // every measurement
  console.log('');
  console.log('All measurements (ms per step; implab: step = lossAndGradient + update, loop = train() per update):');
  console.log('');
  const rows: string[][] = [];
  for (const c of CASES) {
    const key = (r: { caseName?: string; case?: string; optimizer: string }): boolean => (r.caseName ?? r.case) === c.name && r.optimizer === c.optimizer.name;
    for (const r of implab.filter(key)) {
      rows.push([c.name, c.optimizer.name, `implab ${r.backend}`, r.threads, fmt(r.stepMs), fmt(r.loopMs), r.finite ? '' : 'non-finite!']);
    }
    for (const p of peers.filter(key)) {
      const malloc = p.malloc === 'glibc defaults' ? 'glibc malloc defaults' : 'malloc tuned';
      rows.push([c.name, c.optimizer.name, `${p.peer} ${p.peer === 'numpy' ? (p.numpy ?? '') : (p.torch ?? '')}`, String(p.threads), fmt(p.ms_per_step), '—', `${malloc}${p.finite === false ? ', non-finite!' : ''}`]);
    }
  }
  printTable(['case', 'optimizer', 'who', 'threads', 'step ms', 'loop ms', 'note'], rows);

  // the targets
  console.log('');
  console.log('Targets (each side at its fastest configuration measured here: implab native loop ms over thread settings; peer over threads and malloc settings):');
  console.log('');
  const trows: string[][] = [];
  for (const c of CASES) {
    const k = `${c.name}:${c.optimizer.name}` as keyof typeof ISSUE;
    const issue = ISSUE[k];
    const target = TARGET[c.name];
    const msOf = (r: ImplabRow): number => (Number.isFinite(r.loopMs) ? r.loopMs : r.stepMs);
    const mine = implab
      .filter((r) => r.caseName === c.name && r.optimizer === c.optimizer.name && r.backend === 'native')
      .reduce<ImplabRow | undefined>((b, r) => (!b || msOf(r) < msOf(b) ? r : b), undefined);
    const ours = mine ? msOf(mine) : undefined;
    const cands = peers.filter((p) => p.peer === issue.peer && p.case === c.name && p.optimizer === c.optimizer.name);
    const best = cands.reduce<PeerRow | undefined>((b, p) => (!b || p.ms_per_step < b.ms_per_step ? p : b), undefined);
    const ratioHere = ours !== undefined && best ? ours / best.ms_per_step : undefined;
    const ratioIssue = ours !== undefined ? ours / issue.ms : undefined;
    const verdict = (r: number | undefined): string => (r === undefined ? '—' : r <= target ? 'yes' : 'NO');
    trows.push([
      c.name, c.optimizer.name, mine ? `${fmt(ours)} (${mine.threads} thr)` : '—', issue.peer,
      best ? `${fmt(best.ms_per_step)} (${String(best.threads)} thr${best.malloc === 'glibc defaults' ? ', glibc malloc' : ''})` : 'not run',
      ratioHere === undefined ? '—' : ratioHere.toFixed(2), `<= ${target.toFixed(2)}`, verdict(ratioHere),
      fmt(issue.ms), ratioIssue === undefined ? '—' : ratioIssue.toFixed(2), verdict(ratioIssue),
    ]);
  }
  printTable(['case', 'optimizer', 'implab ms', 'peer', 'peer ms here', 'implab/peer', 'target', 'met', 'issue peer ms', 'implab/issue', 'met (issue)'], trows);
  console.log('');
  console.log('step ms / loop ms: median of per-step times over blocks of steps, best of 5 rounds and of the passes; loop = train() with logging at the first and last step only.');
  console.log('peers: "malloc tuned" = MALLOC_TRIM_THRESHOLD_ 256 MiB, MALLOC_MMAP_THRESHOLD_ 32 MiB (see bench/peers/train_numpy.py); "glibc malloc defaults" = --plain-malloc.');
  for (const n of notes) console.log(`note: ${n}`);
}

main();
