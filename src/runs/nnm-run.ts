import type { Backend } from '../linalg/backend.js';
import { backend as defaultBackend } from '../linalg/select.js';
import { readNpzFile } from '../io/files.js';
import { ndFromVector } from '../io/npz.js';
import { minNuclearNorm, type NnmResult } from '../baselines/nnm.js';
import { problemFromNd } from '../problems/file.js';
import type { Problem } from '../problems/problem.js';
import { writeSolutionRun } from './solution-dir.js';

/** One minimum-nuclear-norm solve: saved in summary.json. */
export interface NnmRunConfig {
  /** The problem file (.npz, DESIGN's format). */
  problem: string;
  /** minimize tr(X) over PSD X instead of ||X||_*. */
  psd: boolean;
  /** |A(X) - y| <= eps entrywise (0: equality). */
  eps: number;
  /** Relative gap and infeasibilities at most this for status `solved`. */
  tol: number;
  maxIters: number;
}

export interface NnmRunOptions {
  /** Replace the run files of an existing run directory. */
  force?: boolean;
  backend?: Backend;
  /** The problem, already built (then config.problem only names it): a sweep generates problems in memory. */
  problem?: Problem;
  /** What summary.json records as the run's config. Default: `config`. */
  savedConfig?: unknown;
}

export interface NnmRunOutcome {
  result: NnmResult;
  runDir: string;
  totalSeconds: number;
  reconRel: number | null;
}

/**
 * Solves the minimum-nuclear-norm problem of a problem file and writes RUN_DIR/result.npz
 * (`X`, `dual`, `W` = X) and summary.json (objectives, gap, infeasibilities, status,
 * iterations, time, and the solution's nuclear norm, effective rank and reconstruction
 * errors). The problem is loaded and checked before anything is written.
 *
 * @example
 * runNnm({ problem: 'P.npz', psd: false, eps: 1e-3, tol: 1e-7, maxIters: 20000 }, 'runs/nnm');
 */
export function runNnm(config: NnmRunConfig, runDir: string, options: NnmRunOptions = {}): NnmRunOutcome {
  const t0 = performance.now();
  const be = options.backend ?? defaultBackend();
  const problem = options.problem ?? problemFromNd(readNpzFile(config.problem), config.problem);
  const result = minNuclearNorm(problem, { psd: config.psd, eps: config.eps, tol: config.tol, maxIters: config.maxIters, backend: be });
  const written = writeSolutionRun(runDir, problem, {
    x: result.x,
    arrays: [['dual', ndFromVector(result.dual)]],
    status: result.status,
    iterations: result.iterations,
    seconds: result.seconds,
    extra: {
      primal_objective: result.primalObjective,
      dual_objective: result.dualObjective,
      relative_gap: result.relativeGap,
      primal_infeasibility: result.primalInfeasibility,
      dual_infeasibility: result.dualInfeasibility,
    },
  }, { backend: be, config: options.savedConfig ?? config, t0, force: options.force });
  return { result, runDir, totalSeconds: written.totalSeconds, reconRel: written.reconRel };
}
