import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Backend } from '../linalg/backend.js';
import { type Mat, zeros } from '../linalg/mat.js';
import { backend as defaultBackend } from '../linalg/select.js';
import { FormatError } from '../io/errors.js';

import { matFromNd } from '../io/npz.js';
import type { NdArray } from '../io/npy.js';
import { atomicWriteFile, readNpzFile } from '../io/files.js';
import { openRunDir, toJsonText } from '../io/run-dir.js';
import { createModel } from '../models/create.js';
import { initialize, type InitSpec } from '../models/init.js';
import type { LossKind, Model, ModelSpec } from '../models/model.js';
import { createOptimizer, resolveOptimizerSpec, type OptimizerSpec, type ResolvedOptimizerSpec } from '../optim/create.js';
import { problemFromNd } from '../problems/file.js';
import type { Problem } from '../problems/problem.js';
import { Random } from '../rng/random.js';
import { resolveTrainConfig, train, type HistoryRecord, type ResolvedTrainConfig, type TrainConfig, type TrainStatus } from '../train/loop.js';
import { lastCheckpoint, type RunOptions } from './run-options.js';
import { deserializeTrainState, serializeTrainState, type TrainState } from '../train/state.js';

/** How the initial point is chosen: InitSpec, with a factor file named by path. */
export type InitConfig = Exclude<InitSpec, { kind: 'file' }> | { kind: 'file'; file: string };

/** Everything one training run depends on: saved as config.json and in summary.json. */
export interface TrainRunConfig {
  /** The problem file (.npz, DESIGN's format). */
  problem: string;
  model: ModelSpec;
  init: InitConfig;
  optimizer: OptimizerSpec;
  loss: LossKind;
  train: TrainConfig;
  /** Seeds the initialization's random stream. */
  seed: number;
}

/** A TrainRunConfig with every default filled in (what is saved). */
export interface ResolvedTrainRunConfig extends Omit<TrainRunConfig, 'optimizer' | 'train'> {
  optimizer: ResolvedOptimizerSpec;
  train: ResolvedTrainConfig;
}

/** The options of runTraining / continueTraining / resumeTraining. */
export type TrainRunOptions = RunOptions<HistoryRecord>;

export interface TrainRunOutcome {
  status: TrainStatus;
  step: number;
  final: HistoryRecord;
  trainSeconds: number;
  totalSeconds: number;
  runDir: string;
}

export const CONFIG_FILE = 'config.json';

/** The loaded, checked ingredients of a run: nothing is written before all of them exist. */
interface Prepared {
  config: ResolvedTrainRunConfig;
  problem: Problem;
  model: Model;
  be: Backend;
}

function prepare(config: TrainRunConfig, be: Backend, given?: Problem): Prepared {
  const resolved: ResolvedTrainRunConfig = {
    ...config,
    optimizer: resolveOptimizerSpec(config.optimizer),
    train: resolveTrainConfig(config.train),
  };
  if (!Number.isSafeInteger(config.seed) || config.seed < 0) {
    throw new RangeError(`seed: expected a non-negative integer, got ${config.seed}`);
  }
  const problem = given ?? problemFromNd(readNpzFile(config.problem), config.problem);
  const model = createModel(config.model, problem, config.loss, be);
  return { config: resolved, problem, model, be };
}

function readFactorFile(file: string): Map<string, Mat> {
  const factors = new Map<string, Mat>();
  for (const [name, nd] of readNpzFile(file)) {
    // DESIGN stores D of U D U^T as a vector [k]; the model keeps it as 1 x k.
    const asMat: NdArray = nd.shape.length === 1 ? { ...nd, shape: [1, nd.shape[0]] } : nd;
    factors.set(name, matFromNd(asMat, name, file));
  }
  return factors;
}

/**
 * The initial factors of a run: an InitConfig (a factor file named by path is read here)
 * drawn from the stream Random.fromSeed(seed). Flows start from the same points as training.
 *
 * @example
 * const params = initialFactors({ kind: 'identity', scale: 1e-3 }, model, problem, 0, be);
 */
export function initialFactors(init: InitConfig, model: Model, problem: Problem, seed: number, be: Backend): Mat[] {
  const spec: InitSpec = init.kind === 'file' ? { kind: 'file', factors: readFactorFile(init.file) } : init;
  return initialize(spec, model, problem, Random.fromSeed(seed), be);
}

function initialParams(p: Prepared): Mat[] {
  return initialFactors(p.config.init, p.model, p.problem, p.config.seed, p.be);
}

/** The loop's config from a resolved one (saved configs hold null where a setting is absent). */
export function loopConfig(r: ResolvedTrainConfig): TrainConfig {
  const c: TrainConfig = {
    ...r,
    stopLoss: r.stopLoss ?? undefined,
    stallWindow: r.stallWindow ?? undefined,
    stallRtol: r.stallRtol ?? undefined,
    logPerDecade: r.logPerDecade ?? undefined,
    logPerLossDecade: r.logPerLossDecade ?? undefined,
    checkpointEvery: r.checkpointEvery ?? undefined,
    schattenP: r.schattenP ?? undefined,
  };
  return c;
}

/** The factors under their factor-file names (D as a vector, as DESIGN says). */
export function resultFactors(model: Model, params: readonly Mat[]): Map<string, Mat | NdArray> {
  const out = new Map<string, Mat | NdArray>();
  model.factorNames.forEach((name, i) => {
    const p = params[i];
    out.set(name, model.kind === 'udu' && name === 'D' ? { dtype: 'float64', shape: [p.cols], data: p.data } : p);
  });
  return out;
}

