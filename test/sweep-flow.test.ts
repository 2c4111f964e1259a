/*
 * Flows and projected gradient descent as sweep runs: resolveRunConfig of method = flow and
 * method = pgd (defaults, eta only for the steering path, errors naming the key), train and
 * nnm configs keeping the run ids they had before these methods existed, and executeRun of
 * a tiny flow run and a tiny pgd run (status, figures, summary, read back without running;
 * a stopped flow continued to the bytes of an uninterrupted one).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { followFlow, resolveFlowSettings } from '../src/flow/follow.js';
import { readNpzFile } from '../src/io/files.js';
import { createModel } from '../src/models/create.js';
import { initialize } from '../src/models/init.js';
import { Random } from '../src/rng/random.js';
import { resolveRunConfig } from '../src/sweep/config.js';
import { buildRunProblem, executeRun, type RunFigures } from '../src/sweep/execute.js';
import { runId } from '../src/sweep/run-id.js';
import { configErrorOf } from './helpers/config-error.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-sweep-flow-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
const fresh = (name: string): string => path.join(tmp, `${name}-${++counter}`);

const PSD_SENSING = { kind: 'sensing', n: 5, m: 12, rank: 2, truth: 'psd', symmetric: true };
const FLOW_RAW = {
  method: 'flow',
  problem: PSD_SENSING,
  model: { kind: 'psd', width: 5 },
  init: { kind: 'gaussian', scale: 0.3 },
  loss: 'half-sse',
  flow: { solver: 'dop853', rtol: 1e-9, tMax: 10, logPerDecade: 2 },
  seeds: { data: 2, init: 1 },
};
const PGD_RAW = { method: 'pgd', problem: PSD_SENSING, pgd: { maxIters: 50_000, lossTol: 1e-8 }, seeds: { data: 2 } };

// The train and nnm configs of test/sweep-execute.test.ts, whose ids were computed with the
// sources of commit be66574 (before method = flow, pgd and search3x3 were added).
const TRAIN_RAW = {
  problem: { kind: 'completion', n: 12, m: 60, rank: 2 },
  model: { kind: 'deep', depth: 2 },
  init: { kind: 'gaussian', scale: 1e-2 },
  optimizer: { name: 'gd', lr: 0.5 },
  train: { maxIters: 300, logEvery: 50, checkpointEvery: 100 },
  seeds: { data: 1, init: 2 },
};
const NNM_RAW = { method: 'nnm', problem: { kind: 'completion', n: 12, m: 60, rank: 2 }, seeds: { data: 1 } };

const summaryOf = (dir: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
const timeless = (f: RunFigures): Omit<RunFigures, 'train_seconds' | 'total_seconds'> => {
  const { train_seconds: _t, total_seconds: _s, ...rest } = f;
  return rest;
};

describe('resolveRunConfig: method = flow and pgd', () => {
  it('flow: every default filled in, no eta without steer, no pgd or search section', () => {
    const c = resolveRunConfig({ method: 'flow', problem: PSD_SENSING, model: { kind: 'psd', width: 5 } }, 'sweep.toml');
    expect(c.method).toBe('flow');
    expect(c.flow).toStrictEqual({
      solver: 'dopri5', form: 'factors', rtol: 1e-8, atol: 1e-14, tMax: 1e8, maxSteps: 1_000_000, stopLoss: null,
      logPerDecade: 10, logFrom: 1e-2, logSingular: 10, logMatrix: false, checkpointEvery: null,
    });
    // The same defaults as the library's.
    expect({ ...c.flow }).toEqual(resolveFlowSettings({}));
    expect('pgd' in c || 'search' in c).toBe(false);
    // Resolving a resolved config returns an equal one (the saved config.json resolves to the same run).
    expect(resolveRunConfig(JSON.parse(JSON.stringify(c)), 'saved')).toStrictEqual(c);
  });

  it('flow with the steering path: eta (default 1e-3) and form x', () => {
    const steer = resolveRunConfig({ method: 'flow', problem: PSD_SENSING, model: { kind: 'psd', width: 5 }, flow: { solver: 'steer' } }, 'sweep.toml');
    expect(steer.flow).toMatchObject({ solver: 'steer', form: 'x', eta: 1e-3 });
    const given = resolveRunConfig({ method: 'flow', problem: PSD_SENSING, model: { kind: 'psd', width: 5 }, flow: { solver: 'steer', eta: 0.02, stopLoss: 1e-6 } }, 'sweep.toml');
    expect(given.flow).toMatchObject({ eta: 0.02, stopLoss: 1e-6 });
    expect(resolveRunConfig(JSON.parse(JSON.stringify(given)), 'saved')).toStrictEqual(given);
    expect(runId(given)).not.toBe(runId(steer));
  });

  it.each([
    [{ flow: { eta: 0.01 } }, 'sweep.toml: flow.eta: only used with flow.solver = "steer", got solver = "dopri5"'],
    [{ flow: { solver: 'steer' }, model: { kind: 'deep', depth: 2 } }, 'sweep.toml: model.kind: expected psd for the steering path (it evolves X = U U^T), got "deep"'],
    [{ flow: { form: 'x' }, model: { kind: 'asymmetric', width: 5 } }, 'sweep.toml: model.kind: expected psd for the flow of X (it evolves X = U U^T), got "asymmetric"'],
    [{ model: { kind: 'udu', width: 5 } }, 'sweep.toml: model.kind: expected psd, asymmetric or deep for a flow (udu is projected: it has no gradient flow), got "udu"'],
    [{ flow: { logFrom: 10, tMax: 10 } }, 'sweep.toml: flow.logFrom: expected a time below flow.tMax = 10, got 10'],
    [{ flow: { logMatrix: true }, problem: { ...PSD_SENSING, n: 9, m: 30 } }, 'flow.logMatrix: expected false for a 9x9 problem'],
    [{ flow: { solver: 'rk4' } }, 'flow.solver'],
    [{ flow: { rtol: 0 } }, 'flow.rtol'],
  ] as const)('flow errors: one line naming the key (%j)', (patch, text) => {
    const raw = { method: 'flow', problem: PSD_SENSING, model: { kind: 'psd', width: 5 }, ...patch };
    expect(configErrorOf(() => resolveRunConfig(raw, 'sweep.toml'))).toContain(text);
  });

  it('pgd: its defaults, no flow section', () => {
    const c = resolveRunConfig({ method: 'pgd', problem: PSD_SENSING }, 'sweep.toml');
    expect(c.pgd).toStrictEqual({ tol: 1e-10, maxIters: 100_000, lossTol: 0 });
    expect('flow' in c || 'search' in c).toBe(false);
    expect(configErrorOf(() => resolveRunConfig({ method: 'pgd', problem: PSD_SENSING, pgd: { tol: -1 } }, 'sweep.toml'))).toContain('pgd.tol');
  });

  it('train and nnm configs have no flow, pgd or search section, and keep the run ids they had before', () => {
    const train = resolveRunConfig(TRAIN_RAW, 'test');
    const nnm = resolveRunConfig(NNM_RAW, 'test');
    for (const c of [train, nnm]) for (const key of ['flow', 'pgd', 'search']) expect(key in c).toBe(false);
    // Computed with the sources of commit be66574 (git archive HEAD, built, runId(resolveRunConfig(...))).
    expect(runId(train)).toBe('97c262edccd43adf');
    expect(runId(nnm)).toBe('ea85472dacf6c255');
    // A flow section given to a train run is not part of it (nor of its id).
    expect(runId(resolveRunConfig({ ...TRAIN_RAW, flow: { solver: 'dop853' } }, 'test'))).toBe('97c262edccd43adf');
  });
});

describe('executeRun: a flow run and a pgd run', () => {
  const flowConfig = resolveRunConfig(FLOW_RAW, 'test');
  const pgdConfig = resolveRunConfig(PGD_RAW, 'test');

  it('flow: the run directory, its figures as followFlow computes them, read back without running', () => {
    const dir = fresh('flow');
    const figures = executeRun(flowConfig, dir);
    // The library directly: the run's problem and initialization.
    const problem = buildRunProblem(flowConfig);
    const model = createModel({ kind: 'psd', width: 5 }, problem, 'half-sse');
    const params = initialize({ kind: 'gaussian', scale: 0.3 }, model, problem, Random.fromSeed(1));
    const direct = followFlow({ model, problem, params, settings: resolveFlowSettings({ solver: 'dop853', rtol: 1e-9, tMax: 10, logPerDecade: 2 }) });
    expect(timeless(figures)).toStrictEqual({
      method: 'flow', status: 't_max', step: direct.step, loss: direct.final.loss, test_loss: null, recon_mse: direct.final.recon_mse,
      recon_rel: direct.final.recon_rel, nuclear_norm: direct.final.nuclear_norm, effective_rank: direct.final.effective_rank,
      singular_values: direct.final.singular_values, t: 10,
    });
    // The flow went from the start (loss ~8) to a fit.
    expect(figures.loss!).toBeLessThan(1e-2);
    const sm = summaryOf(dir);
    expect(sm.status).toBe('t_max');
    expect(sm.t).toBe(10);
    expect(sm.accepted_steps).toBe(direct.step);
    expect(sm.rejected_steps).toBe(direct.rejectedSteps);
    expect(sm.error_control).toEqual({ rtol: 1e-9, atol: 1e-14 });
    // config.json and summary.json record the sweep's resolved config.
    expect(sm.config).toEqual(JSON.parse(JSON.stringify(flowConfig)));
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual(sm.config);
    const npz = readNpzFile(path.join(dir, 'result.npz'));
    expect([...npz.keys()].sort()).toEqual(['U', 'W']);
    expect(Array.from(npz.get('W')!.data as Float64Array)).toEqual(Array.from(direct.w.data));

    // Finished: a second call reads the summary back and runs nothing (summary.json, with its timings, unchanged).
    const before = fs.readFileSync(path.join(dir, 'summary.json'));
    const mtime = fs.statSync(path.join(dir, 'summary.json')).mtimeMs;
    const again = executeRun(flowConfig, dir);
    expect(again).toStrictEqual(figures);
    expect(fs.readFileSync(path.join(dir, 'summary.json')).equals(before)).toBe(true);
    expect(fs.statSync(path.join(dir, 'summary.json')).mtimeMs).toBe(mtime);
  });

  it('flow: stopped (Ctrl-C in a sweep), then executed again: continued to the bytes of an uninterrupted run', () => {
    const straight = fresh('flow-straight');
    const whole = executeRun(flowConfig, straight, { checkpointEvery: 10 });
    const dir = fresh('flow-stopped');
    let polls = 0;
    const stopped = executeRun(flowConfig, dir, { checkpointEvery: 10, shouldStop: () => ++polls === 25 });
    expect([stopped.status, stopped.step]).toEqual(['stopped', 25]);
    const done = executeRun(flowConfig, dir, { checkpointEvery: 10 });
    expect(timeless(done)).toStrictEqual(timeless(whole));
    for (const f of ['history.jsonl', 'result.npz']) expect(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(path.join(straight, f)))).toBe(true);
  });

  it('pgd: the run directory and its figures, read back without running', () => {
    const dir = fresh('pgd');
    const figures = executeRun(pgdConfig, dir);
    const sm = summaryOf(dir);
    console.log(`pgd: ${figures.status} after ${figures.step} iterations, loss ${figures.loss}, recon_rel ${figures.recon_rel}, nuclear norm ${figures.nuclear_norm}`);
    expect(figures.method).toBe('pgd');
    expect(figures.status).toBe(sm.status);
    expect(figures.status).toBe('converged');
    expect(figures.step).toBe(sm.step);
    expect(figures.step).toBeGreaterThan(0);
    expect(figures.step).toBeLessThan(50_000);
    expect(figures.t).toBeUndefined();
    expect(figures.loss).toBe((sm.final as { loss: number }).loss);
    // Stopped by lossTol: m = 12 symmetric measurements of a 5 x 5 PSD matrix (15 degrees of freedom) are fit exactly.
    expect(figures.loss!).toBeLessThanOrEqual(1e-8);
    const npz = readNpzFile(path.join(dir, 'result.npz'));
    const x = npz.get('X')!.data as Float64Array;
    expect(Array.from(npz.get('W')!.data as Float64Array)).toEqual(Array.from(x));
    // X is symmetric PSD: its loss recomputed from the problem agrees with the summary.
    const problem = buildRunProblem(pgdConfig);
    const pred = problem.op.apply({ rows: 5, cols: 5, data: x }, new Float64Array(12));
    const loss = 0.5 * pred.reduce((s, v, i) => s + (v - problem.y[i]) ** 2, 0);
    expect(Math.abs(loss - figures.loss!)).toBeLessThanOrEqual(1e-12 + 1e-9 * figures.loss!);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(x[i * 5 + j]).toBe(x[j * 5 + i]);
    expect(sm.config).toEqual(JSON.parse(JSON.stringify(pgdConfig)));

    const before = fs.readFileSync(path.join(dir, 'summary.json'));
    expect(executeRun(pgdConfig, dir)).toStrictEqual(figures);
    expect(fs.readFileSync(path.join(dir, 'summary.json')).equals(before)).toBe(true);
  });
});
