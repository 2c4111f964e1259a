/**
 * The minimum-Frobenius-norm solution of A(X) = y: the least-norm point of the
 * affine set {X : A(X) = y}, X = A*((A A*)^-1 y). It lies in the range of A* (the
 * span of the measurement matrices) and is the point gradient descent on X itself,
 * started at 0, converges to: the baseline that "implicit regularization" is measured
 * against (Gunasekar et al., Arora et al.).
 *
 * The m x m Gram matrix G = A A*, G_ij = <A_i, A_j>, is formed once by one GEMM of the
 * m x (n1 n2) matrix of flattened A_i with its transpose (symmetric operators: of the
 * packed m x n(n+1)/2 matrix with its off-diagonal columns weighted by sqrt(2), which
 * gives the same inner products from half the numbers), factored by Cholesky (potrf)
 * and solved (potrs), with one step of iterative refinement. Completion needs no
 * solve: A A* = I for distinct entries, so X is y placed at the observed entries and
 * zero elsewhere.
 */

import type { Backend } from '../linalg/backend.js';
import { LinalgError } from '../linalg/backend.js';
import { type Mat, matOf, norm2, zeros } from '../linalg/mat.js';
import { backend as currentBackend } from '../linalg/select.js';
import { sparseToDense } from '../linalg/sparse.js';
import type { MeasurementOperator } from '../problems/operator.js';
import { CompletionOperator } from '../problems/operators/completion.js';
import { SymmetricOperator } from '../problems/operators/symmetric.js';
import type { Problem } from '../problems/problem.js';

export interface MinFrobeniusOptions {
  /** Default backend(). */
  backend?: Backend;
}

export interface MinFrobeniusResult {
  /** The least-norm solution (n1 x n2), a fresh matrix. */
  x: Mat;
  /** ||A(X) - y||_2 at the returned X (absolute). */
  residual: number;
}

/**
 * The m x m Gram matrix A A* of an operator, G_ij = <A_i, A_j>.
 *
 * @example
 * const g = gramMatrix(problem.op, backend()); // m x m, symmetric positive semidefinite
 */
export function gramMatrix(op: MeasurementOperator, be: Backend): Mat {
  const m = op.m;
  const g = zeros(m, m);
  if (op instanceof CompletionOperator) {
    for (let i = 0; i < m; i++) g.data[i * m + i] = 1;
    return g;
  }
  let flat: Mat;
  if (op instanceof SymmetricOperator) {
    // Row i of `packed` is A_i's upper triangle, row by row; an off-diagonal entry
    // stands for two equal entries of A_i, so weight it by sqrt(2).
    const n = op.n, s = op.packed.cols, src = op.packed.data;
    const w = new Float64Array(s);
    for (let j = 0, p = 0; j < n; j++) for (let k = j; k < n; k++, p++) w[p] = j === k ? 1 : Math.SQRT2;
    const data = new Float64Array(m * s);
    for (let i = 0; i < m; i++) for (let p = 0; p < s; p++) data[i * s + p] = src[i * s + p] * w[p];
    flat = matOf(m, s, data);
  } else {
    flat = matOf(m, op.n1 * op.n2, op.toDenseTensor());
  }
  be.gemm(false, true, 1, flat, flat, 0, g);
  // Exactly symmetric (GEMM need not be), as potrf reads the whole matrix.
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const v = 0.5 * (g.data[i * m + j] + g.data[j * m + i]);
      g.data[i * m + j] = g.data[j * m + i] = v;
    }
  }
  return g;
}

/** A*(lambda) as a fresh dense matrix. */
function adjointDense(op: MeasurementOperator, lambda: Float64Array): Mat {
  const g = op.adjoint(lambda, 1);
  if (g.kind === 'sparse') return sparseToDense(g.mat);
  return { rows: g.mat.rows, cols: g.mat.cols, data: g.mat.data.slice() };
}

function residualNorm(op: MeasurementOperator, x: Mat, y: Float64Array): { r: Float64Array; norm: number } {
  const r = op.apply(x, new Float64Array(op.m));
  for (let i = 0; i < r.length; i++) r[i] = y[i] - r[i];
  return { r, norm: norm2(r) };
}

/**
 * The minimum-Frobenius-norm X with A(X) = y.
 *
 * @throws LinalgError (one line) when A A* is not positive definite, i.e. the
 *   measurements are linearly dependent (a repeated or redundant measurement): the
 *   least-norm problem then needs a pseudo-inverse, and y may be inconsistent.
 * @example
 * const { x, residual } = minFrobeniusNorm(problem); // residual ~ 1e-14 ||y||
 */
export function minFrobeniusNorm(problem: Problem, options: MinFrobeniusOptions = {}): MinFrobeniusResult {
  const be = options.backend ?? currentBackend();
  const { op, y } = problem;
  if (y.length !== op.m) throw new RangeError(`minFrobeniusNorm: y: expected ${op.m} values (one per measurement), got ${y.length}`);
  if (op instanceof CompletionOperator) {
    const x = zeros(op.n1, op.n2);
    for (let i = 0; i < op.m; i++) x.data[op.rows[i] * op.n2 + op.cols[i]] = y[i];
    return { x, residual: residualNorm(op, x, y).norm };
  }
  const m = op.m;
  if (m === 0) return { x: zeros(op.n1, op.n2), residual: 0 };
  const g = gramMatrix(op, be);
  let l: Mat;
  try {
    l = be.potrf(g);
  } catch (err) {
    if (!(err instanceof LinalgError)) throw err;
    throw new LinalgError(
      `minFrobeniusNorm: the ${m}x${m} Gram matrix A A* of the ${m} measurements (${op.kind}, ${op.n1}x${op.n2}) is singular: ` +
        `the measurements are linearly dependent (${err.message})`,
    );
  }
  // Relative pivot check: a tiny pivot means numerically dependent measurements.
  let minPivot = Infinity, maxDiag = 0;
  for (let i = 0; i < m; i++) {
    minPivot = Math.min(minPivot, l.data[i * m + i] ** 2);
    maxDiag = Math.max(maxDiag, g.data[i * m + i]);
  }
  if (!(minPivot > 1e-13 * maxDiag)) {
    throw new LinalgError(
      `minFrobeniusNorm: the ${m}x${m} Gram matrix A A* is numerically singular (smallest pivot ${minPivot.toExponential(2)} vs largest diagonal ${maxDiag.toExponential(2)}): ` +
        'the measurements are (nearly) linearly dependent',
    );
  }
  const lambda = be.potrs(l, matOf(m, 1, y.slice())).data;
  // One step of iterative refinement: lambda += G^-1 (y - G lambda).
  const gl = be.gemv(false, 1, g, lambda, 0, new Float64Array(m));
  for (let i = 0; i < m; i++) gl[i] = y[i] - gl[i];
  const corr = be.potrs(l, matOf(m, 1, gl)).data;
  for (let i = 0; i < m; i++) lambda[i] += corr[i];
  const x = adjointDense(op, lambda);
  return { x, residual: residualNorm(op, x, y).norm };
}
