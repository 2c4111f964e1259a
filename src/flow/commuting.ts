/**
 * The exact limit of the U U^T gradient flow when the measurement matrices are diagonal,
 * the commuting case of Gunasekar et al. (2017), Theorem 1.
 *
 * With A_i = diag(a_i) (rows a_i of the m x n matrix A) and X(0) = diag(d0), the flow
 * X' = -(S X + X S), S = 2c A*(r) (src/flow/psd-flow.ts; c = 1 for half-sse, 2/m for mse),
 * keeps X diagonal, and x_j' = -4c (A^T r)_j x_j integrates to
 *   x(t) = d0 ∘ exp(-A^T v(t)),   v(t) = 4c ∫_0^t r(τ) dτ,
 * X(t) in the common eigenbasis of the A_i. The flow of v is v' = 4c (A x(v) - y), the
 * gradient flow (up to the factor 4c) of the strictly convex
 *   G(v) = Σ_j d0_j exp(-a_j^T v) + y^T v,   ∇G = y - A x(v),   ∇²G = A diag(x(v)) A^T,
 * so the flow's limit is x∞ = d0 ∘ exp(-A^T v∞) with v∞ = argmin G: the point of
 * {x > 0 : A x = y} nearest to d0 in the Kullback-Leibler sense. As d0 = α 1 shrinks it
 * tends to the minimum-l1 nonnegative solution (Corollary 2).
 *
 * Integrating the flow to that limit is hopeless for small α: the off-support entries of
 * x∞ are of size α^(1 + c_k), and the directions of v they pin down converge at rates of
 * that size. Damped Newton on G is affine invariant, so the same ill-conditioning costs it
 * nothing: it finds v∞ in a few dozen steps to rounding.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, zeros } from '../linalg/mat.js';
import { backend as defaultBackend } from '../linalg/select.js';
import type { LossKind } from '../models/model.js';
import type { Problem } from '../problems/problem.js';

export interface CommutingLimit {
  /**
   * 'converged': ||A x - y||_inf <= tol max(1, ||y||_inf); 'not-attained': that residual was not
   * reached: y is not A of any x >= 0, or Newton stalled. A y on the boundary (every x >= 0 with
   * A x = y has zeros) leaves G without a minimizer too, but the flow still converges to that face
   * and Newton's residual falls below tol as v runs off: 'converged', with the zeros as tiny x_j.
   */
  status: 'converged' | 'not-attained';
  /** The diagonal of the limit X∞. */
  x: Float64Array;
  /** v∞ = 4c s∞ (s∞ = ∫ r dt over the whole flow). */
  v: Float64Array;
  /** ||A x - y||_inf / max(1, ||y||_inf). */
  residual: number;
  /** Newton steps taken. */
  iterations: number;
}

export interface CommutingLimitOptions {
  /** Relative residual at which Newton stops. Default 1e-12 (a few hundred ulps of the sums A x). */
  tol?: number;
  /** Default 200. */
  maxIterations?: number;
  backend?: Backend;
}

/** The m x n matrix of diagonals of a problem's operator (one-line error for another kind). */
export function diagonalsOf(problem: Problem): Mat {
  const op = problem.op as { kind: string; diagonals?: Mat };
  if (op.kind !== 'diagonal' || !op.diagonals) throw new RangeError(`problem: expected diagonal (commuting) measurements, got a ${op.kind} operator`);
  return op.diagonals;
}

/**
 * The limit of the U U^T flow from X(0) = diag(d0) on a commuting problem (see the module
 * comment). `loss` only fixes the time scale, not the limit, and is accepted for symmetry
 * with the flows.
 *
 * @throws RangeError for a non-diagonal problem, or d0 not of n positive finite entries.
 * @example
 * const lim = commutingFlowLimit(commuting({ n: 20, m: 10, rank: 3, seed: 0 }), new Float64Array(20).fill(1e-6));
 * lim.status; // 'converged'; lim.x is the diagonal of the flow's limit
 */
