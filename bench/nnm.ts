/**
 * `npm run bench:nnm`: the convex baseline minNuclearNorm (src/baselines/nnm.ts) on the
 * issue's problems (issue 4, "Speed"), with CVXOPT side by side where it is installed, and
 * whether the issue's targets are met.
 *
 * Cases (generators of src/problems/generate.ts, seed 1, 100 x 100):
 *   completion_2000   rank-5 truth, 2000 uniform entries; general; eps = 0 and eps = 1e-3.
 *   completion_5000   the same with 5000 entries.
 *   sensing_2000      rank-5 truth, 2000 dense Gaussian measurements (Arora et al.'s scale);
 *                     general; eps = 0 and eps = 1e-3.
 *   psd_sensing_900   PSD rank-3 truth, 900 symmetric measurements (A_i + A_i^T)/2; minimum
 *                     trace over the PSD cone, eps = 0.
 * Every solve runs at the default options (tol 1e-7: relative gap and primal and dual
 * infeasibilities at most 1e-7 means status "solved").
 *
 * implab is timed on the native backend (its "auto" thread rule) through the library:
 * `seconds` as minNuclearNorm reports it (setup such as the Gram factorization included,
 * problem generation excluded), the FASTEST of --repeats runs (default 3). The runs are
 * taken in passes over all cases, so that a burst of load from another process (the
 * machine may be shared) rarely spoils every run of one case. The load average is printed
 * before and after. --js adds the pure-TypeScript backend, one run per case (slow).
 *
 * CVXOPT (bench/peers/nnm_cvxopt.py: the SDPs of test/fixtures/make_nnm_fixtures.py solved
 * with cvxopt.solvers.sdp, an interior-point method) is run once, by /usr/bin/python3 (only it
 * imports Debian's python3-cvxopt), on psd_sensing_900 only: the problem is written to a
 * temporary .npz and solved with abstol = reltol = feastol = --cvxopt-tol, default 1e-9
 * ("optimal" in 11 iterations, absolute gap ~2e-9, relative gap ~1e-11). At 1e-10 (measured
 * here) CVXOPT passes an absolute gap of 1e-12 at iteration 13 -- likely the issue's "1e-12
 * gap" -- but then its residuals grow from 1e-10 to 1e+1 until it stops at 60 iterations with
 * status "unknown" after ~280 s (the fixtures' retry rule would spend that before solving at
 * 1e-9). The general cases are not given to CVXOPT: their SDPs have a 200 x 200 block and
 * 10000 + 2 x 5050 variables, whose dense Newton systems take far too long (and too much
 * memory) for a benchmark.
 * --no-cvxopt skips it.
 *
 * Targets (the issue):
 *   - every case reaches the default tolerance (status "solved");
 *   - psd_sensing_900: implab native <= 1/10 of CVXOPT's time: CVXOPT's time measured in
 *     this run when available, else the issue's 82 s (measured on the development machine:
 *     CVXOPT to a 1e-12 gap); which one is said in the output;
 *   - completion_2000: implab native under 10 s (each eps).
 *
 * Options: --repeats N (default 3), --js, --no-cvxopt, --cvxopt-tol T (default 1e-9),
 * --case NAME (repeatable; default all).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minNuclearNorm, type NnmResult } from '../src/baselines/nnm.js';
import { writeNpzFile } from '../src/io/files.js';
import type { Backend } from '../src/linalg/backend.js';
import { getBackend, nativeStatus } from '../src/linalg/select.js';
import { problemToNd } from '../src/problems/file.js';
import { completion, sensing } from '../src/problems/generate.js';
import type { Problem } from '../src/problems/problem.js';
import { printTable } from './markdown.js';

/** The issue's CVXOPT time on psd_sensing_900 (development machine), seconds. */
const ISSUE_CVXOPT_SECONDS = 82;
const PSD_TARGET_RATIO = 0.1;
const COMPLETION_TARGET_SECONDS = 10;
const TOL = 1e-7;

interface Case {
  name: string;
  eps: number;
  psd: boolean;
  problem: string;
}

const PROBLEMS: Record<string, (be: Backend) => Problem> = {
  completion_2000: (be) => completion({ n1: 100, n2: 100, m: 2000, rank: 5, seed: 1, backend: be }),
  completion_5000: (be) => completion({ n1: 100, n2: 100, m: 5000, rank: 5, seed: 1, backend: be }),
  sensing_2000: (be) => sensing({ n1: 100, n2: 100, m: 2000, rank: 5, seed: 1, backend: be }),
  psd_sensing_900: (be) => sensing({ n1: 100, n2: 100, m: 900, rank: 3, truth: 'psd', symmetric: true, seed: 1, backend: be }),
};

