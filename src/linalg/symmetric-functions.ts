import type { Backend } from './backend.js';
import { LinalgError } from './backend.js';
import { type Mat, assertSquare, zeros } from './mat.js';
import { backend as defaultBackend } from './select.js';

/**
 * f(A) = V diag(f(lambda)) V^T for a symmetric A = V diag(lambda) V^T.
 *
 * @example
 * symmetricFunction(a, Math.exp); // exp of a symmetric matrix, exactly symmetric
 */
export function symmetricFunction(a: Mat, f: (lambda: number) => number, be: Backend = defaultBackend()): Mat {
  assertSquare('a', a);
  const n = a.rows;
  const { values, vectors } = be.syevd(a);
  const fl = new Float64Array(n);
  for (let j = 0; j < n; j++) fl[j] = f(values[j]);
  // V diag(f) V^T = (V diag(f)) V^T: scale V's columns once, then one GEMM.
  const out = be.gemm(false, true, 1, scaleColumns(vectors, fl), vectors, 0, zeros(n, n));
  symmetrizeInPlace(out);
  return out;
}

/** V diag(w): column j of V times w[j]. */
function scaleColumns(v: Mat, w: Float64Array): Mat {
  const n = v.rows, k = v.cols;
  const out = zeros(n, k);
  const src = v.data, dst = out.data;
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) dst[i * k + j] = src[i * k + j] * w[j];
  return out;
}

function symmetrizeInPlace(a: Mat): void {
  const n = a.rows, d = a.data;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (d[i * n + j] + d[j * n + i]);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
}

/**
 * A^p for a symmetric positive semidefinite A and real p (A^(1/2), A^(2/N), A^-1, ...).
 *
 * Eigenvalues that rounding left slightly negative (>= -tol * lambda_max, tol default
 * n * eps) count as zero; a clearly negative eigenvalue is an error, as is a zero
 * eigenvalue when p < 0. For p > 0 the result is (V Lambda^(p/2)) (V Lambda^(p/2))^T,
 * so it is exactly symmetric and positive semidefinite.
 *
 * @example
 * const r = psdPower(a, 0.5); // gemm(r, r) ~ a
 */
export function psdPower(a: Mat, p: number, options: { tol?: number; backend?: Backend } = {}): Mat {
  assertSquare('a', a);
  if (!Number.isFinite(p)) throw new RangeError(`p: expected a finite exponent, got ${p}`);
  const be = options.backend ?? defaultBackend();
  const n = a.rows;
  if (n === 0) return zeros(0, 0);
  const { values, vectors } = be.syevd(a);
  const top = Math.max(Math.abs(values[0]), Math.abs(values[n - 1]));
  const tol = (options.tol ?? n * Number.EPSILON) * top;
  const half = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let l = values[j];
    if (l < -tol) throw new LinalgError(`psdPower: matrix is not positive semidefinite (eigenvalue ${l.toExponential(3)})`);
    if (l <= tol) l = 0;
    if (l === 0 && p < 0) throw new LinalgError(`psdPower: a negative power of a singular matrix (p = ${p})`);
    half[j] = p === 0 ? 1 : l ** (p / 2);
  }
  const b = scaleColumns(vectors, half);
  return be.gemm(false, true, 1, b, b, 0, zeros(n, n));
}
