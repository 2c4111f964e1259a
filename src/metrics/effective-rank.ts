import type { Backend } from '../linalg/backend.js';
import { singularValuesOf, type MatOrSingularValues } from './values.js';

/**
 * The effective rank of Roy and Vetterli, as Arora et al. use it: exp(H(p)) with
 * p_i = sigma_i / sum_j sigma_j and the Shannon entropy H(p) = -sum p_i log p_i,
 * 0 log 0 = 0. It lies in [1, rank]: 1 for a rank-1 matrix, n for a multiple of I_n.
 * The zero matrix (all sigma = 0) has effective rank 0, its rank, by convention.
 * Non-finite singular values give NaN.
 *
 * @example
 * effectiveRank(identity(4)); // 4 (to rounding)
 * effectiveRank([5, 0, 0]);   // 1
 */
export function effectiveRank(x: MatOrSingularValues, be?: Backend): number {
  const s = singularValuesOf(x, be);
  let max = 0;
  for (let i = 0; i < s.length; i++) {
    const v = Math.abs(s[i]);
    if (v > max || Number.isNaN(v)) max = v;
  }
  if (max === 0) return 0;
  if (!Number.isFinite(max)) return NaN;
  // Scale by the largest value first so that the sum cannot overflow.
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += Math.abs(s[i]) / max;
  let h = 0;
  for (let i = 0; i < s.length; i++) {
    const p = Math.abs(s[i]) / max / sum;
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.exp(h);
}
