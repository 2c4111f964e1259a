/**
 * The worker of the sweep pool (a piscina worker thread): runs one task at a time with
 * BLAS at one thread, so that the pool's workers, one per core, do not oversubscribe the
 * cores. The pool's stop flag (a shared Int32Array, set on Ctrl-C) ends the current run
 * with a checkpoint, to be resumed by the next `implab run`.
 */

import { workerData } from 'node:worker_threads';
import { backend } from '../linalg/select.js';
import type { RunMethod } from './config.js';
import { executeRun, type ExecutableRunConfig, type RunFigures } from './execute.js';

export interface WorkerTask {
  config: ExecutableRunConfig;
  runDir: string;
  savedConfig: unknown;
}

export interface WorkerData {
  /** Int32Array view target: [0] = 1 asks every run to stop. */
  stopFlag?: SharedArrayBuffer;
  /** BLAS threads per worker. Default 1. */
  threads?: number | 'auto';
}

const data = (workerData ?? {}) as WorkerData;
const stopFlag = data.stopFlag ? new Int32Array(data.stopFlag) : null;
backend().setThreads(data.threads ?? 1);

function notStarted(method: RunMethod): RunFigures {
  return {
    method, status: 'stopped', step: 0, loss: null, test_loss: null, recon_mse: null, recon_rel: null, nuclear_norm: null,
    effective_rank: null, singular_values: null, train_seconds: 0, total_seconds: 0,
  };
}

/** Runs one task (piscina calls the default export). */
export default function runTask(task: WorkerTask): RunFigures {
  // Queued before Ctrl-C: not started at all (no run directory), still to do next time.
  if (stopFlag && Atomics.load(stopFlag, 0) === 1) return notStarted(task.config.method);
  return executeRun(task.config, task.runDir, { shouldStop: stopFlag ? () => Atomics.load(stopFlag, 0) === 1 : undefined }, task.savedConfig);
}
