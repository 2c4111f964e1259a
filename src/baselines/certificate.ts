/**
 * The optimality certificate of the minimum-nuclear-norm problem (issue 4).
 *
 * Primal (general): minimize ||X||_*  s.t. |A(X) - y| <= eps entrywise (eps = 0: A(X) = y).
 * Primal (psd):     minimize tr(X)    s.t. X PSD and the same constraints.
 * Dual:             maximize y^T lambda - eps ||lambda||_1
 *                   s.t. ||A*(lambda)||_2 <= 1 (general) or I - A*(lambda) PSD (psd).
 *
 * Weak duality: for a feasible X and a dual-feasible lambda,
 *   ||X||_* >= <A*(lambda), X> = <lambda, A(X)> >= y^T lambda - eps ||lambda||_1
 * (psd: tr(X) >= <sym A*(lambda), X> likewise), so the dual objective of an exactly
 * feasible lambda is a lower bound on the optimum and the gap p - d bounds the
 * suboptimality of X. In the PSD case only the symmetric part of A*(lambda) matters
 * (X is symmetric), so feasibility is read as lambda_max(sym A*(lambda)) <= 1.
 *
 * `evaluateCertificate` makes lambda exactly feasible by scaling it by
 * 1 / max(1, dualNorm(lambda)) and reports the figures that summary.json carries.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, norm2, zeros } from '../linalg/mat.js';
import type { AdjointResult } from '../problems/operator.js';
import type { Problem } from '../problems/problem.js';

export interface CertificateFigures {
  /** ||X||_* (general) or tr(X) (psd). */
  primalObjective: number;
  /** y^T lambda - eps ||lambda||_1 of the scaled (exactly feasible) lambda. */
  dualObjective: number;
  /** |p - d| / max(1, |p|, |d|). */
  relativeGap: number;
  /** ||max(|A(X) - y| - eps, 0)||_2 / max(1, ||y||_2). */
  primalInfeasibility: number;
  /** How far the unscaled lambda was from feasible: max(0, dualNorm(lambda) - 1). */
  dualInfeasibility: number;
  /** The scaled, exactly feasible lambda. */
  dual: Float64Array;
}

/** A*(r) as a dense n1 x n2 matrix (into `out`), whatever form the operator returns. */
export function adjointDense(problem: Problem, r: Float64Array, out: Mat = zeros(problem.n1, problem.n2)): Mat {
  return denseFrom(problem.op.adjoint(r, 1), out);
}

function denseFrom(g: AdjointResult, out: Mat): Mat {
  if (g.kind === 'dense') {
    out.data.set(g.mat.data);
    return out;
  }
  const s = g.mat, d = out.data, n2 = out.cols;
  d.fill(0);
  for (let i = 0; i < s.rows; i++) {
    for (let p = s.rowPtr[i]; p < s.rowPtr[i + 1]; p++) d[i * n2 + s.colIdx[p]] += s.values[p];
  }
  return out;
}

/** (G + G^T) / 2 in place, for a square G. */
export function symmetrizeInPlace(g: Mat): Mat {
  const n = g.rows, d = g.data;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (d[i * n + j] + d[j * n + i]);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
  return g;
}

/**
 * The dual constraint function: ||A*(lambda)||_2 (general) or lambda_max(sym A*(lambda))
 * (psd; may be negative). lambda is dual feasible exactly when this is <= 1.
 */
export function dualNorm(problem: Problem, lambda: Float64Array, psd: boolean, be: Backend): number {
  const g = adjointDense(problem, lambda);
  if (psd) {
    const ev = be.eigvalsh(symmetrizeInPlace(g));
    return ev.length === 0 ? 0 : ev[ev.length - 1];
  }
  const s = be.singularValues(g);
  return s.length === 0 ? 0 : s[0];
}

/** y^T lambda - eps ||lambda||_1. */
export function dualObjective(y: Float64Array, lambda: Float64Array, eps: number): number {
  let a = 0, b = 0;
  for (let i = 0; i < y.length; i++) {
    a += y[i] * lambda[i];
    b += Math.abs(lambda[i]);
  }
  return a - eps * b;
}

/** ||max(|A(X) - y| - eps, 0)||_2 / max(1, ||y||_2). */
export function primalInfeasibility(problem: Problem, x: Mat, eps: number): number {
  const r = problem.op.apply(x, new Float64Array(problem.op.m));
  for (let i = 0; i < r.length; i++) r[i] = Math.max(Math.abs(r[i] - problem.y[i]) - eps, 0);
  return norm2(r) / Math.max(1, norm2(problem.y));
}

/** ||X||_* (general) or tr(X) (psd: X is taken to be PSD; the solver's X is PSD by construction). */
export function primalObjective(x: Mat, psd: boolean, be: Backend): number {
  if (psd) {
    let t = 0;
    for (let i = 0; i < x.rows; i++) t += x.data[i * x.cols + i];
    return t;
  }
  const s = be.singularValues(x);
  let t = 0;
  for (let i = 0; i < s.length; i++) t += s[i];
  return t;
}

/**
 * The certificate figures of (X, lambda): lambda is scaled by 1 / max(1, dualNorm) so
 * that it is exactly feasible and the gap is an honest bound. `primal` may pass an
 * already known primal objective (e.g. the sum of the singular values the solver
 * just computed) to save a decomposition.
 */
export function evaluateCertificate(
  problem: Problem, x: Mat, lambda: Float64Array, o: { psd: boolean; eps: number; backend: Backend; primal?: number },
): CertificateFigures {
  const nrm = dualNorm(problem, lambda, o.psd, o.backend);
  const scale = 1 / Math.max(1, nrm);
  const dual = Float64Array.from(lambda, (v) => v * scale);
  const p = o.primal ?? primalObjective(x, o.psd, o.backend);
  const d = dualObjective(problem.y, dual, o.eps);
  return {
    primalObjective: p,
    dualObjective: d,
    relativeGap: Math.abs(p - d) / Math.max(1, Math.abs(p), Math.abs(d)),
    primalInfeasibility: primalInfeasibility(problem, x, o.eps),
    dualInfeasibility: Math.max(0, nrm - 1),
    dual,
  };
}

/**
 * A certificate of infeasibility, read as a lower bound: for any lambda,
 * t lambda with t = 1 / max(dualNorm(lambda), 0) is dual feasible (psd: for
 * dualNorm <= 0 every t >= 0 is), so every feasible X has objective at least
 * (y^T lambda - eps ||lambda||_1) / dualNorm(lambda). Returns that bound (Infinity
 * when dualNorm <= 0 and the dual objective is positive: an exact Farkas certificate,
 * the constraints cannot be met), or -Infinity when lambda proves nothing.
 */
export function infeasibilityBound(problem: Problem, lambda: Float64Array, o: { psd: boolean; eps: number; backend: Backend }): number {
  const gain = dualObjective(problem.y, lambda, o.eps);
  if (!(gain > 0)) return -Infinity;
  const nrm = dualNorm(problem, lambda, o.psd, o.backend);
  return nrm <= 0 ? Infinity : gain / nrm;
}
