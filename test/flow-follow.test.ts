/**
 * followFlow (src/flow/follow.ts), the run-level driver of the gradient flow, on small
 * symmetric PSD problems with the psd model U U^T of full width:
 *   the three ways (dopri5 and dop853 on the factors, dopri5 on X itself) agree with a
 *     tight dop853 reference at every record time to about rtol, and the steering path
 *     approaches the flow at first order in eta;
 *   the records (t = 0, then exactly flowRecordTimes; the event record at stopLoss) and
 *     the statuses converged / t_max / max_steps / stopped;
 *   exact resume: stopped after k accepted steps (at record times and inside pieces) and
 *     continued from the returned checkpoint or from the last onCheckpoint one, the records
 *     and the final state are bit for bit those of the uninterrupted run;
 *   a longer horizon continues a finished run; bad settings are one-line RangeErrors;
 *   runFlow / resumeFlow (src/runs/flow-run.ts): the run directory's files and contents, a
 *     stopped or crashed run resumed to the bytes of an uninterrupted one, a longer horizon,
 *     a training run's checkpoint refused.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError } from '../src/io/errors.js';
import { readNpzFile, writeNpzFile } from '../src/io/files.js';
import { problemToNd } from '../src/problems/file.js';
import { continueFlow, resumeFlow, runFlow, type FlowRunConfig } from '../src/runs/flow-run.js';
import { runTraining } from '../src/runs/train-run.js';
import { flowRecordTimes, followFlow, resolveFlowSettings, type FlowCheckpoint, type FlowRecord, type FlowResult } from '../src/flow/follow.js';
import type { Backend } from '../src/linalg/backend.js';
import type { Mat } from '../src/linalg/mat.js';
import { backend as defaultBackend } from '../src/linalg/select.js';
import { createModel } from '../src/models/create.js';
import { initialize } from '../src/models/init.js';
import type { Model, ModelSpec } from '../src/models/model.js';
import { completion, sensing } from '../src/problems/generate.js';
import type { Problem } from '../src/problems/problem.js';
import { Random } from '../src/rng/random.js';
import { testBackends } from './helpers/backends.js';

type FlowInput = Parameters<typeof resolveFlowSettings>[0];

interface Setup {
  problem: Problem;
  model: Model;
  params: Mat[];
  be: Backend;
}

/** A 5 x 5 symmetric PSD sensing problem (m = 12) or a 6 x 6 symmetric PSD completion problem (m = 20), the psd model of width n, half-sse. */
function setup(kind: 'sensing' | 'completion', be: Backend = defaultBackend(), spec?: ModelSpec): Setup {
  const n = kind === 'sensing' ? 5 : 6;
  const problem = kind === 'sensing'
    ? sensing({ n1: n, n2: n, m: 12, rank: 2, truth: 'psd', symmetric: true, seed: 2, backend: be })
    : completion({ n1: n, n2: n, m: 20, rank: 2, symmetric: true, seed: 3, backend: be });
  const model = createModel(spec ?? { kind: 'psd', width: n }, problem, 'half-sse', be);
  const params = initialize({ kind: 'gaussian', scale: 0.3 }, model, problem, Random.fromSeed(1), be);
  return { problem, model, params, be };
}

interface Run {
  result: FlowResult;
  records: FlowRecord[];
  checkpoints: FlowCheckpoint[];
  polls: number;
}

/** followFlow with every record and checkpoint collected; stops after `stopAfter` polls of shouldStop when given. */
function follow(s: Setup, input: FlowInput, opts: { checkpoint?: FlowCheckpoint; stopAfter?: number } = {}): Run {
  const records: FlowRecord[] = [];
  const checkpoints: FlowCheckpoint[] = [];
  let polls = 0;
  const result = followFlow({
    model: s.model, problem: s.problem, params: s.params, backend: s.be, settings: resolveFlowSettings(input),
    ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}),
    hooks: {
      onLog: (r) => void records.push(r),
      onCheckpoint: (c) => void checkpoints.push(c),
      shouldStop: () => ++polls === opts.stopAfter,
    },
  });
  return { result, records, checkpoints, polls };
}

/** ||a - b||_F / ||b||_F. */
function relDist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, nb = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i] - b[i]) ** 2;
    nb += b[i] ** 2;
  }
  return Math.sqrt(d / nb);
}

