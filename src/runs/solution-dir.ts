/**
 * The run directory of a solver that returns one matrix X (the nuclear-norm baseline,
 * projected gradient descent on X): result.npz with X (and W = X) plus whatever else the
 * solver certifies, and summary.json with the solution's figures beside the solver's own.
 */

import type { Backend } from '../linalg/backend.js';
import type { Mat } from '../linalg/mat.js';
import type { NdArray } from '../io/npy.js';
import { openRunDir } from '../io/run-dir.js';
import { spectralFigures } from '../metrics/spectral.js';
import type { Problem } from '../problems/problem.js';

export interface SolutionRecord {
  x: Mat;
  /** More members of result.npz (e.g. the dual certificate). */
  arrays?: Array<[string, Mat | NdArray]>;
  status: string;
  iterations: number;
  /** Seconds in the solver alone (summary.json's train_seconds). */
  seconds: number;
  /** More figures of the final record (e.g. the loss). */
  final?: Record<string, unknown>;
  /** The solver's own summary fields (objectives, gaps, ...). */
  extra: Record<string, unknown>;
}

/**
 * Writes RUN_DIR/result.npz (`X`, the extra arrays, `W` = X) and summary.json. Returns the
 * relative reconstruction error (null without a ground truth).
 *
 * @example
 * writeSolutionRun('runs/pgd', problem, { x, status: 'converged', iterations: 120, seconds: 0.4, extra: {} },
 *   { backend: be, config, t0: performance.now() });
 */
export function writeSolutionRun(
  runDir: string, problem: Problem, s: SolutionRecord,
  o: { backend: Backend; config: unknown; t0: number; force?: boolean },
): { reconRel: number | null; totalSeconds: number } {
  const figures = spectralFigures(s.x, { xStar: problem.xStar, k: 10, backend: o.backend });
  const rd = openRunDir(runDir, { force: o.force });
  try {
    rd.writeResult(new Map<string, Mat | NdArray>([['X', s.x], ...(s.arrays ?? [])]), s.x);
    const totalSeconds = (performance.now() - o.t0) / 1000;
    rd.writeSummary({
      status: s.status,
      step: s.iterations,
      final: {
        ...s.final,
        nuclear_norm: figures.nuclearNorm,
        effective_rank: figures.effectiveRank,
        recon_mse: figures.reconMse,
        recon_rel: figures.reconRel,
        singular_values: Array.from(figures.top),
      },
      ...s.extra,
      iterations: s.iterations,
      backend: o.backend.name,
      train_seconds: s.seconds,
      total_seconds: totalSeconds,
      config: o.config,
    });
    return { reconRel: figures.reconRel, totalSeconds };
  } finally {
    rd.close();
  }
}
