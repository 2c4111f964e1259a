/**
 * Diagonal (commuting) measurements: A_i = diag(a_i), so A(X)_i = a_i . diag(X).
 * This is the setting of Gunasekar et al.'s Theorem 1: the A_i commute.
 * The m vectors a_i are stored as the rows of an m x n Mat.
 */

import { type Mat, zeros } from '../../linalg/mat.js';
import type { AdjointResult, MeasurementOperator } from '../operator.js';
import { type OperatorOptions, checkDims, checkFactors, checkFactorsT, checkMat, checkVec, pickBackend } from './common.js';

/**
 * A(X)_i = sum_j a_i[j] X_jj. applyProduct(T) needs only diag(L R) (diag(L R^T)), O(n k); the adjoint
 * is the diagonal matrix diag(sum_i r_i a_i), in an owned dense buffer.
 *
 * @example
 * const op = new DiagonalOperator(matFrom([[1, 2], [0, 1]])); // A_0 = diag(1, 2), A_1 = diag(0, 1)
 * op.apply(identity(2), new Float64Array(2)); // [3, 1]
 */
export class DiagonalOperator implements MeasurementOperator {
  readonly kind = 'diagonal' as const;
  readonly n: number;
  readonly n1: number;
  readonly n2: number;
  readonly m: number;
  /** m x n; row i is the diagonal of A_i. Shared: do not modify. */
  readonly diagonals: Mat;
  private readonly be: OperatorOptions['backend'];
  private readonly d: Float64Array;
  private readonly adj: Mat;

  /** Wraps `diagonals` (m x n, row i = diag(A_i)) without copying. */
  constructor(diagonals: Mat, options: OperatorOptions = {}) {
    const n = diagonals.cols;
    checkDims('DiagonalOperator', n, n, diagonals.rows);
    this.n = this.n1 = this.n2 = n;
    this.m = diagonals.rows;
    this.diagonals = diagonals;
    this.be = options.backend;
    this.d = new Float64Array(n);
    this.adj = zeros(n, n);
  }

  apply(x: Mat, out: Float64Array): Float64Array {
    checkMat('DiagonalOperator.apply: x', x, this.n, this.n);
    checkVec('DiagonalOperator.apply: out', out, this.m);
    const n = this.n, xd = x.data, d = this.d;
    for (let j = 0; j < n; j++) d[j] = xd[j * n + j];
    return pickBackend(this.be).gemv(false, 1, this.diagonals, d, 0, out);
  }

  applyProduct(left: Mat, right: Mat, out: Float64Array): Float64Array {
    const k = checkFactors('DiagonalOperator.applyProduct', left, right, this.n, this.n);
    checkVec('DiagonalOperator.applyProduct: out', out, this.m);
    const n = this.n, l = left.data, r = right.data, d = this.d;
    for (let j = 0; j < n; j++) {
      let s = 0;
      const a = j * k;
      for (let q = 0; q < k; q++) s += l[a + q] * r[q * n + j];
      d[j] = s;
    }
    return pickBackend(this.be).gemv(false, 1, this.diagonals, d, 0, out);
  }

  applyProductT(left: Mat, rightT: Mat, out: Float64Array): Float64Array {
    const k = checkFactorsT('DiagonalOperator.applyProductT', left, rightT, this.n, this.n);
    checkVec('DiagonalOperator.applyProductT: out', out, this.m);
    const n = this.n, l = left.data, r = rightT.data, d = this.d;
    for (let j = 0; j < n; j++) {
      let s = 0;
      const a = j * k;
      for (let q = 0; q < k; q++) s += l[a + q] * r[a + q];
      d[j] = s;
    }
    return pickBackend(this.be).gemv(false, 1, this.diagonals, d, 0, out);
  }

  adjoint(r: Float64Array, scale: number): AdjointResult {
    checkVec('DiagonalOperator.adjoint: r', r, this.m);
    const n = this.n, d = this.d, g = this.adj.data;
    pickBackend(this.be).gemv(true, scale, this.diagonals, r, 0, d);
    // Re-zero in full: a caller may have written into the previous result.
    g.fill(0);
    for (let j = 0; j < n; j++) g[j * n + j] = d[j];
    return { kind: 'dense', mat: this.adj };
  }

  /** A fresh [m, n, n] tensor of the diagonal matrices. */
  toDenseTensor(): Float64Array {
    const n = this.n, nn = n * n, a = this.diagonals.data;
    const out = new Float64Array(this.m * nn);
    for (let i = 0; i < this.m; i++) for (let j = 0; j < n; j++) out[i * nn + j * n + j] = a[i * n + j];
    return out;
  }
}

/**
 * Whether every A_i of a row-major [m, n, n] tensor is diagonal (all off-diagonal
 * entries exactly 0).
 *
 * @example
 * isDiagonalTensor(Float64Array.of(1, 0, 0, 2), 1, 2); // true
 */
export function isDiagonalTensor(tensor: Float64Array, m: number, n: number): boolean {
  const nn = n * n;
  for (let i = 0; i < m; i++) {
    const b = i * nn;
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) if (j !== k && tensor[b + j * n + k] !== 0) return false;
    }
  }
  return true;
}

/**
 * A diagonal operator from a row-major [m, n, n] tensor of diagonal matrices (read, not kept).
 *
 * @throws RangeError if some A_i has a non-zero off-diagonal entry, or for a wrong length.
 * @example
 * const op = diagonalOperatorFromTensor(Float64Array.of(1, 0, 0, 2), 1, 2);
 * op.diagonals.data; // Float64Array [1, 2]
 */
export function diagonalOperatorFromTensor(tensor: Float64Array, m: number, n: number, options: OperatorOptions = {}): DiagonalOperator {
  checkDims('diagonalOperatorFromTensor', n, n, m);
  checkVec('diagonalOperatorFromTensor: tensor', tensor, m * n * n);
  if (!isDiagonalTensor(tensor, m, n)) throw new RangeError('diagonalOperatorFromTensor: some A_i has a non-zero off-diagonal entry');
  const nn = n * n;
  const diagonals = zeros(m, n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) diagonals.data[i * n + j] = tensor[i * nn + j * n + j];
  return new DiagonalOperator(diagonals, options);
}
