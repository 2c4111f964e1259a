/**
 * Runs the points of a grid on a worker pool (piscina; one worker thread per core, BLAS at
 * one thread each) into DIR:
 *   DIR/sweep.json       the axes and the points (id and axis values) of the last sweep run here;
 *   DIR/runs/<id>/       each run's files (config.json, history.jsonl, checkpoints, result.npz, summary.json);
 *   DIR/results.jsonl    a line per finished run (src/sweep/store.ts).
 * Running the same sweep again skips finished runs and resumes checkpointed ones, so a sweep
 * killed at any moment (even with SIGKILL) and run again completes every run exactly once,
 * with the results of an uninterrupted sweep.
 */

import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { atomicWriteFile } from '../io/files.js';
import { toJsonText } from '../io/run-dir.js';
import { backend } from '../linalg/select.js';
import { executeRun, type ExecutableRunConfig, type RunFigures } from './execute.js';
import { openResultsStore, type ResultLine, type ResultsStore } from './store.js';
import type { WorkerData, WorkerTask } from './worker.js';

/** A point of the grid (src/sweep/grid.ts's GridPoint fits it). */
export interface SweepPoint {
  id: string;
  axes: Record<string, unknown>;
  config: ExecutableRunConfig;
}

export type SweepEvent =
  | { kind: 'start'; total: number; done: number; todo: number; workers: number }
  | { kind: 'finished'; point: SweepPoint; figures: RunFigures; done: number; total: number }
  | { kind: 'failed'; point: SweepPoint; message: string; done: number; total: number };

export interface SweepOptions {
  /** Worker threads. Default: the number of cores (os.availableParallelism()). */
  workers?: number;
  /** Progress events, in order. */
  onEvent?: (event: SweepEvent) => void;
  /** Set element 0 of an Int32Array over this buffer to 1 to stop: running runs checkpoint and end. */
  stopFlag?: SharedArrayBuffer;
  /** Anything to record in sweep.json besides the points (e.g. the source config). */
  meta?: Record<string, unknown>;
  /** Called once DIR exists, before any run (e.g. to record what the directory is). */
  beforeRun?: () => void;
}

export interface SweepOutcome {
  total: number;
  /** Runs in results.jsonl for this grid, after the sweep. */
  finished: number;
  /** Runs executed by this call (finished or not). */
  ran: number;
  failed: Array<{ point: SweepPoint; message: string }>;
  /** Runs that ended because of the stop flag (resumable). */
  stopped: number;
  store: ResultsStore;
}

/** The compiled worker beside this file; absent when running from the TypeScript sources (tests). */
function workerFile(): string | null {
  const file = fileURLToPath(new URL('./worker.js', import.meta.url));
  return existsSync(file) ? file : null;
}

function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/**
 * Runs every point of `points` not yet in DIR/results.jsonl.
 *
 * @example
 * const grid = expandGrid(readConfigFile('sweep.toml'), 'sweep.toml');
 * const outcome = await runSweep(grid.points, 'out/sweep', { onEvent: console.log });
 * outcome.finished === grid.points.length;
 */
export async function runSweep(points: readonly SweepPoint[], dir: string, options: SweepOptions = {}): Promise<SweepOutcome> {
  const ids = new Set<string>();
  for (const p of points) {
    if (ids.has(p.id)) throw new RangeError(`sweep: two points share the id ${p.id}`);
    ids.add(p.id);
  }
  const requested = options.workers ?? os.availableParallelism();
  if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`workers: expected a positive integer, got ${requested}`);
  mkdirSync(path.join(dir, 'runs'), { recursive: true });
  options.beforeRun?.();
  atomicWriteFile(
    path.join(dir, 'sweep.json'),
    Buffer.from(toJsonText({ ...options.meta, points: points.map((p) => ({ id: p.id, axes: p.axes })) }, 2) + '\n', 'utf8'),
  );
  const store = openResultsStore(dir);
  const order = new Map(points.map((p, i) => [p.id, i]));
  const todo = points.filter((p) => !store.has(p.id));
  const total = points.length;
  let done = total - todo.length;
  const workers = Math.max(1, Math.min(requested, todo.length));
  options.onEvent?.({ kind: 'start', total, done, todo: todo.length, workers });

  const failed: SweepOutcome['failed'] = [];
  let stopped = 0;
  let ran = 0;
  const stopView = options.stopFlag ? new Int32Array(options.stopFlag) : null;
  const stopRequested = (): boolean => stopView !== null && Atomics.load(stopView, 0) === 1;
  const settle = (point: SweepPoint, figures: RunFigures | null, error: unknown): void => {
    if (figures === null) {
      const message = errorLine(error);
      failed.push({ point, message });
      options.onEvent?.({ kind: 'failed', point, message, done, total });
    } else if (figures.status === 'stopped') {
      stopped += 1;
    } else {
      const line: ResultLine = { id: point.id, axes: point.axes, config: point.config, summary: figures };
      store.add(line, order);
      done += 1;
      options.onEvent?.({ kind: 'finished', point, figures, done, total });
    }
  };
  const task = (p: SweepPoint): WorkerTask => ({ config: p.config, runDir: path.join(dir, 'runs', p.id), savedConfig: p.config });

  const file = workerFile();
  if (file === null) {
    // In this thread, from the TypeScript sources (tests). The compiled CLI always uses the
    // pool, even with one worker, so that its main thread stays free to handle Ctrl-C.
    const be = backend();
    const shouldStop = stopView ? stopRequested : undefined;
    for (const p of todo) {
      if (stopRequested()) break;
      const t = task(p);
      let figures: RunFigures | null = null;
      let error: unknown;
      ran += 1;
      try {
        figures = executeRun(t.config, t.runDir, { shouldStop, backend: be }, t.savedConfig);
      } catch (e) {
        error = e;
      }
      settle(p, figures, error);
      // Let the event loop deliver signals (Ctrl-C sets the stop flag) between runs.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { total, finished: done, ran, failed, stopped, store };
  }

  // BLAS at one thread in every worker, however many there are: a run's floating-point
  // results then never depend on how many runs were left to share the cores, so a resumed
  // sweep equals an uninterrupted one bit for bit.
  const workerData: WorkerData = { stopFlag: options.stopFlag, threads: 1 };
  const pool = new Piscina<WorkerTask, RunFigures>({ filename: file, minThreads: workers, maxThreads: workers, workerData, idleTimeout: 1000 });
  try {
    await Promise.all(
      todo.map(async (p) => {
        if (stopRequested()) return;
        let figures: RunFigures | null = null;
        let error: unknown;
        try {
          if (stopRequested()) return;
          ran += 1;
          figures = await pool.run(task(p));
        } catch (e) {
          error = e;
        }
        settle(p, figures, error);
      }),
    );
  } finally {
    await pool.destroy();
  }
  return { total, finished: done, ran, failed, stopped, store };
}
