/**
 * The training loop: plain function calls on plain data, no file I/O. Stopping
 * rules, the logging schedule, divergence detection, checkpoints through a hook, and
 * exact resume from a TrainState.
 *
 * Step convention: step t means "after t updates". Iteration t evaluates the loss and
 * gradient at the parameters after t updates, decides whether to stop, logs if due,
 * and otherwise takes update t + 1 (then projects). So the loss logged at step t is the
 * loss of the parameters BEFORE update t + 1, and the final record is the loss at the
 * final parameters (after `step` updates).
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, zeros } from '../linalg/mat.js';
import { backend as currentBackend } from '../linalg/select.js';
import type { Model } from '../models/model.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import { cloneOptimizerState } from '../optim/state.js';
import type { Problem } from '../problems/problem.js';
import { historyRecord } from './record.js';
import { cloneTrainState, type TrainState } from './state.js';

/** How a run ended. */
export type TrainStatus = 'converged' | 'stalled' | 'max_iters' | 'diverged' | 'stopped';

/** The loop's settings (validated by validateTrainConfig; defaults below). */
export interface TrainConfig {
  /** Stop after this many updates (status `max_iters`). Non-negative integer. */
  maxIters: number;
  /** Stop when the training loss falls below this (status `converged`). */
  stopLoss?: number;
  /**
   * Stop (status `stalled`) when the loss has not fallen by the relative amount `stallRtol`
   * for this many steps. The reference is the loss at the first step evaluated, replaced by
   * the loss at step t whenever loss(t) < (1 - stallRtol) * reference; the run stalls at the
   * first step t with t - (the reference's step) >= stallWindow. So a loss shrinking by a
   * factor q per step stalls once q^stallWindow > 1 - stallRtol, and one decaying like 1/t
   * at about t = stallWindow / stallRtol. Positive integer; none when absent.
   */
  stallWindow?: number;
  /** The relative decrease that counts as progress for stallWindow, in (0, 1). Default 1e-3; only with stallWindow. */
  stallRtol?: number;
  /** Log every this many steps (and always at step 0 and the final step). Positive integer. */
  logEvery: number;
  /**
   * Also log at about this many steps per decade (steps floor(10^(j / logPerDecade)), j = 0, 1, ...),
   * so that curves on a log step axis are resolved early on without logging every step later.
   * Positive integer; none when absent.
   */
  logPerDecade?: number;
  /**
   * Also log at the first step the loss falls below each of the levels 10^(-j / logPerLossDecade),
   * j any integer: about this many records per decade of LOSS, wherever they fall in steps (a
   * slowly converging run goes through millions of steps per decade of loss late on, and a few
   * thousand early). With an integer setting, 1e-2, 1e-3, ... are levels, so the history holds
   * the first step below each of them exactly. The rule depends only on the smallest loss so
   * far, so a resumed run logs the same steps. Positive integer; none when absent.
   */
  logPerLossDecade?: number;
  /** How many leading singular values to log, also the alignment block size K; 'all' = min(n1, n2). Default 10. */
  logSingular?: number | 'all';
  /**
   * Record the end-to-end matrix in every record (HistoryRecord.w, row-major), for entries,
   * determinants and norms of small problems: n1 n2 <= LOG_MATRIX_MAX_ENTRIES only. Default false.
   */
  logMatrix?: boolean;
  /** Call hooks.onCheckpoint after every this many updates. Positive integer; none when absent. */
  checkpointEvery?: number;
  /** Diverged when loss > max(divergenceFactor * initial loss, divergenceFloor). Defaults 1e10 and 1e30. */
  divergenceFactor?: number;
  divergenceFloor?: number;
  /**
   * The exponent p of the logged Schatten quasi-norm (field schatten_2_over_N).
   * Default 2/N with N = depth for the deep model and N = 2 for psd, asymmetric and
   * udu (so p = 1, the nuclear norm, for the shallow ones).
   */
  schattenP?: number;
  /** Keep every logged record in TrainResult.history. Default true. */
  keepHistory?: boolean;
}

/** A TrainConfig with every default filled in. */
export interface ResolvedTrainConfig {
  maxIters: number;
  stopLoss: number | null;
  stallWindow: number | null;
  /** null exactly when stallWindow is. */
  stallRtol: number | null;
  logEvery: number;
  logPerDecade: number | null;
  logPerLossDecade: number | null;
  logSingular: number | 'all';
  logMatrix: boolean;
  checkpointEvery: number | null;
  divergenceFactor: number;
  divergenceFloor: number;
  schattenP: number | null;
  keepHistory: boolean;
}

