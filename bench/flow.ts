/**
 * `npm run bench:flow`: following the gradient flow of X = U U^T (psd model, U n x n, loss
 * half-sse) on a symmetric PSD completion problem, from the same small start to the same
 * time T at the same tolerances, by implab's followFlow and by SciPy's solve_ivp.
 *
 * Cases (completion() of src/problems/generate.ts, symmetric, seed 1; Gaussian start of
 * initialize() at scale 1e-6, i.e. U_0 entries N(0, 1e-6 / n), seed 7):
 *   n30   n = 30, rank-2 truth, m = 300 observed entries, T = 100;
 *   n60   n = 60, rank-2 truth, m = 1000 observed entries, T = 30.
 * (m counts (i, j) and (j, i) separately, as completion() does.) rtol 1e-7, atol 1e-14.
 *
 * implab (through the library: createModel, initialize, followFlow with
 * resolveFlowSettings({ solver, form, rtol, atol, tMax: T, logPerDecade: 1 }), so records at
 * t = 0, 0.01, 0.1, ..., T and one integrator call per decade, as `implab flow` runs it):
 *   dopri5, dop853   on the factor U (form factors): the ODE SciPy solves; native backend,
 *                    and js for reference;
 *   dopri5, form x   the factorization-free flow X' = -(S X + X S) on X itself (reference);
 *   steer            Gunasekar et al.'s steering path at eta = 0.01 (reference; first order
 *                    in eta, so its X(T) differs from the flow's by O(eta), not by rtol).
 * `seconds` is the wall time of the followFlow call (records included, model set-up not).
 *
 * SciPy (bench/peers/flow_scipy.py): solve_ivp(method = 'RK45' | 'DOP853') with the same rtol
 * and atol on dU/dt = -(G + G^T) U written vectorized in numpy, from the same U_0 on the same
 * problem (written to a temporary .npz in the problem file format, plus U0); one solve_ivp
 * call over [0, T]. SciPy's RK45 is Dormand–Prince 5(4) and its DOP853 Hairer's 8(5,3), the
 * pairs of implab's dopri5 and dop853, with slightly different step-size controllers (SciPy:
 * safety 0.9, growth <= 10x, its own starting step), so step counts are close, not equal.
 * Its `steps` are the accepted steps; it does not report rejected ones, so they are derived
 * from nfev: 2 evaluations at the start (f(t0) and the starting step's) and 6 (RK45) or 12
 * (DOP853, no dense output) per attempted step (marked * in the table; ? if nfev does not fit).
 *
 * `ratio` = implab seconds / SciPy seconds of the same method (dopri5 and form x against
 * RK45, dop853 against DOP853). `rel. diff X(T)` = ||X_implab(T) - X_SciPy(T)||_F /
 * ||X_SciPy(T)||_F against SciPy's same method (steer: against DOP853): of the order of the
 * tolerance when both follow the same ODE. `ref. error` is each X(T)'s relative distance to
 * a reference solution (implab dop853 at rtol 1e-12, atol 1e-20), to tell which side is
 * closer. Below rtol these errors depend on where the steps fall, not only on the method: on
 * n30, implab's dop853 in one call over [0, 100] is 1e-10 from the reference (as SciPy's
 * DOP853), but split at the record times as followFlow runs it 7e-9, and one call at rtol
 * 0.8e-7 .. 1.25e-7 ranges over 3e-10 .. 8e-9 (the early phase's exponential growth
 * amplifies local errors).
 *
 * Timing: --passes rounds (default 2) of [implab, every configuration --repeats times
 * (default 2; js and steer once), then SciPy --repeats times per method]; each configuration
 * keeps its fastest run, so that a burst of load from another process (the machine may be
 * shared) rarely decides a figure.
 *
 * Options: --no-peers, --no-js, --passes N, --repeats N, --case n30|n60 (repeatable).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { followFlow, resolveFlowSettings, type FlowResult } from '../src/flow/follow.js';
import { readNpzFile, writeNpzFile } from '../src/io/files.js';
import { matFromNd, ndFromMat } from '../src/io/npz.js';
import type { Backend } from '../src/linalg/backend.js';
import type { Mat } from '../src/linalg/mat.js';
import { getBackend, nativeStatus } from '../src/linalg/select.js';
import { createModel } from '../src/models/create.js';
import { initialize } from '../src/models/init.js';
import { problemToNd } from '../src/problems/file.js';
import { completion } from '../src/problems/generate.js';
import { CompletionOperator } from '../src/problems/operators/completion.js';
import type { Problem } from '../src/problems/problem.js';
import { Random } from '../src/rng/random.js';
import { printTable } from './markdown.js';

const RTOL = 1e-7;
const ATOL = 1e-14;
const INIT_SCALE = 1e-6;
const ETA = 0.01;
const REF = { rtol: 1e-12, atol: 1e-20 };

interface FlowCase {
  name: string;
  n: number;
  m: number;
  rank: number;
  T: number;
}

const CASES: FlowCase[] = [
  { name: 'n30', n: 30, m: 300, rank: 2, T: 100 },
  { name: 'n60', n: 60, m: 1000, rank: 2, T: 30 },
];

type PeerMethod = 'RK45' | 'DOP853';

interface Config {
  label: string;
  solver: 'dopri5' | 'dop853' | 'steer';
  form: 'factors' | 'x';
  backend: 'native' | 'js';
  /** SciPy's method for the ratio and the difference. */
  peer: PeerMethod;
  /** Timed once per pass (slow, or reference only). */
  once: boolean;
}

