/**
 * One gradient-flow run (`implab flow`, and method = flow in sweeps): load and check
 * everything, follow the flow (src/flow/follow.ts), and write the run directory that
 * `implab train` writes: config.json, history.jsonl (each record with its flow time t),
 * checkpoint files, result.npz (the factors, or X, and W) and summary.json (status, t,
 * accepted / rejected steps, right-hand-side evaluations, the error control used).
 * Interrupted or finished, a run continues exactly from its checkpoint (resumeFlow), also
 * with a longer horizon.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Backend } from '../linalg/backend.js';
import { backend as defaultBackend } from '../linalg/select.js';
import { FormatError } from '../io/errors.js';
import { atomicWriteFile, readNpzFile } from '../io/files.js';
import { ndFromVector, vectorFromNd } from '../io/npz.js';
import { openRunDir, toJsonText } from '../io/run-dir.js';
import { followFlow, resolveFlowSettings, type FlowCheckpoint, type FlowRecord, type FlowResult, type FlowSettings, type FlowStatus } from '../flow/follow.js';
import { createModel } from '../models/create.js';
import type { LossKind, Model, ModelSpec } from '../models/model.js';
import { problemFromNd } from '../problems/file.js';
import type { Problem } from '../problems/problem.js';
import { lastCheckpoint, type RunOptions } from './run-options.js';
import { CONFIG_FILE, initialFactors, type InitConfig } from './train-run.js';

/** Everything one flow run depends on: saved as config.json and in summary.json. */
export interface FlowRunConfig {
  /** The problem file (.npz, DESIGN's format). */
  problem: string;
  model: ModelSpec;
  /** The start, as for training (the flow of X starts at U_0 U_0^T). */
  init: InitConfig;
  loss: LossKind;
  flow: Partial<FlowSettings>;
  /** Seeds the initialization's random stream. */
  seed: number;
}

/** The options of runFlow / continueFlow / resumeFlow. */
export type FlowRunOptions = RunOptions<FlowRecord>;

export interface FlowRunOutcome {
  status: FlowStatus;
  step: number;
  t: number;
  final: FlowRecord;
  trainSeconds: number;
  totalSeconds: number;
  runDir: string;
}

interface Prepared {
  config: FlowRunConfig & { flow: FlowSettings };
  problem: Problem;
  model: Model;
  be: Backend;
}

function prepare(config: FlowRunConfig, be: Backend, given?: Problem): Prepared {
  const flow = resolveFlowSettings(config.flow);
  if (!Number.isSafeInteger(config.seed) || config.seed < 0) throw new RangeError(`seed: expected a non-negative integer, got ${config.seed}`);
  const problem = given ?? problemFromNd(readNpzFile(config.problem), config.problem);
  const model = createModel(config.model, problem, config.loss, be);
  if (model.kind === 'udu') throw new RangeError('model: udu is projected (||U||_F <= r, D >= 0); it has no gradient flow (use psd, asymmetric or deep)');
  if (flow.form === 'x' && model.kind !== 'psd') throw new RangeError(`model: the flow of X (--form x, --method steer) needs the psd model, got ${model.kind}`);
  return { config: { ...config, flow }, problem, model, be };
}

/** The checkpoint as two files: the state vector in checkpoint.npz, the rest in checkpoint.json. */
function writeFlowCheckpoint(rd: ReturnType<typeof openRunDir>, c: FlowCheckpoint): void {
  const { y, ...meta } = c;
  rd.writeCheckpoint(new Map([['y', ndFromVector(y)]]), { kind: 'flow', ...meta });
}

function readFlowCheckpoint(arrays: Map<string, import('../io/npy.js').NdArray>, meta: unknown, file: string): FlowCheckpoint {
  const m = meta as Omit<FlowCheckpoint, 'y'> & { kind?: string };
  if (m === null || typeof m !== 'object' || m.kind !== 'flow') throw new FormatError(file, 'not a checkpoint of implab flow');
  const { kind: _kind, ...rest } = m;
  return { ...rest, y: vectorFromNd(arrays.get('y'), 'y', file) };
}

