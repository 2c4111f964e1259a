/**
 * Following the gradient flow of a factorized model, the way src/train/loop.ts follows
 * gradient descent: plain data in, records and checkpoints out through hooks, no file I/O.
 *
 * Three ways to follow it (FlowSettings.solver / form):
 * - dopri5, dop853 or (where the flow is stiff, late in a run) the L-stable Rosenbrock rodas4
 *   on the model's factors, dθ/dt = -∇L(θ) (src/flow/model-flow.ts);
 * - the same integrators on X = U U^T itself, dX/dt = -(S X + X S) (form `x`, psd model;
 *   src/flow/psd-flow.ts), which needs no factorization;
 * - Gunasekar et al.'s steering path X <- exp(-η S) X exp(-η S) at t = k η (solver `steer`,
 *   src/flow/steer.ts), which stays PSD exactly and tends to the flow as η -> 0.
 *
 * Time grid: records at t = 0 and at logPerDecade times per decade from logFrom to tMax.
 * The integrator runs from one record time to the next (each piece is one integrator call
 * that ends exactly there, continuing with the step size the last one proposed), so a
 * record is the flow at its time, not an interpolation, and a checkpoint at a record time
 * or at any accepted step resumes bit for bit. Small initializations make the early phase
 * exponentially slow in t, and the adaptive step grows through it (by up to 10x per step),
 * so a horizon of 1e8 costs a few hundred steps more than one of 1e2.
 *
 * Status: converged (loss below stopLoss, located on the dense output), t_max, max_steps,
 * stopped (hooks.shouldStop), diverged (the state stopped being finite).
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, zeros } from '../linalg/mat.js';
import { backend as currentBackend } from '../linalg/select.js';
import type { Model } from '../models/model.js';
import type { Problem } from '../problems/problem.js';
import { defaultSchattenP, LOG_MATRIX_MAX_ENTRIES, type HistoryRecord } from '../train/loop.js';
import { historyRecord, type RecordOptions } from '../train/record.js';
import type { OdeOptions, OdeResult, OdeRhs, OdeState } from './adaptive.js';
import { integrate, type OdeMethod } from './integrate.js';
import { modelFlow } from './model-flow.js';
import { psdFlow } from './psd-flow.js';
import { SteerStepper } from './steer.js';

export const FLOW_SOLVERS = ['dopri5', 'dop853', 'rodas4', 'steer'] as const;
export type FlowSolver = (typeof FLOW_SOLVERS)[number];
export type FlowForm = 'factors' | 'x';
export type FlowStatus = 'converged' | 't_max' | 'max_steps' | 'stopped' | 'diverged';

/** How a flow is followed, with every default filled in (resolveFlowSettings). */
export interface FlowSettings {
  solver: FlowSolver;
  /** factors: the flow of the model's factors; x: the flow of X = U U^T (psd model). steer implies x. */
  form: FlowForm;
  rtol: number;
  atol: number;
  /** The steering step (steer only). */
  eta?: number;
  /** The horizon. */
  tMax: number;
  /** Accepted + rejected integrator steps, or steering steps. */
  maxSteps: number;
  stopLoss: number | null;
  logPerDecade: number;
  logFrom: number;
  logSingular: number | 'all';
  logMatrix: boolean;
  /** Call hooks.onCheckpoint every this many accepted steps (null: only at the end). */
  checkpointEvery: number | null;
}

/** A history record of a flow: the training record plus the flow time t (step = accepted steps so far). */
export interface FlowRecord extends HistoryRecord {
  t: number;
}

/** Where a flow is, exactly: the state vector and what the integrator needs to go on. */
export interface FlowCheckpoint {
  /** The flat state: the factors (form factors) or X (form x, steer), row-major. */
  y: Float64Array;
  /** Index of the next record time to reach. */
  segment: number;
  /** Accepted / rejected steps and evaluations before the current integrator call. */
  base: { accepted: number; rejected: number; evaluations: number };
  /** The integrator's state inside the current call (null at a record time: start the next call with `h`). */
  inside: Omit<OdeState, 'y'> | null;
  /** The t reached and the step size proposed next. */
  t: number;
  h: number | null;
  /** steer: the step k. */
  k: number;
  /** The step of the last record logged on schedule (a resumed run drops later lines). */
  keepThrough: number;
  initialLoss: number;
  trainSeconds: number;
}

