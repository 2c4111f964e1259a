import type { Backend } from '../linalg/backend.js';
import { singularValuesOf, type MatOrSingularValues } from './values.js';

/**
 * The Schatten-p (quasi-)norm (sum_i sigma_i^p)^(1/p) for any p > 0: a norm for p >= 1,
 * a quasi-norm for p < 1 (Arora et al. track p = 2/N for a depth-N factorization).
 * p = 1 is the nuclear norm (returned as the plain sum), p = 2 the Frobenius norm,
 * p = Infinity the spectral norm. Computed as sigma_max (sum (sigma_i / sigma_max)^p)^(1/p)
 * so that large or tiny singular values neither overflow nor underflow.
 *
 * @throws RangeError `p: expected a positive number, got ...`.
 * @example
 * schattenNorm([3, 4], 2);     // 5
 * schattenNorm([1, 1], 0.5);   // 4   ((1 + 1)^2)
 * schattenNorm(W, 2 / depth);  // the quasi-norm of a depth-N model
 */
export function schattenNorm(x: MatOrSingularValues, p: number, be?: Backend): number {
  if (typeof p !== 'number' || !(p > 0)) throw new RangeError(`p: expected a positive number, got ${String(p)}`);
  const s = singularValuesOf(x, be);
  let max = 0;
  for (let i = 0; i < s.length; i++) {
    const v = Math.abs(s[i]);
    if (v > max || Number.isNaN(v)) max = v;
  }
  if (p === 1) {
    let sum = 0;
    for (let i = 0; i < s.length; i++) sum += Math.abs(s[i]);
    return sum;
  }
  if (max === 0 || !Number.isFinite(max) || p === Infinity) return max;
  let acc = 0;
  for (let i = 0; i < s.length; i++) acc += Math.pow(Math.abs(s[i]) / max, p);
  return max * Math.pow(acc, 1 / p);
}