/**
 * One logged step (one line of history.jsonl). Every key is always present; a figure
 * that does not apply (no test entries, no ground truth) or is not finite is null, so
 * the JSON never holds NaN.
 */
export interface HistoryRecord {
  step: number;
  /** Training loss at the parameters after `step` updates. */
  loss: number | null;
  /** The same loss kind on the problem's held-out entries. */
  test_loss: number | null;
  recon_mse: number | null;
  recon_rel: number | null;
  nuclear_norm: number | null;
  /** Schatten-p quasi-norm with p = TrainConfig.schattenP (2/N by default). */
  schatten_2_over_N: number | null;
  effective_rank: number | null;
  /** The top K singular values of W, descending. */
  singular_values: number[] | null;
  /** Mean |diagonal| of the leading K x K block of U^T (dL/dW) V, W = U S V^T. */
  grad_align_diag: number | null;
  /** Mean |off-diagonal| of that block (null for K < 2). */
  grad_align_offdiag: number | null;
  /** The end-to-end matrix W, row-major (n1 n2 values), with TrainConfig.logMatrix; else (or when not finite) null. */
  w: number[] | null;
}

/** TrainConfig.logMatrix applies up to this many entries n1 n2 (an 8 x 8 matrix). */
export const LOG_MATRIX_MAX_ENTRIES = 64;

/**
 * The loss level 10^(-j / perDecade) of logPerLossDecade, exact at whole decades (1e-2 is
 * the literal 0.01, so that "the first step below 1e-2" means loss < 0.01 exactly).
 *
 * @example
 * lossLevel(20, 10); // 0.01
 */
export function lossLevel(j: number, perDecade: number): number {
  return j % perDecade === 0 ? Number(`1e${-j / perDecade}`) : 10 ** (-j / perDecade);
}

/**
 * The largest loss level (see lossLevel) at or below `loss` > 0: logPerLossDecade's next
 * threshold once the smallest loss so far is `loss`; 0 for loss <= 0 (nothing below it).
 *
 * @example
 * levelAtOrBelow(0.0123, 10); // 0.01 (10^(-20/10)); levelAtOrBelow(0.01, 10) is 0.01 too
 */
export function levelAtOrBelow(loss: number, perDecade: number): number {
  if (!(loss > 0)) return 0;
  if (loss === Infinity) return Infinity;
  let j = Math.ceil(-perDecade * Math.log10(loss));
  while (lossLevel(j, perDecade) > loss) j += 1;
  while (lossLevel(j - 1, perDecade) <= loss) j -= 1;
  return lossLevel(j, perDecade);
}

/** Callbacks of the loop (all synchronous). Time spent in them is not counted in trainSeconds. */
export interface TrainHooks {
  /** Each logged record, in order (write it to history.jsonl here). */
  onLog?(record: HistoryRecord): void;
  /** A snapshot (deep copy, the hook may keep it) after every checkpointEvery updates. */
  onCheckpoint?(state: TrainState): void;
  /** Polled once per step before the update; true ends the run with status `stopped`. */
  shouldStop?(): boolean;
}

export interface TrainArgs {
  model: Model;
  optimizer: Optimizer;
  problem: Problem;
  /** The parameters, updated in place (on resume, overwritten with state.params first). */
  params: Mat[];
  /** Resume from this state (e.g. a deserialized checkpoint). It is copied, not modified. */
  state?: TrainState;
  config: TrainConfig;
  hooks?: TrainHooks;
  /** Backend for the logged metrics (SVD, products). Default: backend(). */
  backend?: Backend;
}

export interface TrainResult {
  status: TrainStatus;
  /** Updates taken in total (the final step). When diverged, the step whose loss diverged. */
  step: number;
  /** Loss at the final parameters (may be non-finite when diverged). */
  loss: number;
  initialLoss: number;
  bestLoss: number | null;
  bestStep: number | null;
  /** The same array as args.params, holding the final parameters. */
  params: Mat[];
  /** The final state (shares params; the optimizer state is the live one). Serialize it to checkpoint the end. */
  state: TrainState;
  /** The record at the final step. */
  final: HistoryRecord;
  /** Every record logged by this call (empty if keepHistory is false). */
  history: HistoryRecord[];
  /** Seconds inside the loop, over this call and the segments before a resume; hooks excluded. */
  trainSeconds: number;
  /** This call's share of trainSeconds. */
  segmentSeconds: number;
}