const bytes = (a: Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function expectSameMats(a: readonly Mat[], b: readonly Mat[]): void {
  expect(a.length).toBe(b.length);
  a.forEach((m, i) => {
    expect([m.rows, m.cols]).toEqual([b[i].rows, b[i].cols]);
    expect(bytes(m.data).equals(bytes(b[i].data))).toBe(true);
  });
}

/** A checkpoint as flow-run.ts stores it (y in an .npz, the rest as JSON) and reads it back. */
function throughJson(c: FlowCheckpoint): FlowCheckpoint {
  const { y, ...rest } = c;
  const back = JSON.parse(JSON.stringify(rest)) as Omit<FlowCheckpoint, 'y'>;
  return { ...back, y: Float64Array.from(y) };
}

/** The first run's records a continuation from c keeps (step <= keepThrough), then the continuation's. */
const joined = (first: FlowRecord[], c: FlowCheckpoint, second: FlowRecord[]): FlowRecord[] => [...first.filter((r) => r.step <= c.keepThrough), ...second];

/** The one-line RangeError message of f. */
function rangeErrorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RangeError);
    const m = (e as Error).message;
    expect(m).not.toContain('\n');
    return m;
  }
  throw new Error('expected a RangeError');
}

// ------------------------------------------------------------------ (a) the three ways agree

describe.each(testBackends().map((be) => [be.name, be] as const))('the ways to follow the flow agree (%s)', (_name, be) => {
  describe.each(['sensing', 'completion'] as const)('%s', (kind) => {
    const s = setup(kind, be);
    const T = 10;
    const grid = { tMax: T, logPerDecade: 2, logMatrix: true };
    const ref = follow(s, { ...grid, solver: 'dop853', rtol: 1e-13, atol: 1e-16 });

    it('dopri5 and dop853 on U, and dopri5 on X = U U^T: W at every record time within about rtol of a tight reference', () => {
      expect(ref.result.status).toBe('t_max');
      const ways = [{ solver: 'dopri5' }, { solver: 'dop853' }, { solver: 'dopri5', form: 'x' }] as const;
      const worst = (rtol: number) => ways.map((w) => {
        const r = follow(s, { ...grid, ...w, rtol, atol: 1e-14 });
        expect(r.records.map((x) => x.t)).toEqual(ref.records.map((x) => x.t));
        return Math.max(...r.records.map((x, i) => relDist(x.w!, ref.records[i].w!)));
      });
      const tight = worst(1e-10), loose = worst(1e-7);
      console.log(`${kind}: max_t ||W - W_ref||/||W_ref|| at rtol 1e-10: ${tight.map((e) => e.toExponential(2)).join(', ')}; at 1e-7: ${loose.map((e) => e.toExponential(2)).join(', ')} (dopri5 U, dop853 U, dopri5 X)`);
      for (const e of tight) expect(e).toBeLessThan(1e-9);
      for (const e of loose) expect(e).toBeLessThan(1e-6);
      // The tolerance is what controls the agreement: 1000x tighter, at least 30x closer.
      tight.forEach((e, i) => expect(loose[i]).toBeGreaterThan(30 * e));
      // The flow went somewhere: W(T) is far from W(0).
      expect(relDist(ref.records[0].w!, ref.records[ref.records.length - 1].w!)).toBeGreaterThan(0.5);
    });

    it('the steering path at eta and eta/2 approaches the flow at t = 1 at first order (error ratio about 2)', () => {
      const w1 = ref.records.find((x) => x.t === 1)!.w!;
      const errs = [0.01, 0.005, 0.0025].map((eta) => {
        const r = follow(s, { solver: 'steer', eta, tMax: 1, logPerDecade: 2, logMatrix: true });
        expect(r.result.status).toBe('t_max');
        expect(r.result.step).toBe(Math.round(1 / eta));
        const at1 = r.records[r.records.length - 1];
        expect(at1.t).toBe(1);
        return relDist(at1.w!, w1);
      });
      const ratios = [errs[0] / errs[1], errs[1] / errs[2]];
      console.log(`${kind}: steer vs flow at t = 1: rel errors ${errs.map((e) => e.toExponential(3)).join(', ')} (eta 1e-2, 5e-3, 2.5e-3); ratios ${ratios.map((q) => q.toFixed(4)).join(', ')}`);
      for (const q of ratios) {
        expect(q).toBeGreaterThan(1.9);
        expect(q).toBeLessThan(2.1);
      }
      expect(errs[2]).toBeLessThan(2e-3);
    });
  });
});

// ------------------------------------------------------------------ (b) records and statuses

