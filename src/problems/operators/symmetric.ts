/**
 * Symmetric sensing: every A_i is a symmetric n x n matrix, stored as its upper
 * triangle packed row by row (entries (j, k) with j <= k, n(n+1)/2 per matrix), so
 * that apply and adjoint read about half the bytes of the dense operator.
 *
 * For symmetric A_i and any X (symmetric or not),
 *   <A_i, X> = sum_j A_jj X_jj + sum_{j<k} A_jk (X_jk + X_kj),
 * so apply packs X with those weights into a vector w and computes P w (one GEMV),
 * where row i of P is A_i packed. The adjoint sum_i r_i A_i is P^T r, unpacked.
 */

import { type Mat, zeros } from '../../linalg/mat.js';
import type { AdjointResult, MeasurementOperator } from '../operator.js';
import {
  type OperatorOptions, type RowBlocks, checkDims, checkFactors, checkFactorsT, checkMat, checkVec, fusedResidualAdjoint, pickBackend, rowBlocks,
} from './common.js';

/**
 * The number of entries of a packed upper triangle: n (n + 1) / 2.
 *
 * @example
 * packedSize(3); // 6
 */
export function packedSize(n: number): number {
  return (n * (n + 1)) / 2;
}

/**
 * The position of entry (j, k), j <= k, in the packed upper triangle (row-major).
 *
 * @example
 * packedIndex(3, 1, 2); // 4: the order is (0,0) (0,1) (0,2) (1,1) (1,2) (2,2)
 */
export function packedIndex(n: number, j: number, k: number): number {
  return j * n - (j * (j - 1)) / 2 + (k - j);
}

/** w <- the weighted pack of X: X_jj on the diagonal, X_jk + X_kj above it. */
function packWeighted(x: Float64Array, n: number, w: Float64Array): void {
  let p = 0;
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    w[p++] = x[rj + j];
    for (let k = j + 1; k < n; k++) w[p++] = x[rj + k] + x[k * n + j];
  }
}

/** G <- the symmetric matrix whose packed upper triangle is v. */
function unpackSymmetric(v: Float64Array, n: number, g: Float64Array): void {
  let p = 0;
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    g[rj + j] = v[p++];
    for (let k = j + 1; k < n; k++) {
      const val = v[p++];
      g[rj + k] = val;
      g[k * n + j] = val;
    }
  }
}

/**
 * A(X)_i = <A_i, X> for symmetric A_i (n x n), stored packed. The adjoint is always
 * exactly symmetric. Nothing is allocated per call after the first `applyProduct`.
 *
 * @example
 * const op = symmetricOperatorFromTensor(tensor, m, n); // throws if some A_i is not symmetric
 * op.apply(X, new Float64Array(m));
 */
export class SymmetricOperator implements MeasurementOperator {
  readonly kind = 'symmetric' as const;
  readonly n: number;
  readonly n1: number;
  readonly n2: number;
  readonly m: number;
  /** m x n(n+1)/2; row i is A_i's upper triangle, packed row by row. Shared: do not modify. */
  readonly packed: Mat;
  private readonly be: OperatorOptions['backend'];
  private readonly work: Float64Array;
  private readonly adj: Mat;
  private product: Mat | undefined;
  private blocks: RowBlocks | undefined;
  private gPacked: Float64Array | undefined;

  /**
   * Wraps `packed` (m x n(n+1)/2) without copying.
   *
   * @example
   * const op = new SymmetricOperator(packedMatrices, n);
   */
  constructor(packed: Mat, n: number, options: OperatorOptions = {}) {
    checkDims('SymmetricOperator', n, n, packed.rows);
    checkMat('SymmetricOperator: packed', packed, packed.rows, packedSize(n));
    this.n = this.n1 = this.n2 = n;
    this.m = packed.rows;
    this.packed = packed;
    this.be = options.backend;
    this.work = new Float64Array(packedSize(n));
    this.adj = zeros(n, n);
  }

  apply(x: Mat, out: Float64Array): Float64Array {
    checkMat('SymmetricOperator.apply: x', x, this.n, this.n);
    checkVec('SymmetricOperator.apply: out', out, this.m);
    packWeighted(x.data, this.n, this.work);
    return pickBackend(this.be).gemv(false, 1, this.packed, this.work, 0, out);
  }

  applyProduct(left: Mat, right: Mat, out: Float64Array): Float64Array {
    checkFactors('SymmetricOperator.applyProduct', left, right, this.n, this.n);
    checkVec('SymmetricOperator.applyProduct: out', out, this.m);
    const be = pickBackend(this.be);
    this.product ??= zeros(this.n, this.n);
    be.gemm(false, false, 1, left, right, 0, this.product);
    packWeighted(this.product.data, this.n, this.work);
    return be.gemv(false, 1, this.packed, this.work, 0, out);
  }