export function commutingFlowLimit(problem: Problem, d0: Float64Array, _loss: LossKind = 'half-sse', options: CommutingLimitOptions = {}): CommutingLimit {
  const a = diagonalsOf(problem);
  const { rows: m, cols: n } = a;
  const y = problem.y;
  if (d0.length !== n) throw new RangeError(`d0: expected ${n} entries (the diagonal of X(0)), got ${d0.length}`);
  for (let j = 0; j < n; j++) if (!(d0[j] > 0) || !Number.isFinite(d0[j])) throw new RangeError(`d0: entry ${j} is ${d0[j]} (expected a positive finite number: X(0) positive definite)`);
  const tol = options.tol ?? 1e-12;
  const maxIterations = options.maxIterations ?? 200;
  const be = options.backend ?? defaultBackend();
  const logD0 = Float64Array.from(d0, Math.log);
  const yScale = Math.max(1, ...Array.from(y, Math.abs));

  const x = new Float64Array(n), xTry = new Float64Array(n);
  const v = new Float64Array(m), vTry = new Float64Array(m);
  const g = new Float64Array(m), step = new Float64Array(m);
  const h = zeros(m, m);
  /** The scale of the terms of the last G evaluated (Σ x_j + Σ |y_i v_i|): G's rounding is about eps times it. */
  let lastScale = 0;
  /** x(v) into out; returns G(v) (Infinity when an exponent overflows). */
  const evaluate = (vv: Float64Array, out: Float64Array): number => {
    let G = 0, scale = 0;
    for (let j = 0; j < n; j++) {
      let e = logD0[j];
      for (let i = 0; i < m; i++) e -= a.data[i * n + j] * vv[i];
      if (e > 700) return Infinity;
      out[j] = Math.exp(e);
      G += out[j];
    }
    scale = G;
    for (let i = 0; i < m; i++) {
      G += y[i] * vv[i];
      scale += Math.abs(y[i] * vv[i]);
    }
    lastScale = scale;
    return G;
  };
  const residualOf = (xx: Float64Array): number => {
    let worst = 0;
    for (let i = 0; i < m; i++) {
      let s = -y[i];
      for (let j = 0; j < n; j++) s += a.data[i * n + j] * xx[j];
      worst = Math.max(worst, Math.abs(s));
    }
    return worst / yScale;
  };

  let G = evaluate(v, x);
  let gScale = lastScale;
  let iterations = 0;
  let residual = residualOf(x);
  while (residual > tol && iterations < maxIterations) {
    // g = ∇G = y - A x, H = A diag(x) A^T.
    for (let i = 0; i < m; i++) {
      let s = y[i];
      for (let j = 0; j < n; j++) s -= a.data[i * n + j] * x[j];
      g[i] = s;
      for (let k = 0; k <= i; k++) {
        let hik = 0;
        for (let j = 0; j < n; j++) hik += a.data[i * n + j] * a.data[k * n + j] * x[j];
        h.data[i * m + k] = h.data[k * m + i] = hik;
      }
    }
    // Newton direction by the eigendecomposition: directions H cannot resolve (below
    // rounding of its largest eigenvalue) are left out rather than blown up.
    const { values, vectors } = be.syevd(h);
    const cut = 1e-15 * Math.max(...Array.from(values, Math.abs));
    step.fill(0);
    let decrement = 0;
    for (let k = 0; k < m; k++) {
      if (!(values[k] > cut)) continue;
      let c = 0;
      for (let i = 0; i < m; i++) c += vectors.data[i * m + k] * g[i];
      decrement += (c * c) / values[k];
      for (let i = 0; i < m; i++) step[i] -= (c / values[k]) * vectors.data[i * m + k];
    }
    // Backtracking (Armijo) on G along the Newton direction. Near the minimum the decrease
    // of G falls below its rounding (sums of terms up to gScale): there each trial step is
    // accepted when G stays within that rounding and the residual still falls, so that the
    // full Newton step is tried first and quadratic convergence is kept to rounding.
    let t = 1;
    let GTry = Infinity, rTry = Infinity;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      for (let i = 0; i < m; i++) vTry[i] = v[i] + t * step[i];
      GTry = evaluate(vTry, xTry);
      if (GTry <= G - 0.25 * t * decrement) {
        rTry = residualOf(xTry);
        accepted = true;
        break;
      }
      if (GTry <= G + 1e-14 * Math.max(gScale, lastScale)) {
        rTry = residualOf(xTry);
        if (rTry < residual) {
          accepted = true;
          break;
        }
      }
      t *= 0.5;
    }
    iterations += 1;
    if (!accepted) break;
    v.set(vTry);
    x.set(xTry);
    G = GTry;
    gScale = lastScale;
    residual = rTry;
  }
  return { status: residual <= tol ? 'converged' : 'not-attained', x: Float64Array.from(x), v: Float64Array.from(v), residual, iterations };
}