export interface FlowHooks {
  onLog?(record: FlowRecord): void;
  onCheckpoint?(checkpoint: FlowCheckpoint): void;
  /** Polled after every accepted step; true ends the run with status `stopped` (resumable). */
  shouldStop?(): boolean;
}

export interface FlowArgs {
  model: Model;
  problem: Problem;
  /** The initial factors (the run's initialization). */
  params: readonly Mat[];
  settings: FlowSettings;
  /** Continue from here instead of the start. */
  checkpoint?: FlowCheckpoint;
  hooks?: FlowHooks;
  backend?: Backend;
}

export interface FlowResult {
  status: FlowStatus;
  /** Accepted steps (integrator) or steering steps. */
  step: number;
  t: number;
  rejectedSteps: number;
  evaluations: number;
  initialLoss: number;
  final: FlowRecord;
  /** The factors at the end (form factors) or [X] (form x, steer). */
  params: Mat[];
  /** Their names in result.npz. */
  names: string[];
  /** The end-to-end matrix at the end. */
  w: Mat;
  /** A checkpoint of the end (extend the horizon from it). */
  checkpoint: FlowCheckpoint;
  trainSeconds: number;
}

type FlowInput = Partial<Omit<FlowSettings, 'stopLoss' | 'checkpointEvery'>> & { stopLoss?: number | null; checkpointEvery?: number | null };