describe('records and statuses', () => {
  const s = setup('sensing');
  const base = { tMax: 10, logPerDecade: 3, rtol: 1e-8 };

  it('records at t = 0 and exactly at flowRecordTimes; step = accepted steps, increasing; the final record is the result', () => {
    for (const solver of ['dopri5', 'dop853'] as const) {
      const r = follow(s, { ...base, solver });
      expect(r.result.status).toBe('t_max');
      expect(r.records.map((x) => x.t)).toEqual([0, ...flowRecordTimes(1e-2, 10, 3)]);
      expect(r.records.length).toBe(11);
      expect(r.records[0].step).toBe(0);
      for (let i = 1; i < r.records.length; i++) expect(r.records[i].step).toBeGreaterThan(r.records[i - 1].step);
      expect(r.records[r.records.length - 1]).toEqual(r.result.final);
      expect(r.result.final.step).toBe(r.result.step);
      expect(r.result.t).toBe(10);
      expect(r.result.initialLoss).toBe(r.records[0].loss);
      // dopri5: 7 stages, first same as last: 6 evaluations per attempted step, plus the start of each piece.
      if (solver === 'dopri5') expect(r.result.evaluations).toBeGreaterThanOrEqual(6 * (r.result.step + r.result.rejectedSteps));
      // shouldStop is polled once per accepted step (no extra poll at record times).
      expect(r.polls).toBe(r.result.step);
    }
  });

  it('steer: records at the first step at or after each record time, t = k eta', () => {
    const eta = 0.02;
    const r = follow(s, { solver: 'steer', eta, tMax: 10, logPerDecade: 3 });
    expect(r.result.status).toBe('t_max');
    expect(r.result.step).toBe(500);
    const expected = [0, ...new Set(flowRecordTimes(1e-2, 10, 3).map((t) => Math.ceil(t / eta - 1e-9)))];
    expect(r.records.map((x) => x.step)).toEqual(expected);
    for (const x of r.records) expect(x.t).toBe(x.step * eta);
    expect(r.result.rejectedSteps).toBe(0);
    expect(r.polls).toBe(500);
  });

  it('converged: the last record is at the event time, loss = stopLoss to rounding, after the records below it', () => {
    const stopLoss = 5e-3;
    for (const solver of ['dopri5', 'dop853', 'steer'] as const) {
      const r = follow(s, solver === 'steer' ? { solver, eta: 0.01, tMax: 10, logPerDecade: 3, stopLoss } : { ...base, solver, stopLoss });
      expect(r.result.status).toBe('converged');
      const last = r.records[r.records.length - 1];
      expect(last).toEqual(r.result.final);
      expect(last.loss!).toBeLessThanOrEqual(stopLoss * (1 + 1e-12));
      const before = r.records.slice(0, -1);
      for (const x of before) expect(x.loss!).toBeGreaterThan(stopLoss);
      expect(last.t).toBeGreaterThan(before[before.length - 1].t);
      if (solver === 'steer') {
        // The first step below stopLoss: the step before it was above.
        expect(last.t).toBe(r.result.step * 0.01);
      } else {
        // Located on the dense output: the loss there is stopLoss to a few ulps of t.
        expect(last.loss!).toBeGreaterThan(stopLoss * (1 - 1e-9));
        const grid = flowRecordTimes(1e-2, 10, 3).filter((t) => t < last.t);
        expect(before.map((x) => x.t)).toEqual([0, ...grid]);
      }
      console.log(`${solver}: converged at t = ${last.t} with loss ${last.loss} (stopLoss ${stopLoss})`);
    }
    // The event time agrees between the two integrators to about rtol.
    const t5 = follow(s, { ...base, solver: 'dopri5', rtol: 1e-11, stopLoss }).result.t;
    const t8 = follow(s, { ...base, solver: 'dop853', rtol: 1e-11, stopLoss }).result.t;
    expect(Math.abs(t5 - t8) / t8).toBeLessThan(1e-8);
  });

  it('max_steps: attempted steps reach the limit; stopped: after the polled step, with a record there', () => {
    const m = follow(s, { ...base, solver: 'dopri5', maxSteps: 50 });
    expect(m.result.status).toBe('max_steps');
    expect(m.result.step + m.result.rejectedSteps).toBe(50);
    expect(m.result.final.step).toBe(m.result.step);
    expect(m.records[m.records.length - 1]).toEqual(m.result.final);
    const ms = follow(s, { solver: 'steer', eta: 0.02, tMax: 10, maxSteps: 123 });
    expect([ms.result.status, ms.result.step, ms.result.t]).toEqual(['max_steps', 123, 123 * 0.02]);
    for (const solver of ['dopri5', 'dop853', 'steer'] as const) {
      const st = follow(s, solver === 'steer' ? { solver, eta: 0.02, tMax: 10 } : { ...base, solver }, { stopAfter: 30 });
      expect(st.result.status).toBe('stopped');
      expect(st.result.step).toBe(30);
      expect(st.records[st.records.length - 1]).toEqual(st.result.final);
      expect(st.result.final.step).toBe(30);
      expect(st.result.t).toBeLessThan(10);
    }
  });
});

