import type { Backend } from '../linalg/backend.js';
import type { Mat } from '../linalg/mat.js';
import { backend as defaultBackend } from '../linalg/select.js';
import type { NdArray } from '../io/npy.js';
import { readNpzFile } from '../io/files.js';
import { ndFromVector } from '../io/npz.js';
import { openRunDir } from '../io/run-dir.js';
import { minNuclearNorm, type NnmResult } from '../baselines/nnm.js';
import { spectralFigures } from '../metrics/spectral.js';
import { problemFromNd } from '../problems/file.js';
import type { Problem } from '../problems/problem.js';

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
  const figures = spectralFigures(result.x, { xStar: problem.xStar, k: 10, backend: be });
  const rd = openRunDir(runDir, { force: options.force });
  try {
    rd.writeResult(new Map<string, Mat | NdArray>([['X', result.x], ['dual', ndFromVector(result.dual)]]), result.x);
    const totalSeconds = (performance.now() - t0) / 1000;
    rd.writeSummary({
      status: result.status,
      step: result.iterations,
      final: {
        nuclear_norm: figures.nuclearNorm,
        effective_rank: figures.effectiveRank,
        recon_mse: figures.reconMse,
        recon_rel: figures.reconRel,
        singular_values: Array.from(figures.top),
      },
      primal_objective: result.primalObjective,
      dual_objective: result.dualObjective,
      relative_gap: result.relativeGap,
      primal_infeasibility: result.primalInfeasibility,
      dual_infeasibility: result.dualInfeasibility,
      iterations: result.iterations,
      backend: be.name,
      train_seconds: result.seconds,
      total_seconds: totalSeconds,
      config: options.savedConfig ?? config,
    });
    return { result, runDir, totalSeconds, reconRel: figures.reconRel };
  } finally {
    rd.close();
  }
}
