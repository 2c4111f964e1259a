/**
 * Measurement operators: dense, symmetric-packed, completion (sparse entries) and
 * diagonal (commuting), and `operatorFromTensor`, which picks the cheapest exact one.
 */

import type { MeasurementOperator } from '../operator.js';
import type { OperatorOptions } from './common.js';
import { denseOperator } from './dense.js';
import { diagonalOperatorFromTensor, isDiagonalTensor } from './diagonal.js';
import { firstAsymmetry, symmetricOperatorFromTensor } from './symmetric.js';

export type { OperatorOptions } from './common.js';
export { DenseOperator, denseOperator } from './dense.js';
export { SymmetricOperator, symmetricOperatorFromTensor, firstAsymmetry, packedIndex, packedSize } from './symmetric.js';
export { CompletionOperator, findDuplicateEntry } from './completion.js';
export { DiagonalOperator, diagonalOperatorFromTensor, isDiagonalTensor } from './diagonal.js';

/**
 * The operator for a row-major [m, n1, n2] tensor of sensing matrices: `diagonal` when
 * n1 = n2 and every A_i is diagonal, else `symmetric` (packed) when n1 = n2 and every
 * A_i is exactly symmetric, else `dense` (which shares the tensor's storage; the
 * other two copy what they need). With m = 0 and n1 = n2 the result is diagonal.
 *
 * @throws RangeError if the tensor's length is not m n1 n2.
 * @example
 * operatorFromTensor(Float64Array.of(1, 0, 0, 2), 1, 2, 2).kind; // 'diagonal'
 * operatorFromTensor(Float64Array.of(1, 3, 3, 2), 1, 2, 2).kind; // 'symmetric'
 * operatorFromTensor(Float64Array.of(1, 3, 0, 2), 1, 2, 2).kind; // 'dense'
 */
export function operatorFromTensor(a: Float64Array, m: number, n1: number, n2: number, options: OperatorOptions = {}): MeasurementOperator {
  if (a.length !== m * n1 * n2) throw new RangeError(`operatorFromTensor: tensor: expected length ${m}*${n1}*${n2} = ${m * n1 * n2}, got ${a.length}`);
  if (n1 === n2 && n1 > 0) {
    if (isDiagonalTensor(a, m, n1)) return diagonalOperatorFromTensor(a, m, n1, options);
    if (firstAsymmetry(a, m, n1) === null) return symmetricOperatorFromTensor(a, m, n1, options);
  }
  return denseOperator(a, m, n1, n2, options);
}