const CONFIGS: Config[] = [
  { label: 'dopri5', solver: 'dopri5', form: 'factors', backend: 'native', peer: 'RK45', once: false },
  { label: 'dop853', solver: 'dop853', form: 'factors', backend: 'native', peer: 'DOP853', once: false },
  { label: 'dopri5, form x', solver: 'dopri5', form: 'x', backend: 'native', peer: 'RK45', once: false },
  { label: `steer, eta ${ETA}`, solver: 'steer', form: 'x', backend: 'native', peer: 'DOP853', once: true },
  { label: 'dopri5', solver: 'dopri5', form: 'factors', backend: 'js', peer: 'RK45', once: true },
  { label: 'dop853', solver: 'dop853', form: 'factors', backend: 'js', peer: 'DOP853', once: true },
];

interface ImplabRun {
  seconds: number;
  status: string;
  accepted: number;
  rejected: number;
  evaluations: number;
  x: Float64Array;
}

interface PeerLine {
  peer: 'scipy';
  method: PeerMethod;
  seconds: number;
  nfev: number;
  steps: number;
  t_end: number;
  status: number;
  message: string;
  success: boolean;
  scipy: string;
  numpy: string;
  threads: string;
  error?: string;
}

/** The case's problem on backend `be`: the same entries and values (generated once), the operator bound to be. */
function onBackend(base: Problem, be: Backend): Problem {
  const op = base.op as CompletionOperator;
  return { ...base, op: new CompletionOperator(base.n1, base.n2, op.rows, op.cols, { backend: be }) };
}

function runImplab(c: FlowCase, cfg: Pick<Config, 'solver' | 'form'>, problem: Problem, u0: Mat, be: Backend, tol = { rtol: RTOL, atol: ATOL }): ImplabRun {
  const model = createModel({ kind: 'psd', width: c.n }, problem, 'half-sse', be);
  const settings = resolveFlowSettings(
    cfg.solver === 'steer'
      ? { solver: 'steer', eta: ETA, tMax: c.T, logPerDecade: 1 }
      : { solver: cfg.solver, form: cfg.form, rtol: tol.rtol, atol: tol.atol, tMax: c.T, logPerDecade: 1 },
  );
  const t0 = performance.now();
  const r: FlowResult = followFlow({ model, problem, params: [u0], settings, backend: be });
  const seconds = (performance.now() - t0) / 1e3;
  if (Math.abs(r.t - c.T) > 1e-9 * c.T) throw new Error(`ended at t = ${r.t} (status ${r.status}), not T = ${c.T}`);
  return { seconds, status: r.status, accepted: r.step, rejected: r.rejectedSteps, evaluations: r.evaluations, x: Float64Array.from(r.w.data) };
}

function relDiff(a: Float64Array, b: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] * b[i];
  }
  return Math.sqrt(num / den);
}

function pythonWith(module: string, candidates: string[]): string | null {
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 60_000 });
    if (!r.error && r.status === 0) return py;
  }
  return null;
}