const CASES: Case[] = [
  { name: 'completion_2000', eps: 0, psd: false, problem: 'completion_2000' },
  { name: 'completion_2000', eps: 1e-3, psd: false, problem: 'completion_2000' },
  { name: 'completion_5000', eps: 0, psd: false, problem: 'completion_5000' },
  { name: 'completion_5000', eps: 1e-3, psd: false, problem: 'completion_5000' },
  { name: 'sensing_2000', eps: 0, psd: false, problem: 'sensing_2000' },
  { name: 'sensing_2000', eps: 1e-3, psd: false, problem: 'sensing_2000' },
  { name: 'psd_sensing_900', eps: 0, psd: true, problem: 'psd_sensing_900' },
];
const CVXOPT_CASES = new Set(['psd_sensing_900']);

interface CvxoptLine {
  peer: 'cvxopt';
  version: string;
  status: string;
  seconds: number;
  total_seconds: number;
  iterations: number;
  objective: number;
  gap: number;
  relative_gap: number | null;
  primal_infeasibility: number | null;
  tolerance: number;
  attempts: number;
  error?: string;
}

const caseKey = (c: Case): string => `${c.name}:${c.eps}`;
const caseLabel = (c: Case): string => `${c.name} ${c.psd ? 'psd' : 'general'} eps=${c.eps === 0 ? '0' : c.eps.toExponential(0)}`;
const sec = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '—' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const sci = (v: number | null | undefined): string => (v === undefined || v === null || !Number.isFinite(v) ? '—' : v.toExponential(1));
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(', ');


