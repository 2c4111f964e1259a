/**
 * Dense matrix sensing: every A_i is a full n1 x n2 matrix. The m matrices are stored
 * as one m x (n1 n2) row-major Mat (row i is A_i flattened), so that A(X) is one GEMV
 * and A*(r) one transposed GEMV.
 */

import { type Mat, matOf, zeros } from '../../linalg/mat.js';
import type { AdjointResult, MeasurementOperator } from '../operator.js';
import {
  type OperatorOptions, type RowBlocks, checkDims, checkFactors, checkFactorsT, checkMat, checkVec, fusedResidualAdjoint, pickBackend, rowBlocks,
} from './common.js';

/**
 * A(X)_i = <A_i, X> for dense A_i (n1 x n2). Apply and adjoint are single GEMVs;
 * `applyProduct` (`applyProductT`) forms L R (L R^T) once in an owned workspace. Nothing is allocated per call
 * after the first `applyProduct`.
 *
 * @example
 * const op = denseOperator(tensor, m, n1, n2); // tensor: [m, n1, n2] row-major
 * op.apply(X, new Float64Array(m));
 * const g = op.adjoint(residual, 2 / m); // g.kind === 'dense', g.mat is n1 x n2
 */
export class DenseOperator implements MeasurementOperator {
  readonly kind = 'dense' as const;
  readonly n1: number;
  readonly n2: number;
  readonly m: number;
  /** m x (n1 n2); row i is A_i in row-major order. Shared, not copied: do not modify. */
  readonly matrices: Mat;
  private readonly be: OperatorOptions['backend'];
  private readonly adj: Mat;
  private product: Mat | undefined;
  private blocks: RowBlocks | undefined;

  /**
   * Wraps `matrices` (m x (n1 n2), row i = A_i flattened) without copying.
   *
   * @example
   * const op = new DenseOperator(matOf(m, n1 * n2, tensor), n1, n2);
   */
  constructor(matrices: Mat, n1: number, n2: number, options: OperatorOptions = {}) {
    checkDims('DenseOperator', n1, n2, matrices.rows);
    checkMat('DenseOperator: matrices', matrices, matrices.rows, n1 * n2);
    this.n1 = n1;
    this.n2 = n2;
    this.m = matrices.rows;
    this.matrices = matrices;
    this.be = options.backend;
    this.adj = zeros(n1, n2);
  }

  apply(x: Mat, out: Float64Array): Float64Array {
    checkMat('DenseOperator.apply: x', x, this.n1, this.n2);
    checkVec('DenseOperator.apply: out', out, this.m);
    return pickBackend(this.be).gemv(false, 1, this.matrices, x.data, 0, out);
  }

  applyProduct(left: Mat, right: Mat, out: Float64Array): Float64Array {
    checkFactors('DenseOperator.applyProduct', left, right, this.n1, this.n2);
    checkVec('DenseOperator.applyProduct: out', out, this.m);
    const be = pickBackend(this.be);
    this.product ??= zeros(this.n1, this.n2);
    be.gemm(false, false, 1, left, right, 0, this.product);
    return be.gemv(false, 1, this.matrices, this.product.data, 0, out);
  }

  applyProductT(left: Mat, rightT: Mat, out: Float64Array): Float64Array {
    checkFactorsT('DenseOperator.applyProductT', left, rightT, this.n1, this.n2);
    checkVec('DenseOperator.applyProductT: out', out, this.m);
    const be = pickBackend(this.be);
    this.product ??= zeros(this.n1, this.n2);
    be.gemm(false, true, 1, left, rightT, 0, this.product);
    return be.gemv(false, 1, this.matrices, this.product.data, 0, out);
  }

  adjoint(r: Float64Array, scale: number): AdjointResult {
    checkVec('DenseOperator.adjoint: r', r, this.m);
    pickBackend(this.be).gemv(true, scale, this.matrices, r, 0, this.adj.data);
    return { kind: 'dense', mat: this.adj };
  }

  /** r <- A(X) - y and scale * A*(r), reading the matrices once (fusedResidualAdjoint). */
  residualAdjoint(x: Mat, y: Float64Array, r: Float64Array, scale: number): AdjointResult {
    checkMat('DenseOperator.residualAdjoint: x', x, this.n1, this.n2);
    checkVec('DenseOperator.residualAdjoint: y', y, this.m);
    checkVec('DenseOperator.residualAdjoint: r', r, this.m);
    this.blocks = rowBlocks(this.matrices, r, this.blocks);
    fusedResidualAdjoint(pickBackend(this.be), this.blocks, x.data, y, scale, this.adj.data);
    return { kind: 'dense', mat: this.adj };
  }

  /** A fresh copy of the [m, n1, n2] tensor. */
  toDenseTensor(): Float64Array {
    return this.matrices.data.slice();
  }
}

/**
 * A dense operator over a row-major [m, n1, n2] tensor (shared, not copied).
 *
 * @throws RangeError if the tensor's length is not m n1 n2.
 * @example
 * const op = denseOperator(Float64Array.of(1, 0, 0, 1), 1, 2, 2); // A_0 = I: apply gives the trace
 */
export function denseOperator(tensor: Float64Array, m: number, n1: number, n2: number, options: OperatorOptions = {}): DenseOperator {
  checkDims('denseOperator', n1, n2, m);
  checkVec('denseOperator: tensor', tensor, m * n1 * n2);
  return new DenseOperator(matOf(m, n1 * n2, tensor), n1, n2, options);
}