function positiveInt(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new RangeError(`${field}: expected a positive integer, got ${String(v)}`);
  return v;
}

function positiveNumber(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${field}: expected a positive finite number, got ${String(v)}`);
  return v;
}

/**
 * Validates a TrainConfig and fills in the defaults. Errors are one line naming the
 * field: `maxIters: expected a non-negative integer, got -1`.
 *
 * @example
 * resolveTrainConfig({ maxIters: 1000, logEvery: 10 });
 * // { maxIters: 1000, stopLoss: null, stallWindow: null, stallRtol: null, logEvery: 10, logSingular: 10, ... }
 */
export function resolveTrainConfig(config: TrainConfig): ResolvedTrainConfig {
  if (typeof config !== 'object' || config === null) throw new TypeError('config: expected an object');
  const maxIters = config.maxIters;
  if (typeof maxIters !== 'number' || !Number.isSafeInteger(maxIters) || maxIters < 0) {
    throw new RangeError(`maxIters: expected a non-negative integer, got ${String(maxIters)}`);
  }
  const stopLoss = config.stopLoss ?? null;
  if (stopLoss !== null && (typeof stopLoss !== 'number' || !Number.isFinite(stopLoss))) {
    throw new RangeError(`stopLoss: expected a finite number, got ${String(stopLoss)}`);
  }
  const stallWindow = config.stallWindow === undefined ? null : positiveInt('stallWindow', config.stallWindow);
  if (stallWindow === null && config.stallRtol !== undefined) throw new RangeError(`stallRtol: only used with stallWindow, got stallRtol = ${String(config.stallRtol)} and no stallWindow`);
  const stallRtol = stallWindow === null ? null : (config.stallRtol ?? 1e-3);
  if (stallRtol !== null && (typeof stallRtol !== 'number' || !(stallRtol > 0 && stallRtol < 1))) {
    throw new RangeError(`stallRtol: expected a number in (0, 1), got ${String(stallRtol)}`);
  }
  const logEvery = positiveInt('logEvery', config.logEvery);
  const logPerDecade = config.logPerDecade === undefined ? null : positiveInt('logPerDecade', config.logPerDecade);
  const logPerLossDecade = config.logPerLossDecade === undefined ? null : positiveInt('logPerLossDecade', config.logPerLossDecade);
  const logMatrix = config.logMatrix ?? false;
  if (typeof logMatrix !== 'boolean') throw new TypeError(`logMatrix: expected true or false, got ${String(logMatrix)}`);
  const logSingular = config.logSingular ?? 10;
  if (logSingular !== 'all' && (typeof logSingular !== 'number' || !Number.isSafeInteger(logSingular) || logSingular < 0)) {
    throw new RangeError(`logSingular: expected a non-negative integer or "all", got ${String(logSingular)}`);
  }
  const checkpointEvery = config.checkpointEvery === undefined ? null : positiveInt('checkpointEvery', config.checkpointEvery);
  const divergenceFactor = positiveNumber('divergenceFactor', config.divergenceFactor ?? 1e10);
  const divergenceFloor = positiveNumber('divergenceFloor', config.divergenceFloor ?? 1e30);
  const schattenP = config.schattenP === undefined ? null : positiveNumber('schattenP', config.schattenP);
  const keepHistory = config.keepHistory ?? true;
  if (typeof keepHistory !== 'boolean') throw new TypeError(`keepHistory: expected true or false, got ${String(keepHistory)}`);
  return { maxIters, stopLoss, stallWindow, stallRtol, logEvery, logPerDecade, logPerLossDecade, logSingular, logMatrix, checkpointEvery, divergenceFactor, divergenceFloor, schattenP, keepHistory };
}

/**
 * The default Schatten exponent 2/N of a model: N = depth (the number of factors) for
 * the deep model, N = 2 for psd, asymmetric and udu.
 *
 * @example
 * defaultSchattenP(deepModelOfDepth3); // 2 / 3
 */
export function defaultSchattenP(model: Model): number {
  return model.kind === 'deep' ? 2 / model.factorNames.length : 1;
}


function checkParams(model: Model, params: readonly Mat[], what: string): void {
  if (params.length !== model.factorShapes.length) {
    throw new RangeError(`${what}: expected ${model.factorShapes.length} factors (${model.factorNames.join(', ')}), got ${params.length}`);
  }
  params.forEach((p, i) => {
    const [r, c] = model.factorShapes[i];
    if (p.rows !== r || p.cols !== c) {
      throw new RangeError(`${what}: factor ${model.factorNames[i]}: expected shape ${r}x${c}, got ${p.rows}x${p.cols}`);
    }
  });
}

/**
 * Trains `model` on `problem` with `optimizer`, from args.params or from a saved
 * state, until a stopping rule fires. Priority when several hold at the same step:
 * diverged (loss non-finite or > max(divergenceFactor * initial loss,
 * divergenceFloor)), converged (loss < stopLoss), stalled (no relative decrease of
 * stallRtol in stallWindow steps; see TrainConfig), max_iters (step = maxIters),
 * stopped (hooks.shouldStop()). After every update the model's projection is applied.
 *
 * Logging: a record at step 0, at every multiple of logEvery, at the logPerDecade steps, at the
 * first step below each logPerLossDecade level, and at the final step
 * (each step at most once); all of a record's spectral figures come from one SVD of
 * W (spectralFigures). Resuming from a state taken at step t and running on gives
 * parameters and records identical bit for bit to an uninterrupted run; records with
 * step >= t logged before the interruption must be dropped (the run directory's
 * truncateHistory does that).
 *
 * Allocations: the gradients and the W / dL/dW buffers once per call; a training step
 * allocates nothing beyond what the model and optimizer do (nothing); a logged step
 * allocates its SVD.
 *
 * @throws RangeError for a bad config (one line naming the field), parameters whose
 *   shapes do not match the model, or a state of another optimizer.
 * @example
 * const result = train({
 *   model, optimizer: createOptimizer({ name: 'gd', lr: 0.1 }), problem, params,
 *   config: { maxIters: 10_000, logEvery: 100, stopLoss: 1e-8 },
 *   hooks: { onLog: (r) => console.log(r.step, r.loss) },
 * });
 * result.status; // 'converged' | 'max_iters' | 'diverged' | 'stopped'
 */
export function train(args: TrainArgs): TrainResult {
  const { model, optimizer, problem, params } = args;
  const cfg = resolveTrainConfig(args.config);
  const hooks = args.hooks ?? {};
  const be = args.backend ?? currentBackend();
  checkParams(model, params, 'params');
  if (problem.n1 !== model.n1 || problem.n2 !== model.n2) {
    throw new RangeError(`problem: shape ${problem.n1}x${problem.n2} differs from the model's ${model.n1}x${model.n2}`);
  }

  let step: number;
  let optState: OptimizerState;
  let initialLoss: number | null;
  let bestLoss: number | null;
  let bestStep: number | null;
  // The stall rule's reference loss and its step (see TrainConfig.stallWindow).
  let stallLoss: number | null;
  let stallStep: number | null;
  let previousSeconds: number;
  if (args.state) {
    const s = args.state;
    checkParams(model, s.params, 'state.params');
    params.forEach((p, i) => p.data.set(s.params[i].data));
    optState = cloneOptimizerState(s.optimizer);
    const fresh = optimizer.init(params);
    const sameLayout =
      fresh.buffers.length === optState.buffers.length &&
      fresh.buffers.every((b, i) => b.length === optState.buffers[i].length) &&
      Object.keys(fresh.scalars).every((k) => typeof optState.scalars[k] === 'number');
    if (!sameLayout) {
      throw new RangeError(
        `state.optimizer: does not fit ${optimizer.name} (expected ${fresh.buffers.length} buffers` +
          `${Object.keys(fresh.scalars).length ? ` and scalars ${Object.keys(fresh.scalars).join(', ')}` : ''}, got ${optState.buffers.length} buffers)`,
      );
    }
    step = s.step;
    initialLoss = s.initialLoss;
    bestLoss = s.bestLoss;
    bestStep = s.bestStep;
    stallLoss = s.stallLoss ?? null;
    stallStep = s.stallStep ?? null;
    previousSeconds = s.trainSeconds;
  } else {
    optState = optimizer.init(params);
    step = 0;
    initialLoss = null;
    bestLoss = null;
    bestStep = null;
    stallLoss = null;
    stallStep = null;
    previousSeconds = 0;
  }

  const grads = model.factorShapes.map(([r, c]) => zeros(r, c));
  const w = zeros(model.n1, model.n2);
  const g = zeros(model.n1, model.n2);
  const full = Math.min(model.n1, model.n2);
  const k = cfg.logSingular === 'all' ? full : Math.min(cfg.logSingular, full);
  const schattenP = cfg.schattenP ?? defaultSchattenP(model);
  const history: HistoryRecord[] = [];
  // The next step >= the current one that the per-decade schedule logs (Infinity: none).
  let decadeIndex = 0;
  let nextDecadeStep = Infinity;
  const advanceDecade = (from: number): void => {
    if (cfg.logPerDecade === null) return;
    for (;;) {
      nextDecadeStep = Math.floor(10 ** (decadeIndex / cfg.logPerDecade) + 1e-9);
      if (nextDecadeStep >= from) return;
      decadeIndex += 1;
    }
  };
  advanceDecade(step);
  // logPerLossDecade: log when the loss falls below this (the level at or below the smallest loss so far).
  let nextLossLevel = bestLoss === null ? Infinity : levelAtOrBelow(bestLoss, cfg.logPerLossDecade ?? 1);
  if (cfg.logMatrix && model.n1 * model.n2 > LOG_MATRIX_MAX_ENTRIES) {
    throw new RangeError(`logMatrix: logs W only when n1 n2 <= ${LOG_MATRIX_MAX_ENTRIES}, got ${model.n1}x${model.n2}`);
  }

  const recordOptions = { problem, loss: model.loss, k, schattenP, logMatrix: cfg.logMatrix, backend: be };
  const record = (t: number, loss: number): HistoryRecord => {
    model.endToEnd(params, w);
    model.endToEndGradient(g);
    return historyRecord(t, loss, w, g, recordOptions);
  };

  let hookMs = 0;
  let status: TrainStatus;
  let loss: number;
  let finalRecord: HistoryRecord;
  const t0 = performance.now();
  for (;;) {
    loss = model.lossAndGradient(params, grads);
    if (initialLoss === null) initialLoss = loss;
    if (Number.isFinite(loss) && (bestLoss === null || loss < bestLoss)) {
      bestLoss = loss;
      bestStep = step;
    }
    if (cfg.stallRtol !== null && Number.isFinite(loss) && (stallLoss === null || stallStep === null || loss < (1 - cfg.stallRtol) * stallLoss)) {
      stallLoss = loss;
      stallStep = step;
    }
    let stop: TrainStatus | null = null;
    if (!Number.isFinite(loss) || loss > Math.max(cfg.divergenceFactor * initialLoss, cfg.divergenceFloor)) stop = 'diverged';
    else if (cfg.stopLoss !== null && loss < cfg.stopLoss) stop = 'converged';
    else if (cfg.stallWindow !== null && stallStep !== null && step - stallStep >= cfg.stallWindow) stop = 'stalled';
    else if (step >= cfg.maxIters) stop = 'max_iters';
    else if (hooks.shouldStop) {
      const h0 = performance.now();
      const yes = hooks.shouldStop();
      hookMs += performance.now() - h0;
      if (yes) stop = 'stopped';
    }
    let onSchedule = step % cfg.logEvery === 0 || step === nextDecadeStep;
    if (step === nextDecadeStep) advanceDecade(step + 1);
    if (cfg.logPerLossDecade !== null && loss < nextLossLevel) {
      onSchedule = true;
      nextLossLevel = levelAtOrBelow(loss, cfg.logPerLossDecade);
    }
    if (stop !== null || onSchedule) {
      const rec = record(step, loss);
      if (cfg.keepHistory) history.push(rec);
      if (hooks.onLog) {
        const h0 = performance.now();
        hooks.onLog(rec);
        hookMs += performance.now() - h0;
      }
      if (stop !== null) {
        status = stop;
        finalRecord = rec;
        break;
      }
    }
    optimizer.update(params, grads, optState);
    model.project(params);
    step += 1;
    if (cfg.checkpointEvery !== null && hooks.onCheckpoint && step % cfg.checkpointEvery === 0) {
      const h0 = performance.now();
      const segment = (h0 - t0 - hookMs) / 1000;
      hooks.onCheckpoint(
        cloneTrainState({ step, params, optimizer: optState, initialLoss, bestLoss, bestStep, stallLoss, stallStep, trainSeconds: previousSeconds + segment }),
      );
      hookMs += performance.now() - h0;
    }
  }
  const segmentSeconds = (performance.now() - t0 - hookMs) / 1000;
  const trainSeconds = previousSeconds + segmentSeconds;
  return {
    status,
    step,
    loss,
    initialLoss,
    bestLoss,
    bestStep,
    params,
    state: { step, params, optimizer: optState, initialLoss, bestLoss, bestStep, stallLoss, stallStep, trainSeconds },
    final: finalRecord,
    history,
    trainSeconds,
    segmentSeconds,
  };
}
