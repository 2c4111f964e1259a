/**
 * One run of a sweep, from its resolved config to its run directory: build the problem
 * (generated in memory from the data and sampling seeds, or read), then train or solve
 * the nuclear-norm baseline, writing the files of `implab train` / `implab nnm`.
 *
 * Idempotent and resumable, which is what makes a sweep safe to kill and run again:
 * - summary.json present: the run finished; its figures are read back, nothing runs;
 * - config.json present (a training run started): continue from its last checkpoint
 *   (or from the start when none was written), bit for bit as if never interrupted;
 * - anything else: start afresh, replacing whatever a crash left behind.
 */

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Backend } from '../linalg/backend.js';
import { readNpzFile } from '../io/files.js';
import { SUMMARY_FILE } from '../io/run-dir.js';
import type { ModelSpec, LossKind } from '../models/model.js';
import type { ResolvedOptimizerSpec } from '../optim/create.js';
import { problemFromConfig, type ProblemConfig } from '../problems/spec.js';
import type { Problem } from '../problems/problem.js';
import { runNnm } from '../runs/nnm-run.js';
import { continueFlow, runFlow, type FlowRunConfig } from '../runs/flow-run.js';
import { runPgd } from '../runs/pgd-run.js';
import { runSearch3x3 } from '../runs/search-run.js';
import type { FlowSettings } from '../flow/follow.js';
import type { ResolvedSearchConfig, RunMethod } from './config.js';
import { CONFIG_FILE, continueTraining, loopConfig, runTraining, type InitConfig, type TrainRunConfig } from '../runs/train-run.js';
import type { ResolvedTrainConfig } from '../train/loop.js';

/** What a run needs of its resolved config (src/sweep/config.ts's ResolvedRunConfig has it). */
export interface ExecutableRunConfig {
  method: RunMethod;
  problem: ProblemConfig;
  model: ModelSpec;
  init: InitConfig;
  optimizer: ResolvedOptimizerSpec;
  loss: LossKind;
  train: ResolvedTrainConfig;
  nnm: { psd: boolean | null; eps: number; tol: number; maxIters: number };
  /** method = flow only. */
  flow?: FlowSettings;
  /** method = pgd only. */
  pgd?: { tol: number; maxIters: number; lossTol: number };
  /** method = search3x3 only. */
  search?: ResolvedSearchConfig;
  seeds: { data: number; sampling: number; init: number };
}

/** A run's figures as results.jsonl records them (null where a figure does not apply). */
export interface RunFigures {
  method: RunMethod;
  status: string;
  /** Training steps, nnm / pgd iterations, accepted flow steps, or search instances. */
  step: number;
  /** Final training loss (null for nnm). */
  loss: number | null;
  test_loss: number | null;
  recon_mse: number | null;
  recon_rel: number | null;
  nuclear_norm: number | null;
  effective_rank: number | null;
  singular_values: number[] | null;
  train_seconds: number;
  total_seconds: number;
  /** nnm only: the certified relative gap. */
  relative_gap?: number | null;
  /** flow only: the flow time reached. */
  t?: number | null;
}

export interface ExecuteOptions {
  /** Polled every training step: true stops the run with a checkpoint (status `stopped`). */
  shouldStop?: () => boolean;
  backend?: Backend;
  /** Checkpoint interval when the config sets none (steps). Default 5000. */
  checkpointEvery?: number;
}

/** Checkpoints cost a few hundred KB of writes; every 5000 steps is about once a second or less. */
const DEFAULT_CHECKPOINT_EVERY = 5000;

const nodeFiles = { readNpz: readNpzFile, readText: (file: string) => readFileSync(file, 'utf8') };

/**
 * The problem of a run config. Exported so that an experiment can build the exact problem
 * a run used (e.g. to solve its baseline or draw its ground truth).
 *
 * @example
 * const problem = buildRunProblem(config); // same seeds, same problem, every time
 */
export function buildRunProblem(config: Pick<ExecutableRunConfig, 'problem' | 'seeds'>, be?: Backend): Problem {
  return problemFromConfig(config.problem, config.seeds, nodeFiles, be);
}