function execute(p: Prepared, runDir: string, checkpoint: FlowCheckpoint | undefined, t0: number, options: FlowRunOptions, resume: boolean): FlowRunOutcome {
  const { model, problem, config, be } = p;
  const rd = openRunDir(runDir, resume ? { resume: true } : { force: options.force });
  try {
    // Lines logged after the checkpoint are logged again by the continuation.
    if (resume) rd.truncateHistory(checkpoint ? checkpoint.keepThrough + 1 : 0);
    // Also on resume: a longer horizon (or step limit) is the run's config from now on, so that
    // a later plain resume continues from the time reached instead of refusing its old tMax.
    atomicWriteFile(path.join(runDir, CONFIG_FILE), new TextEncoder().encode(toJsonText(options.savedConfig ?? config, 2)));
    const params = initialFactors(config.init, model, problem, config.seed, be);
    const result: FlowResult = followFlow({
      model, problem, params, settings: config.flow, checkpoint, backend: be,
      hooks: {
        onLog: (r) => {
          rd.appendHistory(r);
          options.onLog?.(r);
        },
        onCheckpoint: (c) => writeFlowCheckpoint(rd, c),
        shouldStop: options.shouldStop,
      },
    });
    if (result.status !== 'diverged') writeFlowCheckpoint(rd, result.checkpoint);
    rd.writeResult(new Map(result.names.map((name, i) => [name, result.params[i]])), result.w);
    const totalSeconds = (performance.now() - t0) / 1000;
    const f = config.flow;
    rd.writeSummary({
      status: result.status,
      step: result.step,
      t: result.t,
      final: { ...result.final },
      solver: f.solver,
      form: f.form,
      error_control: f.solver === 'steer' ? { eta: f.eta } : { rtol: f.rtol, atol: f.atol },
      accepted_steps: result.step,
      rejected_steps: result.rejectedSteps,
      evaluations: result.evaluations,
      backend: be.name,
      train_seconds: result.trainSeconds,
      total_seconds: totalSeconds,
      initial_loss: result.initialLoss,
      config: options.savedConfig ?? config,
    });
    return { status: result.status, step: result.step, t: result.t, final: result.final, trainSeconds: result.trainSeconds, totalSeconds, runDir };
  } finally {
    rd.close();
  }
}

/**
 * Follows the gradient flow of one factorization and writes its run directory. Every input
 * is loaded and checked before anything is written.
 *
 * @example
 * runFlow({ problem: 'P.npz', model: { kind: 'psd', width: 50 }, init: { kind: 'identity', scale: 1e-6 },
 *   loss: 'half-sse', flow: { solver: 'dop853', rtol: 1e-10, stopLoss: 1e-20 }, seed: 0 }, 'runs/flow');
 */
export function runFlow(config: FlowRunConfig, runDir: string, options: FlowRunOptions = {}): FlowRunOutcome {
  const t0 = performance.now();
  const p = prepare(config, options.backend ?? defaultBackend(), options.problem);
  return execute(p, runDir, undefined, t0, options, false);
}

/**
 * Continues the flow in `runDir` from its last checkpoint with the given configuration (the
 * one it started with; tMax and maxSteps may be larger), or starts it when no checkpoint
 * was written yet.
 *
 * @example
 * continueFlow(config, 'sweep/runs/3f2a9c0d1e4b5a6f', { problem, savedConfig });
 */
export function continueFlow(config: FlowRunConfig, runDir: string, options: FlowRunOptions = {}): FlowRunOutcome {
  const t0 = performance.now();
  const p = prepare(config, options.backend ?? defaultBackend(), options.problem);
  const ck = lastCheckpoint(runDir, options.restartOnBadCheckpoint === true);
  const checkpoint = ck ? readFlowCheckpoint(ck.arrays, ck.meta, path.join(runDir, 'checkpoint.json')) : undefined;
  if (checkpoint && p.config.flow.maxSteps < checkpoint.base.accepted + checkpoint.base.rejected) {
    throw new RangeError(`--max-steps: ${p.config.flow.maxSteps} is below the ${checkpoint.base.accepted + checkpoint.base.rejected} steps already taken`);
  }
  if (checkpoint && p.config.flow.tMax < checkpoint.t) throw new RangeError(`--t-max: ${p.config.flow.tMax} is below the time already reached, ${checkpoint.t}`);
  return execute(p, runDir, checkpoint, t0, options, true);
}

/**
 * Continues the run in `runDir` with its saved configuration; `tMax` and `maxSteps` may be
 * raised. The result equals that of an uninterrupted run bit for bit (same backend and
 * threads) when the horizon is unchanged.
 *
 * @example
 * resumeFlow('runs/flow', { tMax: 1e9 });
 */
export function resumeFlow(runDir: string, overrides: { tMax?: number; maxSteps?: number } = {}, options: FlowRunOptions = {}): FlowRunOutcome {
  const configFile = path.join(runDir, CONFIG_FILE);
  if (!existsSync(configFile)) throw new FormatError(configFile, 'missing: not a run directory written by implab flow');
  let saved: FlowRunConfig;
  try {
    saved = JSON.parse(readFileSync(configFile, 'utf8')) as FlowRunConfig;
  } catch (e) {
    throw new FormatError(configFile, `not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  if (!saved || typeof saved !== 'object' || typeof saved.flow !== 'object') throw new FormatError(configFile, 'not the config of a flow run (no "flow" settings)');
  // Only the overrides given: { tMax: undefined } keeps the saved horizon (not the default's).
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return continueFlow({ ...saved, flow: { ...saved.flow, ...given } }, runDir, options);
}