/** SciPy on the case: its JSON lines and X(T) per method, or why not. */
function runPeer(python: string, c: FlowCase, problem: Problem, u0: Mat, repeats: number): { lines: PeerLine[]; x: Map<PeerMethod, Float64Array> } | string {
  const script = fileURLToPath(new URL('../../bench/peers/flow_scipy.py', import.meta.url));
  if (!existsSync(script)) return `${script} not found`;
  const dir = mkdtempSync(join(tmpdir(), 'implab-bench-flow-'));
  try {
    const input = join(dir, `${c.name}.npz`);
    const output = join(dir, `${c.name}-out.npz`);
    const arrays = problemToNd(problem);
    arrays.set('U0', ndFromMat(u0));
    writeNpzFile(input, arrays);
    const args = [script, input, output, '--t-end', String(c.T), '--rtol', String(RTOL), '--atol', String(ATOL), '--repeats', String(repeats)];
    const r = spawnSync(python, args, { encoding: 'utf8', timeout: 600_000 });
    if (r.error) return `${python} unavailable (${r.error.message.split('\n')[0]})`;
    if (r.status !== 0) return `flow_scipy.py exited ${r.status}: ${(r.stderr || '').trim().split('\n').pop() ?? ''}`;
    const lines: PeerLine[] = [];
    for (const line of r.stdout.split('\n')) {
      if (!line.trim().startsWith('{')) continue;
      const j = JSON.parse(line) as PeerLine;
      if (j.error) return j.error;
      lines.push(j);
    }
    if (lines.length === 0) return 'flow_scipy.py printed no measurement';
    const arrays2 = readNpzFile(output);
    const x = new Map<PeerMethod, Float64Array>();
    for (const l of lines) {
      const nd = arrays2.get(`X_${l.method}`);
      if (nd) x.set(l.method, matFromNd(nd, `X_${l.method}`, 'flow_scipy.py output').data);
    }
    return { lines, x };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sec = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '—' : v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(3) : v.toFixed(4));
const sci = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toExponential(1));
const us = (s: number, evals: number): string => (evals > 0 ? ((s * 1e6) / evals).toFixed(1) : '—');
/** SciPy's rejected steps from nfev = 2 + (evaluations per attempt) x attempts, or undefined if it does not fit. */
function scipyRejected(l: PeerLine): number | undefined {
  const per = l.method === 'RK45' ? 6 : 12;
  const attempts = (l.nfev - 2) / per;
  return Number.isInteger(attempts) && attempts >= l.steps ? attempts - l.steps : undefined;
}
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(', ');

