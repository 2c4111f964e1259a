import type { Backend } from '../linalg/backend.js';
import { singularValuesOf, type MatOrSingularValues } from './values.js';

/**
 * The nuclear (trace) norm ||W||_* = sum of the singular values, of a matrix or of its
 * singular values (summed in the order given).
 *
 * @example
 * nuclearNorm(diag([3, -4])); // 7
 * nuclearNorm([2, 1, 0]);     // 3
 */
export function nuclearNorm(x: MatOrSingularValues, be?: Backend): number {
  const s = singularValuesOf(x, be);
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i];
  return sum;
}
