/**
 * Projected gradient descent on X over the PSD cone, for
 *   f(X) = (1/2) ||A(X) - y||^2,   X symmetric positive semidefinite:
 * the "rank-unconstrained global minimizer" reference of Gunasekar et al. (2017). It
 * optimizes over X directly, with no factorization and so no implicit bias from one;
 * where the PSD feasible set {X PSD : A(X) = y} has more than one point it returns
 * one of them (which one depends on the start and the step), to be compared with the
 * minimum-trace (minimum nuclear norm) point that factorized gradient descent nears.
 *
 * Iteration: X <- Proj_PSD(X - eta G(X)) with G(X) = sym(A*(A(X) - y)), the gradient
 * of f restricted to symmetric matrices (sym(M) = (M + M^T)/2, so asymmetric
 * measurement matrices are fine: <A_i, X> = <sym(A_i), X> for symmetric X). The
 * projection is by eigendecomposition (syevd), clipping negative eigenvalues. The step
 * is eta = 1/L with L the largest eigenvalue of X -> sym(A*(A(X))) on symmetric
 * matrices (at most ||A||^2), estimated by power iteration, or given. With eta <= 1/L
 * every step decreases f (eta < 2/L suffices, so an estimate of L slightly low is
 * still safe).
 *
 * Stopping: the gradient mapping (X - X+)/eta, whose norm is zero exactly at the
 * constrained minimizers, has Frobenius norm at most tol ||A*(y)||_F (the gradient
 * norm at X = 0), or f <= lossTol, or maxIters steps.
 */

import type { Backend } from '../linalg/backend.js';
import { type Mat, frobeniusNorm, zeros } from '../linalg/mat.js';
import { backend as currentBackend } from '../linalg/select.js';
import type { MeasurementOperator } from '../problems/operator.js';
import type { Problem } from '../problems/problem.js';

export interface PsdPgdOptions {
  backend?: Backend;
  /** The Lipschitz constant L of the gradient; default: power iteration on A*A. */
  lipschitz?: number;
  /** The step; default 1/L. */
  stepSize?: number;
  /** Relative gradient-mapping tolerance (see the module comment). Default 1e-10. */
  tol?: number;
  /** Stop once f(X) <= lossTol. Default 0 (off). */
  lossTol?: number;
  /** Default 10000. */
  maxIters?: number;
  /** The start (symmetrized and projected first). Default 0. */
  x0?: Mat;
  /** Keep f(X_k) for every k in `losses`. Default false. */
  recordLoss?: boolean;
}

export type PsdPgdStatus = 'converged' | 'max-iters' | 'diverged';

export interface PsdPgdResult {
  /** The final iterate, symmetric PSD (n x n). */
  x: Mat;
  /** Steps taken. */
  iterations: number;
  /** f(X) = (1/2) ||A(X) - y||^2 at x. */
  loss: number;
  /** Frobenius norm of the last gradient mapping (X_prev - X)/eta (0 before any step). */
  gradientMapping: number;
  /** The step used. */
  stepSize: number;
  status: PsdPgdStatus;
  /** f(X_0), f(X_1), ..., f(X_iterations), with recordLoss. */
  losses?: number[];
}

/** out <- sym(scale A*(r)), dense. */
function symAdjoint(op: MeasurementOperator, r: Float64Array, scale: number, out: Mat): Mat {
  const g = op.adjoint(r, scale);
  const n = out.rows, d = out.data;
  if (g.kind === 'dense') {
    d.set(g.mat.data);
  } else {
    d.fill(0);
    const s = g.mat;
    for (let i = 0; i < s.rows; i++) for (let p = s.rowPtr[i]; p < s.rowPtr[i + 1]; p++) d[i * n + s.colIdx[p]] += s.values[p];
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (d[i * n + j] + d[j * n + i]);
      d[i * n + j] = d[j * n + i] = v;
    }
  }
  return out;
}

/**
 * The projection onto the PSD cone of a symmetric matrix: V max(Lambda, 0) V^T.
 * Returns a fresh, exactly symmetric matrix.
 *
 * @example
 * projectPsd(matFrom([[1, 0], [0, -2]]), backend()); // [[1, 0], [0, 0]]
 */
export function projectPsd(z: Mat, be: Backend): Mat {
  const n = z.rows;
  const { values, vectors } = be.syevd(z);
  let first = 0;
  while (first < n && !(values[first] > 0)) first++;
  const k = n - first;
  const out = zeros(n, n);
  if (k === 0) return out;
  // B = V_+ diag(sqrt(lambda_+)), X = B B^T.
  const b = zeros(n, k);
  for (let j = 0; j < k; j++) {
    const s = Math.sqrt(values[first + j]);
    for (let i = 0; i < n; i++) b.data[i * k + j] = vectors.data[i * n + first + j] * s;
  }
  be.gemm(false, true, 1, b, b, 0, out);
  const d = out.data;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (d[i * n + j] + d[j * n + i]);
      d[i * n + j] = d[j * n + i] = v;
    }
  }
  return out;
}

/**
 * Largest eigenvalue of X -> sym(A*(A(X))) on symmetric n x n matrices, by power
 * iteration from a fixed (deterministic) start. At most ||A||^2.
 *
 * @example
 * const L = psdLipschitz(problem.op); // 1 for completion
 */
