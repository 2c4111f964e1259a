import type { Backend, ThinSvd } from '../linalg/backend.js';
import { type Mat, sliceCols, zeros } from '../linalg/mat.js';
import { backend as currentBackend } from '../linalg/select.js';

/** How W's singular vectors line up with the gradient: see gradientAlignment. */
export interface GradientAlignment {
  /** K = the size of the leading block used. */
  k: number;
  /** U_K^T G V_K (K x K). */
  matrix: Mat;
  /** mean_i |(U^T G V)_ii| over i < K; NaN when K = 0. */
  diag: number;
  /** mean over i != j < K of |(U^T G V)_ij|; NaN when K < 2. */
  offdiag: number;
}

/**
 * The gradient in the basis of W's singular vectors, as Arora et al. log it: with the
 * thin SVD W = U diag(s) V^T and G = dL/dW, the K x K leading block of U^T G V (rows
 * and columns ordered by descending singular value) and the mean absolute value of
 * its diagonal and of its off-diagonal entries. Arora et al. show that under gradient
 * flow the singular vectors move so that U^T G V is diagonal-dominated; a small
 * off-diagonal mean relative to the diagonal mean is that alignment.
 *
 * Both means are invariant to the sign of singular-vector pairs. Where singular values
 * coincide the vectors (and so the off-diagonal entries within that block) are not
 * unique. Cost: one n1 x n2 x K and one K x n1 x K product.
 *
 * @throws RangeError if G's shape differs from W's or k is out of range.
 * @example
 * const svd = backend().gesdd(W);
 * const { diag, offdiag } = gradientAlignment(svd, G, 10);
 */
export function gradientAlignment(svd: ThinSvd, grad: Mat, k: number, be: Backend = currentBackend()): GradientAlignment {
  const n1 = svd.u.rows, n2 = svd.v.rows, full = svd.s.length;
  if (grad.rows !== n1 || grad.cols !== n2) {
    throw new RangeError(`grad: expected shape ${n1}x${n2} like W, got ${grad.rows}x${grad.cols}`);
  }
  if (!Number.isInteger(k) || k < 0 || k > full) throw new RangeError(`k: expected an integer in [0, ${full}], got ${k}`);
  const matrix = zeros(k, k);
  if (k === 0) return { k, matrix, diag: NaN, offdiag: NaN };
  const uk = k === svd.u.cols ? svd.u : sliceCols(svd.u, 0, k);
  const vk = k === svd.v.cols ? svd.v : sliceCols(svd.v, 0, k);
  const gv = be.gemm(false, false, 1, grad, vk, 0, zeros(n1, k));
  be.gemm(true, false, 1, uk, gv, 0, matrix);
  let d = 0, o = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const v = Math.abs(matrix.data[i * k + j]);
      if (i === j) d += v;
      else o += v;
    }
  }
  return { k, matrix, diag: d / k, offdiag: k < 2 ? NaN : o / (k * (k - 1)) };
}
