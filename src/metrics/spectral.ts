import type { Backend } from '../linalg/backend.js';
import { isFiniteMat, type Mat } from '../linalg/mat.js';
import { backend as currentBackend } from '../linalg/select.js';
import { gradientAlignment } from './alignment.js';
import { effectiveRank } from './effective-rank.js';
import { nuclearNorm } from './nuclear.js';
import { reconMse, reconRel } from './reconstruction.js';
import { schattenNorm } from './schatten.js';

/** What spectralFigures computes besides the spectrum. */
export interface SpectralOptions {
  /** dL/dW at W: enables the gradient alignment (and then the SVD computes vectors). */
  grad?: Mat;
  /** Ground truth: enables recon_mse and recon_rel. */
  xStar?: Mat;
  /** How many leading singular values to return, and the size K of the alignment block (default: all). */
  k?: number;
  /** Schatten exponent p > 0 (2/N for a depth-N model). Default 1 (the nuclear norm). */
  schattenP?: number;
  backend?: Backend;
}

/**
 * Every spectral figure of one logged step. Numbers that do not apply are null; a
 * non-finite W gives NaN for the spectral ones (the SVD is then skipped).
 */
export interface SpectralFigures {
  /** All min(n1, n2) singular values, descending. */
  singularValues: Float64Array;
  /** The leading k of them. */
  top: Float64Array;
  nuclearNorm: number;
  schattenP: number;
  schatten: number;
  effectiveRank: number;
  reconMse: number | null;
  reconRel: number | null;
  /** K used for the alignment (min(k, min(n1, n2))). */
  k: number;
  /** Mean |diag| of the leading K x K block of U^T G V; null without grad (NaN if K = 0). */
  gradAlignDiag: number | null;
  /** Mean |off-diagonal| of that block; null without grad (NaN if K < 2). */
  gradAlignOffdiag: number | null;
}

/**
 * All the figures a logged step reports, from ONE decomposition of W: a thin SVD
 * (gesdd) when `grad` is given, else singular values only. Nuclear norm, Schatten-p,
 * effective rank, the top-k spectrum, the gradient alignment (see gradientAlignment),
 * and the reconstruction errors against `xStar` (no SVD needed for those).
 *
 * @example
 * const f = spectralFigures(W, { grad: G, xStar, k: 10, schattenP: 2 / 3 });
 * f.effectiveRank; f.top; f.gradAlignDiag;
 */
export function spectralFigures(w: Mat, options: SpectralOptions = {}): SpectralFigures {
  const be = options.backend ?? currentBackend();
  const p = options.schattenP ?? 1;
  const full = Math.min(w.rows, w.cols);
  const kReq = options.k ?? full;
  if (!Number.isInteger(kReq) || kReq < 0) throw new RangeError(`k: expected a non-negative integer, got ${kReq}`);
  const k = Math.min(kReq, full);
  const reconMseV = options.xStar ? reconMse(w, options.xStar) : null;
  const reconRelV = options.xStar ? reconRel(w, options.xStar) : null;
  if (options.grad && (options.grad.rows !== w.rows || options.grad.cols !== w.cols)) {
    throw new RangeError(`grad: expected shape ${w.rows}x${w.cols} like W, got ${options.grad.rows}x${options.grad.cols}`);
  }
  if (!isFiniteMat(w) || (options.grad !== undefined && !isFiniteMat(options.grad))) {
    const wFinite = isFiniteMat(w);
    const s = wFinite ? (full > 0 ? be.singularValues(w) : new Float64Array(0)) : new Float64Array(full).fill(NaN);
    return {
      singularValues: s,
      top: s.slice(0, k),
      nuclearNorm: wFinite ? nuclearNorm(s) : NaN,
      schattenP: p,
      schatten: wFinite ? schattenNorm(s, p) : NaN,
      effectiveRank: wFinite ? effectiveRank(s) : NaN,
      reconMse: reconMseV,
      reconRel: reconRelV,
      k,
      gradAlignDiag: options.grad ? NaN : null,
      gradAlignOffdiag: options.grad ? NaN : null,
    };
  }
  let s: Float64Array;
  let diagAlign: number | null = null;
  let offAlign: number | null = null;
  if (full === 0) {
    s = new Float64Array(0);
    if (options.grad) diagAlign = offAlign = NaN;
  } else if (options.grad) {
    const svd = be.gesdd(w);
    s = svd.s;
    const a = gradientAlignment(svd, options.grad, k, be);
    diagAlign = a.diag;
    offAlign = a.offdiag;
  } else {
    s = be.singularValues(w);
  }
  return {
    singularValues: s,
    top: s.slice(0, k),
    nuclearNorm: nuclearNorm(s),
    schattenP: p,
    schatten: schattenNorm(s, p),
    effectiveRank: effectiveRank(s),
    reconMse: reconMseV,
    reconRel: reconRelV,
    k,
    gradAlignDiag: diagAlign,
    gradAlignOffdiag: offAlign,
  };
}
