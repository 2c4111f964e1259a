import type { Backend } from '../linalg/backend.js';
import type { Mat } from '../linalg/mat.js';
import { backend as currentBackend } from '../linalg/select.js';

/** A matrix, or its singular values already computed (any order, non-negative). */
export type MatOrSingularValues = Mat | ArrayLike<number>;

/**
 * Whether x is a Mat (rows, cols, data) rather than a list of singular values.
 *
 * @example
 * isMat(matFrom([[1]])); // true
 * isMat([3, 1]);         // false
 */
export function isMat(x: MatOrSingularValues): x is Mat {
  return typeof x === 'object' && x !== null && 'rows' in x && 'cols' in x && 'data' in x;
}

/**
 * The singular values of x: computed (one singular-value call, no vectors) when x is a
 * matrix, returned as is when x already is a list of them.
 *
 * @example
 * singularValuesOf(diag([3, -4])); // Float64Array [4, 3]
 * singularValuesOf([1, 2]);        // [1, 2]
 */
export function singularValuesOf(x: MatOrSingularValues, be?: Backend): ArrayLike<number> {
  if (!isMat(x)) return x;
  if (x.rows === 0 || x.cols === 0) return new Float64Array(0);
  return (be ?? currentBackend()).singularValues(x);
}
