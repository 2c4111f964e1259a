import { LinalgError } from '../backend.js';
import { type Mat, assertSquare, copy } from '../mat.js';
import { swapRows } from './scaled-arith.js';

/**
 * Solves A X = B by LU factorization with partial (row) pivoting, as LAPACK's dgesv.
 * Throws LinalgError when a pivot is exactly zero (A singular to working precision
 * in the sense LAPACK reports; near-singular systems solve with a large error).
 *
 * @example
 * const x = luSolve(matFrom([[0, 1], [1, 0]]), matFrom([[2], [3]])); // [[3], [2]]
 */
export function luSolve(a: Mat, b: Mat): Mat {
  assertSquare('gesv: a', a);
  const n = a.rows;
  if (b.rows !== n) throw new RangeError(`gesv: b: expected ${n} rows, got ${b.rows}`);
  const k = b.cols;
  const lu = copy(a).data;
  const x = copy(b);
  const xd = x.data;
  for (let j = 0; j < n; j++) {
    let piv = j;
    let best = Math.abs(lu[j * n + j]);
    for (let i = j + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + j]);
      if (v > best) {
        best = v;
        piv = i;
      }
    }
    if (best === 0 || !Number.isFinite(best)) {
      throw new LinalgError(best === 0
        ? `gesv: matrix is singular (U[${j},${j}] = 0)`
        : 'gesv: matrix contains NaN or infinity');
    }
    if (piv !== j) {
      swapRows(lu, n, j, piv);
      swapRows(xd, k, j, piv);
    }
    const rj = j * n;
    const d = lu[rj + j];
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      const f = lu[ri + j] / d;
      if (f === 0) continue;
      lu[ri + j] = f;
      for (let c = j + 1; c < n; c++) lu[ri + c] -= f * lu[rj + c];
      const bi = i * k, bj = j * k;
      for (let c = 0; c < k; c++) xd[bi + c] -= f * xd[bj + c];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * n, bi = i * k;
    for (let p = i + 1; p < n; p++) {
      const f = lu[ri + p];
      if (f === 0) continue;
      const bp = p * k;
      for (let c = 0; c < k; c++) xd[bi + c] -= f * xd[bp + c];
    }
    const d = lu[ri + i];
    for (let c = 0; c < k; c++) xd[bi + c] /= d;
  }
  return x;
}