function main(): void {
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const passes = value('--passes', 2);
  const repeats = value('--repeats', 2);
  if (!Number.isInteger(passes) || passes < 1) throw new Error('--passes: expected a positive integer');
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats: expected a positive integer');
  const only = argv.flatMap((a, i) => (argv[i - 1] === '--case' ? [a] : []));
  for (const n of only) if (!CASES.some((c) => c.name === n)) throw new Error(`--case: expected one of ${CASES.map((c) => c.name).join(', ')}, got "${n}"`);
  const cases = CASES.filter((c) => only.length === 0 || only.includes(c.name));
  const notes: string[] = [];

  const backends = new Map<string, Backend>();
  const status = nativeStatus();
  if (status.available) {
    const nb = getBackend('native');
    nb.setThreads('auto');
    backends.set('native', nb);
    console.log(`native: ${nb.info().blas}; max threads ${nb.info().maxThreads}`);
  } else notes.push(`native backend unavailable: ${status.reason}`);
  if (!argv.includes('--no-js')) backends.set('js', getBackend('js'));
  console.log(`cpu: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}; node ${process.version}; load average at start (1, 5, 15 min): ${load()}`);

  const python = argv.includes('--no-peers') ? null : pythonWith('scipy', ['python3', '/usr/bin/python3']);
  if (!argv.includes('--no-peers') && !python) {
    notes.push('SciPy peer not run: neither python3 nor /usr/bin/python3 imports scipy (pip install scipy, or apt-get install python3-scipy)');
  }

  for (const c of cases) {
    const genBe = backends.get('native') ?? getBackend('js');
    const base = completion({ n1: c.n, n2: c.n, m: c.m, rank: c.rank, symmetric: true, seed: 1, backend: genBe });
    const baseModel = createModel({ kind: 'psd', width: c.n }, base, 'half-sse', genBe);
    const [u0] = initialize({ kind: 'gaussian', scale: INIT_SCALE }, baseModel, base, Random.fromSeed(7), genBe);

    const best = new Map<number, ImplabRun>();
    const peer = new Map<PeerMethod, PeerLine>();
    let peerX = new Map<PeerMethod, Float64Array>();
    const failed = new Set<number>();
    let peerFailed = python === null;
    for (let pass = 0; pass < passes; pass++) {
      CONFIGS.forEach((cfg, i) => {
        const be = backends.get(cfg.backend);
        if (!be || failed.has(i)) return;
        const problem = onBackend(base, be);
        for (let k = 0; k < (cfg.once ? 1 : repeats); k++) {
          try {
            const r = runImplab(c, cfg, problem, u0, be);
            const b = best.get(i);
            if (!b || r.seconds < b.seconds) best.set(i, r);
          } catch (e) {
            failed.add(i);
            notes.push(`${c.name} implab ${cfg.backend} ${cfg.label} failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
            return;
          }
        }
      });
      if (!peerFailed) {
        const r = runPeer(python!, c, base, u0, repeats);
        if (typeof r === 'string') {
          peerFailed = true;
          notes.push(`${c.name}: SciPy peer: ${r}`);
        } else {
          for (const l of r.lines) {
            const b = peer.get(l.method);
            if (!b || l.seconds < b.seconds) peer.set(l.method, l);
            if (!l.success) notes.push(`${c.name}: SciPy ${l.method} status ${l.status}: ${l.message}`);
          }
          peerX = r.x;
        }
      }
    }
    // A reference X(T): implab dop853 at tight tolerances.
    const refBe = backends.get('native') ?? getBackend('js');
    let ref: Float64Array | undefined;
    try {
      ref = runImplab(c, { solver: 'dop853', form: 'factors' }, onBackend(base, refBe), u0, refBe, REF).x;
    } catch (e) {
      notes.push(`${c.name}: the reference solve failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }

    console.log('');
    const anyPeer = [...peer.values()][0];
    console.log(
      `### ${c.name}: implab followFlow vs SciPy solve_ivp on the gradient flow of X = U U^T, U ${c.n}x${c.n}, half-sse, symmetric completion of a rank-${c.rank} PSD truth, ` +
        `${base.op.m} observed entries; U_0 gaussian at scale ${INIT_SCALE.toExponential(0)}; t in [0, ${c.T}], rtol ${RTOL}, atol ${ATOL}` +
        (anyPeer ? `; SciPy ${anyPeer.scipy}, numpy ${anyPeer.numpy} (BLAS threads ${anyPeer.threads})` : ''),
    );
    console.log('');
    const rows: string[][] = [];
    const xOf = (m: PeerMethod): Float64Array | undefined => peerX.get(m);
    for (const m of ['RK45', 'DOP853'] as PeerMethod[]) {
      const l = peer.get(m);
      if (!l) continue;
      const x = xOf(m);
      rows.push([
        m === 'RK45' ? 'RK45 / dopri5' : 'DOP853 / dop853', `SciPy solve_ivp`, sec(l.seconds), `${l.steps} / ${scipyRejected(l) ?? '?'}${scipyRejected(l) === undefined ? '' : '*'}`, String(l.nfev),
        us(l.seconds, l.nfev), '1', '—', x && ref ? sci(relDiff(x, ref)) : '—',
      ]);
    }
    CONFIGS.forEach((cfg, i) => {
      const r = best.get(i);
      if (!r) return;
      const l = peer.get(cfg.peer);
      const x = xOf(cfg.peer);
      const method = cfg.solver === 'steer' ? 'steering path' : cfg.solver === 'dopri5' ? 'RK45 / dopri5' : 'DOP853 / dop853';
      const what = `implab ${cfg.backend}${cfg.form === 'x' && cfg.solver !== 'steer' ? ', form x' : ''}${cfg.solver === 'steer' ? `, eta ${ETA}` : ''}`;
      rows.push([
        method, what, sec(r.seconds), `${r.accepted} / ${r.rejected}`, String(r.evaluations), us(r.seconds, r.evaluations),
        l ? (r.seconds / l.seconds).toFixed(2) : '—',
        x ? `${sci(relDiff(r.x, x))}${cfg.solver === 'steer' ? ' (vs DOP853)' : ''}` : '—', ref ? sci(relDiff(r.x, ref)) : '—',
      ]);
    });
    printTable(['method', 'implementation', 'seconds', 'steps acc. / rej.', 'evaluations', 'µs / eval', 'ratio to SciPy', 'rel. diff X(T) vs SciPy', 'ref. error'], rows);
  }
  console.log('');
  console.log(
    `seconds: fastest of ${passes} pass(es) x ${repeats} run(s) (implab js and steer: 1 run per pass); implab = the followFlow call, SciPy = the solve_ivp call. ` +
      'ratio: implab / SciPy of the same method (dopri5 and form x vs RK45, dop853 vs DOP853). ' +
      `rel. diff: ||X - X_SciPy||_F / ||X_SciPy||_F at T; ref. error: the same against implab dop853 at rtol ${REF.rtol}, atol ${REF.atol}. ` +
      '*: SciPy does not report rejected steps; derived from nfev = 2 + (6 RK45, 12 DOP853) x attempted steps.',
  );
  console.log(`load average at end (1, 5, 15 min): ${load()}`);
  for (const n of notes) console.log(`note: ${n}`);
}

main();