function runCvxopt(problem: Problem, c: Case, tol: number): CvxoptLine | string {
  const script = fileURLToPath(new URL('../../bench/peers/nnm_cvxopt.py', import.meta.url));
  if (!existsSync(script)) return `${script} not found`;
  const dir = mkdtempSync(join(tmpdir(), 'implab-bench-nnm-'));
  try {
    const file = join(dir, `${c.problem}.npz`);
    writeNpzFile(file, problemToNd(problem));
    const args = [script, file, '--eps', String(c.eps), '--tol', String(tol), ...(c.psd ? ['--psd'] : [])];
    const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', timeout: 3_600_000 });
    if (r.error) return `/usr/bin/python3 unavailable (${r.error.message.split('\n')[0]}); apt-get install python3-cvxopt`;
    if (r.status !== 0) return `nnm_cvxopt.py exited ${r.status}: ${(r.stderr || '').trim().split('\n').pop() ?? ''}`;
    const line = r.stdout.split('\n').find((l) => l.trim().startsWith('{'));
    if (!line) return 'nnm_cvxopt.py printed no result';
    const j = JSON.parse(line) as CvxoptLine;
    if (j.error) return `${j.error}; apt-get install python3-cvxopt`;
    return j;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const argv = process.argv.slice(2);
  const value = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const repeats = value('--repeats', 3);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error('--repeats: expected a positive integer');
  const cvxTol = value('--cvxopt-tol', 1e-9);
  if (!(cvxTol > 0)) throw new Error('--cvxopt-tol: expected a positive number');
  const only = argv.flatMap((a, i) => (argv[i - 1] === '--case' ? [a] : []));
  for (const n of only) if (!(n in PROBLEMS)) throw new Error(`--case: expected one of ${Object.keys(PROBLEMS).join(', ')}, got "${n}"`);
  const cases = CASES.filter((c) => only.length === 0 || only.includes(c.name));
  const notes: string[] = [];

  const status = nativeStatus();
  const backends: Backend[] = [];
  if (status.available) {
    const nb = getBackend('native');
    nb.setThreads('auto');
    backends.push(nb);
    console.log(`native: ${nb.info().blas}; max threads ${nb.info().maxThreads}`);
  } else notes.push(`native backend unavailable (${status.reason}): the targets cannot be judged`);
  if (argv.includes('--js')) backends.push(getBackend('js'));
  console.log(`load average at start (1, 5, 15 min): ${load()}`);

  // The problems, generated once (on the native backend when it loads) and shared by every run.
  const genBe = backends[0] ?? getBackend('js');
  const problems = new Map<string, Problem>();
  for (const c of cases) if (!problems.has(c.problem)) problems.set(c.problem, PROBLEMS[c.problem](genBe));

  // implab: passes over all cases, each (case, backend) keeps its fastest run.
  const best = new Map<string, NnmResult>();
  const runs = new Map<string, NnmResult[]>();
  const solveOnce = (c: Case, be: Backend): void => {
    const r = minNuclearNorm(problems.get(c.problem)!, { psd: c.psd, eps: c.eps, backend: be });
    const k = `${caseKey(c)}:${be.name}`;
    const b = best.get(k);
    if (!b || r.seconds < b.seconds) best.set(k, r);
    runs.set(k, [...(runs.get(k) ?? []), r]);
  };
  let cvx: CvxoptLine | undefined;
  const cvxCases = argv.includes('--no-cvxopt') ? [] : cases.filter((c) => CVXOPT_CASES.has(c.name));
  for (let pass = 0; pass < repeats; pass++) {
    for (const be of backends) {
      if (be.name === 'js' && pass > 0) continue;
      for (const c of cases) solveOnce(c, be);
    }
    // CVXOPT once, after the first pass (so that implab's later passes follow it).
    if (pass === 0) {
      for (const c of cvxCases) {
        const r = runCvxopt(problems.get(c.problem)!, c, cvxTol);
        if (typeof r === 'string') notes.push(`CVXOPT not run: ${r}`);
        else cvx = r;
      }
    }
  }
  for (const [k, rs] of runs) {
    const its = new Set(rs.map((r) => `${r.status}/${r.iterations}`));
    if (its.size > 1) notes.push(`${k}: the runs differ (${[...its].join(', ')})`);
  }

  console.log('');
  console.log(`implab: minNuclearNorm at the default tol ${TOL}; seconds as reported (setup included), fastest of ${repeats} run(s) (js: 1). CVXOPT: one run.`);
  console.log('');
  const rows: string[][] = [];
  for (const c of cases) {
    for (const be of backends) {
      const r = best.get(`${caseKey(c)}:${be.name}`);
      if (!r) continue;
      const withCvx = cvx !== undefined && CVXOPT_CASES.has(c.name) && be.name === 'native';
      rows.push([
        caseLabel(c), be.name, r.status, String(r.iterations), sec(r.seconds), sci(r.relativeGap), sci(r.primalInfeasibility),
        sci(r.dualInfeasibility), r.primalObjective.toPrecision(10),
        withCvx ? `${cvx!.status} (tol ${cvx!.tolerance})` : '—', withCvx ? String(cvx!.iterations) : '—', withCvx ? sec(cvx!.seconds) : '—',
        withCvx ? sci(cvx!.relative_gap) : '—', withCvx ? cvx!.objective.toPrecision(10) : '—',
        withCvx ? sci(Math.abs(r.primalObjective - cvx!.objective) / Math.abs(cvx!.objective)) : '—',
      ]);
    }
  }
  printTable(
    ['case', 'backend', 'status', 'iterations', 'seconds', 'rel. gap', 'primal inf.', 'dual inf.', 'objective',
      'CVXOPT status', 'CVXOPT it', 'CVXOPT s', 'CVXOPT rel. gap', 'CVXOPT objective', '|Δobj|/|obj CVXOPT|'],
    rows,
  );

  // The targets, on native.
  console.log('');
  console.log('Targets (implab native):');
  const yes = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  const native = (c: Case): NnmResult | undefined => best.get(`${caseKey(c)}:native`);
  for (const c of cases) {
    const r = native(c);
    if (!r) continue;
    const ok = r.status === 'solved' && r.relativeGap <= TOL && r.primalInfeasibility <= TOL && r.dualInfeasibility <= TOL;
    console.log(`- ${caseLabel(c)} reaches the default tolerance: ${yes(ok)} (status ${r.status})`);
  }
  for (const c of cases.filter((x) => x.name === 'psd_sensing_900')) {
    const r = native(c);
    if (!r) continue;
    const ref = cvx ? cvx.seconds : ISSUE_CVXOPT_SECONDS;
    const against = cvx
      ? `CVXOPT measured in this run (${sec(cvx.seconds)} s at tol ${cvx.tolerance}${cvx.status === 'optimal' ? '' : `, status ${cvx.status}: not converged`})`
      : `the issue's CVXOPT time (${ISSUE_CVXOPT_SECONDS} s; CVXOPT not run here)`;
    const ratio = r.seconds / ref;
    console.log(`- ${caseLabel(c)} in <= 1/10 of CVXOPT's time: ${yes(r.status === 'solved' && ratio <= PSD_TARGET_RATIO)} (${sec(r.seconds)} s = ${ratio.toFixed(4)} x ${against})`);
    if (cvx) console.log(`  (against the issue's ${ISSUE_CVXOPT_SECONDS} s: ${(r.seconds / ISSUE_CVXOPT_SECONDS).toFixed(4)} x)`);
  }
  for (const c of cases.filter((x) => x.name === 'completion_2000')) {
    const r = native(c);
    if (!r) continue;
    console.log(`- ${caseLabel(c)} in under ${COMPLETION_TARGET_SECONDS} s: ${yes(r.status === 'solved' && r.seconds < COMPLETION_TARGET_SECONDS)} (${sec(r.seconds)} s)`);
  }
  console.log('');
  console.log(`load average at end (1, 5, 15 min): ${load()}`);
  for (const n of notes) console.log(`note: ${n}`);
}

main();