function execute(p: Prepared, runDir: string, state: TrainState | undefined, params: Mat[], t0: number, options: TrainRunOptions, resume: boolean): TrainRunOutcome {
  const { model, problem, config, be } = p;
  const optimizer = createOptimizer(config.optimizer);
  const rd = openRunDir(runDir, { force: options.force, resume });
  try {
    if (resume) rd.truncateHistory(state?.step ?? 0);
    // Also on resume: a run extended with a larger maxIters records it, so that the next plain resume goes on from there.
    atomicWriteFile(path.join(runDir, CONFIG_FILE), new TextEncoder().encode(toJsonText(options.savedConfig ?? config, 2)));
    const checkpoint = (s: TrainState): void => {
      const { arrays, meta } = serializeTrainState(s, { names: model.factorNames, optimizerName: optimizer.name });
      rd.writeCheckpoint(arrays, meta);
    };
    const result = train({
      model, optimizer, problem, params, state, config: loopConfig(config.train), backend: be,
      hooks: {
        onLog: (r) => {
          rd.appendHistory(r);
          options.onLog?.(r);
        },
        onCheckpoint: checkpoint,
        shouldStop: options.shouldStop,
      },
    });
    // A final checkpoint lets `--resume` extend a finished run (a larger --max-iters) or
    // continue a stopped one; a diverged state is not worth continuing.
    if (result.status !== 'diverged') checkpoint(result.state);
    const w = model.endToEnd(result.params, zeros(model.n1, model.n2));
    rd.writeResult(resultFactors(model, result.params), w);
    const totalSeconds = (performance.now() - t0) / 1000;
    rd.writeSummary({
      status: result.status,
      step: result.step,
      final: { ...result.final },
      backend: be.name,
      train_seconds: result.trainSeconds,
      total_seconds: totalSeconds,
      initial_loss: result.initialLoss,
      best_loss: result.bestLoss,
      best_step: result.bestStep,
      config: options.savedConfig ?? config,
    });
    return { status: result.status, step: result.step, final: result.final, trainSeconds: result.trainSeconds, totalSeconds, runDir };
  } finally {
    rd.close();
  }
}

/**
 * Trains one factorization and writes its run directory (config.json, history.jsonl,
 * checkpoint files, result.npz, summary.json). Every input is loaded and checked before
 * anything is written, so bad input leaves no run behind.
 *
 * @example
 * runTraining({ problem: 'P.npz', model: { kind: 'deep', depth: 3 }, init: { kind: 'identity', scale: 1e-3 },
 *   optimizer: { name: 'gd', lr: 0.1 }, loss: 'mse', train: { maxIters: 10000, logEvery: 100 }, seed: 0 }, 'runs/d3');
 */
export function runTraining(config: TrainRunConfig, runDir: string, options: TrainRunOptions = {}): TrainRunOutcome {
  const t0 = performance.now();
  const p = prepare(config, options.backend ?? defaultBackend(), options.problem);
  const params = initialParams(p);
  return execute(p, runDir, undefined, params, t0, options, false);
}

/**
 * Continues the run in `runDir` from its last checkpoint, with the saved configuration;
 * `maxIters` may extend it. The result equals that of an uninterrupted run bit for bit
 * (same backend and thread setting).
 *
 * @example
 * resumeTraining('runs/d3', { maxIters: 20000 });
 */
export function resumeTraining(runDir: string, overrides: { maxIters?: number } = {}, options: TrainRunOptions = {}): TrainRunOutcome {
  const configFile = path.join(runDir, CONFIG_FILE);
  if (!existsSync(configFile)) throw new FormatError(configFile, 'missing: not a run directory written by implab train');
  let saved: TrainRunConfig;
  try {
    saved = JSON.parse(readFileSync(configFile, 'utf8')) as TrainRunConfig;
  } catch (e) {
    throw new FormatError(configFile, `not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  const savedTrain = loopConfig(saved.train as unknown as ResolvedTrainConfig);
  return continueTraining({ ...saved, train: { ...savedTrain, ...overrides } }, runDir, options);
}

/**
 * Continues the run in `runDir` from its last checkpoint with the given configuration (which
 * must be the one the run started with, maxIters aside), or starts it afresh when no
 * checkpoint was written yet. This is resumeTraining without reading config.json: a sweep
 * holds its own config and passes the problem it generated (options.problem).
 *
 * @example
 * continueTraining(config, 'sweep/runs/3f2a9c0d1e4b5a6f', { problem, savedConfig: runConfig });
 */
export function continueTraining(config: TrainRunConfig, runDir: string, options: TrainRunOptions = {}): TrainRunOutcome {
  const t0 = performance.now();
  const p = prepare(config, options.backend ?? defaultBackend(), options.problem);
  const ck = lastCheckpoint(runDir, options.restartOnBadCheckpoint === true);
  let state: TrainState | undefined;
  let params: Mat[];
  if (ck) {
    state = deserializeTrainState(ck.arrays, ck.meta, path.join(runDir, 'checkpoint.npz'), p.config.optimizer.name);
    params = state.params.map((m) => ({ rows: m.rows, cols: m.cols, data: m.data.slice() }));
  } else {
    params = initialParams(p); // interrupted before the first checkpoint: start over
  }
  if (state && config.train.maxIters < state.step) {
    throw new RangeError(`--max-iters: ${config.train.maxIters} is below the ${state.step} steps already taken`);
  }
  const savedConfig = options.savedConfig;
  return execute(p, runDir, state, params, t0, { ...options, savedConfig }, true);
}
