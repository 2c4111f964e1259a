/**
 * The training of `implab train` (and the flow of `implab flow`), in a worker thread: the training loop is synchronous,
 * and a signal handler runs only when the thread that registered it is idle. So the main
 * thread waits here for Ctrl-C and sets a shared flag, which the loop polls every step
 * (shouldStop): it then finishes the step, checkpoints and writes the summary (resumable).
 */

import { parentPort, workerData } from 'node:worker_threads';
import { resumeTraining, runTraining, type TrainRunConfig, type TrainRunOutcome } from '../runs/train-run.js';
import { resumeFlow, runFlow, type FlowRunConfig, type FlowRunOutcome } from '../runs/flow-run.js';
import type { HistoryRecord } from '../train/loop.js';

export type TrainJob =
  | { kind: 'run'; config: TrainRunConfig; out: string; force: boolean }
  | { kind: 'resume'; dir: string; maxIters?: number }
  | { kind: 'flow'; config: FlowRunConfig; out: string; force: boolean }
  | { kind: 'flow-resume'; dir: string; tMax?: number; maxSteps?: number };

/** What a job returns: a training run's outcome, or a flow's. */
export type JobOutcome = TrainRunOutcome | FlowRunOutcome;

export interface TrainWorkerData {
  job: TrainJob;
  /** Int32Array target: [0] = 1 asks the loop to stop. */
  stopFlag: SharedArrayBuffer;
  quiet: boolean;
}

export type TrainWorkerMessage =
  | { kind: 'log'; record: HistoryRecord }
  | { kind: 'done'; outcome: JobOutcome }
  | { kind: 'error'; message: string };

/** Runs a job with the given stop flag and log callback (also used in-thread when no worker file exists). */
export function runTrainJob(job: TrainJob, stopFlag: SharedArrayBuffer, onLog?: (r: HistoryRecord) => void): JobOutcome {
  const flag = new Int32Array(stopFlag);
  const options = { onLog, shouldStop: () => Atomics.load(flag, 0) === 1 };
  switch (job.kind) {
    case 'run':
      return runTraining(job.config, job.out, { ...options, force: job.force });
    case 'resume':
      return resumeTraining(job.dir, job.maxIters !== undefined ? { maxIters: job.maxIters } : {}, options);
    case 'flow':
      return runFlow(job.config, job.out, { ...options, force: job.force });
    case 'flow-resume': {
      const overrides = { ...(job.tMax !== undefined ? { tMax: job.tMax } : {}), ...(job.maxSteps !== undefined ? { maxSteps: job.maxSteps } : {}) };
      return resumeFlow(job.dir, overrides, options);
    }
  }
}

if (parentPort && workerData && (workerData as { job?: unknown }).job) {
  const port = parentPort;
  const data = workerData as TrainWorkerData;
  try {
    const outcome = runTrainJob(data.job, data.stopFlag, data.quiet ? undefined : (record) => port.postMessage({ kind: 'log', record } satisfies TrainWorkerMessage));
    port.postMessage({ kind: 'done', outcome } satisfies TrainWorkerMessage);
  } catch (e) {
    port.postMessage({ kind: 'error', message: e instanceof Error ? e.message : String(e) } satisfies TrainWorkerMessage);
  }
}
