import type { Backend } from '../linalg/backend.js';
import { type Mat } from '../linalg/mat.js';
import type { SparseMat } from '../linalg/sparse.js';

export type OperatorKind = 'dense' | 'symmetric' | 'completion' | 'diagonal';

/**
 * A*(r) = sum_i r_i A_i in the cheapest exact form: dense for sensing, sparse (CSR)
 * for completion. It lives in a buffer owned by the operator and is overwritten by
 * the next adjoint call, so that training allocates nothing per step.
 */
export type AdjointResult = { kind: 'dense'; mat: Mat } | { kind: 'sparse'; mat: SparseMat };

/**
 * A linear measurement operator A: R^(n1 x n2) -> R^m, A(X)_i = <A_i, X>.
 *
 * Implementations (src/problems/operators/): dense sensing; symmetric sensing stored
 * packed (about half the bytes read); completion (entry lists, O(m) apply, sparse
 * adjoint); diagonal (commuting) measurements.
 */
export interface MeasurementOperator {
  readonly kind: OperatorKind;
  readonly n1: number;
  readonly n2: number;
  readonly m: number;
  /** out[i] = <A_i, X>. Returns out. */
  apply(x: Mat, out: Float64Array): Float64Array;
  /**
   * out[i] = <A_i, L R> for L (n1 x k) and R (k x n2), without forming L R where that
   * is cheaper (completion: O(m k)). Returns out.
   */
  applyProduct(left: Mat, right: Mat, out: Float64Array): Float64Array;
  /**
   * out[i] = <A_i, L R^T> for L (n1 x k) and R (n2 x k), R given as is (not transposed):
   * the form factorized models have at hand (U V^T, U U^T, W_N S_N with S_N^T kept).
   * Completion reads the m entries of L R^T as row dot products (Backend.sampledProduct,
   * O(m k)), without forming L R^T or transposing R. Returns out.
   */
  applyProductT(left: Mat, rightT: Mat, out: Float64Array): Float64Array;
  /** scale * A*(r), into the operator's own buffer (valid until the next call). */
  adjoint(r: Float64Array, scale: number): AdjointResult;
  /**
   * Optional, for operators whose cost is reading their measurement matrices (dense and
   * symmetric sensing): r <- A(X) - y and scale * A*(r) (into the adjoint's buffer, as
   * `adjoint` returns it), reading the matrices once instead of twice. Equal to `apply`,
   * subtracting y and `adjoint` up to rounding.
   */
  residualAdjoint?(x: Mat, y: Float64Array, r: Float64Array, scale: number): AdjointResult;
  /** The measurement matrices as a dense [m, n1, n2] tensor (row-major), for files and tests. */
  toDenseTensor(): Float64Array;
}

/** out <- G B for the adjoint G (n1 x n2) and B (n2 x k): GEMM or sparse product (be.spmm). */
export function adjointTimes(g: AdjointResult, b: Mat, out: Mat, be: Backend): Mat {
  return g.kind === 'dense' ? be.gemm(false, false, 1, g.mat, b, 0, out) : be.spmm(false, 1, g.mat, b, 0, out);
}

/** out <- G^T C for the adjoint G (n1 x n2) and C (n1 x k): GEMM or sparse product (be.spmm). */
export function adjointTransposeTimes(g: AdjointResult, c: Mat, out: Mat, be: Backend): Mat {
  return g.kind === 'dense' ? be.gemm(true, false, 1, g.mat, c, 0, out) : be.spmm(true, 1, g.mat, c, 0, out);
}
