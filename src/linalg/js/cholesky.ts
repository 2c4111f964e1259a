import { LinalgError } from '../backend.js';
import { type Mat, assertSquare, zeros } from '../mat.js';

/**
 * Cholesky factor L (lower triangular, A = L L^T), reading A's lower triangle.
 * Row-oriented Cholesky–Crout: each entry is a dot product of two contiguous row prefixes.
 *
 * @example
 * const l = cholesky(matFrom([[4, 2], [2, 3]])); // [[2, 0], [1, sqrt(2)]]
 */
export function cholesky(a: Mat): Mat {
  assertSquare('potrf: a', a);
  const n = a.rows;
  const l = zeros(n, n);
  const ad = a.data, ld = l.data;
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = ad[ri + j];
      for (let p = 0; p < j; p++) s -= ld[ri + p] * ld[rj + p];
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s)) {
          throw new LinalgError(`potrf: matrix is not positive definite (leading minor ${i + 1})`);
        }
        ld[ri + i] = Math.sqrt(s);
      } else {
        ld[ri + j] = s / ld[rj + j];
      }
    }
  }
  return l;
}

/**
 * Solves A X = B given the Cholesky factor L of A: L Y = B, then L^T X = Y.
 *
 * @example
 * const x = choleskySolve(cholesky(a), b);
 */
export function choleskySolve(l: Mat, b: Mat): Mat {
  assertSquare('potrs: l', l);
  const n = l.rows;
  if (b.rows !== n) throw new RangeError(`potrs: b: expected ${n} rows, got ${b.rows}`);
  const k = b.cols;
  const x = zeros(n, k);
  x.data.set(b.data);
  const ld = l.data, xd = x.data;
  // Forward substitution, subtracting whole rows so that inner loops are contiguous.
  for (let i = 0; i < n; i++) {
    const ri = i * k;
    for (let p = 0; p < i; p++) {
      const f = ld[i * n + p];
      if (f === 0) continue;
      const rp = p * k;
      for (let j = 0; j < k; j++) xd[ri + j] -= f * xd[rp + j];
    }
    const d = ld[i * n + i];
    for (let j = 0; j < k; j++) xd[ri + j] /= d;
  }
  // Back substitution with L^T: row i of L^T is column i of L.
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * k;
    for (let p = i + 1; p < n; p++) {
      const f = ld[p * n + i];
      if (f === 0) continue;
      const rp = p * k;
      for (let j = 0; j < k; j++) xd[ri + j] -= f * xd[rp + j];
    }
    const d = ld[i * n + i];
    for (let j = 0; j < k; j++) xd[ri + j] /= d;
  }
  return x;
}
