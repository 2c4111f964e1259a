/**
 * One run of projected gradient descent on X over the PSD cone (Gunasekar et al.'s
 * rank-unconstrained reference): the solve and its run directory (result.npz with X,
 * summary.json with the loss, the gradient mapping and the solution's figures).
 */

import type { Backend } from '../linalg/backend.js';
import { backend as defaultBackend } from '../linalg/select.js';
import { readNpzFile } from '../io/files.js';
import { psdProjectedGradient, type PsdPgdResult } from '../baselines/psd-pgd.js';
import { problemFromNd } from '../problems/file.js';
import type { Problem } from '../problems/problem.js';
import { writeSolutionRun } from './solution-dir.js';

export interface PgdRunConfig {
  /** The problem file (.npz, DESIGN's format). */
  problem: string;
  /** Gradient-mapping tolerance relative to ||A*(y)||_F. */
  tol: number;
  maxIters: number;
  /** Also stop once (1/2)||A(X) - y||^2 <= lossTol. */
  lossTol: number;
}

export interface PgdRunOptions {
  force?: boolean;
  backend?: Backend;
  /** The problem, already built (a sweep generates problems in memory). */
  problem?: Problem;
  /** What summary.json records as the run's config. Default: `config`. */
  savedConfig?: unknown;
}

/**
 * Solves and writes RUN_DIR. The problem is loaded and checked before anything is written.
 *
 * @example
 * runPgd({ problem: 'P.npz', tol: 1e-10, maxIters: 100000, lossTol: 0 }, 'runs/pgd');
 */
export function runPgd(config: PgdRunConfig, runDir: string, options: PgdRunOptions = {}): { result: PsdPgdResult; reconRel: number | null } {
  const t0 = performance.now();
  const be = options.backend ?? defaultBackend();
  const problem = options.problem ?? problemFromNd(readNpzFile(config.problem), config.problem);
  const start = performance.now();
  const result = psdProjectedGradient(problem, { tol: config.tol, maxIters: config.maxIters, lossTol: config.lossTol, backend: be });
  const seconds = (performance.now() - start) / 1000;
  const written = writeSolutionRun(runDir, problem, {
    x: result.x,
    // The baseline's own vocabulary (max-iters) is kept out of the run statuses.
    status: result.status === 'max-iters' ? 'max_iters' : result.status,
    iterations: result.iterations,
    seconds,
    final: { loss: result.loss },
    extra: { gradient_mapping: result.gradientMapping, step_size: result.stepSize },
  }, { backend: be, config: options.savedConfig ?? config, t0, force: options.force });
  return { result, reconRel: written.reconRel };
}