  applyProductT(left: Mat, rightT: Mat, out: Float64Array): Float64Array {
    checkFactorsT('SymmetricOperator.applyProductT', left, rightT, this.n, this.n);
    checkVec('SymmetricOperator.applyProductT: out', out, this.m);
    const be = pickBackend(this.be);
    this.product ??= zeros(this.n, this.n);
    be.gemm(false, true, 1, left, rightT, 0, this.product);
    packWeighted(this.product.data, this.n, this.work);
    return be.gemv(false, 1, this.packed, this.work, 0, out);
  }

  adjoint(r: Float64Array, scale: number): AdjointResult {
    checkVec('SymmetricOperator.adjoint: r', r, this.m);
    pickBackend(this.be).gemv(true, scale, this.packed, r, 0, this.work);
    unpackSymmetric(this.work, this.n, this.adj.data);
    return { kind: 'dense', mat: this.adj };
  }

  /** r <- A(X) - y and scale * A*(r), reading the packed matrices once (fusedResidualAdjoint). */
  residualAdjoint(x: Mat, y: Float64Array, r: Float64Array, scale: number): AdjointResult {
    checkMat('SymmetricOperator.residualAdjoint: x', x, this.n, this.n);
    checkVec('SymmetricOperator.residualAdjoint: y', y, this.m);
    checkVec('SymmetricOperator.residualAdjoint: r', r, this.m);
    packWeighted(x.data, this.n, this.work);
    this.blocks = rowBlocks(this.packed, r, this.blocks);
    this.gPacked ??= new Float64Array(this.packed.cols);
    fusedResidualAdjoint(pickBackend(this.be), this.blocks, this.work, y, scale, this.gPacked);
    unpackSymmetric(this.gPacked, this.n, this.adj.data);
    return { kind: 'dense', mat: this.adj };
  }

  /** A fresh [m, n, n] tensor. */
  toDenseTensor(): Float64Array {
    const n = this.n, nn = n * n, s = this.packed.cols;
    const out = new Float64Array(this.m * nn);
    for (let i = 0; i < this.m; i++) {
      unpackSymmetric(this.packed.data.subarray(i * s, (i + 1) * s), n, out.subarray(i * nn, (i + 1) * nn));
    }
    return out;
  }
}

/**
 * The first (i, j, k) with A_i[j, k] !== A_i[k, j] in a [m, n, n] tensor, or null
 * when every A_i is exactly symmetric.
 *
 * @example
 * firstAsymmetry(Float64Array.of(0, 1, 2, 0), 1, 2); // [0, 0, 1]
 */
export function firstAsymmetry(tensor: Float64Array, m: number, n: number): [number, number, number] | null {
  const nn = n * n;
  for (let i = 0; i < m; i++) {
    const b = i * nn;
    for (let j = 0; j < n; j++) {
      for (let k = j + 1; k < n; k++) {
        // NaN !== NaN: a matrix holding NaN counts as not symmetric.
        if (tensor[b + j * n + k] !== tensor[b + k * n + j]) return [i, j, k];
      }
    }
  }
  return null;
}

/**
 * A symmetric operator from a row-major [m, n, n] tensor of exactly symmetric
 * matrices (the tensor is read, not kept).
 *
 * @throws RangeError naming the first asymmetric entry, or for a wrong length.
 * @example
 * const op = symmetricOperatorFromTensor(Float64Array.of(2, 1, 1, 3), 1, 2);
 * op.packed.data; // Float64Array [2, 1, 3]
 */
export function symmetricOperatorFromTensor(tensor: Float64Array, m: number, n: number, options: OperatorOptions = {}): SymmetricOperator {
  checkDims('symmetricOperatorFromTensor', n, n, m);
  checkVec('symmetricOperatorFromTensor: tensor', tensor, m * n * n);
  const bad = firstAsymmetry(tensor, m, n);
  if (bad) {
    const [i, j, k] = bad;
    throw new RangeError(`symmetricOperatorFromTensor: A_${i} is not symmetric (entry (${j}, ${k}) is ${tensor[i * n * n + j * n + k]}, entry (${k}, ${j}) is ${tensor[i * n * n + k * n + j]})`);
  }
  const s = packedSize(n), nn = n * n;
  const packed = zeros(m, s);
  const d = packed.data;
  for (let i = 0; i < m; i++) {
    let p = i * s;
    const b = i * nn;
    for (let j = 0; j < n; j++) for (let k = j; k < n; k++) d[p++] = tensor[b + j * n + k];
  }
  return new SymmetricOperator(packed, n, options);
}