// ------------------------------------------------------------------ (c) exact resume

describe.each([
  ['dopri5', { solver: 'dopri5', tMax: 10, logPerDecade: 3, rtol: 1e-7, stopLoss: 5e-3, checkpointEvery: 7 }],
  ['dop853', { solver: 'dop853', tMax: 10, logPerDecade: 3, rtol: 1e-7, stopLoss: 5e-3, checkpointEvery: 7 }],
  ['dopri5 on X', { solver: 'dopri5', form: 'x', tMax: 10, logPerDecade: 3, rtol: 1e-7, stopLoss: 5e-3, checkpointEvery: 7 }],
  ['steer', { solver: 'steer', eta: 0.02, tMax: 10, logPerDecade: 3, stopLoss: 5e-3, checkpointEvery: 7 }],
] as const)('exact resume (%s)', (_label, input) => {
  const s = setup('sensing');
  const whole = follow(s, input);

  function expectSameEnd(r: FlowResult): void {
    expect(r.status).toBe(whole.result.status);
    expect(r.t).toBe(whole.result.t);
    expect(r.step).toBe(whole.result.step);
    expect(r.rejectedSteps).toBe(whole.result.rejectedSteps);
    expect(r.final).toEqual(whole.result.final);
    expectSameMats(r.params, whole.result.params);
    expectSameMats([r.w], [whole.result.w]);
  }

  it('the uninterrupted run converges through several pieces', () => {
    expect(whole.result.status).toBe('converged');
    expect(whole.records.length).toBeGreaterThan(8);
  });

  it('stopped after k accepted steps (at record times, just after, inside pieces) and continued: bit for bit the uninterrupted run', () => {
    const steps = whole.records.map((r) => r.step);
    const total = whole.result.step;
    const ks = [...new Set([1, steps[3], steps[3] + 1, steps[6], Math.floor((steps[6] + steps[7]) / 2), total - 1])];
    let atRecord = 0, inside = 0;
    for (const k of ks) {
      const first = follow(s, input, { stopAfter: k });
      expect(first.result.status).toBe('stopped');
      expect(first.result.step).toBe(k);
      const c = first.result.checkpoint;
      if (c.inside === null) atRecord++;
      else inside++;
      // From the checkpoint returned (through JSON, as the run directory stores it).
      const second = follow(s, input, { checkpoint: throughJson(c) });
      expect(joined(first.records, c, second.records)).toEqual(whole.records);
      expectSameEnd(second.result);
      // Evaluations: one more when the continuation restarts inside an integrator call (f at the restart point).
      expect(second.result.evaluations - whole.result.evaluations).toBe(input.solver !== 'steer' && c.inside !== null ? 1 : 0);
      // From the last checkpoint the hooks saw before the stop (a crash after it).
      const lastHook = first.checkpoints[first.checkpoints.length - 1];
      if (lastHook !== undefined) {
        const third = follow(s, input, { checkpoint: throughJson(lastHook) });
        expect(joined(first.records, lastHook, third.records)).toEqual(whole.records);
        expectSameEnd(third.result);
      }
    }
    if (input.solver !== 'steer') {
      expect(atRecord).toBeGreaterThanOrEqual(2);
      expect(inside).toBeGreaterThanOrEqual(2);
    }
  });

  it('the hooks\' checkpoints at record steps resume without losing the record there', () => {
    // With checkpointEvery 1 every step is checkpointed, also the ones that end a piece.
    const every = follow(s, { ...input, checkpointEvery: 1 });
    expect(every.records).toEqual(whole.records);
    const recordSteps = new Set(whole.records.map((r) => r.step));
    const atRecords = every.checkpoints.filter((c) => recordSteps.has(c.base.accepted + (c.inside?.acceptedSteps ?? 0)));
    expect(atRecords.length).toBeGreaterThanOrEqual(5);
    for (const c of [atRecords[2], atRecords[4]]) {
      const total = c.base.accepted + (c.inside?.acceptedSteps ?? 0);
      // The record at that step was logged before the checkpoint was taken: the checkpoint keeps it.
      expect(c.keepThrough).toBe(total);
      const cont = follow(s, input, { checkpoint: throughJson(c) });
      expect(joined(every.records, c, cont.records)).toEqual(whole.records);
      expectSameEnd(cont.result);
    }
  });

  it('a finished run continued with the same settings: the same end, no record repeated', () => {
    const again = follow(s, input, { checkpoint: throughJson(whole.result.checkpoint) });
    expectSameEnd(again.result);
    expect(joined(whole.records, whole.result.checkpoint, again.records)).toEqual(whole.records);
    // Ended at t_max (the last record on schedule, which the checkpoint keeps).
    const short = { ...input, stopLoss: null, tMax: 1 };
    const done = follow(s, short);
    expect(done.result.status).toBe('t_max');
    const more = follow(s, short, { checkpoint: throughJson(done.result.checkpoint) });
    expect([more.result.status, more.result.t, more.result.step]).toEqual(['t_max', 1, done.result.step]);
    expect(more.result.final).toEqual(done.result.final);
    expect(more.records).toEqual([]);
    expect(joined(done.records, done.result.checkpoint, more.records)).toEqual(done.records);
  });
});