function describeProblem(config: ExecutableRunConfig): string {
  const p = config.problem;
  return p.kind === 'file' || p.kind === 'movielens' ? p.file : `${p.kind} (data seed ${config.seeds.data}, sampling seed ${config.seeds.sampling})`;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** RunFigures from a run's summary.json. */
export function figuresFromSummary(summary: Record<string, unknown>, method: RunMethod): RunFigures {
  const final = (summary.final ?? {}) as Record<string, unknown>;
  const sv = final.singular_values;
  return {
    method,
    status: String(summary.status),
    step: Number(summary.step),
    loss: num(final.loss),
    test_loss: num(final.test_loss),
    recon_mse: num(final.recon_mse),
    recon_rel: num(final.recon_rel),
    nuclear_norm: num(final.nuclear_norm),
    effective_rank: num(final.effective_rank),
    singular_values: Array.isArray(sv) ? (sv as number[]) : null,
    train_seconds: Number(summary.train_seconds),
    total_seconds: Number(summary.total_seconds),
    ...(method === 'nnm' ? { relative_gap: num(summary.relative_gap) } : {}),
    ...(method === 'flow' ? { t: num(summary.t) } : {}),
  };
}

/** The method's own section of a resolved config (present exactly for that method). */
function sectionOf<K extends 'flow' | 'pgd' | 'search'>(config: ExecutableRunConfig, key: K): NonNullable<ExecutableRunConfig[K]> {
  const section = config[key];
  if (section === undefined) throw new RangeError(`${key}: expected the ${key} settings of a method = ${config.method} run, got nothing`);
  return section as NonNullable<ExecutableRunConfig[K]>;
}

/**
 * Runs (or finishes, or reads back) the run `config` in `runDir`, and returns its figures.
 * `savedConfig` is what config.json and summary.json record (the sweep's resolved config).
 *
 * @example
 * const figures = executeRun(point.config, path.join(out, 'runs', point.id));
 * figures.status; // 'converged' | 'max_iters' | 'diverged' | 'stopped' | 'solved' | ...
 */
export function executeRun(config: ExecutableRunConfig, runDir: string, options: ExecuteOptions = {}, savedConfig: unknown = config): RunFigures {
  const summaryFile = path.join(runDir, SUMMARY_FILE);
  const readSummary = (): Record<string, unknown> => JSON.parse(readFileSync(summaryFile, 'utf8')) as Record<string, unknown>;
  // A run stopped on request (Ctrl-C) has a summary too, but is not finished.
  if (existsSync(summaryFile) && readSummary().status !== 'stopped') return figuresFromSummary(readSummary(), config.method);
  if (config.method === 'search3x3') {
    runSearch3x3(sectionOf(config, 'search'), runDir, { force: true, backend: options.backend, seed: config.seeds.init, savedConfig, shouldStop: options.shouldStop });
    return figuresFromSummary(readSummary(), config.method);
  }
  const problem = buildRunProblem(config, options.backend);
  const runOptions = { backend: options.backend, problem, savedConfig, shouldStop: options.shouldStop };
  if (config.method === 'nnm') {
    const n = config.nnm;
    runNnm({ problem: describeProblem(config), psd: n.psd ?? problem.psd, eps: n.eps, tol: n.tol, maxIters: n.maxIters }, runDir, {
      force: true, backend: options.backend, problem, savedConfig,
    });
  } else if (config.method === 'pgd') {
    runPgd({ problem: describeProblem(config), ...sectionOf(config, 'pgd') }, runDir, { force: true, backend: options.backend, problem, savedConfig });
  } else if (config.method === 'flow') {
    const flow = { ...sectionOf(config, 'flow') };
    flow.checkpointEvery ??= options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
    const flowConfig: FlowRunConfig = { problem: describeProblem(config), model: config.model, init: config.init, loss: config.loss, flow, seed: config.seeds.init };
    if (existsSync(path.join(runDir, CONFIG_FILE))) continueFlow(flowConfig, runDir, { ...runOptions, restartOnBadCheckpoint: true });
    else runFlow(flowConfig, runDir, { ...runOptions, force: true });
  } else {
    const train = loopConfig(config.train);
    train.checkpointEvery ??= options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
    const trainConfig: TrainRunConfig = {
      problem: describeProblem(config), model: config.model, init: config.init, optimizer: config.optimizer,
      loss: config.loss, train, seed: config.seeds.init,
    };
    if (existsSync(path.join(runDir, CONFIG_FILE))) continueTraining(trainConfig, runDir, { ...runOptions, restartOnBadCheckpoint: true });
    else runTraining(trainConfig, runDir, { ...runOptions, force: true });
  }
  return figuresFromSummary(readSummary(), config.method);
}