function positive(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${field}: expected a positive finite number, got ${String(v)}`);
  return v;
}

function positiveInt(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new RangeError(`${field}: expected a positive integer, got ${String(v)}`);
  return v;
}

/**
 * Validates flow settings and fills in the defaults (dopri5 on the factors, rtol 1e-8,
 * atol 1e-14, tMax 1e8, 1e6 steps, 10 records per decade of t from 1e-2; steer: eta 1e-3).
 * Errors are one line naming the field.
 *
 * @example
 * resolveFlowSettings({ solver: 'dop853', rtol: 1e-10, stopLoss: 1e-20 });
 */
export function resolveFlowSettings(s: FlowInput): FlowSettings {
  const solver = s.solver ?? 'dopri5';
  if (!FLOW_SOLVERS.includes(solver)) throw new RangeError(`solver: expected one of ${FLOW_SOLVERS.join(', ')}, got ${String(solver)}`);
  const form = s.form ?? (solver === 'steer' ? 'x' : 'factors');
  if (form !== 'factors' && form !== 'x') throw new RangeError(`form: expected factors or x, got ${String(form)}`);
  if (solver === 'steer' && form !== 'x') throw new RangeError('form: the steering path evolves X itself (form x), got factors');
  if (s.eta !== undefined && solver !== 'steer') throw new RangeError(`eta: only used by the steering path (solver steer), got solver ${solver}`);
  const tMax = positive('tMax', s.tMax ?? 1e8);
  const logFrom = positive('logFrom', s.logFrom ?? 1e-2);
  if (!(logFrom < tMax)) throw new RangeError(`logFrom: expected a time below tMax = ${tMax}, got ${logFrom}`);
  const stopLoss = s.stopLoss ?? null;
  if (stopLoss !== null && !(typeof stopLoss === 'number' && stopLoss >= 0 && Number.isFinite(stopLoss))) {
    throw new RangeError(`stopLoss: expected a finite number >= 0, got ${String(stopLoss)}`);
  }
  const logSingular = s.logSingular ?? 10;
  if (logSingular !== 'all' && !(Number.isSafeInteger(logSingular) && logSingular >= 0)) {
    throw new RangeError(`logSingular: expected a non-negative integer or "all", got ${String(logSingular)}`);
  }
  return {
    solver,
    form,
    rtol: positive('rtol', s.rtol ?? 1e-8),
    atol: positive('atol', s.atol ?? 1e-14),
    ...(solver === 'steer' ? { eta: positive('eta', s.eta ?? 1e-3) } : {}),
    tMax,
    maxSteps: positiveInt('maxSteps', s.maxSteps ?? 1_000_000),
    stopLoss,
    logPerDecade: positiveInt('logPerDecade', s.logPerDecade ?? 10),
    logFrom,
    logSingular,
    logMatrix: s.logMatrix ?? false,
    checkpointEvery: s.checkpointEvery === null || s.checkpointEvery === undefined ? null : positiveInt('checkpointEvery', s.checkpointEvery),
  };
}

/**
 * The record times after t = 0: logFrom 10^(j / perDecade) for j = 0, 1, ... below tMax,
 * then tMax (whole decades exact when logFrom is a power of ten).
 *
 * @example
 * flowRecordTimes(1e-2, 1e0, 2); // [0.01, 0.0316..., 0.1, 0.316..., 1]
 */
export function flowRecordTimes(logFrom: number, tMax: number, perDecade: number): number[] {
  const times: number[] = [];
  const e0 = Math.log10(logFrom);
  const exact = Number.isInteger(e0);
  for (let j = 0; ; j++) {
    const e = e0 + j / perDecade;
    const t = exact && j % perDecade === 0 ? Number(`1e${e}`) : logFrom * 10 ** (j / perDecade);
    if (!(t < tMax * (1 - 1e-12))) break;
    times.push(t);
  }
  times.push(tMax);
  return times;
}

/** The state being integrated and how to read W, dL/dW and the loss from it. */
interface FlowSystem {
  size: number;
  rhs: OdeRhs;
  loss(y: Float64Array): number;
  /** W and dL/dW at y into w and g; returns the loss. */
  measure(y: Float64Array, w: Mat, g: Mat): number;
  /** The arrays of result.npz at y. */
  result(y: Float64Array): { params: Mat[]; names: string[] };
  /** The state of the initial factors. */
  start(params: readonly Mat[]): Float64Array;
}

function factorSystem(model: Model): FlowSystem {
  const mf = modelFlow(model);
  const grads = model.factorShapes.map(([r, c]) => zeros(r, c));
  return {
    size: mf.size,
    rhs: mf.rhs,
    loss: (y) => mf.loss(y),
    measure(y, w, g) {
      const params = mf.unpack(y);
      const loss = model.lossAndGradient(params, grads);
      model.endToEnd(params, w);
      model.endToEndGradient(g);
      return loss;
    },
    result: (y) => ({ params: mf.unpack(y), names: [...model.factorNames] }),
    start: (params) => mf.pack(params),
  };
}

function xSystem(problem: Problem, model: Model, be: Backend): FlowSystem {
  const pf = psdFlow(problem, model.loss, be);
  return {
    size: pf.size,
    rhs: pf.rhs,
    loss: (y) => pf.loss(y),
    measure(y, w, g) {
      w.data.set(y);
      // S = ∇f + ∇f^T; the record's dL/dW is its symmetric half (what acts on symmetric X).
      const s = pf.symmetricGradient(y, g);
      for (let i = 0; i < s.data.length; i++) s.data[i] *= 0.5;
      return pf.loss(y);
    },
    result: (y) => ({ params: [pf.unpack(y)], names: ['X'] }),
    // pack checks X_0 = U_0 U_0^T and stores it exactly symmetric, which the right-hand side assumes.
    start: (params) => pf.pack(gram(params[0], be)),
  };
}

/** X = U U^T of the psd model's initial factor. */
function gram(u: Mat, be: Backend): Mat {
  return be.gemm(false, true, 1, u, u, 0, zeros(u.rows, u.rows));
}

/**
 * Follows the flow of `model` on `problem` from `params` (or from a checkpoint) until a
 * stopping rule fires, logging records on the time grid (see the module comment).
 *
 * @throws RangeError for bad settings (one line naming the field), a model the settings do
 *   not apply to (udu; x and steer need psd), or parameters of the wrong shape.
 * @example
 * const r = followFlow({ model, problem, params, settings: resolveFlowSettings({ solver: 'dop853', stopLoss: 1e-20 }) });
 * r.status; r.t; r.final.recon_rel;
 */
export function followFlow(args: FlowArgs): FlowResult {
  const { model, problem } = args;
  const cfg = resolveFlowSettings(args.settings);
  const be = args.backend ?? currentBackend();
  const hooks = args.hooks ?? {};
  if (model.kind === 'udu') throw new RangeError('model: udu is projected (||U||_F <= r, D >= 0); it has no gradient flow');
  if (cfg.form === 'x' && model.kind !== 'psd') throw new RangeError(`model: the flow of X (form x, steer) needs the psd model U U^T, got ${model.kind}`);
  if (cfg.logMatrix && model.n1 * model.n2 > LOG_MATRIX_MAX_ENTRIES) {
    throw new RangeError(`logMatrix: logs W only when n1 n2 <= ${LOG_MATRIX_MAX_ENTRIES}, got ${model.n1}x${model.n2}`);
  }
  const full = Math.min(model.n1, model.n2);
  const recordOptions: RecordOptions = {
    problem, loss: model.loss, k: cfg.logSingular === 'all' ? full : Math.min(cfg.logSingular, full),
    schattenP: defaultSchattenP(model), logMatrix: cfg.logMatrix, backend: be,
  };
  const w = zeros(model.n1, model.n2), g = zeros(model.n1, model.n2);
  const times = flowRecordTimes(cfg.logFrom, cfg.tMax, cfg.logPerDecade);
  return cfg.solver === 'steer'
    ? followSteer(args, cfg, times, recordOptions, w, g, hooks, be)
    : followOde(args, cfg, times, recordOptions, w, g, hooks, be);
}

function followOde(
  args: FlowArgs, cfg: FlowSettings, times: number[], recordOptions: RecordOptions, w: Mat, g: Mat, hooks: FlowHooks, be: Backend,
): FlowResult {
  const { model, problem } = args;
  const sys = cfg.form === 'x' ? xSystem(problem, model, be) : factorSystem(model);
  const ck = args.checkpoint;
  if (ck && ck.y.length !== sys.size) throw new RangeError(`checkpoint: expected a state of ${sys.size} values, got ${ck.y.length}`);
  let y = ck ? Float64Array.from(ck.y) : sys.start(args.params);
  let t = ck ? ck.t : 0;
  // The next record time after t (a longer horizon on resume changes the grid beyond the old one).
  let segment = times.findIndex((tt) => tt > t);
  if (segment < 0) segment = times.length;
  let h = ck ? ck.h : null;
  let inside = ck ? ck.inside : null;
  let base = ck ? { ...ck.base } : { accepted: 0, rejected: 0, evaluations: 0 };
  let keepThrough = ck ? ck.keepThrough : 0;
  let previousSeconds = ck ? ck.trainSeconds : 0;
  let hookMs = 0;
  const t0 = performance.now();

  const record = (at: Float64Array, tt: number, step: number): FlowRecord => {
    const loss = sys.measure(at, w, g);
    return { ...historyRecord(step, loss, w, g, recordOptions), t: tt };
  };
  const log = (r: FlowRecord): void => {
    if (!hooks.onLog) return;
    const h0 = performance.now();
    hooks.onLog(r);
    hookMs += performance.now() - h0;
  };
  const seconds = (): number => previousSeconds + (performance.now() - t0 - hookMs) / 1000;
  /** A checkpoint at (yv, tv): at a record time (st null) or inside an integrator call (its state st). */
  const snapshot = (yv: Float64Array, tv: number, st: Omit<OdeState, 'y'> | null): FlowCheckpoint => ({
    y: Float64Array.from(yv), segment, base: { ...base }, inside: st, t: tv, h, k: 0, keepThrough,
    initialLoss, trainSeconds: seconds(),
  });
  const checkpoint = (c: FlowCheckpoint): void => {
    if (!hooks.onCheckpoint) return;
    const h0 = performance.now();
    hooks.onCheckpoint(c);
    hookMs += performance.now() - h0;
  };

  const initialLoss = ck ? ck.initialLoss : sys.loss(y);
  let last: FlowRecord | null = null;
  if (!ck) {
    last = record(y, 0, 0);
    log(last);
  }
  // Counted from where the run is (inside a piece: the steps of the call so far too).
  let lastCheckpointStep = base.accepted + (inside ? inside.acceptedSteps : 0);
  const stopLoss = cfg.stopLoss;
  const event = stopLoss === null ? undefined : (_t: number, at: Float64Array): number => sys.loss(at) - stopLoss;
  let status: FlowStatus | null = null;
  if (!Number.isFinite(initialLoss)) status = 'diverged';
  else if (stopLoss !== null && (ck ? sys.loss(y) : initialLoss) <= stopLoss) status = 'converged';

  while (status === null) {
    if (segment >= times.length) {
      status = 't_max';
      break;
    }
    const remaining = cfg.maxSteps - base.accepted - base.rejected;
    if (remaining <= 0) {
      status = 'max_steps';
      break;
    }
    const tEnd = times[segment];
    // The piece's start: where a fresh call begins; a resumed call is given the same bounds
    // (and so the same largest step), which is what makes it continue bit for bit.
    const tStart = segment > 0 ? times[segment - 1] : 0;
    let stopRequested = false;
    const options: OdeOptions = {
      rtol: cfg.rtol, atol: cfg.atol, maxSteps: remaining, event, hMax: tEnd - tStart,
      onStep: (info) => {
        // The step that ends the piece is checkpointed after its record is logged (below), at the
        // record time: a checkpoint taken here, before the record, would resume past it and lose it.
        if (info.t < tEnd && cfg.checkpointEvery !== null && base.accepted + info.acceptedSteps - lastCheckpointStep >= cfg.checkpointEvery && hooks.onCheckpoint) {
          lastCheckpointStep = base.accepted + info.acceptedSteps;
          const { y: yNow, ...st } = info;
          checkpoint(snapshot(yNow, info.t, st));
        }
        if (hooks.shouldStop) {
          const h0 = performance.now();
          stopRequested = hooks.shouldStop();
          hookMs += performance.now() - h0;
        }
        return stopRequested;
      },
      ...(inside ? { resume: { ...inside, y } } : h !== null ? { h0: h } : {}),
    };
    let r: OdeResult;
    try {
      r = integrate(cfg.solver as OdeMethod, sys.rhs, inside ? tStart : t, y, tEnd, options);
    } catch (e) {
      // A state that stopped being finite makes every step fail: the flow blew up.
      if (e instanceof RangeError && /underflow|finite/.test(e.message)) {
        status = 'diverged';
        break;
      }
      throw e;
    }
    y = Float64Array.from(r.y);
    t = r.t;
    h = r.h;
    const steps = { accepted: base.accepted + r.acceptedSteps, rejected: base.rejected + r.rejectedSteps, evaluations: base.evaluations + r.evaluations };
    if (r.status === 'done') {
      base = steps;
      inside = null;
      segment += 1;
      last = record(y, t, base.accepted);
      keepThrough = base.accepted;
      log(last);
      if (!Number.isFinite(last.loss ?? NaN)) status = 'diverged';
      // shouldStop was polled after this piece's last step (onStep): once per accepted step.
      else if (stopRequested) status = 'stopped';
      if (cfg.checkpointEvery !== null && base.accepted - lastCheckpointStep >= cfg.checkpointEvery) {
        lastCheckpointStep = base.accepted;
        checkpoint(snapshot(y, t, null));
      }
      continue;
    }
    // Ended inside the piece: keep the integrator's own state to continue exactly.
    const { y: _y, outputs: _o, status: _s, ...st } = r;
    inside = { ...st, acceptedSteps: r.acceptedSteps, rejectedSteps: r.rejectedSteps, evaluations: r.evaluations };
    // The counters inside a resumed call run on from the saved ones, so base stays.
    status = r.status === 'event' ? 'converged' : r.status === 'stopped' ? 'stopped' : 'max_steps';
    if (r.status === 'event') {
      // The event time is final: nothing continues from inside this piece.
      base = steps;
      inside = null;
    }
  }

  const totalAccepted = inside ? base.accepted + inside.acceptedSteps : base.accepted;
  const finalRecord = last !== null && last.t === t ? last : record(y, t, totalAccepted);
  // A continuation that did not move (a finished run resumed with the same horizon) ends on
  // the record the checkpoint kept (step <= keepThrough): logging it again would repeat a line.
  if (finalRecord !== last && !(ck && finalRecord.step <= keepThrough)) log(finalRecord);
  const end = snapshot(y, t, inside);
  const result = sys.result(y);
  const wOut = zeros(model.n1, model.n2);
  sys.measure(y, wOut, g);
  return {
    status: status!, step: totalAccepted, t, rejectedSteps: inside ? base.rejected + inside.rejectedSteps : base.rejected,
    evaluations: inside ? base.evaluations + inside.evaluations : base.evaluations, initialLoss,
    final: finalRecord, params: result.params, names: result.names, w: wOut, checkpoint: end, trainSeconds: end.trainSeconds,
  };
}

function followSteer(
  args: FlowArgs, cfg: FlowSettings, times: number[], recordOptions: RecordOptions, w: Mat, g: Mat, hooks: FlowHooks, be: Backend,
): FlowResult {
  const { model, problem } = args;
  const eta = cfg.eta!;
  const n = model.n1;
  const ck = args.checkpoint;
  const x0 = ck ? { rows: n, cols: n, data: Float64Array.from(ck.y) } : gram(args.params[0], be);
  const st = new SteerStepper(problem, model.loss, eta, { x: x0, k: ck ? ck.k : 0 }, be);
  const pf = psdFlow(problem, model.loss, be);
  // Record steps: the first step at or after each record time.
  const recordSteps = [...new Set(times.map((t) => Math.ceil(t / eta - 1e-9)))].filter((k) => k >= 1);
  const lastStep = Math.min(cfg.maxSteps, recordSteps[recordSteps.length - 1]);
  let next = 0;
  while (next < recordSteps.length && recordSteps[next] <= st.k) next++;
  let keepThrough = ck ? ck.keepThrough : 0;
  const initialLoss = ck ? ck.initialLoss : st.loss;
  const previousSeconds = ck ? ck.trainSeconds : 0;
  let hookMs = 0;
  const t0 = performance.now();
  const seconds = (): number => previousSeconds + (performance.now() - t0 - hookMs) / 1000;
  const record = (): FlowRecord => {
    w.data.set(st.x.data);
    const s = pf.symmetricGradient(st.x.data, g);
    for (let i = 0; i < s.data.length; i++) s.data[i] *= 0.5;
    return { ...historyRecord(st.k, st.loss, w, g, recordOptions), t: st.k * eta };
  };
  const timed = (f: () => void): void => {
    const h0 = performance.now();
    f();
    hookMs += performance.now() - h0;
  };
  const snapshot = (): FlowCheckpoint => ({
    y: Float64Array.from(st.x.data), segment: next, base: { accepted: st.k, rejected: 0, evaluations: st.k }, inside: null,
    t: st.k * eta, h: eta, k: st.k, keepThrough, initialLoss, trainSeconds: seconds(),
  });
  let last: FlowRecord | null = null;
  if (!ck) {
    last = record();
    timed(() => hooks.onLog?.(last!));
  }
  let status: FlowStatus | null = null;
  let stop = false;
  for (;;) {
    if (!st.finite) status = 'diverged';
    else if (cfg.stopLoss !== null && st.loss <= cfg.stopLoss) status = 'converged';
    else if (st.k >= lastStep) status = lastStep < recordSteps[recordSteps.length - 1] ? 'max_steps' : 't_max';
    else if (stop) status = 'stopped';
    if (status !== null) break;
    st.step();
    if (next < recordSteps.length && st.k === recordSteps[next]) {
      next++;
      last = record();
      keepThrough = st.k;
      const r = last;
      timed(() => hooks.onLog?.(r));
    }
    if (cfg.checkpointEvery !== null && st.k % cfg.checkpointEvery === 0 && hooks.onCheckpoint) {
      const c = snapshot();
      timed(() => hooks.onCheckpoint!(c));
    }
    // Polled after every step, as the integrators do (not before the first one, nor again on resume).
    if (hooks.shouldStop) timed(() => (stop = hooks.shouldStop!()));
  }
  const finalRecord = last !== null && last.step === st.k ? last : record();
  // As in followOde: a continuation that did not move ends on the record the checkpoint kept.
  if (finalRecord !== last && !(ck && finalRecord.step <= keepThrough)) timed(() => hooks.onLog?.(finalRecord));
  const end = snapshot();
  const x = { rows: n, cols: n, data: st.x.data.slice() };
  return {
    status, step: st.k, t: st.k * eta, rejectedSteps: 0, evaluations: st.k, initialLoss, final: finalRecord,
    params: [x], names: ['X'], w: { rows: n, cols: n, data: x.data.slice() }, checkpoint: end, trainSeconds: end.trainSeconds,
  };
}