export function psdLipschitz(op: MeasurementOperator, options: { maxIters?: number; tol?: number } = {}): number {
  const n = op.n1;
  const maxIters = options.maxIters ?? 500;
  const tol = options.tol ?? 1e-12;
  let x = zeros(n, n);
  // A fixed, generic symmetric start (no rng needed): entries from a low-discrepancy sequence.
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = ((i * 7919 + j * 104729 + 1) * 0.6180339887498949) % 1 - 0.5;
      x.data[i * n + j] = x.data[j * n + i] = v;
    }
  }
  let norm = frobeniusNorm(x);
  const r = new Float64Array(op.m);
  const next = zeros(n, n);
  let estimate = 0;
  for (let it = 0; it < maxIters && norm > 0; it++) {
    for (let p = 0; p < x.data.length; p++) x.data[p] /= norm;
    op.apply(x, r);
    symAdjoint(op, r, 1, next);
    const nextNorm = frobeniusNorm(next);
    const prev = estimate;
    estimate = nextNorm;
    [x, norm] = [{ rows: n, cols: n, data: next.data.slice() }, nextNorm];
    if (it > 0 && Math.abs(estimate - prev) <= tol * estimate) break;
  }
  return estimate;
}

function halfSse(op: MeasurementOperator, x: Mat, y: Float64Array, r: Float64Array): number {
  op.apply(x, r);
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    r[i] -= y[i];
    s += r[i] * r[i];
  }
  return 0.5 * s;
}

/**
 * Projected gradient descent over the PSD cone for (1/2)||A(X) - y||^2.
 *
 * @throws RangeError for a non-square problem or bad options.
 * @example
 * const { x, loss, status } = psdProjectedGradient(problem, { tol: 1e-10 });
 */
export function psdProjectedGradient(problem: Problem, options: PsdPgdOptions = {}): PsdPgdResult {
  const be = options.backend ?? currentBackend();
  const { op, y } = problem;
  const n = op.n1;
  if (op.n1 !== op.n2) throw new RangeError(`psdProjectedGradient: the PSD cone needs a square problem, got ${op.n1}x${op.n2}`);
  if (y.length !== op.m) throw new RangeError(`psdProjectedGradient: y: expected ${op.m} values, got ${y.length}`);
  const maxIters = options.maxIters ?? 10000;
  const tol = options.tol ?? 1e-10;
  const lossTol = options.lossTol ?? 0;
  if (!Number.isInteger(maxIters) || maxIters < 0) throw new RangeError(`psdProjectedGradient: maxIters: expected an integer >= 0, got ${maxIters}`);
  if (!(tol >= 0)) throw new RangeError(`psdProjectedGradient: tol: expected a number >= 0, got ${tol}`);
  let eta = options.stepSize;
  if (eta === undefined) {
    const lip = options.lipschitz ?? psdLipschitz(op);
    if (!(lip > 0) || !Number.isFinite(lip)) throw new RangeError(`psdProjectedGradient: lipschitz: expected a finite number > 0, got ${lip} (is A zero?)`);
    eta = 1 / lip;
  }
  if (!(eta > 0) || !Number.isFinite(eta)) throw new RangeError(`psdProjectedGradient: stepSize: expected a finite number > 0, got ${eta}`);

  const r = new Float64Array(op.m);
  const grad = zeros(n, n);
  // The scale of the gradient: ||A*(y)||_F, the gradient norm at X = 0.
  const scaleRef = frobeniusNorm(symAdjoint(op, y, 1, grad)) || 1;

  let x: Mat;
  if (options.x0) {
    if (options.x0.rows !== n || options.x0.cols !== n) throw new RangeError(`psdProjectedGradient: x0: expected ${n}x${n}, got ${options.x0.rows}x${options.x0.cols}`);
    const s = zeros(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s.data[i * n + j] = 0.5 * (options.x0.data[i * n + j] + options.x0.data[j * n + i]);
    x = projectPsd(s, be);
  } else {
    x = zeros(n, n);
  }
  let loss = halfSse(op, x, y, r);
  const losses = options.recordLoss ? [loss] : undefined;
  let status: PsdPgdStatus = 'max-iters';
  let mapping = 0;
  let it = 0;
  if (loss <= lossTol) status = 'converged';
  const z = zeros(n, n);
  while (status === 'max-iters' && it < maxIters) {
    // r holds A(X) - y from the loss evaluation.
    symAdjoint(op, r, 1, grad);
    for (let p = 0; p < z.data.length; p++) z.data[p] = x.data[p] - eta * grad.data[p];
    const next = projectPsd(z, be);
    let d2 = 0;
    for (let p = 0; p < next.data.length; p++) d2 += (next.data[p] - x.data[p]) ** 2;
    mapping = Math.sqrt(d2) / eta;
    x = next;
    it++;
    loss = halfSse(op, x, y, r);
    losses?.push(loss);
    if (!Number.isFinite(loss)) status = 'diverged';
    else if (mapping <= tol * scaleRef || loss <= lossTol) status = 'converged';
  }
  return { x, iterations: it, loss, gradientMapping: mapping, stepSize: eta, status, ...(losses ? { losses } : {}) };
}