// ------------------------------------------------------------------ (d) a longer horizon

describe('a longer horizon from a finished t_max run', () => {
  const s = setup('sensing');

  it.each([['dopri5'], ['dop853'], ['steer']] as const)('%s: tMax 10 then 100 continues to t = 100 on the grid of tMax 100', (solver) => {
    const more = solver === 'steer' ? { solver, eta: 0.02, logPerDecade: 2 } : { solver, rtol: 1e-9, logPerDecade: 2 };
    const short = follow(s, { ...more, tMax: 10 });
    expect(short.result.status).toBe('t_max');
    const ext = follow(s, { ...more, tMax: 100 }, { checkpoint: throughJson(short.result.checkpoint) });
    const straight = follow(s, { ...more, tMax: 100 });
    expect(ext.result.status).toBe('t_max');
    expect(ext.result.t).toBe(100);
    expect(joined(short.records, short.result.checkpoint, ext.records).map((r) => r.t)).toEqual(straight.records.map((r) => r.t));
    expect(ext.result.final.loss!).toBeLessThan(short.result.final.loss!);
    // 10 is on both grids: the continuation takes the very steps of the straight run.
    expectSameMats(ext.result.params, straight.result.params);
  });

  it('tMax 5 (off the grid of tMax 50) then 50: continues, close to the straight run', () => {
    const more = { solver: 'dopri5', rtol: 1e-9, logPerDecade: 2 } as const;
    const short = follow(s, { ...more, tMax: 5 });
    const ext = follow(s, { ...more, tMax: 50 }, { checkpoint: throughJson(short.result.checkpoint) });
    const straight = follow(s, { ...more, tMax: 50 });
    expect([ext.result.status, ext.result.t]).toEqual(['t_max', 50]);
    const ts = ext.records.map((r) => r.t);
    expect(ts).toEqual(flowRecordTimes(1e-2, 50, 2).filter((t) => t > 5));
    const d = relDist(ext.result.w.data, straight.result.w.data);
    console.log(`tMax 5 -> 50 vs straight 50: ||W - W_straight||/||W_straight|| = ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-7);
  });
});

// ------------------------------------------------------------------ (e) bad settings

describe('bad settings: one-line RangeErrors naming the field', () => {
  const s = setup('sensing');
  const flow = (input: FlowInput, model: Model = s.model, params: Mat[] = s.params) =>
    () => followFlow({ model, problem: s.problem, params, settings: input as ReturnType<typeof resolveFlowSettings> });

  it.each([
    [{ solver: 'dopri5', eta: 1e-3 }, /^eta: only used by the steering path .*got solver dopri5$/],
    [{ solver: 'rk4' }, /^solver: expected one of dopri5, dop853, rodas4, steer, got rk4$/],
    [{ form: 'y' }, /^form: expected factors or x, got y$/],
    [{ solver: 'steer', form: 'factors' }, /^form: /],
    [{ logFrom: 10, tMax: 10 }, /^logFrom: expected a time below tMax = 10, got 10$/],
    [{ logFrom: 20, tMax: 10 }, /^logFrom: /],
    [{ tMax: 0 }, /^tMax: expected a positive finite number, got 0$/],
    [{ rtol: -1 }, /^rtol: /],
    [{ atol: NaN }, /^atol: /],
    [{ solver: 'steer', eta: 0 }, /^eta: /],
    [{ maxSteps: 1.5 }, /^maxSteps: expected a positive integer, got 1.5$/],
    [{ stopLoss: -1 }, /^stopLoss: /],
    [{ logPerDecade: 0 }, /^logPerDecade: /],
    [{ logSingular: -2 }, /^logSingular: /],
    [{ checkpointEvery: 0 }, /^checkpointEvery: /],
  ] as const)('%j', (input, pattern) => {
    expect(rangeErrorOf(() => resolveFlowSettings(input as FlowInput))).toMatch(pattern);
    expect(rangeErrorOf(flow(input as FlowInput))).toMatch(pattern);
  });

  it('models the settings do not apply to, and checkpoints of the wrong size', () => {
    const deep = setup('sensing', defaultBackend(), { kind: 'deep', depth: 2 });
    expect(rangeErrorOf(flow({ solver: 'steer' }, deep.model, deep.params))).toMatch(/^model: .*needs the psd model U U\^T, got deep$/);
    expect(rangeErrorOf(flow({ form: 'x' }, deep.model, deep.params))).toMatch(/^model: .*psd.*got deep$/);
    const udu = setup('sensing', defaultBackend(), { kind: 'udu', width: 5 });
    expect(rangeErrorOf(flow({}, udu.model, udu.params))).toMatch(/^model: udu .*no gradient flow$/);
    const big = completion({ n1: 9, n2: 9, m: 30, rank: 2, symmetric: true, seed: 1 });
    const bigModel = createModel({ kind: 'psd', width: 9 }, big, 'half-sse');
    const bigParams = initialize({ kind: 'gaussian', scale: 0.3 }, bigModel, big, Random.fromSeed(1));
    expect(rangeErrorOf(() => followFlow({ model: bigModel, problem: big, params: bigParams, settings: resolveFlowSettings({ logMatrix: true }) })))
      .toMatch(/^logMatrix: logs W only when n1 n2 <= 64, got 9x9$/);
    const done = follow(s, { tMax: 1 });
    // A checkpoint of the factors (25 values) given to the flow of X (25 values too) passes the size check,
    // so use a deep model's (50 values) for the psd flow.
    const deepDone = followFlow({ model: deep.model, problem: deep.problem, params: deep.params, settings: resolveFlowSettings({ tMax: 1 }) });
    expect(deepDone.checkpoint.y.length).toBe(50);
    expect(rangeErrorOf(() => followFlow({ model: s.model, problem: s.problem, params: s.params, settings: resolveFlowSettings({ tMax: 2 }), checkpoint: deepDone.checkpoint })))
      .toBe('checkpoint: expected a state of 25 values, got 50');
    expect(done.result.checkpoint.y.length).toBe(25);
  });
});

// ------------------------------------------------------------------ runFlow / resumeFlow through files

describe('runFlow / resumeFlow: the run directory', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'implab-flow-run-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const s = setup('sensing');
  const problemFile = path.join(tmp, 'S.npz');
  writeNpzFile(problemFile, problemToNd(s.problem));
  let counter = 0;
  const fresh = (name: string): string => path.join(tmp, `${name}-${++counter}`);
  const config = (flow: FlowRunConfig['flow']): FlowRunConfig => ({
    // The same start as setup(): gaussian, scale 0.3, stream seed 1.
    problem: problemFile, model: { kind: 'psd', width: 5 }, init: { kind: 'gaussian', scale: 0.3 }, loss: 'half-sse', flow, seed: 1,
  });
  const read = (dir: string, name: string): Buffer => fs.readFileSync(path.join(dir, name));
  const history = (dir: string): Record<string, unknown>[] => read(dir, 'history.jsonl').toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = (dir: string): Record<string, unknown> => JSON.parse(read(dir, 'summary.json').toString('utf8')) as Record<string, unknown>;
  /** summary.json without what differs between two runs of the same flow (timings; evaluations after a resume). */
  const stable = (dir: string): Record<string, unknown> => {
    const { train_seconds: _a, total_seconds: _b, evaluations: _c, ...rest } = summary(dir);
    return rest;
  };
  const mat = (dir: string, name: string): Float64Array => readNpzFile(path.join(dir, 'result.npz')).get(name)!.data as Float64Array;

  it.each([
    ['dopri5 on U', { solver: 'dopri5', rtol: 1e-8 }, ['U', 'W'], { rtol: 1e-8, atol: 1e-14 }],
    ['dop853 on X', { solver: 'dop853', form: 'x', rtol: 1e-9, atol: 1e-13 }, ['W', 'X'], { rtol: 1e-9, atol: 1e-13 }],
    ['steer', { solver: 'steer', eta: 0.02 }, ['W', 'X'], { eta: 0.02 }],
  ] as const)('%s: config, history with t, result and summary, as followFlow computes them', (_label, flow, names, errorControl) => {
    const dir = fresh('files');
    const input = { ...flow, tMax: 10, logPerDecade: 2 };
    const out = runFlow(config(input), dir, { backend: s.be });
    const direct = follow(s, input);
    expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint.json', 'checkpoint.npz', 'config.json', 'history.jsonl', 'result.npz', 'summary.json']);
    expect([out.status, out.step, out.t, out.runDir]).toEqual(['t_max', direct.result.step, 10, dir]);
    // history.jsonl: the records, each with its t, as JSON.
    const lines = history(dir);
    expect(lines).toEqual(JSON.parse(JSON.stringify(direct.records)));
    const grid = flowRecordTimes(1e-2, 10, 2);
    if (flow.solver === 'steer') {
      expect(lines.map((l) => l.step)).toEqual([0, ...new Set(grid.map((t) => Math.ceil(t / 0.02 - 1e-9)))]);
      for (const l of lines) expect(l.t).toBe((l.step as number) * 0.02);
    } else {
      expect(lines.map((l) => l.t)).toEqual([0, ...grid]);
    }
    const sm = summary(dir);
    expect(sm.status).toBe('t_max');
    expect(sm.t).toBe(10);
    expect(sm.step).toBe(direct.result.step);
    expect(sm.accepted_steps).toBe(direct.result.step);
    expect(sm.rejected_steps).toBe(direct.result.rejectedSteps);
    expect(sm.evaluations).toBe(direct.result.evaluations);
    expect(sm.error_control).toEqual(errorControl);
    expect(sm.solver).toBe(flow.solver);
    expect(sm.form).toBe(flow.solver === 'steer' ? 'x' : (flow as { form?: string }).form ?? 'factors');
    expect(sm.final).toEqual(lines[lines.length - 1]);
    expect(sm.initial_loss).toBe(lines[0].loss);
    expect(typeof sm.train_seconds).toBe('number');
    expect(sm.backend).toBe(s.be.name);
    expect((sm.config as FlowRunConfig).flow).toEqual(resolveFlowSettings(input));
    expect(JSON.parse(read(dir, 'config.json').toString('utf8'))).toEqual(sm.config);
    // result.npz: the factors or X, and W, bit for bit the in-memory result.
    const npz = readNpzFile(path.join(dir, 'result.npz'));
    expect([...npz.keys()].sort()).toEqual([...names]);
    expect(npz.get('W')!.shape).toEqual([5, 5]);
    expect(bytes(mat(dir, 'W')).equals(bytes(direct.result.w.data))).toBe(true);
    expect(bytes(mat(dir, (names as readonly string[]).includes('U') ? 'U' : 'X')).equals(bytes(direct.result.params[0].data))).toBe(true);
  });

  it.each([
    ['dopri5', { solver: 'dopri5', rtol: 1e-7 }],
    ['dop853', { solver: 'dop853', rtol: 1e-7 }],
    ['steer', { solver: 'steer', eta: 0.05 }],
  ] as const)('%s: stopped, then crashed after a checkpoint, each resumed with resumeFlow: the files of an uninterrupted run', (_label, flow) => {
    // Checkpoint files are written with fsync: a few of them only.
    const input = { ...flow, tMax: 10, logPerDecade: 3, checkpointEvery: flow.solver === 'steer' ? 60 : 9 };
    const straight = fresh('straight');
    runFlow(config(input), straight, { backend: s.be });
    const totalSteps = summary(straight).step as number;
    // Stopped (Ctrl-C) after 40 accepted steps, resumed.
    const stopped = fresh('stopped');
    let polls = 0;
    const first = runFlow(config(input), stopped, { backend: s.be, shouldStop: () => ++polls === 40 });
    expect([first.status, first.step]).toEqual(['stopped', 40]);
    expect(summary(stopped).status).toBe('stopped');
    const second = resumeFlow(stopped, {}, { backend: s.be });
    expect([second.status, second.step, second.t]).toEqual(['t_max', totalSteps, 10]);
    // A crash (an exception from the logging hook) at the 9th record: only the last periodic checkpoint is left.
    const crashed = fresh('crashed');
    let logged = 0;
    expect(() => runFlow(config(input), crashed, {
      backend: s.be,
      onLog: () => {
        if (++logged === 9) throw new Error('crash');
      },
    })).toThrow('crash');
    expect(fs.existsSync(path.join(crashed, 'summary.json'))).toBe(false);
    expect(history(crashed).length).toBe(9);
    const left = (JSON.parse(read(crashed, 'checkpoint.json').toString('utf8')) as { state: FlowCheckpoint }).state;
    // Resumed from a checkpoint before the crash, with records after it to drop and log again.
    expect(left.keepThrough).toBeGreaterThan(0);
    expect(left.keepThrough).toBeLessThan(history(crashed)[8].step as number);
    resumeFlow(crashed, {}, { backend: s.be });
    for (const dir of [stopped, crashed]) {
      expect(read(dir, 'history.jsonl').equals(read(straight, 'history.jsonl'))).toBe(true);
      expect(read(dir, 'result.npz').equals(read(straight, 'result.npz'))).toBe(true);
      expect(stable(dir)).toEqual(stable(straight));
    }
  });

  it('resumeFlow with a larger tMax extends a finished run; a smaller one, or the same, changes nothing', () => {
    const dir = fresh('extend');
    runFlow(config({ solver: 'dopri5', rtol: 1e-8, tMax: 10, logPerDecade: 2 }), dir, { backend: s.be });
    const before = history(dir);
    const historyBefore = read(dir, 'history.jsonl');
    const same = resumeFlow(dir, {}, { backend: s.be });
    expect([same.status, same.t]).toEqual(['t_max', 10]);
    expect(read(dir, 'history.jsonl').equals(historyBefore)).toBe(true);
    expect(() => resumeFlow(dir, { tMax: 5 })).toThrow(/^--t-max: 5 is below the time already reached, 10$/);
    const out = resumeFlow(dir, { tMax: 1000 }, { backend: s.be });
    expect([out.status, out.t]).toEqual(['t_max', 1000]);
    const after = history(dir);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.map((l) => l.t)).toEqual([0, ...flowRecordTimes(1e-2, 1000, 2)]);
    expect(summary(dir).t).toBe(1000);
    expect((summary(dir).config as FlowRunConfig).flow.tMax).toBe(1000);
    expect(after[after.length - 1].loss as number).toBeLessThan(before[before.length - 1].loss as number);
    // The longer horizon is now the run's: a plain resume continues from there (nothing to do);
    // { tMax: undefined } keeps it too (not the default 1e8).
    expect(JSON.parse(read(dir, 'config.json').toString('utf8')).flow.tMax).toBe(1000);
    const historyAfter = read(dir, 'history.jsonl');
    for (const overrides of [{}, { tMax: undefined }]) {
      const again = resumeFlow(dir, overrides, { backend: s.be });
      expect([again.status, again.t]).toEqual(['t_max', 1000]);
    }
    expect(read(dir, 'history.jsonl').equals(historyAfter)).toBe(true);
  });

  it('refuses an existing run without force, a training run\'s checkpoint and config, each with one line', () => {
    const dir = fresh('twice');
    runFlow(config({ tMax: 1 }), dir, { backend: s.be });
    const before = read(dir, 'summary.json');
    expect(() => runFlow(config({ tMax: 2 }), dir)).toThrow(/already exists and is not empty/);
    expect(read(dir, 'summary.json').equals(before)).toBe(true);
    expect(runFlow(config({ tMax: 2 }), dir, { force: true, backend: s.be }).t).toBe(2);

    const train = fresh('train');
    runTraining({
      problem: problemFile, model: { kind: 'psd', width: 5 }, init: { kind: 'gaussian', scale: 0.3 }, optimizer: { name: 'gd', lr: 0.01 },
      loss: 'half-sse', train: { maxIters: 20, logEvery: 10, checkpointEvery: 10 }, seed: 1,
    }, train, { backend: s.be });
    const historyBefore = read(train, 'history.jsonl');
    const oneLine = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(FormatError);
        expect((e as Error).message).not.toContain('\n');
        return (e as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(oneLine(() => resumeFlow(train))).toBe(`${path.join(train, 'config.json')}: not the config of a flow run (no "flow" settings)`);
    expect(oneLine(() => continueFlow(config({ tMax: 1 }), train))).toBe(`${path.join(train, 'checkpoint.json')}: not a checkpoint of implab flow`);
    expect(read(train, 'history.jsonl').equals(historyBefore)).toBe(true);
    expect(oneLine(() => resumeFlow(path.join(tmp, 'nowhere')))).toMatch(/config\.json: missing: not a run directory written by implab flow$/);
  });
});
